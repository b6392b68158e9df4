// The agent page: a WebRTC call to one agent (POST /v1/realtime/calls), microphone on
// the Opus track, events on the `oai-events` data channel (REALTIME.md). Reached from
// the console's Talk button: the agent comes from ?agent=, the API key from the tab's
// sessionStorage, and the key only ever mints a short-lived client secret.
"use strict";

const KEY_STORE = "agent-server-key";
const $ = (id) => document.getElementById(id);
let pc = null;
let mic = null;
let meters = [];
let hangupUrl = null;  // DELETE it to free the server's session slot at once
const call = { agentLine: null, agentText: "" };

function line(cls, text) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  $("transcript").appendChild(p);
  p.scrollIntoView({ block: "nearest" });
  return p;
}

function status(text, error) {
  $("status").textContent = text;
  $("status").classList.toggle("error", Boolean(error));
}

function setState(s, label) {
  $("state").dataset.state = s;
  $("state").textContent = label || s;
}

const key = () => sessionStorage.getItem(KEY_STORE) || $("key").value.trim();
const agentId = () => $("agent").value.trim();

// A level meter on a stream; the agent's also records the loudest level seen in
// data-peak (a silent call is the commonest WebRTC failure, and tests read it).
function watchLevel(stream, meter) {
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let peak = 0;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let level = 0;
    for (const v of buf) level = Math.max(level, Math.abs(v));
    peak = Math.max(peak, level);
    meter.value = level;
    meter.dataset.peak = peak.toFixed(3);
  }, 50);
  return { stop: () => { clearInterval(timer); ctx.close(); meter.value = 0; } };
}

function agentDelta(text) {
  if (!call.agentLine) { call.agentLine = line("agent", ""); call.agentText = ""; }
  call.agentText = (call.agentText + " " + text.trim()).trim();
  call.agentLine.textContent = call.agentText;
}

function onEvent(ev) {
  switch (ev.type) {
    case "session.created":
      setState("listening");
      status("Connected (voice " + ev.session.voice + "). Speak any time; talk over the agent to interrupt it.");
      break;
    case "input_audio_buffer.speech_started":
      setState("listening", "listening (hearing you)");
      break;
    case "input_audio_buffer.speech_stopped":
    case "input_audio_buffer.committed":
      setState("thinking");
      break;
    case "conversation.item.input_audio_transcription.completed":
      if (ev.transcript && ev.transcript.trim()) line("user", ev.transcript.trim());
      break;
    case "response.created":
      call.agentLine = null;
      call.agentText = "";
      break;
    case "response.output_audio_transcript.delta":
      agentDelta(ev.delta || "");
      setState("speaking");
      break;
    case "response.done": {
      const r = ev.response || {};
      if (r.status === "cancelled" && call.agentLine) {
        // The server truncates the transcript to what was actually sent: show the cut.
        const part = (((r.output || [])[0] || {}).content || [])[0] || {};
        if (typeof part.transcript === "string") call.agentLine.textContent = part.transcript;
        call.agentLine.classList.add("cut");
        const mark = document.createElement("span");
        mark.className = "cutmark";
        mark.textContent = "— cut off (you spoke)";
        call.agentLine.appendChild(mark);
      }
      call.agentLine = null;
      setState("listening");
      break;
    }
    case "error":
      line("sys", "Error: " + ev.error.message);
      break;
  }
}

async function errorOf(resp) {
  try { return (await resp.json()).error; } catch { return { message: "HTTP " + resp.status }; }
}

async function post(path, auth, type, body) {
  try {
    return await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + auth, "Content-Type": type }, body });
  } catch (e) {
    throw new Error("The server can't be reached. Check that agent-server is running, then call again.");
  }
}

function explain(err, status) {
  if (!err) return "HTTP " + status;
  if (err.code === "agent_not_found") return "Agent not found: " + err.message + " Check the agent in the console.";
  if (err.code === "voice_not_found") return "This agent's voice was deleted. " + err.message;
  if (err.code === "voice_not_ready") return "This agent's voice is not ready yet. " + err.message;
  if (status === 401) return "The API key was not accepted: " + err.message + " Sign in again in the console.";
  if (status === 403) return err.message + " (the key needs the realtime scope).";
  return err.message;
}

async function startCall() {
  const k = key();
  const agent = agentId();
  if (!k || !agent) { fail("Enter an API key and an agent id."); return; }
  $("call").disabled = true;
  $("transcript").replaceChildren();
  status("Getting a client secret…");
  const secretResp = await post("/v1/realtime/client_secrets", k, "application/json", JSON.stringify({ agent }));
  if (!secretResp.ok) { fail(explain(await errorOf(secretResp), secretResp.status)); return; }
  const secret = await secretResp.json();

  status("Opening the microphone…");
  try {
    mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  } catch (e) {
    fail(e.name === "NotAllowedError"
      ? "Microphone access was denied. Allow the microphone for this site (the icon in the address bar), then call again."
      : "No microphone is available (" + e.message + "). Connect one and call again.");
    return;
  }
  meters.push(watchLevel(mic, $("mic-level")));
  pc = new RTCPeerConnection();
  pc.ontrack = (e) => {
    const stream = e.streams[0] || new MediaStream([e.track]);
    $("speaker").srcObject = stream;
    meters.push(watchLevel(stream, $("level")));
  };
  pc.onconnectionstatechange = () => {
    if (pc && ["failed", "closed"].includes(pc.connectionState)) {
      hangup(pc.connectionState === "failed" ? "The connection failed." : "The call ended.");
    }
  };
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  const dc = pc.createDataChannel("oai-events");
  dc.onmessage = (e) => onEvent(JSON.parse(e.data));
  dc.onclose = () => { if (pc) hangup("The agent ended the call."); };

  status("Calling…");
  setState("connecting");
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await post("/v1/realtime/calls?agent=" + encodeURIComponent(agent), secret.value,
                            "application/sdp", pc.localDescription.sdp);
  if (answer.status !== 201) { const err = await errorOf(answer); hangup(null); fail(explain(err, answer.status)); return; }
  const callPath = answer.headers.get("Location");
  if (callPath) hangupUrl = { url: callPath, auth: "Bearer " + secret.value };
  await pc.setRemoteDescription({ type: "answer", sdp: await answer.text() });
  $("hangup").disabled = false;
}

function fail(message) {
  line("sys", message);
  status(message, true);
  setState("idle", "not connected");
  $("call").disabled = false;
}

function hangup(message) {
  if (pc) {
    const closing = pc;
    pc = null;
    closing.getSenders().forEach((s) => s.track && s.track.stop());
    closing.close();
  }
  if (hangupUrl) {
    fetch(hangupUrl.url, { method: "DELETE", headers: { Authorization: hangupUrl.auth } }).catch(() => {});
    hangupUrl = null;
  }
  if (mic) { mic.getTracks().forEach((t) => t.stop()); mic = null; }
  meters.forEach((m) => m.stop());
  meters = [];
  $("call").disabled = false;
  $("hangup").disabled = true;
  setState("idle", "not connected");
  if (message) { line("sys", message); status(message); }
}

// Before calling: who is this agent, and can it speak? (A key without agents:read
// can still call; it just can't show the details.)
async function describe() {
  const k = key();
  const agent = agentId();
  if (!k || !agent) return;
  let resp;
  try {
    resp = await fetch("/v1/agents/" + encodeURIComponent(agent), { headers: { Authorization: "Bearer " + k } });
  } catch (e) {
    status("The server can't be reached. Check that agent-server is running.", true);
    return;
  }
  if (resp.status === 403) return;
  if (!resp.ok) {
    const err = await errorOf(resp);
    status(explain(err, resp.status), true);
    if (resp.status === 404) $("call").disabled = true;
    return;
  }
  const a = await resp.json();
  document.title = "Talk to " + a.name;
  $("title").textContent = "Talk to " + a.name;
  $("about").textContent = "Voice: " + a.voice + (a.greeting ? " · greets with “" + a.greeting + "”" : "");
  if (a.voice_status === "deleted") {
    status("This agent's voice was deleted. Choose a new voice for it in the console, then call.", true);
    $("call").disabled = true;
  } else if (a.voice_status && a.voice_status !== "ready") {
    status("This agent's voice is " + a.voice_status + ". Wait until it is ready, or choose another in the console.", true);
  }
}

const params = new URLSearchParams(location.search);
if (params.get("agent")) { $("agent").value = params.get("agent"); $("agent-box").hidden = true; }
if (sessionStorage.getItem(KEY_STORE)) {
  $("key-box").hidden = true;
  $("key-note").textContent = "Using the key you signed in with in the console (this tab only); it only mints a short-lived client secret for the call.";
}
if (!$("key-box").hidden || !$("agent-box").hidden) $("creds").hidden = false; else $("creds").hidden = true;
$("key").addEventListener("change", describe);
$("agent").addEventListener("change", describe);
$("call").onclick = () => startCall().catch((e) => { hangup(null); fail(e.message || String(e)); });
$("hangup").onclick = () => hangup("Call ended.");
describe();

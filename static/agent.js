// Browser agent page: WebRTC call to an agent (POST /v1/realtime/calls), microphone on
// the Opus track, events on the `oai-events` data channel, as in REALTIME.md.
// The API key never leaves this page except to mint a short-lived client secret.
"use strict";

const $ = (id) => document.getElementById(id);
let pc = null;
let mic = null;
let meter = null;
let hangupUrl = null;  // DELETE it to free the server's session slot at once

function log(cls, text) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  $("log").appendChild(p);
  p.scrollIntoView({ block: "nearest" });
  return p;
}

function status(text) {
  $("status").textContent = text;
}

// A level meter on the agent's audio: shows the call is really producing sound (a
// silent call is the commonest WebRTC failure), and records the loudest level seen
// in data-peak for anyone checking the page automatically.
function watchLevel(stream) {
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
    $("level").value = level;
    $("level").dataset.peak = peak.toFixed(3);
  }, 50);
  return { stop: () => { clearInterval(timer); ctx.close(); } };
}

function onEvent(ev, state) {
  switch (ev.type) {
    case "session.created":
      status("Connected to " + ev.session.agent + " (voice " + ev.session.voice + "). Speak any time; talk over the agent to interrupt it.");
      break;
    case "input_audio_buffer.speech_started":
      status("Listening…");
      break;
    case "conversation.item.input_audio_transcription.completed":
      if (ev.transcript.trim()) log("user", "You: " + ev.transcript.trim());
      break;
    case "response.created":
      state.agentLine = null;
      break;
    case "response.output_audio_transcript.delta":
      if (!state.agentLine) state.agentLine = log("agent", "Agent:");
      state.agentLine.textContent += " " + ev.delta.trim();
      status("Agent speaking…");
      break;
    case "response.done":
      if (ev.response.status === "cancelled") log("sys", "(interrupted)");
      status("Your turn.");
      break;
    case "error":
      log("sys", "Error: " + ev.error.message);
      break;
  }
}

async function errorMessage(resp) {
  try { return (await resp.json()).error.message; } catch { return "HTTP " + resp.status; }
}

async function call() {
  const key = $("key").value.trim();
  const agent = $("agent").value.trim();
  if (!key || !agent) { log("sys", "Enter an API key and an agent id."); return; }
  $("call").disabled = true;
  status("Getting a client secret…");
  const secretResp = await fetch("/v1/realtime/client_secrets", {
    method: "POST", headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
    body: JSON.stringify({ agent }),
  });
  if (!secretResp.ok) { fail(await errorMessage(secretResp)); return; }
  const secret = await secretResp.json();

  status("Opening the microphone…");
  try {
    mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  } catch (e) {
    fail("No microphone: " + e.message + ". Allow microphone access and call again.");
    return;
  }
  pc = new RTCPeerConnection();
  pc.ontrack = (e) => {
    const stream = e.streams[0] || new MediaStream([e.track]);
    $("speaker").srcObject = stream;
    meter = watchLevel(stream);
  };
  pc.onconnectionstatechange = () => {
    if (pc && ["failed", "closed"].includes(pc.connectionState)) {
      hangup(pc.connectionState === "failed" ? "The connection failed." : "The call ended.");
    }
  };
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  const dc = pc.createDataChannel("oai-events");
  const state = { agentLine: null };
  dc.onmessage = (e) => onEvent(JSON.parse(e.data), state);
  dc.onclose = () => { if (pc) hangup("The agent ended the call."); };

  status("Calling…");
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await fetch("/v1/realtime/calls?agent=" + encodeURIComponent(agent), {
    method: "POST", headers: { Authorization: "Bearer " + secret.value, "Content-Type": "application/sdp" },
    body: pc.localDescription.sdp,
  });
  if (answer.status !== 201) { const msg = await errorMessage(answer); hangup(null); fail(msg); return; }
  const callPath = answer.headers.get("Location");
  if (callPath) hangupUrl = { url: callPath, auth: "Bearer " + secret.value };
  await pc.setRemoteDescription({ type: "answer", sdp: await answer.text() });
  $("hangup").disabled = false;
}

function fail(message) {
  log("sys", message);
  status("Not connected.");
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
  if (meter) { meter.stop(); meter = null; }
  $("call").disabled = false;
  $("hangup").disabled = true;
  if (message) { log("sys", message); status("Not connected."); }
}

const params = new URLSearchParams(location.search);
if (params.get("agent")) $("agent").value = params.get("agent");
$("call").onclick = () => call().catch((e) => { hangup(null); fail(String(e)); });
$("hangup").onclick = () => hangup("Call ended.");

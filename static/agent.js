// Browser agent page: WebRTC call to an agent (POST /v1/realtime/calls), microphone on
// the Opus track, events on the `oai-events` data channel, as in REALTIME.md.
"use strict";

const $ = (id) => document.getElementById(id);
let pc = null;

function log(cls, text) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  $("log").appendChild(p);
  p.scrollIntoView();
}

async function call() {
  const key = $("key").value.trim();
  const agent = $("agent").value.trim();
  if (!key || !agent) { log("sys", "Enter an API key and an agent id."); return; }
  const auth = { Authorization: "Bearer " + key };
  const secretResp = await fetch("/v1/realtime/client_secrets", {
    method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ agent }),
  });
  const secret = await secretResp.json();
  if (!secretResp.ok) { log("sys", secret.error.message); return; }

  pc = new RTCPeerConnection();
  pc.ontrack = (e) => { $("speaker").srcObject = e.streams[0] || new MediaStream([e.track]); };
  const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  const dc = pc.createDataChannel("oai-events");
  let agentLine = null;
  dc.onmessage = (e) => {
    const ev = JSON.parse(e.data);
    if (ev.type === "conversation.item.input_audio_transcription.completed") log("user", "You: " + ev.transcript);
    else if (ev.type === "response.created") { agentLine = null; }
    else if (ev.type === "response.output_audio_transcript.delta") {
      if (!agentLine) { agentLine = document.createElement("p"); agentLine.className = "agent"; agentLine.textContent = "Agent:"; $("log").appendChild(agentLine); }
      agentLine.textContent += " " + ev.delta.trim();
    } else if (ev.type === "response.done" && ev.response.status === "cancelled") log("sys", "(interrupted)");
    else if (ev.type === "error") log("sys", "Error: " + ev.error.message);
  };
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await fetch("/v1/realtime/calls?agent=" + encodeURIComponent(agent), {
    method: "POST", headers: { Authorization: "Bearer " + secret.value, "Content-Type": "application/sdp" },
    body: pc.localDescription.sdp,
  });
  if (answer.status !== 201) { log("sys", (await answer.json()).error.message); pc.close(); pc = null; return; }
  await pc.setRemoteDescription({ type: "answer", sdp: await answer.text() });
  $("call").disabled = true; $("hangup").disabled = false;
  log("sys", "Connected. Speak any time; talk over the agent to interrupt it.");
}

function hangup() {
  if (pc) { pc.getSenders().forEach((s) => s.track && s.track.stop()); pc.close(); pc = null; }
  $("call").disabled = false; $("hangup").disabled = true;
  log("sys", "Call ended.");
}

$("call").onclick = () => call().catch((e) => log("sys", String(e)));
$("hangup").onclick = hangup;

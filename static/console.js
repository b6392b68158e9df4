// The console: sign in with an API key, enroll and manage voices, build agents.
// Plain DOM, no build step. The key lives in sessionStorage (this tab only) and goes
// only to this server, as a Bearer header.
"use strict";

const KEY_STORE = "agent-server-key";
const MAX_UPLOAD = 25 * 1024 * 1024;  // the server's default upload limit (it checks too)
const MAX_KNOWLEDGE = 32768;
const MIN_RECORD_S = 6;
const MAX_RECORD_S = 15;
const AUDIO_EXT = /\.(wav|flac|ogg|opus|mp3|m4a|aac|webm|mp4)$/i;

const $ = (id) => document.getElementById(id);
const state = { key: "", voices: [], agents: [], stock: ["joe"], poll: null, editing: null, recording: null, upload: null };

// ---- talking to the server ------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, opts = {}) {
  let resp;
  try {
    resp = await fetch(path, { ...opts, headers: { Authorization: "Bearer " + state.key, ...(opts.headers || {}) } });
  } catch (e) {
    throw new ApiError(0, "unreachable", "The server can't be reached. Check that agent-server is running.");
  }
  if (!resp.ok) {
    let err = {};
    try { err = (await resp.json()).error || {}; } catch { /* not JSON: a proxy answered */ }
    throw new ApiError(resp.status, err.code || "http_" + resp.status, err.message || resp.statusText || "HTTP " + resp.status);
  }
  return resp;
}
const apiJson = async (path, opts) => (await api(path, opts)).json();
const jsonOpts = (method, body) => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function say(el, text, kind) {
  el.textContent = text || "";
  el.classList.toggle("error", kind === "error");
  el.classList.toggle("ok", kind === "ok");
}

function scopeHint(e, scope) {
  return e.status === 403 ? `${e.message} (this key needs the ${scope} scope)` : e.message;
}

// ---- sign in / out ----------------------------------------------------------------------

function clearWorkspace() {
  clearTimeout(state.poll);
  state.voices = []; state.agents = []; state.editing = null;
  $("voice-list").replaceChildren();
  $("agent-list").replaceChildren();
  $("agent-form").hidden = true;
  $("workspace").hidden = true;
  $("player").removeAttribute("src");
  for (const id of ["enroll-msg", "agents-msg", "agent-form-msg"]) say($(id), "");
}

async function signIn(key) {
  clearWorkspace();  // nothing the previous key showed stays on screen
  state.key = key;
  say($("msg"), "Signing in…");
  const results = await Promise.allSettled([loadVoices(), loadAgents(), loadStock()]);
  const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  const fatal = failed.find((e) => e.status === 401 || e.status === 0);
  if (fatal || failed.length === results.length) {
    signOut(false);
    const e = fatal || failed[0];
    say($("msg"), e.status === 401 ? "That API key was not accepted: " + e.message : e.message, "error");
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("signin").hidden = true;
  $("signed-in").hidden = false;
  $("who").textContent = "Signed in with key " + key.slice(0, 6) + "…" + key.slice(-4);
  $("workspace").hidden = false;
  say($("msg"), failed.length ? failed.map((e) => e.message).join(" ") : "", failed.length ? "error" : "");
  render();
}

function signOut(clearMessage = true) {
  sessionStorage.removeItem(KEY_STORE);
  state.key = "";
  clearWorkspace();
  $("key").value = "";
  $("signin").hidden = false;
  $("signed-in").hidden = true;
  if (clearMessage) say($("msg"), "Signed out.");
}

$("signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const key = $("key").value.trim();
  if (!key) { say($("msg"), "Enter an API key.", "error"); return; }
  signIn(key);
});
$("signout").addEventListener("click", () => signOut());

// ---- loading --------------------------------------------------------------------------

async function loadVoices() {
  const out = [];
  let after = "";
  for (;;) {
    try {
      const page = await apiJson("/v1/voice/clones?limit=100" + (after ? "&after=" + encodeURIComponent(after) : ""));
      out.push(...page.data);
      if (!page.has_more || !page.data.length) break;
      after = page.data[page.data.length - 1].id;
    } catch (e) {
      if (e.status === 403) { state.voices = []; throw new ApiError(403, e.code, "Voices: " + scopeHint(e, "voice:read")); }
      throw e;
    }
  }
  state.voices = out;
}

async function loadAgents() {
  const out = [];
  let after = "";
  for (;;) {
    try {
      const page = await apiJson("/v1/agents?limit=100" + (after ? "&after=" + encodeURIComponent(after) : ""));
      out.push(...page.data);
      if (!page.has_more || !page.data.length) break;
      after = page.data[page.data.length - 1].id;
    } catch (e) {
      if (e.status === 403) { state.agents = []; throw new ApiError(403, e.code, "Agents: " + scopeHint(e, "agents:read")); }
      throw e;
    }
  }
  state.agents = out;
}

async function loadStock() {
  const list = await apiJson("/v1/voices");
  state.stock = list.data.filter((v) => v.type === "stock" && !v.alias_of).map((v) => v.id);
}

function render() {
  renderVoices();
  renderAgents();
  schedulePoll();
}

// Badges update live: while any voice is pending, poll the list.
function schedulePoll() {
  clearTimeout(state.poll);
  if (!state.key || !state.voices.some((v) => v.status === "pending")) return;
  state.poll = setTimeout(async () => {
    const before = new Map(state.voices.map((v) => [v.id, v.status]));
    try { await loadVoices(); } catch (e) { if (e.status === 401) signOut(false); say($("msg"), e.message, "error"); return; }
    const done = state.voices.filter((v) => before.get(v.id) === "pending" && v.status !== "pending");
    if (done.length) {
      say($("enroll-msg"), done.map((v) => `"${v.name}" is ${v.status === "ready" ? "ready" : "rejected: see why below"}.`).join(" "),
          done.every((v) => v.status === "ready") ? "ok" : "error");
    }
    render();
  }, 1500);
}

// ---- voices -----------------------------------------------------------------------------

// Marks come from the server's own verdict, never from limits copied here: "bad" is the
// measurement the gate's failure names (failure.evidence), "borderline" one it passed close
// to its limit (quality.warnings), the rest "good". Each row lists the quality fields
// (and the evidence measures) it stands for.
const QUALITY = [
  ["Bandwidth", "effective_bandwidth_hz", (v) => `${(v / 1000).toFixed(1)} kHz`, ["effective_bandwidth_hz"]],
  ["Speech length", "speech_s", (v) => `${v.toFixed(1)} s`, ["speech_s", "span_s", "longest_silence_s"]],
  ["SNR", "snr_db", (v) => `${v.toFixed(0)} dB`, ["snr_db"]],
  ["Speakers", "speakers", (v) => String(v), ["speaker_similarity", "two_voice_score"]],
  ["Reverb (C50)", "reverb_c50_db", (v) => `${v.toFixed(1)} dB`, ["reverb_c50_db"]],
  ["Music", "music", (v) => v.toFixed(2), ["music"]],
  ["Level spread", "level_spread_db", (v) => `${v.toFixed(1)} dB`, ["level_spread_db", "phrase_level_spread_db"]],
  ["Clipping", "clipped_fraction", (v) => `${(v * 100).toFixed(2)} %`, ["clipped_fraction"]],
  ["Language", "language", (v) => String(v), ["language_confidence"]],
];

function markFor(measures, q, failure) {
  const ev = failure && failure.evidence;
  if (ev && measures.includes(ev.measure)) return "bad";
  const near = Array.isArray(q.warnings) ? q.warnings : [];
  return near.some((w) => measures.includes(w.measure)) ? "borderline" : "good";
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function qualityCard(q, failure) {
  const dl = el("dl", { class: "report", "aria-label": "Quality report" });
  for (const [label, field, fmt, measures] of QUALITY) {
    const v = q[field];
    if (v === null || v === undefined) continue;
    let text = fmt(v);
    if (field === "language" && typeof q.language_confidence === "number") {
      text += ` (${Math.round(q.language_confidence * 100)} %)`;
    }
    const mark = markFor(measures, q, failure);
    dl.append(el("dt", { text: label }), el("dd", { text: text }), el("dd", { class: "mark " + mark, text: mark }));
  }
  return dl;
}

function failureCard(f) {
  const box = el("div", { class: "failure", role: "group", "aria-label": "Why it failed" });
  box.append(el("p", {}, el("strong", { text: f.code }), " — " + (f.message || "")));
  const ev = f.evidence;
  if (ev && typeof ev === "object") {
    const parts = [];
    if (ev.measure) parts.push(`measured ${ev.measure}`);
    if (ev.value !== undefined && ev.value !== null) parts.push(`= ${ev.value}`);
    if (ev.limit !== undefined && ev.limit !== null) parts.push(`(limit ${ev.limit})`);
    box.append(el("p", { class: "evidence", text: "Evidence: " + parts.join(" ") }));
  }
  const fix = f.fix;  // the server's, from the one table of fixes (api_contract)
  if (fix) box.append(el("p", { class: "fix" }, el("strong", { text: "Fix: " }), fix));
  return box;
}

function agentsUsing(voiceId) {
  return state.agents.filter((a) => a.voice === voiceId);
}

function renderVoices() {
  const list = $("voice-list");
  list.replaceChildren();
  $("voices-empty").hidden = state.voices.length > 0;
  for (const v of state.voices) {
    const badge = el("span", { class: "badge " + v.status, text: v.status });
    const card = el("li", { class: "card voice", "data-voice-id": v.id, "data-status": v.status },
      el("header", {}, el("h3", { text: v.name }), badge), el("code", { text: v.id }));
    if (v.status !== "pending" && v.quality && Object.keys(v.quality).length) {
      card.append(qualityCard(v.quality, v.status === "failed" ? v.failure : null));
    }
    if (v.status === "pending") card.append(el("p", { class: "muted", text: "Checking the clip and building the voice…" }));
    if (v.status === "failed" && v.failure) card.append(failureCard(v.failure));
    const actions = el("div", { class: "row actions" });
    if (v.status === "ready") {
      actions.append(el("button", { type: "button", "aria-label": "Play " + v.name, text: "Play", onclick: () => play(v.id) }));
    }
    actions.append(el("button", { type: "button", class: "danger", "aria-label": "Delete " + v.name, text: "Delete",
                                  onclick: () => deleteVoice(v) }));
    card.append(actions);
    list.append(card);
  }
}

async function play(voiceId) {
  const text = $("preview-text").value.trim();
  if (!text) { say($("msg"), "Type a preview text first.", "error"); return; }
  const speed = Number($("preview-speed").value);
  if (!(speed >= 0.25 && speed <= 4)) { say($("msg"), "Speed must be between 0.25 and 4.", "error"); return; }
  say($("msg"), "Synthesizing…");
  try {
    const resp = await api("/v1/audio/speech", jsonOpts("POST", {
      input: text, voice: voiceId, response_format: $("preview-format").value, speed, stream: false }));
    const player = $("player");
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(await resp.blob());
    say($("msg"), "");
    await player.play().catch(() => {});
  } catch (e) { say($("msg"), scopeHint(e, "audio:speech"), "error"); }
}

async function deleteVoice(v) {
  const users = agentsUsing(v.id);
  const question = users.length
    ? `Delete the voice "${v.name}"? These agents use it and will have no voice until you pick another: ${users.map((a) => a.name).join(", ")}.`
    : `Delete the voice "${v.name}"? It stops working everywhere at once.`;
  if (!window.confirm(question)) return;
  try {
    const res = await apiJson(`/v1/voice/clones/${encodeURIComponent(v.id)}`, { method: "DELETE" });
    const lost = (res.agents || []).map((a) => a.name || a.id);
    say($("msg"), `Deleted "${v.name}".` + (lost.length ? ` Agents without a voice now: ${lost.join(", ")} — choose a new voice for them below.` : ""), "ok");
    await Promise.allSettled([loadVoices(), loadAgents()]);
    render();
  } catch (e) { say($("msg"), scopeHint(e, "voice:clone"), "error"); }
}

// ---- enrollment: file, drop, or recording ---------------------------------------------

function chooseUpload(blob, filename, label) {
  state.upload = blob ? { blob, filename } : null;
  $("chosen").textContent = blob ? label : "";
  say($("enroll-msg"), "");
}

function checkAudioFile(f) {
  if (f.size > MAX_UPLOAD) return `"${f.name}" is ${(f.size / 1048576).toFixed(1)} MB; the limit is 25 MB. A 6–15 s clip is far smaller.`;
  if (f.size === 0) return `"${f.name}" is empty.`;
  if (!(f.type || "").startsWith("audio/") && !(f.type || "").startsWith("video/webm") && !AUDIO_EXT.test(f.name)) {
    return `"${f.name}" is not an audio file. Use WAV, FLAC, OGG/Opus, MP3, M4A/AAC or WebM.`;
  }
  return null;
}

function takeFile(f) {
  const problem = checkAudioFile(f);
  if (problem) { chooseUpload(null); $("audio-file").value = ""; say($("enroll-msg"), problem, "error"); return; }
  stopPreview();
  chooseUpload(f, f.name, `Selected: ${f.name} (${(f.size / 1024).toFixed(0)} KB)`);
  if (!$("voice-name").value.trim()) $("voice-name").value = f.name.replace(/\.[^.]+$/, "");
}

$("audio-file").addEventListener("change", () => { const f = $("audio-file").files[0]; if (f) takeFile(f); });
const drop = $("drop");
for (const name of ["dragenter", "dragover"]) {
  for (const target of [drop, $("enroll-form")]) {
    target.addEventListener(name, (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  }
}
for (const target of [drop, $("enroll-form")]) {
  target.addEventListener("dragleave", () => drop.classList.remove("over"));
  target.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const f = ev.dataTransfer.files[0];
    if (f) { $("audio-file").value = ""; takeFile(f); }
  });
}

function stopPreview() {
  const p = $("rec-preview");
  if (p.src) URL.revokeObjectURL(p.src);
  p.removeAttribute("src");
  p.hidden = true;
}

async function startRecording() {
  say($("enroll-msg"), "");
  let stream;
  try {
    // No processing: the gate should hear the room as it is, not a denoised version.
    stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  } catch (e) {
    say($("enroll-msg"), e.name === "NotAllowedError" ? "Microphone access was denied. Allow it for this site and try again."
      : "No microphone is available: " + e.message, "error");
    return;
  }
  const recorder = new MediaRecorder(stream);
  const chunks = [];
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  ctx.createMediaStreamSource(stream).connect(analyser);  // for the meter only; the recording is untouched
  const buf = new Float32Array(analyser.fftSize);
  const started = performance.now();
  const rec = { recorder, stream, ctx, started, timer: null };
  state.recording = rec;
  rec.timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let peak = 0;
    for (const v of buf) peak = Math.max(peak, Math.abs(v));
    $("rec-level").value = peak;
    const secs = (performance.now() - started) / 1000;
    $("rec-timer").textContent = `${secs.toFixed(1)} s`;
    if (secs >= MAX_RECORD_S) stopRecording();
  }, 100);
  recorder.ondataavailable = (ev) => { if (ev.data.size) chunks.push(ev.data); };
  recorder.onstop = () => {
    const secs = (performance.now() - started) / 1000;
    const type = recorder.mimeType || "audio/webm";
    const blob = new Blob(chunks, { type });
    if (secs < MIN_RECORD_S) {
      chooseUpload(null);
      say($("enroll-msg"), `The recording is ${secs.toFixed(1)} s; record at least ${MIN_RECORD_S} s of speech (up to ${MAX_RECORD_S} s).`, "error");
      return;
    }
    stopPreview();
    $("audio-file").value = "";
    const p = $("rec-preview");
    p.src = URL.createObjectURL(blob);
    p.hidden = false;
    const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
    chooseUpload(blob, `recording.${ext}`, `Recording: ${secs.toFixed(1)} s, ready to enroll`);
    if (!$("voice-name").value.trim()) $("voice-name").value = "My recording";
  };
  recorder.start(250);
  $("record").disabled = true;
  $("stop-record").disabled = false;
  $("rec-timer").textContent = "0.0 s";
}

function stopRecording() {
  const rec = state.recording;
  if (!rec) return;
  state.recording = null;
  clearInterval(rec.timer);
  if (rec.recorder.state !== "inactive") rec.recorder.stop();
  rec.stream.getTracks().forEach((t) => t.stop());
  rec.ctx.close();
  $("rec-level").value = 0;
  $("record").disabled = false;
  $("stop-record").disabled = true;
}

$("record").addEventListener("click", startRecording);
$("stop-record").addEventListener("click", stopRecording);

$("enroll-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("voice-name").value.trim();
  if (!state.upload) { say($("enroll-msg"), "Choose an audio file, drop one here, or record 6–15 s first.", "error"); return; }
  if (!name) { say($("enroll-msg"), "Give the voice a name.", "error"); $("voice-name").focus(); return; }
  const fd = new FormData();
  fd.append("name", name);
  fd.append("file", state.upload.blob, state.upload.filename);
  $("enroll").disabled = true;
  say($("enroll-msg"), "Uploading…");
  try {
    const v = await apiJson("/v1/voice/clones", { method: "POST", body: fd });
    chooseUpload(null);
    say($("enroll-msg"), `"${v.name}" uploaded: checking the clip…`, "ok");
    $("audio-file").value = "";
    $("voice-name").value = "";
    stopPreview();
    state.voices = [v, ...state.voices.filter((x) => x.id !== v.id)];
    render();
  } catch (e) {
    say($("enroll-msg"), scopeHint(e, "voice:clone"), "error");
  } finally {
    $("enroll").disabled = false;
  }
});

// ---- agents (Agent Builder) -------------------------------------------------------------

function voiceLabel(id) {
  const clone = state.voices.find((v) => v.id === id);
  return clone ? `${clone.name} (${id})` : id;
}

function renderAgents() {
  const list = $("agent-list");
  list.replaceChildren();
  if (!state.agents.length) list.append(el("li", { class: "muted", text: "No agents yet: press New agent." }));
  for (const a of state.agents) {
    const vs = a.voice_status || "ready";
    const card = el("li", { class: "card agent", "data-agent-id": a.id },
      el("header", {}, el("h3", { text: a.name }),
         vs !== "ready" ? el("span", { class: "badge " + vs, text: "voice " + vs }) : null),
      el("p", { class: "muted", text: "Voice: " + voiceLabel(a.voice) + (a.knowledge ? ` · knowledge ${a.knowledge.length} characters` : "") }),
      el("div", { class: "row actions" },
        el("button", { type: "button", class: "primary", "aria-label": "Talk", "data-agent": a.name, text: "Talk",
                       onclick: () => { location.href = "/agent.html?agent=" + encodeURIComponent(a.id); } }),
        el("button", { type: "button", text: "Edit", "aria-label": "Edit " + a.name, onclick: () => openAgentForm(a) }),
        el("button", { type: "button", class: "danger", text: "Delete", "aria-label": "Delete " + a.name,
                       onclick: () => deleteAgent(a) })));
    if (vs === "deleted") card.append(el("p", { class: "msg error", text: "Its voice was deleted: edit the agent and choose another." }));
    list.append(card);
  }
}

function fillVoiceSelect(current, status = "ready") {
  const sel = $("agent-voice");
  sel.replaceChildren();
  const stock = el("optgroup", { label: "Stock voices" });
  for (const id of state.stock) stock.append(el("option", { value: id, text: id }));
  sel.append(stock);
  const ready = state.voices.filter((v) => v.status === "ready");
  if (ready.length) {
    const clones = el("optgroup", { label: "Your voices" });
    for (const v of ready) clones.append(el("option", { value: v.id, text: `${v.name} (${v.id})` }));
    sel.append(clones);
  }
  const known = [...sel.options].some((o) => o.value === current);
  if (current && !known && status === "ready") {
    sel.append(el("option", { value: current, text: current }));  // e.g. an OpenAI alias set through the API
    say($("agent-voice-note"), "");
  } else if (current && !known) {
    sel.append(el("option", { value: current, text: `${current} (${status})` }));
    say($("agent-voice-note"), status === "deleted" ? "This agent's voice was deleted: choose another before saving."
      : `This agent's voice is ${status}: choose another, or wait until it is ready.`, "error");
  } else {
    say($("agent-voice-note"), "");
  }
  sel.value = current || state.stock[0] || "joe";
}

function intentRow(intent = { examples: [], answer: "" }) {
  const n = $("intents").children.length + 1;
  const ex = el("textarea", { rows: "2", id: `intent-ex-${n}`, placeholder: "when are you open\nopening hours" });
  ex.value = (intent.examples || []).join("\n");
  const ans = el("input", { type: "text", id: `intent-answer-${n}`, placeholder: "We are open nine to five." });
  ans.value = intent.answer || "";
  const row = el("div", { class: "intent" },
    el("label", { for: ex.id, text: `Intent ${n}: example phrases (one per line)` }), ex,
    el("label", { for: ans.id, text: `Intent ${n}: answer` }), ans,
    el("button", { type: "button", class: "danger", text: "Remove intent", onclick: () => row.remove() }));
  row.dataset.name = intent.name || "";
  $("intents").append(row);
  return row;
}

function setResponderKind(kind) {
  for (const r of document.querySelectorAll("input[name=responder]")) r.checked = r.value === kind;
  $("openai-fields").hidden = kind !== "openai";
  $("intents-box").hidden = kind === "openai";
}

function openAgentForm(agent) {
  state.editing = agent || null;
  $("agent-form-title").textContent = agent ? `Edit "${agent.name}"` : "New agent";
  $("agent-name").value = agent ? agent.name : "";
  fillVoiceSelect(agent ? agent.voice : state.stock[0], agent ? agent.voice_status || "ready" : "ready");
  $("agent-greeting").value = agent ? agent.greeting || "" : "";
  $("agent-instructions").value = agent ? agent.instructions || "" : "";
  $("agent-knowledge").value = agent ? agent.knowledge || "" : "";
  countKnowledge();
  $("intents").replaceChildren();
  const responder = (agent && agent.responder) || { type: "knowledge" };
  const kind = responder.type === "openai" ? "openai" : "knowledge";
  setResponderKind(kind);
  for (const it of (kind === "knowledge" && responder.intents) || []) intentRow(it);
  $("llm-base-url").value = responder.base_url || "";
  $("llm-model").value = responder.model || "";
  $("llm-key-env").value = responder.api_key_env || "";
  const td = agent ? agent.turn_detection : { type: "server_vad", silence_duration_ms: 500, threshold: 0.5 };
  $("turn-mode").value = td ? "server_vad" : "none";
  $("vad-fields").hidden = !td;
  $("vad-silence").value = td && td.silence_duration_ms ? td.silence_duration_ms : 500;
  $("vad-threshold").value = td && td.threshold ? td.threshold : 0.5;
  say($("agent-form-msg"), "");
  $("agent-form").hidden = false;
  $("agent-name").focus();
}

function countKnowledge() {
  const n = $("agent-knowledge").value.length;
  const over = n > MAX_KNOWLEDGE;
  $("knowledge-count").textContent = `The embedded responder answers questions with the closest sentence of this text. ${n} / ${MAX_KNOWLEDGE} characters` + (over ? " — too long." : ".");
  $("knowledge-count").classList.toggle("error", over);
}

// The whole agent as one request: either everything is saved or nothing is.
function agentBody() {
  const name = $("agent-name").value.trim();
  if (!name) return { error: "Give the agent a name.", focus: "agent-name" };
  const knowledge = $("agent-knowledge").value;
  if (knowledge.length > MAX_KNOWLEDGE) {
    return { error: `The knowledge text is ${knowledge.length} characters; the limit is ${MAX_KNOWLEDGE}. Keep it to the facts callers ask about.`, focus: "agent-knowledge" };
  }
  const kind = document.querySelector("input[name=responder]:checked").value;
  const previous = (state.editing && state.editing.responder) || {};
  let responder;
  if (kind === "openai") {
    const base = $("llm-base-url").value.trim();
    const model = $("llm-model").value.trim();
    if (!/^https?:\/\/\S+$/.test(base)) return { error: "Give the endpoint's base URL, e.g. http://127.0.0.1:8080/v1.", focus: "llm-base-url" };
    if (!model) return { error: "Give the model name the endpoint expects.", focus: "llm-model" };
    responder = { ...(previous.type === "openai" ? previous : {}), type: "openai", base_url: base, model };
    const env = $("llm-key-env").value.trim();
    if (env) responder.api_key_env = env; else delete responder.api_key_env;
  } else {
    const intents = [];
    for (const row of $("intents").children) {
      const examples = row.querySelector("textarea").value.split("\n").map((s) => s.trim()).filter(Boolean);
      const answer = row.querySelector("input").value.trim();
      if (!examples.length && !answer) continue;
      if (!examples.length || !answer) return { error: "Each intent needs at least one example phrase and an answer.", focus: row.querySelector(examples.length ? "input" : "textarea").id };
      intents.push({ ...(row.dataset.name ? { name: row.dataset.name } : {}), examples, answer });
    }
    responder = { ...(previous.type === "knowledge" ? previous : {}), type: "knowledge", intents };
  }
  let turn = null;
  if ($("turn-mode").value === "server_vad") {
    turn = { type: "server_vad", silence_duration_ms: Number($("vad-silence").value) || 500,
             threshold: Number($("vad-threshold").value) || 0.5 };
  }
  return { body: { name, voice: $("agent-voice").value, greeting: $("agent-greeting").value,
                   instructions: $("agent-instructions").value, knowledge, responder, turn_detection: turn } };
}

$("agent-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const built = agentBody();
  if (built.error) { say($("agent-form-msg"), built.error, "error"); if (built.focus) $(built.focus).focus(); return; }
  $("save-agent").disabled = true;
  try {
    const editing = state.editing;
    const saved = editing
      ? await apiJson(`/v1/agents/${encodeURIComponent(editing.id)}`, jsonOpts("PATCH", built.body))
      : await apiJson("/v1/agents", jsonOpts("POST", built.body));
    state.agents = [saved, ...state.agents.filter((a) => a.id !== saved.id)];
    $("agent-form").hidden = true;
    state.editing = null;
    say($("agents-msg"), `Saved "${saved.name}".`, "ok");
    renderAgents();
  } catch (e) {
    say($("agent-form-msg"), scopeHint(e, "agents:write"), "error");
  } finally {
    $("save-agent").disabled = false;
  }
});

async function deleteAgent(a) {
  if (!window.confirm(`Delete the agent "${a.name}"? Calls to it stop working.`)) return;
  try {
    await api(`/v1/agents/${encodeURIComponent(a.id)}`, { method: "DELETE" });
    state.agents = state.agents.filter((x) => x.id !== a.id);
    if (state.editing && state.editing.id === a.id) $("agent-form").hidden = true;
    say($("agents-msg"), `Deleted "${a.name}".`, "ok");
    renderAgents();
  } catch (e) { say($("agents-msg"), scopeHint(e, "agents:write"), "error"); }
}

$("new-agent").addEventListener("click", () => openAgentForm(null));
$("cancel-agent").addEventListener("click", () => { $("agent-form").hidden = true; state.editing = null; });
$("add-intent").addEventListener("click", () => intentRow().querySelector("textarea").focus());
$("agent-knowledge").addEventListener("input", countKnowledge);
$("turn-mode").addEventListener("change", () => { $("vad-fields").hidden = $("turn-mode").value !== "server_vad"; });
for (const r of document.querySelectorAll("input[name=responder]")) r.addEventListener("change", () => setResponderKind(r.value));

// ---- start ------------------------------------------------------------------------------

const saved = sessionStorage.getItem(KEY_STORE);
if (saved) signIn(saved);

"""Voice-to-voice latency of live agent sessions under concurrency.

N concurrent WebSocket sessions replay real utterances (libritts8, 24 kHz) in real time
(20 ms appends, then trailing silence) and measure, per turn:

- v2v: end of the user's speech (last 20 ms frame above -40 dB of the utterance's
  peak, at the moment it was sent) → first agent audio byte received;
- ASR and TTS first-chunk times, as the server reports them in ``response.done``
  (``x_timings``);
- barge-in: speech onset of an utterance sent while the agent talks → the server's
  ``response.done`` with status ``cancelled`` (no audio is sent after it);
- ASR word error against offline transcripts of the same files (tiny.en, 30 s
  window, beam 5: libritts8 ships no reference text, so this measures what the fast
  streaming path loses, not absolute accuracy).

    python bench/realtime_latency.py [--data ../shared/data/librispeech261] [--sessions 1,4,8] [--turns 3]
                                     [--silence-ms 500] [--voice joe | --voice clone:1081]
    python bench/realtime_latency.py --mixed [--sessions 4] [--voice clone:1081] [--enroll 1088,125]

``--voice clone:1081`` enrolls that speaker (8-14 s of its utterances, over HTTP, through
the quality gate) and gives the agent the cloned voice, so the run measures what a
cloned-voice agent adds (conversion in the reply path).

``--mixed`` measures a busy server: the same N sessions first alone, then while 2 clips
enroll (uploaded again as soon as each is done) and 4 cloned-speech requests stream
(``/v1/audio/speech``, a new one as each ends), in one run; it prints voice-to-voice
p50 / p95 both ways and their ratio, barge-in, and the speech requests' time to first
byte alone (the same 4 streams with nothing else running) and under the mixed load.
With several servers (``--endpointing``, ``--baseline``) each runs both phases in turn.

Data: 16 kHz files are resampled to the 24 kHz the sessions send. A server started by
the script gets ``--gate-bandwidth-hz`` (default 6000) as its gate's bandwidth floor,
since 16 kHz speech has none above 8 kHz and would fail the public 10 kHz rule.

``--silence-ms`` sets the agent's VAD silence (end of turn). Read speech pauses for
more than 500 ms inside sentences, so at the default many utterances are cut into two
turns and WER mostly measures segmentation; a row at 800 ms separates the two.

It starts its own server (``agent-server serve``) on a free port with a temp data dir,
unless ``--url`` and ``--key`` point at a running one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.background_load import Load, enrollments, speech_streams
from bench.utterances import FRAME, RATE, Utterance, clip_of, load, references, wer

PREFIX_MS = 300  # the agent's VAD prefix padding (the default)


@dataclass
class Stats:
    v2v: list[float] = field(default_factory=list)
    asr: list[float] = field(default_factory=list)
    tts: list[float] = field(default_factory=list)
    barge: list[float] = field(default_factory=list)
    barge_detect: list[float] = field(default_factory=list)  # onset sent -> speech_started received
    barge_vad: list[float] = field(default_factory=list)  # of it: audio the VAD needed past the onset
    barge_cancel: list[float] = field(default_factory=list)  # speech_started -> response.done
    barge_tail: list[float] = field(default_factory=list)  # reply audio held unplayed at speech_started (ms)
    turn_ends: int = 0  # turns committed while an utterance was sent
    false_ends: int = 0  # ... of them before the utterance's speech was over
    early_ends: int = 0  # answered turns the server ended before the full silence
    false_barge: int = 0  # replies cancelled with no user speech sent in the 2 s before
    hyp: list[tuple[str, str]] = field(default_factory=list)
    stalls: int = 0
    errors: list[str] = field(default_factory=list)


async def session(url: str, key: str, utts: list[Utterance], stats: Stats, barge: Utterance,
                  turn_timeout: float = 30.0) -> None:
    ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}"}, max_size=None)
    marks: dict[str, float] = {}
    audio_ms: dict[str, float] = {}  # reply audio received so far (ms)
    received: dict[tuple[str, int], float] = {}  # (response, speech_started count) -> audio_ms then
    started: list[tuple[float, int]] = []  # speech_started: (received, audio_start_ms)
    vad_log: list[str] = []  # "started" / "stopped", in order
    trace: list[str] = []
    got: asyncio.Queue[dict] = asyncio.Queue()
    spoke = [-1e9]  # when the last frame with sound in it was sent

    async def reader() -> None:
        async for raw in ws:
            ev = json.loads(raw)
            now = time.perf_counter()
            if ev["type"] == "response.output_audio.delta":
                marks.setdefault(ev["response_id"], now)
                audio_ms[ev["response_id"]] = audio_ms.get(ev["response_id"], 0.0) + len(ev["delta"]) * 3 / 4 / 48
            elif ev["type"] == "input_audio_buffer.speech_started":
                for rid, ms in audio_ms.items():
                    received[(rid, len(started))] = ms
                started.append((now, ev["audio_start_ms"]))
                vad_log.append("started")
            elif ev["type"] == "input_audio_buffer.speech_stopped":
                vad_log.append("stopped")
            elif ev["type"] == "response.done" and ev["response"]["status"] == "cancelled" and now - spoke[0] > 2.0:
                stats.false_barge += 1
            ev["_t"] = now
            if ev["type"] != "response.output_audio.delta" and "transcript.delta" not in ev["type"]:
                trace.append(ev["type"].split(".", 1)[-1] + (f"={ev['response']['status']}" if "response" in ev
                                                             and "status" in ev["response"] else "")
                             + (f"={ev['transcript']!r}" if "transcript" in ev else "")
                             + (f"={ev['error']['code']}" if ev["type"] == "error" else ""))
            await got.put(ev)

    task = asyncio.create_task(reader())

    async def until_any(types: tuple[str, ...], timeout: float = 30.0) -> dict:
        end = time.perf_counter() + timeout
        while True:
            ev = await asyncio.wait_for(got.get(), max(0.01, end - time.perf_counter()))
            if ev["type"] in types:
                return ev

    async def until(type_: str, timeout: float = 30.0) -> dict:
        return await until_any((type_,), timeout)

    sent_marks: list[float] = []
    clock = [0.0]  # ms of audio sent in this session: the server's audio_*_ms clock

    async def send_audio(audio: np.ndarray, mark_frame: int | None = None) -> float | None:
        t0 = time.perf_counter()
        t_mark = None
        for i in range(0, len(audio) // FRAME + 1):
            chunk = audio[i * FRAME:(i + 1) * FRAME]
            if chunk.size == 0:
                break
            pcm = (np.clip(chunk, -1, 1) * 32767).astype("<i2").tobytes()
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}))
            clock[0] += len(chunk) * 1000 / RATE
            if np.any(chunk):
                spoke[0] = time.perf_counter()
            if i == mark_frame:
                t_mark = time.perf_counter()
                sent_marks.append(t_mark)
            delay = t0 + (i + 1) * 0.02 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        return t_mark

    try:
        await until("response.done", 60)  # greeting
        await asyncio.sleep(0.5)
        for u in utts:
            trace.clear()
            n_vad = len(vad_log)
            sending = asyncio.create_task(send_audio(np.concatenate([u.audio, np.zeros(int(2.5 * RATE), np.float32)]),
                                                     u.end))
            # Read speech pauses; the VAD may cut an utterance into several turns, and a
            # reply to an early part is cancelled when the reader goes on. The turn that
            # counts is the one whose reply completes; the transcript is every part's.
            heard: list[str] = []
            try:
                while True:
                    ev = await until_any(("conversation.item.input_audio_transcription.completed",
                                          "response.done"), turn_timeout)
                    if ev["type"] != "response.done":
                        heard.append(ev["transcript"])
                    elif ev["response"]["status"] == "completed":
                        done = ev
                        break
            except TimeoutError:
                stats.stalls += 1
                stats.errors.append(f"no completed reply to {u.path}: {' '.join(trace[-14:])}")
                await sending
                continue
            t_end = await sending
            # A turn end the user spoke on after, within the same utterance: a false one.
            log = vad_log[n_vad:]
            stats.turn_ends += log.count("stopped")
            stats.false_ends += sum(1 for i, e in enumerate(log) if e == "stopped" and "started" in log[i + 1:])
            rid = done["response"]["id"]
            stats.hyp.append((u.reference, " ".join(heard)))
            if rid in marks and t_end is not None:
                stats.v2v.append((marks[rid] - t_end) * 1000)
            tm = done["response"].get("x_timings", {})
            if "asr_ms" in tm:
                stats.asr.append(tm["asr_ms"])
            if "tts_first_chunk_ms" in tm:
                stats.tts.append(tm["tts_first_chunk_ms"])
            stats.early_ends += "turn_end_silence_ms" in tm
            await asyncio.sleep(0.3)
        # Barge-in: ask something, and talk over the answer 300 ms into it.
        await ws.send(json.dumps({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": "tell me everything"}]}}))
        await ws.send(json.dumps({"type": "response.create"}))
        created = await until("response.output_audio.delta", 30)
        await asyncio.sleep(0.3)
        base_ms = clock[0]
        n_started = len(started)
        sending = asyncio.create_task(send_audio(np.concatenate([barge.audio, np.zeros(RATE, np.float32)]),
                                                 barge.onset))
        while True:
            ev = await until("response.done", 30)
            if ev["response"]["id"] == created["response_id"]:
                break
        if ev["response"]["status"] == "cancelled" and sent_marks:
            t_onset = sent_marks[-1]
            stats.barge.append((ev["_t"] - t_onset) * 1000)
            if len(started) > n_started:
                t_started, start_ms = started[n_started]
                stats.barge_detect.append((t_started - t_onset) * 1000)
                stats.barge_cancel.append((ev["_t"] - t_started) * 1000)
                # speech_started's audio_start_ms is the speech start less the prefix
                # padding; the VAD confirmed it start_chunks (2 x 32 ms) later.
                # The onset was timed once its 20 ms frame had been sent.
                stats.barge_vad.append(start_ms + PREFIX_MS + 64 - (base_ms + (barge.onset + 1) * 20))
                rid = created["response_id"]
                # Reply audio the client held, not yet played, when told speech started:
                # what it plays on unless it stops at speech_started.
                stats.barge_tail.append(received.get((rid, n_started), 0.0) - (t_started - marks[rid]) * 1000)
        if not sending.done():
            sending.cancel()
    finally:
        task.cancel()
        await ws.close()


def enroll_clone(url: str, key: str, data: Path, speaker: str) -> str:
    """A ready cloned voice of ``speaker`` (:func:`clip_of`); returns the voice id (the
    run stops if the gate rejects it)."""
    headers = {"authorization": f"Bearer {key}"}
    voice = httpx.post(f"{url}/v1/voice/clones", headers=headers, data={"name": f"bench {speaker}"},
                       files={"file": ("clip.wav", clip_of(data, speaker))}, timeout=60).json()
    for _ in range(300):
        voice = httpx.get(f"{url}/v1/voice/clones/{voice['id']}", headers=headers, timeout=10).json()
        if voice["status"] != "pending":
            break
        time.sleep(0.2)
    if voice["status"] != "ready":
        raise SystemExit(f"clone of {speaker} not ready: {voice.get('failure')}")
    return str(voice["id"])


def pct(xs: list[float], q: float) -> float:
    xs = sorted(x for x in xs if x == x)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def start_server(gate_bandwidth_hz: float, env_extra: dict[str, str] | None = None,
                 code: str | None = None) -> tuple[subprocess.Popen[bytes], str, str]:
    """A server on a free port with a temp data dir; ``code``: run another checkout's
    server (its directory first on PYTHONPATH), e.g. main's, as a baseline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="rt-bench-")
    env = {**os.environ, "AGENT_SERVER_DATA_DIR": data, "AGENT_SERVER_LOG_LEVEL": "warning",
           "AGENT_SERVER_GATE__MIN_BANDWIDTH_HZ": str(gate_bandwidth_hz), **(env_extra or {})}
    if code:
        env["PYTHONPATH"] = os.pathsep.join([code, *filter(None, [os.environ.get("PYTHONPATH")])])
    # ``-m`` puts the working directory first on sys.path: run from the checkout served.
    proc = subprocess.Popen([sys.executable, "-m", "agent_server", "serve", "--port", str(port)], env=env,
                            cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}", data


def wait_ready(url: str, data: str) -> str:
    for _ in range(900):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200 and (Path(data) / "bootstrap-key.txt").exists():
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return (Path(data) / "bootstrap-key.txt").read_text().strip()


async def run_sessions(ws_url: str, key: str, n: int, turns: int, utts: list[Utterance],
                       turn_timeout: float = 30.0) -> Stats:
    stats = Stats()
    jobs = []
    for i in range(n):
        mine = [utts[(i * turns + k) % len(utts)] for k in range(turns)]
        jobs.append(session(ws_url, key, mine, stats, utts[(i + 7) % len(utts)], turn_timeout))
        await asyncio.sleep(0.25)  # staggered starts, like real callers
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    stats.stalls += len(failed)
    stats.errors += [f"session failed: {type(r).__name__} {r}" for r in failed]
    return stats


def mixed(url: str, key: str, ws_url: str, voice: str, args: argparse.Namespace, utts: list[Utterance]) -> None:
    n = int(args.sessions.split(",")[0])
    clips = [clip_of(Path(args.data), spk) for spk in args.enroll.split(",")]

    async def run() -> tuple[Stats, Stats, Load, Load]:
        headers = {"authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
            alone = await run_sessions(ws_url, key, n, args.turns, utts, args.turn_timeout)
            speech_alone = Load()
            await speech_streams(client, voice, speech_alone, args.speech_streams, None, rounds=3)
            busy = Load()
            stop = asyncio.Event()
            background = [asyncio.create_task(enrollments(client, clips, busy, stop)),
                          asyncio.create_task(speech_streams(client, voice, busy, args.speech_streams, stop))]
            await asyncio.sleep(2.0)  # the load is running before the first caller speaks
            loaded = await run_sessions(ws_url, key, n, args.turns, utts, args.turn_timeout)
            stop.set()
            await asyncio.gather(*background)
            return alone, loaded, speech_alone, busy

    alone, loaded, speech_alone, busy = asyncio.run(run())
    print(f"N={n} sessions x {args.turns} turns; mixed: {len(clips)} clips enrolling, "
          f"{args.speech_streams} speech streams ({busy.speech_done} requests, enrollments: "
          f"{', '.join(f'{busy.enrolled.count(s)} {s}' for s in sorted(set(busy.enrolled))) or 'none'})")
    print(f"{'':>6} {'v2v p50':>8} {'v2v p95':>8} {'barge max':>10} {'turns':>6} {'stalls':>7} "
          f"{'speech TTFB p50':>16} {'TTFB p95':>9} {'requests':>9}")
    for name, st, ld in (("alone", alone, speech_alone), ("mixed", loaded, busy)):
        print(f"{name:>6} {pct(st.v2v, 50):>8.0f} {pct(st.v2v, 95):>8.0f} {max(st.barge, default=0):>10.0f} "
              f"{len(st.v2v):>6} {st.stalls:>7} {pct(ld.ttfb, 50):>16.0f} {pct(ld.ttfb, 95):>9.0f} "
              f"{len(ld.ttfb):>9}")
    print(f"{'ratio':>6} {pct(loaded.v2v, 50) / pct(alone.v2v, 50):>8.2f} "
          f"{pct(loaded.v2v, 95) / pct(alone.v2v, 95):>8.2f} {'':>10} {'':>6} {'':>7} "
          f"{pct(busy.ttfb, 50) / pct(speech_alone.ttfb, 50):>16.2f} "
          f"{pct(busy.ttfb, 95) / pct(speech_alone.ttfb, 95):>9.2f}", flush=True)
    print(f"{'barge':>6} {'max':>6} {'detect':>7} {'vad':>5} {'cancel':>7} {'false':>6}  (max of each part, ms; "
          "false: replies cancelled with no user speech)")
    for name, st in (("alone", alone), ("mixed", loaded)):
        top = [max(xs, default=float("nan")) for xs in (st.barge, st.barge_detect, st.barge_vad, st.barge_cancel)]
        print(f"{name:>6} {top[0]:>6.0f} {top[1]:>7.0f} {top[2]:>5.0f} {top[3]:>7.0f} {st.false_barge:>6}")
    for err in alone.errors + loaded.errors + speech_alone.errors + busy.errors:
        print(f"    error: {err}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech261"))
    ap.add_argument("--sessions", default="1,4,8")
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--url")
    ap.add_argument("--key")
    ap.add_argument("--silence-ms", type=int, default=500)
    ap.add_argument("--voice", default="joe",
                    help="agent voice: a stock voice, or clone:SPEAKER to enroll that speaker first")
    ap.add_argument("--mixed", action="store_true",
                    help="the first --sessions count alone, then under enrollment and speech load")
    ap.add_argument("--enroll", default="1088,125", help="--mixed: speakers whose clips keep enrolling")
    ap.add_argument("--speech-streams", type=int, default=4, help="--mixed: concurrent speech requests")
    ap.add_argument("--gate-bandwidth-hz", type=float, default=6000.0,
                    help="bandwidth floor of the gate of a server the script starts")
    ap.add_argument("--endpointing", default="full,early",
                    help="servers to compare, side by side: full (the whole silence wait) and/or early "
                         "(a turn end predicted from the speculative transcript)")
    ap.add_argument("--baseline", metavar="CHECKOUT",
                    help="also run a server from this checkout's code (e.g. /work/main), as configured there")
    ap.add_argument("--baseline-first", action="store_true",
                    help="the baseline server takes the first turn (to see the order's own effect)")
    ap.add_argument("--repeats", type=int, default=1, help="rounds per N and server; medians printed")
    ap.add_argument("--turn-timeout", type=float, default=30.0,
                    help="seconds to wait for an utterance's completed reply before counting a stall")
    args = ap.parse_args()
    if args.mixed and args.voice == "joe":
        args.voice = "clone:1081"
    if args.mixed and args.sessions == "1,4,8":
        args.sessions = "4"
    if args.mixed and args.endpointing == "full,early":
        args.endpointing = "full"  # the shipped setting; give both (or --baseline) to compare
    utts = load(Path(args.data), 16)
    references(utts)
    # name -> (url, key); several servers run side by side and take turns, so their
    # rows come from the same minutes of a shared machine.
    servers: dict[str, tuple[str, str]] = {}
    procs = []
    try:
        if args.url:
            servers["url"] = (args.url, args.key)
        else:
            started = []
            for ep in filter(None, args.endpointing.split(",")):
                env = {"AGENT_SERVER_REALTIME__EARLY_TURN_END": "true" if ep == "early" else "false"}
                started.append((ep, *start_server(args.gate_bandwidth_hz, env)))
            if args.baseline:
                base = ("base", *start_server(args.gate_bandwidth_hz, code=args.baseline))
                started.insert(0 if args.baseline_first else len(started), base)
            for name, proc, url, data in started:
                procs.append(proc)
                servers[name] = (url, wait_ready(url, data))
        ws_urls = {name: agent_url(url, key, args) for name, (url, key) in servers.items()}
        if args.mixed:
            for name, (url, key) in servers.items():  # in turn: each its own alone and mixed phases
                print(f"== server {name} (load average {os.getloadavg()[0]:.1f})", flush=True)
                mixed(url, key, ws_urls[name][1], ws_urls[name][0], args, utts)
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            return
        report_idle(servers, ws_urls, args, utts)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def agent_url(url: str, key: str, args: argparse.Namespace) -> tuple[str, str]:
    """The bench agent on one server: (its voice, its realtime URL)."""
    voice = args.voice
    if voice.startswith("clone:"):
        voice = enroll_clone(url, key, Path(args.data), voice.removeprefix("clone:"))
    print(f"agent voice: {args.voice} ({voice})")
    agent = httpx.post(f"{url}/v1/agents", headers={"authorization": f"Bearer {key}"}, json={
        "name": "bench", "voice": voice, "greeting": "Hi, how can I help?",
        "turn_detection": {"type": "server_vad", "silence_duration_ms": args.silence_ms},
        "responder": {"type": "knowledge", "intents": [], "fallback":
                      "I see. Let me think about that for a moment, and then I will tell you all about it. "
                      "There is quite a lot to say on the subject."}}).json()
    return voice, url.replace("http", "ws", 1) + f"/v1/realtime?agent={agent['id']}"


COLUMNS = (f"{'server':>6} {'N':>3} {'sil':>4} {'v2v p50':>8} {'v2v p95':>8} {'ASR p50':>8} {'TTS1 p50':>9} "
           f"{'barge p50':>10} {'barge max':>10} {'detect':>7} {'vad':>5} {'cancel':>7} {'tail':>5} "
           f"{'turns':>6} {'early':>6} {'ends':>5} {'false':>6} {'stalls':>7} {'WER':>6}")


def row(name: str, n: int, args: argparse.Namespace, st: Stats) -> str:
    return (f"{name:>6} {n:>3} {args.silence_ms:>4} {pct(st.v2v, 50):>8.0f} {pct(st.v2v, 95):>8.0f} "
            f"{pct(st.asr, 50):>8.0f} {pct(st.tts, 50):>9.0f} {pct(st.barge, 50):>10.0f} "
            f"{max(st.barge, default=float('nan')):>10.0f} {pct(st.barge_detect, 50):>7.0f} "
            f"{pct(st.barge_vad, 50):>5.0f} {pct(st.barge_cancel, 50):>7.0f} {pct(st.barge_tail, 50):>5.0f} "
            f"{len(st.v2v):>6} {st.early_ends:>6} {st.turn_ends:>5} {st.false_ends:>6} {st.stalls:>7} "
            f"{wer(st.hyp):>6.1%}")


def median_row(name: str, n: int, args: argparse.Namespace, sts: list[Stats]) -> str:
    def med(attr: str, q: float = 50) -> float:
        values = [pct(getattr(st, attr), q) for st in sts]
        return statistics.median(v for v in values if v == v) if any(v == v for v in values) else float("nan")

    hyp = [h for st in sts for h in st.hyp]
    barge_max = max((x for st in sts for x in st.barge), default=float("nan"))
    return (f"{name:>6} {n:>3} {args.silence_ms:>4} {med('v2v'):>8.0f} {med('v2v', 95):>8.0f} {med('asr'):>8.0f} "
            f"{med('tts'):>9.0f} {med('barge'):>10.0f} {barge_max:>10.0f} {med('barge_detect'):>7.0f} "
            f"{med('barge_vad'):>5.0f} {med('barge_cancel'):>7.0f} {med('barge_tail'):>5.0f} "
            f"{sum(len(st.v2v) for st in sts):>6} {sum(st.early_ends for st in sts):>6} "
            f"{sum(st.turn_ends for st in sts):>5} {sum(st.false_ends for st in sts):>6} "
            f"{sum(st.stalls for st in sts):>7} {wer(hyp):>6.1%}")


def report_idle(servers: dict[str, tuple[str, str]], ws_urls: dict[str, tuple[str, str]],
                args: argparse.Namespace, utts: list[Utterance]) -> None:
    """Each N on each server, ``--repeats`` rounds taking turns; every round's row, then
    per server the median of the rounds' figures (counts summed)."""
    print(COLUMNS)
    for n in [int(x) for x in args.sessions.split(",")]:
        runs: dict[str, list[Stats]] = {name: [] for name in servers}
        for _ in range(args.repeats):
            for name, (_, key) in servers.items():
                st = asyncio.run(run_sessions(ws_urls[name][1], key, n, args.turns, utts, args.turn_timeout))
                runs[name].append(st)
                print(row(name, n, args, st), flush=True)
                for err in st.errors:
                    print(f"    stall: {err}", file=sys.stderr, flush=True)
        if args.repeats > 1:
            print(f"median of {args.repeats} rounds' figures (barge max: the largest; counts: sums)")
            for name, sts in runs.items():
                print(median_row(name, n, args, sts), flush=True)


if __name__ == "__main__":
    main()

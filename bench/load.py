"""Honest clients against an abusive one, on two server processes sharing one Redis.

Starts its own redis-server (free port, no persistence) and two ``agent-server serve``
processes on it; a round-robin client spreads every request over both. Honest tenants
run a fixed workload twice, first alone, then while an abusive tenant runs the attacks
the limits exist for:

- honest: ``--speech`` concurrent speech requests (stock voice, and a clone of tenant
  h1), ``--sessions`` realtime WebSocket sessions (one text turn each: request sent →
  ``response.done``), ``--enrollments`` uploads at once (upload → ``ready``);
- abusive (its own tenant, its own address via X-Forwarded-For, its own client process): a request flood on one
  key, wrong keys, client-secret minting, WebSocket session hoarding, WebRTC offers
  that never connect, silent Twilio sockets, number-expanding and abandoned
  ``stream: false`` speech, 1000-deep JSON bodies.

Prints per honest kind the count, errors, p50/p95 alone and under abuse and their
ratio, the throughput of each phase, and what each attack got (status counts).

    python bench/load.py [--speech 50] [--sessions 8] [--enrollments 4] [--tenants 5] [--logs DIR]
                         [--env AGENT_SERVER_LIMITS__SPEECH_IN_FLIGHT_PER_TENANT=2 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import multiprocessing
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
import websockets

ABUSER_ADDRESS = "198.51.100.66"
# Wrong keys come from another address: one that fails auth is refused everything, which
# would hide what the other limits do with the rest of the attacks.
GUESSER_ADDRESS = "198.51.100.67"
ERRORS: dict[str, Counter[str]] = defaultdict(Counter)  # honest failures, by kind and cause
RETRIED: dict[str, Counter[str]] = defaultdict(Counter)  # refusals an honest client retried
RETRIES = 2
SENTENCES = ["The train leaves at nine from the north platform.",
             "Please keep your ticket until the end of the journey.",
             "Our office is open every weekday until six in the evening."]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The servers run the code of the tree this script is in: ``python -m`` puts the current
# directory first on the path, so without this a bench started elsewhere measures that
# directory's code whatever PYTHONPATH says.
TREE = Path(__file__).resolve().parents[1]


def start_redis(port: int, where: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", where], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def start_server(redis_url: str, data_dir: str, log: Path,
                 extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_SERVER_")}
    env.update({"REDIS_URL": redis_url, "AGENT_SERVER_DATA_DIR": data_dir,
                "AGENT_SERVER_WORKER__POLL_INTERVAL_S": "0.2", **extra})
    proc = subprocess.Popen([sys.executable, "-m", "agent_server", "serve", "--port", str(port)],
                            env=env, cwd=TREE, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(base: str, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not become ready")


def create_key(redis_url: str, tenant: str, scopes: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_SERVER_")}
    env["REDIS_URL"] = redis_url
    out = subprocess.run([sys.executable, "-m", "agent_server", "keys", "create", "--tenant", tenant,
                          "--scopes", scopes], env=env, cwd=TREE, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


class RoundRobin:
    """The trivial load balancer: each request goes to the next process."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self._next = itertools.cycle(bases)
        self.http = httpx.AsyncClient(timeout=180, limits=httpx.Limits(max_connections=400))

    def base(self) -> str:
        return next(self._next)

    async def request(self, method: str, path: str, key: str, **kw: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}", **kw.pop("headers", {})}
        return await self.http.request(method, self.base() + path, headers=headers, **kw)

    def ws(self, path: str) -> str:
        return self.base().replace("http://", "ws://") + path


def cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


# ---- honest workload ---------------------------------------------------------------------

async def honest_speech(rr: RoundRobin, key: str, voice: str, text: str, out: dict[str, list]) -> None:
    started = time.perf_counter()
    kind = "speech clone" if voice.startswith("voice_") else "speech stock"
    try:
        for _ in range(RETRIES + 1):  # like the SDK: 429 and 503 are retried after Retry-After
            r = await rr.request("POST", "/v1/audio/speech", key, json={"input": text, "voice": voice})
            if r.status_code not in (429, 503):
                break
            RETRIED[kind][f"{r.status_code} {r.json()['error']['code']}"] += 1
            await asyncio.sleep(float(r.headers.get("retry-after", "1")))
        ok = r.status_code == 200 and len(r.content) > 1000
        if not ok:
            ERRORS[kind][f"{r.status_code} {r.json().get('error', {}).get('code', '') if r.content else ''}"] += 1
    except (httpx.HTTPError, ValueError) as exc:
        ok = False
        ERRORS[kind][type(exc).__name__] += 1
    out[kind].append(time.perf_counter() - started if ok else None)


async def honest_session(rr: RoundRobin, key: str, agent: str, out: dict[str, list]) -> None:
    try:
        async with websockets.connect(rr.ws(f"/v1/realtime?agent={agent}"), max_size=None,
                                      additional_headers={"authorization": f"Bearer {key}"}) as ws:
            async def until(kind: str) -> dict[str, Any]:
                while True:
                    ev = json.loads(await asyncio.wait_for(ws.recv(), 120))
                    if ev["type"] == kind:
                        return ev
                    if ev["type"] == "error":
                        raise RuntimeError(ev["error"]["code"])

            await until("session.created")
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "conversation.item.create", "item": {
                "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}}))
            await ws.send(json.dumps({"type": "response.create"}))
            await until("response.done")
            out["realtime turn"].append(time.perf_counter() - started)
    except Exception as exc:
        ERRORS["realtime turn"][str(getattr(getattr(exc, "response", None), "status_code", "")) or str(exc)] += 1
        out["realtime turn"].append(None)


async def honest_enrollment(rr: RoundRobin, key: str, wav: bytes, out: dict[str, list]) -> None:
    started = time.perf_counter()
    try:
        for _ in range(RETRIES + 1):
            r = await rr.request("POST", "/v1/voice/clones", key, data={"name": "load"},
                                 files={"file": ("clip.wav", wav)})
            if r.status_code not in (429, 503):
                break
            RETRIED["enrollment"][f"{r.status_code} {r.json()['error']['code']}"] += 1
            await asyncio.sleep(float(r.headers.get("retry-after", "1")))
        if r.status_code != 201:
            ERRORS["enrollment"][f"{r.status_code} {r.json().get('error', {}).get('code', '')}"] += 1
            out["enrollment"].append(None)
            return
        vid = r.json()["id"]
        while True:
            await asyncio.sleep(0.5)
            got = await rr.request("GET", f"/v1/voice/clones/{vid}", key)
            if got.status_code in (429, 503):  # retried, as the SDK does
                RETRIED["enrollment"][f"{got.status_code} {got.json()['error']['code']} (polling)"] += 1
                continue
            doc = got.json()
            if doc["status"] != "pending":
                break
        if doc["status"] != "ready":
            ERRORS["enrollment"][str(doc.get("failure"))] += 1
        out["enrollment"].append(time.perf_counter() - started if doc["status"] == "ready" else None)
    except Exception as exc:
        ERRORS["enrollment"][type(exc).__name__] += 1
        out["enrollment"].append(None)


async def honest_round(rr: RoundRobin, keys: list[str], clone: str, agents: list[str], wav: bytes,
                       args: argparse.Namespace) -> tuple[dict[str, list], float]:
    out: dict[str, list] = defaultdict(list)
    jobs = []
    for i in range(args.speech):
        tenant = i % len(keys)
        voice = clone if tenant == 0 and i % 2 == 0 else "joe"
        jobs.append(honest_speech(rr, keys[tenant], voice, SENTENCES[i % len(SENTENCES)], out))
    for i in range(args.sessions):
        jobs.append(honest_session(rr, keys[i % len(keys)], agents[i % len(keys)], out))
    for i in range(args.enrollments):
        jobs.append(honest_enrollment(rr, keys[i % len(keys)], wav, out))
    started = time.perf_counter()
    await asyncio.gather(*jobs)
    return out, time.perf_counter() - started


# ---- the abuser ----------------------------------------------------------------------------

class Abuser:
    def __init__(self, rr: RoundRobin, key: str, agent: str, offer: str) -> None:
        self.rr, self.key, self.agent, self.offer = rr, key, agent, offer
        self.got: dict[str, Counter[str]] = defaultdict(Counter)
        self.stop = asyncio.Event()
        self.held: list[Any] = []

    def _hdr(self) -> dict[str, str]:
        return {"x-forwarded-for": ABUSER_ADDRESS}

    async def _loop(self, name: str, fn: Any, pause: float = 0.0) -> None:
        while not self.stop.is_set():
            try:
                self.got[name][str(await fn())] += 1
            except Exception as exc:
                self.got[name][type(exc).__name__] += 1
            await asyncio.sleep(pause)

    async def flood(self) -> int:
        return (await self.rr.request("GET", "/v1/models", self.key, headers=self._hdr())).status_code

    async def wrong_key(self) -> int:
        return (await self.rr.request("GET", "/v1/models", "sk-" + secrets.token_urlsafe(24),
                                      headers={"x-forwarded-for": GUESSER_ADDRESS})).status_code

    async def mint(self) -> int:
        return (await self.rr.request("POST", "/v1/realtime/client_secrets", self.key, headers=self._hdr(),
                                      json={"agent": self.agent})).status_code

    async def webrtc_never_connects(self) -> int:
        return (await self.rr.request("POST", f"/v1/realtime/calls?agent={self.agent}", self.key,
                                      headers={**self._hdr(), "content-type": "application/sdp"},
                                      content=self.offer)).status_code

    async def hoard_session(self) -> int:
        try:
            ws = await websockets.connect(self.rr.ws(f"/v1/realtime?agent={self.agent}"),
                                          additional_headers={"authorization": f"Bearer {self.key}", **self._hdr()})
        except websockets.InvalidStatus as exc:
            return exc.response.status_code
        self.held.append(ws)
        return 101

    async def silent_twilio(self) -> str:
        ws = await websockets.connect(self.rr.ws("/v1/telephony/twilio"), additional_headers=self._hdr())
        try:
            await asyncio.wait_for(ws.wait_closed(), 30)
            return f"closed {ws.close_code}"
        finally:
            await ws.close()

    async def number_bomb(self) -> int:
        return (await self.rr.request("POST", "/v1/audio/speech", self.key, headers=self._hdr(),
                                      json={"input": "12345678901234 " * 273, "voice": "joe"})).status_code

    async def abandoned_speech(self) -> int | str:
        try:
            r = await self.rr.request("POST", "/v1/audio/speech", self.key, headers=self._hdr(), timeout=2,
                                      json={"input": "Words for nobody to hear. " * 150, "voice": "joe",
                                            "stream": False})
            return r.status_code
        except httpx.ReadTimeout:
            return "left after 2 s"

    async def deep_json(self) -> int:
        return (await self.rr.request("POST", "/v1/agents", self.key, headers={
            **self._hdr(), "content-type": "application/json"},
            content="[" * 1000 + "]" * 1000)).status_code

    def attacks(self) -> dict[str, tuple[str, Any, int, float]]:
        """Each attack by its short name (``--attacks``): label, request, loops, pause."""
        return {
            "flood": ("request flood (1 key)", self.flood, 8, 0.0),
            "wrong-keys": ("wrong keys", self.wrong_key, 4, 0.0),
            "minting": ("client secret minting", self.mint, 2, 0.0),
            "webrtc": ("WebRTC offer, no candidates", self.webrtc_never_connects, 1, 0.5),
            "hoarding": ("WebSocket session hoarding", self.hoard_session, 1, 0.2),
            "twilio": ("silent Twilio socket", self.silent_twilio, 10, 0.0),
            "numbers": ("number-expanding speech", self.number_bomb, 2, 0.0),
            "abandoned": ("abandoned stream:false speech", self.abandoned_speech, 4, 0.0),
            "deep-json": ("1000-deep JSON", self.deep_json, 1, 0.1),
        }

    async def run(self, only: list[str] | None = None) -> None:
        loops = [self._loop(label, fn, pause) for name, (label, fn, n, pause) in self.attacks().items()
                 if not only or name in only for _ in range(n)]
        tasks = [asyncio.ensure_future(x) for x in loops]
        await self.stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ws in self.held:
            await ws.close()


def run_abuser(bases: list[str], key: str, agent: str, offer: str, only: list[str] | None,
               stop: Any, results: Any) -> None:
    """The abuser in a process of its own, as a real attacker is another client: its
    hundreds of requests a second must not stall the event loop of the honest clients,
    whose latencies are what is measured. Puts "started", then what each attack got."""

    async def attack() -> None:
        rr = RoundRobin(bases)
        abuser = Abuser(rr, key, agent, offer)
        running = asyncio.ensure_future(abuser.run(only))
        results.put("started")
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        abuser.stop.set()
        await running
        await rr.http.aclose()
        results.put({name: dict(got) for name, got in abuser.got.items()})

    asyncio.run(attack())


async def sdp_offer_without_candidates() -> str:
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    pc.createDataChannel("oai-events")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith("a=candidate"))


# ---- setup and report ---------------------------------------------------------------------

async def setup(rr: RoundRobin, redis_url: str, args: argparse.Namespace, wav: bytes
                ) -> tuple[list[str], str, list[str], str, str]:
    keys = [create_key(redis_url, f"h{i + 1}", "*") for i in range(args.tenants)]
    abuser = create_key(redis_url, "abuser", "*")
    agents = [(await rr.request("POST", "/v1/agents", k, json={"name": "load", "greeting": ""})).json()["id"]
              for k in keys]
    abuser_agent = (await rr.request("POST", "/v1/agents", abuser, json={"name": "abuse"})).json()["id"]
    r = await rr.request("POST", "/v1/voice/clones", keys[0], data={"name": "h1 clone"},
                         files={"file": ("clip.wav", wav)})
    clone = r.json()["id"]
    while (await rr.request("GET", f"/v1/voice/clones/{clone}", keys[0])).json()["status"] == "pending":
        await asyncio.sleep(0.5)
    return keys, clone, agents, abuser, abuser_agent


def report(alone: tuple[dict[str, list], float], abused: tuple[dict[str, list], float],
           abuser_got: dict[str, dict[str, int]]) -> None:
    print("\nhonest clients (seconds)")
    print(f"{'kind':<16}{'n':>4}{'errors alone/abused':>21}{'p50 alone':>11}{'p95 alone':>11}"
          f"{'p50 abused':>12}{'p95 abused':>12}{'p95 ratio':>11}")
    for kind in sorted(set(alone[0]) | set(abused[0])):
        a, b = alone[0][kind], abused[0][kind]
        ok_a, ok_b = [x for x in a if x is not None], [x for x in b if x is not None]
        ratio = pct(ok_b, 95) / pct(ok_a, 95) if ok_a and ok_b else float("nan")
        print(f"{kind:<16}{len(a):>4}{f'{len(a) - len(ok_a)}/{len(b) - len(ok_b)}':>21}{pct(ok_a, 50):>11.2f}"
              f"{pct(ok_a, 95):>11.2f}{pct(ok_b, 50):>12.2f}{pct(ok_b, 95):>12.2f}{ratio:>11.2f}")
    n_a, n_b = sum(len(v) for v in alone[0].values()), sum(len(v) for v in abused[0].values())
    print(f"\nthroughput: alone {n_a} operations in {alone[1]:.1f} s ({n_a / alone[1]:.2f}/s); "
          f"abused {n_b} in {abused[1]:.1f} s ({n_b / abused[1]:.2f}/s)")
    for what, table in (("errors", ERRORS), ("retried after Retry-After", RETRIED)):
        for kind, why in table.items():
            print(f"  honest {kind} {what} (both phases): " + ", ".join(f"{k}: {v}" for k, v in why.most_common()))
    print("\nwhat the abuser got")
    for attack, got in abuser_got.items():
        print(f"  {attack:<32} " + ", ".join(f"{k}: {v}" for k, v in Counter(got).most_common()))


async def main_async(args: argparse.Namespace) -> None:
    from voices.demo_clip import demo_speech

    clip, rate = demo_speech()
    buf = io.BytesIO()
    sf.write(buf, clip, rate, subtype="PCM_16", format="WAV")
    wav = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        redis_port = free_port()
        redis = start_redis(redis_port, tmp)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        procs = []
        try:
            for name in ("a", "b"):
                Path(tmp, name).mkdir()
                procs.append(start_server(redis_url, str(Path(tmp, name)), Path(tmp, f"{name}.log"),
                                          dict(kv.split("=", 1) for kv in args.env)))
            for _, base in procs:
                wait_ready(base)
            rr = RoundRobin([base for _, base in procs])
            keys, clone, agents, abuser_key, abuser_agent = await setup(rr, redis_url, args, wav)
            print(f"two processes on one Redis; {args.tenants} honest tenants; {args.speech} speech requests, "
                  f"{args.sessions} realtime sessions, {args.enrollments} enrollments per phase"
                  + (f"; {' '.join(args.env)}" if args.env else "")
                  + (f"; attacks: {args.attacks}" if args.attacks else "")
                  + f"; load average {os.getloadavg()[0]:.1f}")
            pids = [proc.pid for proc, _ in procs]
            used = cpu_s(pids)
            alone = await honest_round(rr, keys, clone, agents, wav, args)
            used_alone = cpu_s(pids) - used
            spawn = multiprocessing.get_context("spawn")
            stop, results = spawn.Event(), spawn.Queue()
            abuser = spawn.Process(target=run_abuser, daemon=True, args=(
                rr.bases, abuser_key, abuser_agent, await sdp_offer_without_candidates(),
                args.attacks.split(",") if args.attacks else None, stop, results))
            abuser.start()
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, results.get, True, 120) == "started"
            await asyncio.sleep(3)  # let the attacks reach their limits first
            used, used_abuser = cpu_s(pids), cpu_s([abuser.pid])
            abused = await honest_round(rr, keys, clone, agents, wav, args)
            used_abused, used_abuser = cpu_s(pids) - used, cpu_s([abuser.pid]) - used_abuser
            stop.set()
            got = await loop.run_in_executor(None, results.get, True, 120)
            abuser.join(30)
            report(alone, abused, got)
            print(f"servers' CPU: alone {used_alone:.1f} s ({used_alone / alone[1]:.2f} cores), "
                  f"abused {used_abused:.1f} s ({used_abused / abused[1]:.2f} cores); the abusive client's "
                  f"{used_abuser:.1f} s; load average now {os.getloadavg()[0]:.1f}")
            await rr.http.aclose()
            logs = "".join(Path(tmp, f"{n}.log").read_text() for n in ("a", "b"))
            leaked = [k for k in [*keys, abuser_key] if k in logs]
            print(f"\nserver logs: {logs.count(' 500 ')} responses 500, {logs.count('Traceback')} tracebacks, "
                  f"{len(leaked)} keys in clear")
            # The last line of each traceback and every ERROR line, most frequent first.
            ends = Counter(ln[:160] for ln in logs.splitlines()
                           if re.match(r"[\w.]+(Error|Exception)\b", ln) or " ERROR " in ln or ln.startswith("ERROR"))
            for text, n in ends.most_common(5):
                print(f"  {n} x {text}")
            if args.logs:
                Path(args.logs).mkdir(parents=True, exist_ok=True)
                for n in ("a", "b"):
                    Path(args.logs, f"{n}.log").write_text(Path(tmp, f"{n}.log").read_text())
        finally:
            for proc, _ in procs:
                proc.send_signal(signal.SIGTERM)
            for proc, _ in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:  # a model call still running on a loaded machine
                    proc.kill()
                    proc.wait(20)
            redis.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speech", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--enrollments", type=int, default=4)
    ap.add_argument("--tenants", type=int, default=5)
    ap.add_argument("--logs", help="keep both servers' logs in this folder")
    ap.add_argument("--attacks", default="", help="only these attacks, comma-separated: flood, wrong-keys, "
                    "minting, webrtc, hoarding, twilio, numbers, abandoned, deep-json (default: all)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="server setting, e.g. AGENT_SERVER_LIMITS__SPEECH_IN_FLIGHT_PER_TENANT=2")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()

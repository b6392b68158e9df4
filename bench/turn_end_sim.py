"""Turn-end rules replayed offline: how many turns each ends early, and how many of
those the speaker talks on after (false ends), on every recording of a data folder.

The realtime bench measures turn ends live, on a few utterances per run and at the
machine's mercy. Here each recording (with 2.5 s of silence after it) goes through the
server's own VAD detector (:class:`agent_server.realtime.stages.vad.VadDetector`) in
20 ms feeds, as the live path does; at each pause the speculative transcript comes from
the server's ASR engine, and the rule decides after every feed, as the session's
``_end_early`` does. Timing is left out (the live ASR may answer after the full
silence, which only makes a rule end fewer turns early), so what is compared is the
rules themselves, on hundreds of pauses, with the same VAD and ASR.

    python bench/turn_end_sim.py [--data ../shared/data/libritts8] [--rules full,early] [--max-s 28]

Per rule: turns ended early, false ends (a turn end the recording speaks on after),
the silence each recording's last turn ended on (p50), and per speaker group
(``--holdout``: speakers whose figures are printed apart).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_server.realtime.endpointing import TurnEndPredictor
from agent_server.realtime.stages.vad import (
    RATE,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    SpeechStopped,
    VadDetector,
)

FEED = RATE // 50  # 20 ms, as the bench sends
TAIL_S = 2.5

# A rule: (transcript, paused audio, quiet ms so far, full silence ms) -> end now.
Rule = Callable[[str | None, np.ndarray, float, int], bool]


@dataclass
class Tally:
    ends: int = 0
    early: int = 0
    false: int = 0
    false_early: int = 0
    last_silence: list[float] = field(default_factory=list)
    false_cases: list[str] = field(default_factory=list)


def read_16k(path: Path) -> np.ndarray:
    from voices.audio_io import resample

    a, sr = sf.read(path, dtype="float32")
    return a if sr == RATE else resample(a, sr, RATE)


def replay(audio: np.ndarray, rule: Rule | None, asr: Callable[[np.ndarray], str], model: object,
           tally: Tally, name: str) -> None:
    """One recording through the detector; ``rule`` None: the full silence only."""
    det = VadDetector(model)
    x = np.concatenate([audio, np.zeros(int(TAIL_S * RATE), np.float32)])
    ends: list[tuple[int, bool, float, str]] = []  # (pos, early, quiet ms, transcript)
    starts: list[int] = []
    heard: str | None = None
    paused: np.ndarray | None = None
    paused_turn: int | None = None
    full = int(det.silence * 1000 / RATE)
    for i in range(0, len(x), FEED):
        for ev in det.feed(x[i:i + FEED]):
            if isinstance(ev, SpeechStarted):
                starts.append(det.pos)
            elif isinstance(ev, SpeechPaused):
                paused, paused_turn = ev.audio, ev.turn_id
                heard = asr(ev.audio) if rule is not None else None
            elif isinstance(ev, SpeechResumed):
                heard = paused = paused_turn = None
            elif isinstance(ev, SpeechStopped):
                ends.append((det.pos, False, det.quiet_ms or float(full), heard or ""))
                heard = paused = paused_turn = None
        if rule is not None and paused is not None and paused_turn is not None:
            quiet = det.quiet_ms
            if rule(heard, paused, quiet, full) and det.end_turn(paused_turn) is not None:
                ends.append((det.pos, True, quiet, heard or ""))
                heard = paused = paused_turn = None
    for k, (pos, early, quiet, text) in enumerate(ends):
        tally.ends += 1
        tally.early += early
        spoke_on = any(s > pos for s in starts)
        if spoke_on:
            tally.false += 1
            tally.false_early += early
            if early:
                tally.false_cases.append(f"{name}: {text!r} ({quiet:.0f} ms)")
        if k == len(ends) - 1:
            tally.last_silence.append(quiet)


def rules(names: list[str]) -> dict[str, Rule | None]:
    out: dict[str, Rule | None] = {}
    for name in names:
        if name == "full":
            out[name] = None
        elif name == "early":
            pred = TurnEndPredictor(300)
            out[name] = lambda text, audio, quiet, full, pred=pred: pred.ends(text, quiet, full)
        else:
            raise SystemExit(f"unknown rule {name!r}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "libritts8"))
    ap.add_argument("--rules", default="full,early")
    ap.add_argument("--max-s", type=float, default=28.0)
    ap.add_argument("--holdout", default="", help="comma-separated speakers reported apart")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--cases", action="store_true", help="print each false early end")
    args = ap.parse_args()
    from agent_server.config import ModelSettings
    from agent_server.realtime.engines.whisper import load
    from voices.models import new_silero_vad

    data = Path(args.data)
    with open(data / "MANIFEST.tsv") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if float(r["seconds"]) <= args.max_s]
    if args.limit:
        rows = rows[:args.limit]
    engine = load(ModelSettings())
    cache: dict[bytes, str] = {}

    def asr(audio: np.ndarray) -> str:
        key = audio.tobytes()[-64000:] + len(audio).to_bytes(8, "little")
        if key not in cache:
            cache[key] = engine.transcribe(audio)
        return cache[key]

    model = new_silero_vad()
    held = set(filter(None, args.holdout.split(",")))
    table = rules(args.rules.split(","))
    groups = {"all": lambda r: True}
    if held:
        groups = {"tuning": lambda r: r["speaker"] not in held, "held-out": lambda r: r["speaker"] in held}
    print(f"{len(rows)} recordings from {data.name}")
    print(f"{'group':>9} {'rule':>12} {'recs':>5} {'ends':>5} {'early':>6} {'false':>6} {'false early':>12} "
          f"{'last sil p50':>13}")
    for gname, pick in groups.items():
        mine = [r for r in rows if pick(r)]
        for rname, rule in table.items():
            tally = Tally()
            for r in mine:
                model.reset_states()  # type: ignore[attr-defined]
                replay(read_16k(data / r["path"]), rule, asr, model, tally, r["path"])
            print(f"{gname:>9} {rname:>12} {len(mine):>5} {tally.ends:>5} {tally.early:>6} {tally.false:>6} "
                  f"{tally.false_early:>12} {statistics.median(tally.last_silence or [float('nan')]):>13.0f}",
                  flush=True)
            if args.cases:
                for c in tally.false_cases:
                    print(f"      {c}")


if __name__ == "__main__":
    main()

"""Pool the ``--json`` records of several ``bench/clone_population.py`` runs into one table.

    python bench/pool_population.py RUN1.json RUN2.json ...

For runs that split the enrolled speakers between processes started at once (``--speakers``),
on a machine where one run would take too long. Cells as clone_population's (without best
other): target similarity, identification by resemblyzer and by the MFCC-GMM judge, WER and
its difference from the base voice; then, per pair of consecutive methods, how many outputs
each identifies that the other does not (paired: every method converts the same reading).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Record = dict[str, Any]


def table(records: list[Record]) -> list[str]:
    systems = list(dict.fromkeys(r["system"] for r in records))
    groups: list[tuple[str, Callable[[Record], bool]]] = [
        ("all", lambda r: True), ("female", lambda r: r["sex"] == "F"), ("male", lambda r: r["sex"] == "M"),
        ("libritts8", lambda r: r["corpus"] == "libritts8"), ("test-other", lambda r: r["corpus"] == "test-other")]
    lines = ["| system | speakers | target sim | id (resemblyzer) | id (MFCC-GMM) | WER (− base) |",
             "|---|---|---|---|---|---|"]
    for label, keep in groups:
        base_wer = None
        for system in systems:
            rs = [r for r in records if r["system"] == system and keep(r)]
            if not rs:
                continue
            wer = 100 * sum(r["errors"] for r in rs) / max(sum(r["words"] for r in rs), 1)
            delta = "" if base_wer is None else f" ({wer - base_wer:+.1f})"
            lines.append(f"| {system} | {label} ({len({r['speaker'] for r in rs})}) | "
                         f"{np.mean([r['target_sim'] for r in rs]):.3f} | "
                         f"{100 * np.mean([r['nearest'] == r['speaker'] for r in rs]):.1f}% | "
                         f"{100 * np.mean([r['judge'] == r['speaker'] for r in rs]):.1f}% | {wer:.1f}%{delta} |")
            if base_wer is None:
                base_wer = wer
    slots: dict[tuple[str, int], dict[str, Record]] = {}
    for r in records:
        slots.setdefault((r["speaker"], r["sentence"]), {})[r["system"]] = r
    for a, b in itertools.pairwise(systems[1:]):
        both = [v for v in slots.values() if a in v and b in v]
        gained = sum(v[b]["nearest"] == v[b]["speaker"] != v[a]["nearest"] for v in both)
        lost = sum(v[a]["nearest"] == v[a]["speaker"] != v[b]["nearest"] for v in both)
        lines.append(f"paired {b} vs {a}: identified {gained} more, {lost} fewer of {len(both)} outputs; "
                     f"target sim {np.mean([v[b]['target_sim'] - v[a]['target_sim'] for v in both]):+.4f}")
    return lines


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print("\n".join(table([r for path in sys.argv[1:] for r in json.loads(Path(path).read_text())])))


if __name__ == "__main__":
    main()

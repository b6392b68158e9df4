"""Pooling clone_population runs: the cells count every run's outputs once, paired by slot."""

from __future__ import annotations

from bench.pool_population import table


def _rec(system: str, speaker: str, sentence: int, hit: bool, errors: int) -> dict[str, object]:
    return {"speaker": speaker, "sex": "F" if speaker == "a" else "M", "corpus": "libritts8", "system": system,
            "sentence": sentence, "target_sim": 0.5, "nearest": speaker if hit else "x", "judge": speaker,
            "errors": errors, "words": 10}


def test_runs_pool_into_one_table_with_paired_counts() -> None:
    run1 = [_rec("base", "a", 0, False, 1), _rec("m1", "a", 0, True, 2), _rec("m2", "a", 0, False, 3)]
    run2 = [_rec("base", "b", 0, False, 1), _rec("m1", "b", 0, False, 1), _rec("m2", "b", 0, True, 1)]
    lines = table(run1 + run2)
    assert "| m1 | all (2) | 0.500 | 50.0% | 100.0% | 15.0% (+5.0) |" in lines
    assert "| m2 | female (1) | 0.500 | 0.0% | 100.0% | 30.0% (+20.0) |" in lines
    assert lines[-1].startswith("paired m2 vs m1: identified 1 more, 1 fewer of 2 outputs")

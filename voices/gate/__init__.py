"""The enrollment quality gate: one module per acoustic check, one judge.

Public entry point: :func:`evaluate` (signal in, :class:`GateReport` out). It is
imported lazily so that reading the thresholds (config loading, the keys CLI) does not
pull in the checks' heavy dependencies.
"""

from typing import Any

from voices.gate.report import Failure, GateReport
from voices.gate.thresholds import GateThresholds

__all__ = ["Failure", "GateReport", "GateThresholds", "evaluate"]


def __getattr__(name: str) -> Any:
    if name == "evaluate":
        from voices.gate.judge import evaluate

        return evaluate
    raise AttributeError(name)

"""The enrollment quality gate: one module per acoustic check, one judge.

Public entry point: :func:`evaluate` (signal in, :class:`GateReport` out).
"""

from voices.gate.judge import evaluate
from voices.gate.report import Failure, GateReport
from voices.gate.thresholds import GateThresholds

__all__ = ["Failure", "GateReport", "GateThresholds", "evaluate"]

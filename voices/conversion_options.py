"""How a cloned voice is converted from the base voice: one typed, checked set of options.

The server reads them from ``[models.conversion]`` (``agent_server.config``) and hands them
to every conversion with the voice (:class:`voices.synthesis.ClonedVoice`); a stored
profile holds only what enrollment learned, so every option can change without
re-enrolling. The defaults below are the conversion measured best overall; the figures
behind each part are in ``docs/synthesis_bench.md``. A combination that cannot apply is
refused when the options are made, so a server never starts with one.

Adding an option is adding a field here (with its check in :meth:`ConversionOptions.check`
when it depends on another) and reading it where it applies; the configuration table,
its environment variables and the error messages follow from the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

MAX_PHONE_PRIOR = 1000.0


@dataclass(frozen=True)
class ConversionOptions:
    """The conversion's settings (each field's docstring says what it changes)."""

    warp: bool = True
    """Warp the base voice's envelope along frequency by the factor learned at enrollment
    (the speaker's vocal-tract length) before anything else is mapped."""

    linear_map: bool = True
    """After the mean/variance mapping of each mel-cepstral coefficient, correct the
    envelope with one ridge regression fitted on the enrollment's aligned frame pairs
    (how the speaker's coefficients move together: formant structure). False: the
    mean/variance mapping alone, a little more intelligible and much less like the
    speaker. Needs ``warp`` (the pairs are stored warped)."""

    ridge: float = 3.0
    """The linear map's ridge weight (relative to the number of pairs) on coefficients
    1-8, the broad envelope that tells phones apart: larger keeps the words safer."""

    timbre_ridge: float = 1.0
    """The linear map's ridge weight on coefficients 9-39, the envelope's finer shape,
    where a freer fit costs the words less. Equal to ``ridge``: one weight throughout."""

    phone_correction: bool = True
    """Add to the linear map what the clip showed of each phone: the mean residual of
    the 8 aligned pairs of the same phone nearest each frame (Piper's own phone timings
    say which phone a frame is). A phone the clip lacks keeps the linear map. Needs
    ``linear_map``."""

    phone_prior: float = 16.0
    """Pairs a phone needs before its own correction counts half (its correction is
    shrunk by n / (n + prior)): a phone said once is trusted less than one said often."""

    tempo: bool = True
    """Piper reads at the speaker's own pace, measured at enrollment (0.8-1.25 x)."""

    caricature: float = 0.25
    """Carry the whole envelope conversion this much further than the mapping takes it
    (0.25: a quarter), away from the base voice's neighbourhood of real speakers; 0: off."""

    caricature_high: float = 0.5
    """The same overshoot above 2.5 kHz (the higher formants and voice quality that tell
    speakers apart, where it costs the words less); equal to ``caricature``: one
    overshoot throughout."""

    caricature_from_average: bool = True
    """Below 8 kHz measure the overshoot from the average speaker (``voices.prior``,
    learned from LibriSpeech speakers) instead of from the base voice: among many
    voices, what tells one apart is how it differs from the average. False: the default
    before it. Needs a caricature."""

    hybrid_unvoiced: bool = True
    """Where Piper is unvoiced, render its own samples filtered by the envelope
    conversion instead of WORLD's noise, so stop bursts and word endings stay crisp."""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ``ValueError`` naming the first setting that is out of range or cannot
        apply with the others."""
        for name, lo, hi in (("ridge", 0.0, math.inf), ("timbre_ridge", 0.0, math.inf),
                             ("phone_prior", 0.0, MAX_PHONE_PRIOR)):
            value = getattr(self, name)
            if not (math.isfinite(value) and lo < value <= hi):
                raise ValueError(f"{name} must be a number above {lo:g}"
                                 + (f" and at most {hi:g}" if math.isfinite(hi) else "") + f", got {value!r}")
        for name in ("caricature", "caricature_high"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.linear_map and not self.warp:
            raise ValueError("linear_map needs warp (its pairs are stored warped): set warp = true, "
                             "or linear_map = false for the mean/variance mapping alone")
        if self.phone_correction and not self.linear_map:
            raise ValueError("phone_correction corrects the linear map: set linear_map = true, "
                             "or phone_correction = false")
        if self.caricature_from_average and not self.has_caricature:
            raise ValueError("caricature_from_average changes where a caricature is measured from: "
                             "set caricature or caricature_high above 0, or caricature_from_average = false")

    @property
    def has_caricature(self) -> bool:
        return self.caricature > 0 or self.caricature_high > 0

    def describe(self) -> str:
        """The settings that differ from the defaults, for logs (``default`` when none)."""
        base = ConversionOptions()
        changed = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                   if getattr(self, f.name) != getattr(base, f.name)]
        return ", ".join(changed) or "default"

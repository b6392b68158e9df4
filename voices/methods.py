"""Conversion method names: ``<mapping>[+flag...]``, their defaults and their check.

A method is chosen per server (``[models] conversion_method``) and stored per profile, so
its name is configuration: it is checked once at start (a typo would otherwise fall back
to plain ``meanvar`` without a word) and parsed here, away from the DSP in
:mod:`voices.conversion`, which applies it.
"""

from __future__ import annotations

import math

# Measured in docs/synthesis_bench.md: the best balance of likeness (both judges) and
# intelligibility so far. ``+exp`` (caricature from the average speaker, voices.prior)
# over the previous default, two paired bench/clone_population.py runs on 18 held-out
# speakers among 69: identification 66.7/67.8 -> 71.1 %, judge 75.6/76.7 -> 81.1 %,
# WER over the base +5.4/+5.4 -> +4.6/+3.4.
DEFAULT_METHOD = "lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50+exp"
# The default before the average-speaker caricature: what the benches compare with.
PREVIOUS_METHOD = "lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50"
# Pairs a phone needs before its own correction counts half (map_phones). Measured
# (docs/synthesis_bench.md, runs 52-64): 16 keeps the similarity gain (+0.007) that 32
# halves, for the same bench WER; 32 cost less WER on a harder sentence set.
PHONE_PRIOR = 16.0
# First mel-cepstral coefficient whose part of the ``lr`` map ``lrh`` fits with its own
# ridge weight: c1-8 draw the broad envelope (the formant structure that tells phones
# apart), c9-39 its finer shape, where a freer fit costs the words less.
TIMBRE_FROM = 9
# Where ``exh`` takes over from ``ex`` (over ±500 Hz): above the first two formants.
HIGH_BAND_HZ = 2500.0

MAPPINGS = ("meanvar", "identity", "lr", "knn-res", "knn-direct", "knn")
FLAGS = {"warp", "warp2", "gv", "gf0", "hq", "conf", "lv", "tempo", "phk", "hyb", "exp"}


def exaggeration(flags: set[str]) -> float:
    """β from an ``ex<percent>`` flag (``ex25`` → 0.25), 0 without one."""
    return next((int(f[2:]) / 100 for f in flags if is_ex_flag(f)), 0.0)


def high_band_exaggeration(flags: set[str]) -> float | None:
    """β above :data:`HIGH_BAND_HZ` from an ``exh<percent>`` flag, None without one."""
    return next((int(f[3:]) / 100 for f in flags if is_exh_flag(f)), None)


def timbre_ridge(flags: set[str]) -> float | None:
    """The linear map's ridge weight for the timbre band from ``lrh<λ>``, None without."""
    return next((float(f[3:]) for f in flags if is_lrh_flag(f)), None)


def phone_prior(flags: set[str]) -> float:
    """The per-phone correction's prior: N from ``ph<N>``, PHONE_PRIOR for ``ph`` or
    ``phk`` alone, 0 (no correction) without either."""
    default = PHONE_PRIOR if "phk" in flags else 0.0
    return next((float(f[2:] or PHONE_PRIOR) for f in flags if is_ph_flag(f)), default)


def is_ph_flag(flag: str) -> bool:
    n = flag[2:]
    return flag.startswith("ph") and (n == "" or (n.isdigit() and 0 < int(n) <= 1000))


def is_ex_flag(flag: str) -> bool:
    return flag.startswith("ex") and flag[2:].isdigit() and 0 < int(flag[2:]) <= 100


def is_exh_flag(flag: str) -> bool:
    return flag.startswith("exh") and flag[3:].isdigit() and 0 < int(flag[3:]) <= 100


def is_lrh_flag(flag: str) -> bool:
    if not flag.startswith("lrh"):
        return False
    try:
        lam = float(flag[3:])
    except ValueError:
        return False
    return math.isfinite(lam) and lam > 0


def check_method(method: str) -> str:
    """``method`` if :func:`voices.conversion.convert` knows it, else ``ValueError``."""
    name, _, flag_str = method.partition("+")
    base = next((m for m in MAPPINGS if name.startswith(m)), None)
    rest = name[len(base):].removesuffix("-hi") if base else ""
    flags = set(flag_str.split("+")) - {""} if flag_str else set()
    try:
        known = all(f in FLAGS or any(is_(f) for is_ in _NUMBERED) for f in flags)
        one_each = all(sum(is_(f) for f in flags) <= 1 for is_ in _NUMBERED)
        # ``exp`` changes what a caricature is measured from: it needs one.
        applies = "exp" not in flags or any(is_ex_flag(f) or is_exh_flag(f) for f in flags)
        ok = base is not None and (not rest or float(rest) > 0) and known and one_each and applies
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"unknown conversion method {method!r}: <mapping>[+flag...], mappings "
                         f"{', '.join(MAPPINGS)}, flags {', '.join(sorted(FLAGS))}, ex<1-100>, exh<1-100>, "
                         "lrh<λ>, ph[1-1000]; exp needs ex<N> or exh<N>")
    return method


_NUMBERED = (is_ex_flag, is_exh_flag, is_lrh_flag, is_ph_flag)

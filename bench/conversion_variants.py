"""Conversion settings by the short names the benches and their recorded runs use.

The server is configured by typed options (:class:`voices.conversion_options.ConversionOptions`,
``[models.conversion]``); the benches compare several in one run and name their rows by
the method strings of docs/synthesis_bench.md (``lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50+exp``),
so this module turns such a string into options. ``default`` and ``previous`` name the
server's default and the default before ``caricature_from_average``.

Grammar: ``<map>[+flag...]``; maps ``meanvar`` (mean/variance only) and ``lr[λ]`` (the
linear map, ridge λ, 3 when omitted); flags ``warp``, ``tempo``, ``phk`` (per-phone
correction), ``ph<N>`` (its prior, with ``phk``), ``lrh<λ>`` (the timbre band's ridge),
``ex<N>`` / ``exh<N>`` (caricature in percent, below / above 2.5 kHz; ``exh`` defaults to
``ex``), ``exp`` (caricature from the average speaker), ``hyb`` (Piper's unvoiced samples).
The lab variants that never reached the default (exemplar maps ``knn*``, ``identity``,
``warp2``, ``gv``, ``gf0``, ``hq``, ``conf``, ``lv``, ``ph`` without ``phk``, neighbour
speakers' loans ``nb*``) are no longer in the code; their names are refused with a pointer
to where their code and measurements are kept.
"""

from __future__ import annotations

import math
from dataclasses import replace

from voices.conversion_options import ConversionOptions

DEFAULT = ConversionOptions()
PREVIOUS = replace(DEFAULT, caricature_from_average=False)
NAMED = {"default": DEFAULT, "previous": PREVIOUS}
# Removed variants by name prefix: where their code and runs are kept.
REMOVED = {**dict.fromkeys(("knn", "identity", "warp2", "gv", "gf0", "hq", "conf", "lv"),
                           "git show cebe763:docs/synthesis_bench.md"),
           "nb": "git show 161b0d1:voices/neighbours.py, docs/synthesis_bench.md"}
_FLAGS = {"warp", "tempo", "phk", "hyb", "exp"}
_NUMBERED = ("exh", "ex", "lrh", "ph")


def parse(method: str) -> ConversionOptions:
    """The options ``method`` names (a name of :data:`NAMED` or a method string);
    ``ValueError`` for a string the grammar above does not allow or a removed variant."""
    if method in NAMED:
        return NAMED[method]
    head, *flags = method.split("+")
    removed = [f for f in (head, *flags) if f.startswith(tuple(REMOVED))]
    if removed:
        where = sorted({w for f in removed for p, w in REMOVED.items() if f.startswith(p)})
        raise ValueError(f"{method!r}: {', '.join(removed)} was a lab variant and is no longer in the code "
                         f"({'; '.join(where)})")
    if head == "meanvar":
        linear, ridge = False, DEFAULT.ridge
    elif head.startswith("lr"):
        linear, ridge = True, _number(head[2:] or "3", method)
    else:
        raise ValueError(f"{method!r}: the map is meanvar or lr[λ], not {head!r}")
    numbered: dict[str, float | None] = dict.fromkeys(_NUMBERED)
    for flag in flags:
        prefix = next((p for p in _NUMBERED if flag.startswith(p) and flag not in _FLAGS), None)
        if prefix is None:
            if flag not in _FLAGS:
                raise ValueError(f"{method!r}: unknown flag {flag!r}")
        elif numbered[prefix] is not None:
            raise ValueError(f"{method!r}: {prefix} given twice")
        else:
            numbered[prefix] = _number(flag[len(prefix):], method)
    if numbered["ph"] is not None and "phk" not in flags:
        raise ValueError(f"{method!r}: ph<N> sets the prior of phk; the phone-mean variant (ph alone) is removed")
    caricature = (numbered["ex"] or 0.0) / 100
    high = numbered["exh"]
    return ConversionOptions(
        warp="warp" in flags, linear_map=linear, ridge=ridge,
        timbre_ridge=numbered["lrh"] if numbered["lrh"] is not None else ridge,
        phone_correction="phk" in flags,
        phone_prior=numbered["ph"] if numbered["ph"] is not None else DEFAULT.phone_prior,
        tempo="tempo" in flags, caricature=caricature,
        caricature_high=high / 100 if high is not None else caricature,
        caricature_from_average="exp" in flags, hybrid_unvoiced="hyb" in flags,
    )


def parse_list(methods: str) -> dict[str, ConversionOptions]:
    """Comma-separated names or method strings, each with its options (checked first,
    so a typo stops a bench before it enrolls anyone)."""
    return {m: parse(m) for m in methods.split(",") if m}


def _number(text: str, method: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{method!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{method!r}: {text!r} is not a finite number")
    return value

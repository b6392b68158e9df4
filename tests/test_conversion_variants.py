"""The benches' method strings name the options the server would run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.conversion_variants import DEFAULT, PREVIOUS, parse, parse_list
from voices.conversion_options import ConversionOptions


def test_the_recorded_defaults_parse_to_the_servers_options() -> None:
    assert parse("lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50+exp") == ConversionOptions() == DEFAULT
    assert parse("lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50") == PREVIOUS == parse("previous")
    assert parse("default") == DEFAULT


def test_older_methods_turn_parts_off() -> None:
    assert parse("lr3+warp+tempo+ex25+phk+hyb") == replace(PREVIOUS, timbre_ridge=3.0, caricature_high=0.25)
    mv = parse("meanvar+warp")
    assert not mv.linear_map and not mv.phone_correction and mv.caricature == mv.caricature_high == 0
    assert parse("lr0.5+warp+ph4+phk").phone_prior == 4.0 and parse("lr0.5+warp").timbre_ridge == 0.5
    assert list(parse_list("default,previous,")) == ["default", "previous"]


@pytest.mark.parametrize("method, message", [
    ("knn-res8+warp", "lab variant"), ("meanvar+warp2", "lab variant"), ("lr3+warp+gv", "lab variant"),
    ("identity", "lab variant"), ("lr3+warp+ph4", "phone-mean variant"), ("lr3+wrap", "unknown flag"),
    ("lrx+warp", "not a number"), ("lr3+warp+ex25+ex50", "given twice"), ("meanvr", "the map is"),
    ("lr3", "linear_map needs warp"), ("lr3+warp+exp", "caricature_from_average"),
    ("lr3+warp+ex250", "caricature must be between 0 and 1"),
])
def test_removed_and_impossible_methods_are_refused(method: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(method)


def test_the_neighbour_loans_are_refused_as_removed() -> None:
    with pytest.raises(ValueError, match=r"nb16, nbw75 was a lab variant.*voices/neighbours\.py"):
        parse("lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50+exp+nb16+nbw75")

"""draw_engine.stats against tests/vectors/stats (the JS twin reads the same files), and the
arithmetic it rests on: exact hypergeometric and Poisson-binomial intervals."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from math import comb
from pathlib import Path
from typing import Any

import pytest

from draw_engine.errors import VerificationError
from draw_engine.stats import (
    compute_stats,
    convolve,
    format_fraction,
    format_milli,
    hypergeometric,
    interval,
    unit_history,
)
from tests.draw_engine import gen_stats_vectors

FILES = sorted((Path(__file__).resolve().parents[1] / "vectors" / "stats").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_text())
    return value


def _documents(v: dict[str, Any]) -> dict[str, bytes]:
    return {k: t.encode() for k, t in v["documents"].items()}


def test_the_vectors_are_there_and_current() -> None:
    assert len(FILES) >= 2
    assert gen_stats_vectors.main(["--check"]) == 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    v = _load(path)
    got = compute_stats(v["entries"], v["records"], _documents(v), tree_size=v["tree_size"])
    assert json.loads(json.dumps(got)) == v["expect"]
    for unit, want in v["unit_history"].items():
        assert unit_history(v["entries"], v["records"], unit) == want


def test_the_year_shows_its_registry_gap_and_no_flag() -> None:
    v = _load(FILES[-1])
    e = v["expect"]
    assert [g["unit_id"] for g in e["registry"]["gaps"]] == ["U000012"]
    assert len(e["draws"]) == 6
    assert all(row["flag"] is None for row in e["strata"] + e["brigades"])
    assert sum(h["units"] for h in e["units"]["histogram"]) == e["units"]["pooled"]


def test_unpublished_records_leave_the_draw_pending() -> None:
    v = _load(next(p for p in FILES if p.stem == "unpublished"))
    assert v["expect"]["pending"] == ["P-2"]
    assert [d["records"] for d in v["expect"]["draws"]] == [True, False]


def test_a_result_whose_stratum_size_differs_from_the_records_is_refused() -> None:
    v = _load(FILES[-1])
    entries = copy.deepcopy(v["entries"])
    result = next(e for e in reversed(entries) if e["type"] == "draw.result")
    result["strata"][0]["n"] += 1
    with pytest.raises(VerificationError, match=r"stratum .* its result says n = "):
        compute_stats(entries, v["records"], _documents(v), tree_size=v["tree_size"])


def test_formatting_is_exact_half_up() -> None:
    assert format_fraction(Fraction(7, 3)) == "2.333"
    assert format_fraction(Fraction(1, 2000)) == "0.001"
    assert format_fraction(Fraction(0)) == "0.000"
    assert format_milli(0.0004999) == "0.000"
    assert format_milli(12.3456) == "12.346"


@pytest.mark.parametrize(("n", "good", "k"), [(10, 3, 4), (50, 20, 10), (200, 7, 30),
                                                (30, 30, 5), (30, 0, 5), (12, 5, 12)])
def test_hypergeometric_equals_the_exact_formula(n: int, good: int, k: int) -> None:
    offset, p = hypergeometric(n, good, k)
    for i, value in enumerate(p):
        x = offset + i
        exact = Fraction(comb(good, x) * comb(n - good, k - x), comb(n, k))
        assert abs(value - float(exact)) < 1e-12


def test_interval_cuts_each_tail_at_most_at_the_level() -> None:
    offset, p = dist = convolve(hypergeometric(400, 60, 50), hypergeometric(300, 20, 40))
    low, high = interval(dist, 0.01)
    below = sum(p[: low - offset])
    above = sum(p[high - offset + 1:])
    assert below <= 0.01 < below + p[low - offset]
    assert above <= 0.01 < above + p[high - offset]

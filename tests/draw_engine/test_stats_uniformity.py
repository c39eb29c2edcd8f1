"""Uniformity self-check of draw-v1 (issue 19): over many draws each unit of a stratum is
drawn as often as the stratum's ratio says, and a bias put into the ordering is caught.

The draw is the real `draw_engine.select.compute_draw`, fed DRAWS distinct beacon
randomness values (SHA-256 of a fixed label and the draw number: the fixed seed). Per
stratum of n units drawing k per draw (p = k/n), the count c_u of each unit over N draws
has mean N·p and the covariance of N draws of k out of n without replacement,
N·p(1-p)·n/(n-1)·(I - J/n): so T = (n-1)/n · Σ (c_u - N·p)² / (N·p(1-p)) is
approximately χ² with n-1 degrees of freedom. The test fails when T exceeds the χ²
quantile of 1 - FALSE_ALARM (Wilson-Hilferty), so an honest draw-v1 fails this check with
probability about FALSE_ALARM per stratum for a random choice of seed; with the fixed
seed the outcome is the same on every run.

The negative control puts a small bias into draw-v1's own ordering: the target tickets
of three units of a stratum are halved (as a rigged implementation might favour them),
and the same statistic must exceed the bound.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from typing import Any

import pytest

from draw_engine import select

DRAWS = 5000
FALSE_ALARM = 0.001
Z_999 = 3.090232306167813  # the standard normal quantile of 1 - FALSE_ALARM
STRATA = [
    {"name": "key", "match": {"key_unit": [True]}, "quota": {"ratio": "1/4"}},
    {"name": "other", "match": {}, "quota": {"ratio": "1/10"}},
]


def _units() -> list[dict[str, Any]]:
    return [{"id": f"U{i:03d}", "name": f"unit {i}", "brigade": "b", "status": "active",
             "key_unit": i < 24, "tags": []} for i in range(84)]


def _announce() -> dict[str, Any]:
    return {"type": "draw.announce", "v": 1, "draw_id": "UNIFORM", "title": "uniformity",
            "authority": "test", "kind": "routine", "algorithm": "draw-v1",
            "period": {"from": "2027-01-01", "to": "2027-01-31"},
            "units": {"snapshot": "u", "root": "00" * 32, "count": 84},
            "strata": STRATA,
            "beacon": {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": "00" * 32,
                       "round": 1, "round_time": "2027-01-01T00:00:00Z", "local": True}}


def chi_square_bound(df: int) -> float:
    """Wilson-Hilferty: the χ²(df) quantile of 1 - FALSE_ALARM."""
    c = 2 / (9 * df)
    return float(df * (1 - c + Z_999 * c ** 0.5) ** 3)


def statistics() -> dict[str, tuple[float, float]]:
    """stratum -> (T, bound) over DRAWS draws."""
    announce, units = _announce(), _units()
    counts: dict[str, Counter[str]] = {s["name"]: Counter() for s in STRATA}
    sizes: dict[str, tuple[int, int]] = {}
    for i in range(DRAWS):
        label = b"fairdraw/uniformity-self-check" + i.to_bytes(4, "big")
        randomness = hashlib.sha256(label).digest()
        result = select.compute_draw(announce, units, randomness)
        for s in result["strata"]:
            sizes[s["name"]] = (s["n"], s["k"])
        for sel in result["selected"]:
            counts[sel["stratum"]][sel["unit_id"]] += 1
    members = {"key": [u["id"] for u in units if u["key_unit"]],
               "other": [u["id"] for u in units if not u["key_unit"]]}
    out = {}
    for name, (n, k) in sizes.items():
        p = k / n
        mean = DRAWS * p
        squares = sum((counts[name][u] - mean) ** 2 for u in members[name])
        t = (n - 1) / n * squares / (mean * (1 - p))
        out[name] = (t, chi_square_bound(n - 1))
    return out


def test_every_unit_is_drawn_as_often_as_its_stratum_ratio_says() -> None:
    started = time.monotonic()
    for name, (t, bound) in statistics().items():
        assert t <= bound, f"stratum {name}: chi-square {t:.1f} above {bound:.1f} " \
                           f"(false-alarm rate {FALSE_ALARM} per stratum)"
        assert t > 0.2 * bound, f"stratum {name}: chi-square {t:.1f} is implausibly small"
    assert time.monotonic() - started < 20


def test_a_biased_ordering_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    favoured = {b"U030", b"U031", b"U032"}  # three units of stratum "other"
    honest = select.TicketHasher.tickets

    def rigged(self: select.TicketHasher, ids_bytes: Any) -> list[bytes]:
        ids = list(ids_bytes)
        out = honest(self, ids)
        return [(int.from_bytes(t, "big") // 2).to_bytes(32, "big") if raw in favoured else t
                for raw, t in zip(ids, out, strict=True)]

    monkeypatch.setattr(select.TicketHasher, "tickets", rigged)
    stats = statistics()
    t, bound = stats["other"]
    assert t > bound, f"a ticket-halving bias went unnoticed: chi-square {t:.1f} <= {bound:.1f}"
    t_key, bound_key = stats["key"]
    assert t_key <= bound_key  # the untouched stratum still passes

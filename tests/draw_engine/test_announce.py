"""The draw.announce entry: structural checks with the field that is wrong."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from draw_engine.announce import parse_announce, parse_ratio
from draw_engine.errors import AnnounceError
from tests.conftest import load_vectors

KNOWN = load_vectors("draw/draw-v1.json")["vectors"]
GENERATED = load_vectors("draw/generated-draws.json")["vectors"]
BASE = KNOWN[1]["announce"]  # teams, experts, zones, recusals


@pytest.mark.parametrize("vector", KNOWN + GENERATED[:10])
def test_vector_announces_parse(vector: dict[str, Any]) -> None:
    spec = parse_announce(vector["announce"])
    assert spec.draw_id == vector["announce"]["draw_id"]
    assert [s.name for s in spec.strata] == [s["name"] for s in vector["announce"]["strata"]]


def test_defaults() -> None:
    announce = copy.deepcopy(KNOWN[4]["announce"])  # no teams
    spec = parse_announce(announce)
    assert spec.teams is None
    assert spec.inspectors is None
    assert spec.recusals == frozenset()
    announce = copy.deepcopy(BASE)
    announce["teams"] = {}
    spec = parse_announce(announce)
    assert spec.teams is not None
    assert (spec.teams.assistants, spec.teams.experts, spec.teams.scopes) == (
        1, 0, ("detachment",))


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(announce: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = announce
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            del node[last]
        else:
            node[last] = value
    return apply


DELETE = object()

CASES = [
    ("type", "draw.result", "type"),
    ("v", 2, "v"),
    ("v", True, "v"),
    ("algorithm", "draw-v2", "algorithm"),
    ("kind", "daily", "kind"),
    ("draw_id", "抽查-1", "draw_id"),
    ("draw_id", "x" * 65, "draw_id"),
    ("title", "", "title"),
    ("period.from", "2026-13-01", "period.from"),
    ("period.to", "2026/12/31", "period.to"),
    ("period.from", "2027-01-01", "period"),
    ("units", DELETE, "units"),
    ("units.root", "A" * 64, "units.root"),
    ("units.count", -1, "units.count"),
    ("units.snapshot", "units bars", "units.snapshot"),
    ("strata", [], "strata"),
    ("strata.1.name", "medium-key", "strata[1].name"),
    ("strata.0.quota", {"ratio": "1/2", "count": 3}, "strata[0].quota"),
    ("strata.0.quota", {}, "strata[0].quota"),
    ("strata.0.quota", {"all": False}, "strata[0].quota.all"),
    ("strata.0.quota", {"count": 2, "reserve": -1}, "strata[0].quota.reserve"),
    ("strata.0.quota", {"count": 2, "min": "3"}, "strata[0].quota.min"),
    ("strata.0.quota", {"count": 2, "maximum": 3}, "strata[0].quota.maximum"),
    ("strata.0.quota", {"ratio": "1/0"}, "strata[0].quota.ratio"),
    ("strata.0.quota", {"ratio": "01/10"}, "strata[0].quota.ratio"),
    ("strata.0.quota", {"ratio": "3/2"}, "strata[0].quota.ratio"),
    ("strata.0.quota", {"ratio": " 1/2"}, "strata[0].quota.ratio"),
    ("strata.0.quota", {"ratio": "-1/2"}, "strata[0].quota.ratio"),
    ("strata.0.quota", {"ratio": 0.5}, "strata[0].quota.ratio"),
    ("strata.0.match", {"risk_level": "high"}, "strata[0].match.risk_level"),
    ("strata.0.match", {"risk_level": []}, "strata[0].match.risk_level"),
    ("strata.0.match", {"风险": ["high"]}, "strata[0].match.风险"),
    ("strata.0.match", {"tags": [["a"]]}, "strata[0].match.tags[0]"),
    ("exclusions", [{"unit_id": "U1", "reason": "x"}, {"unit_id": "U1", "reason": "y"}],
     "exclusions[1].unit_id"),
    ("exclusions", [{"unit_id": "U1"}], "exclusions[0].reason"),
    ("recusals", [["I1"]], "recusals[0]"),
    ("recusals", [["I1", "U1"], ["I1", "U1"]], "recusals[1]"),
    ("recusals", [["监督员", "U1"]], "recusals[0][0]"),
    ("zones", {"z1": "hq"}, "zones.z1"),
    ("teams.scopes", ["county"], "teams.scopes[0]"),
    ("teams.scopes", [], "teams.scopes"),
    ("teams.scopes", ["zone", "zone"], "teams.scopes"),
    ("teams.assistants", -1, "teams.assistants"),
    ("teams.exclude_own_brigade", "yes", "teams.exclude_own_brigade"),
    ("teams.leaders", 2, "teams.leaders"),
    ("inspectors", DELETE, "inspectors"),
    ("experts", DELETE, "experts"),
    ("zones", {}, "teams.scopes"),
    ("beacon.scheme", "bls-unchained-on-g1", "beacon.scheme"),
    ("beacon.chain_hash", "52DB", "beacon.chain_hash"),
    ("beacon.round", 0, "beacon.round"),
    ("beacon.round_time", "2026-12-01T00:00:00+08:00", "beacon.round_time"),
    ("beacon.round_time", "2026-12-01T24:00:00Z", "beacon.round_time"),
    ("beacon.local", 1, "beacon.local"),
    ("supersedes", "VEC 0", "supersedes"),
    ("surprise", 1, "surprise"),
    ("title", 1.5, "title"),
]


@pytest.mark.parametrize(("path", "value", "field"), CASES, ids=[c[2] + "=" + repr(c[1])[:20]
                                                                  for c in CASES])
def test_bad_announce_names_the_field(path: str, value: Any, field: str) -> None:
    announce = copy.deepcopy(BASE)
    setter(path, value)(announce)
    with pytest.raises(AnnounceError) as info:
        parse_announce(announce)
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize(("text", "pair"), [("0/1", (0, 1)), ("1/1", (1, 1)),
                                            ("2/7", (2, 7)), ("10/100", (10, 100))])
def test_ratio_accepted(text: str, pair: tuple[int, int]) -> None:
    assert parse_ratio(text) == pair


def test_not_an_object() -> None:
    with pytest.raises(AnnounceError, match="must be an object"):
        parse_announce([])

"""draw-v1 (DESIGN §5): known answers, invariance properties, and the rules one by one."""

from __future__ import annotations

import copy
import hashlib
import random
from fractions import Fraction
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import draw_engine.select as select
from draw_engine.announce import Quota
from draw_engine.canonical import canonical_json
from draw_engine.errors import AnnounceError, CanonicalError, DrawInputError
from draw_engine.select import (
    compute_draw,
    derive_seed,
    parse_randomness,
    spec_hash,
    ticket,
)
from tests.conftest import load_vectors
from tests.draw_engine import gen_vectors

KNOWN = load_vectors("draw/draw-v1.json")["vectors"]
GENERATED = load_vectors("draw/generated-draws.json")["vectors"]


def run(vector: dict[str, Any], **changes: Any) -> dict[str, Any]:
    args = {"units": vector["units"], "inspectors": vector["inspectors"],
            "experts": vector["experts"], "randomness": vector["randomness"]} | changes
    return compute_draw(vector["announce"], args["units"], bytes.fromhex(args["randomness"]),
                        inspectors=args["inspectors"], experts=args["experts"])


@pytest.mark.parametrize("vector", KNOWN, ids=[v["desc"] for v in KNOWN])
def test_known_answer_vectors_byte_for_byte(vector: dict[str, Any]) -> None:
    assert spec_hash(vector["announce"]).hex() == vector["spec_hash"]
    assert canonical_json(run(vector)) == canonical_json(vector["expected"])


@pytest.mark.parametrize("vector", GENERATED, ids=[v["desc"] for v in GENERATED])
def test_generated_vectors_byte_for_byte(vector: dict[str, Any]) -> None:
    assert spec_hash(vector["announce"]).hex() == vector["spec_hash"]
    assert canonical_json(run(vector)) == canonical_json(vector["expected"])


def test_generated_file_is_what_python_computes_now() -> None:
    assert gen_vectors.OUT.read_text(encoding="utf-8") == gen_vectors.render(
        gen_vectors.generate()
    )
    assert len(GENERATED) >= 60


def test_other_randomness_changes_the_draw() -> None:
    vector = KNOWN[3]
    other = run(vector, randomness="00" * 32)
    assert other["seed"] != vector["expected"]["seed"]
    assert other["selected"] != vector["expected"]["selected"]


def test_seed_and_ticket_definitions() -> None:
    vector = KNOWN[-1]
    sh = hashlib.sha256(canonical_json(vector["announce"])).digest()
    seed = hashlib.sha256(b"fairdraw/draw-v1/seed\x00" + sh + bytes.fromhex(
        vector["randomness"])).digest()
    assert derive_seed(sh, bytes.fromhex(vector["randomness"])) == seed
    first = vector["expected"]["selected"][0]
    assert ticket(seed, "target", first["unit_id"]).hex() == first["ticket"]
    assert ticket(seed, "target", "U1") == hashlib.sha256(seed + b'["target","U1"]').digest()


permutable = [v for v in KNOWN + GENERATED[::5] if v["inspectors"] or len(v["units"]) > 10]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(permutable), st.randoms(use_true_random=False))
def test_permuting_records_never_changes_the_result(
    vector: dict[str, Any], rnd: random.Random
) -> None:
    units, inspectors, experts = (list(vector[k]) for k in ("units", "inspectors", "experts"))
    for records in (units, inspectors, experts):
        rnd.shuffle(records)
    result = run(vector, units=units, inspectors=inspectors, experts=experts)
    assert canonical_json(result) == canonical_json(vector["expected"])


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([v for v in GENERATED if len(v["units"]) >= 20]),
       st.randoms(use_true_random=False))
def test_changing_one_unit_never_changes_another_units_ticket(
    vector: dict[str, Any], rnd: random.Random
) -> None:
    units = copy.deepcopy(vector["units"])
    victim = rnd.choice(units)
    victim["risk_level"] = rnd.choice(["low", "medium", "high"])
    victim["status"] = rnd.choice(["active", "defunct"])
    victim["tags"] = ["high_rise"]
    seed = bytes.fromhex(vector["expected"]["seed"])
    result = run(vector, units=units)
    for entry in result["selected"]:
        assert entry["ticket"] == ticket(seed, "target", entry["unit_id"]).hex()
    before = {e["unit_id"]: e["ticket"] for e in vector["expected"]["selected"]}
    for entry in result["selected"]:
        if entry["unit_id"] in before:
            assert entry["ticket"] == before[entry["unit_id"]]


def reference_size(kind: str, n: int, value: Any, minimum: int | None) -> int:
    import math

    if kind == "ratio":
        k = math.ceil(Fraction(n) * value)
    elif kind == "count":
        k = min(value, n)
    else:
        k = n
    if minimum is not None:
        k = max(k, min(minimum, n))
    return k


@given(st.integers(0, 10**7), st.integers(1, 10**6), st.data(),
       st.none() | st.integers(0, 10**7))
def test_ratio_quota_is_exact_ceil(n: int, q: int, data: st.DataObject, m: int | None) -> None:
    p = data.draw(st.integers(0, q))
    quota = Quota("ratio", numerator=p, denominator=q, minimum=m)
    assert quota.size(n) == reference_size("ratio", n, Fraction(p, q), m)


@given(st.integers(0, 1000), st.integers(0, 2000), st.none() | st.integers(0, 2000))
def test_count_and_all_quota(n: int, c: int, m: int | None) -> None:
    assert Quota("count", count=c, minimum=m).size(n) == reference_size("count", n, c, m)
    assert Quota("all", minimum=m).size(n) == n


def test_ratio_ceil_has_no_float_error() -> None:
    # In floats, math.ceil(30 * 0.1) is 4 (3.0000000000000004); integers give 3.
    assert Quota("ratio", numerator=1, denominator=10).size(30) == 3
    assert Quota("ratio", numerator=7, denominator=100).size(100) == 7
    assert Quota("ratio", numerator=1, denominator=10).size(31) == 4


# A small hand-checkable world for the team rules.
PERIOD_TO = "2026-12-31"


def world(*, recusals: list[list[str]] | None = None, scopes: list[str] | None = None,
          inspectors: list[dict[str, Any]] | None = None,
          experts: list[dict[str, Any]] | None = None, n_experts: int = 0,
          exclude_own_brigade: bool = False, units: int = 3) -> tuple[dict[str, Any], list, list,
                                                                     list]:
    unit_records = [{"id": f"U{i}", "name": f"单位{i}", "brigade": "hq", "status": "active",
                     "risk_level": "high"} for i in range(units)]
    people = inspectors if inspectors is not None else [
        {"id": f"I{i}", "name": f"监督员{i}", "brigade": b, "roles": ["lead", "assist"],
         "status": "active", "cert_valid_until": "2027-12-31"}
        for i, b in enumerate(["hq", "hq", "xingbin", "wuxuan", "wuxuan"])
    ]
    announce: dict[str, Any] = {
        "type": "draw.announce", "v": 1, "draw_id": "T-1", "title": "t", "authority": "a",
        "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": "2026-12-01", "to": PERIOD_TO},
        "units": {"snapshot": "u", "root": "0" * 64, "count": units},
        "inspectors": {"snapshot": "i", "root": "0" * 64, "count": len(people)},
        "strata": [{"name": "all", "match": {}, "quota": {"all": True}}],
        "zones": {"z1": ["hq", "xingbin"], "z2": ["wuxuan"]},
        "teams": {"assistants": 1, "experts": n_experts,
                  "scopes": scopes or ["brigade", "zone", "detachment"],
                  "exclude_own_brigade": exclude_own_brigade},
        "recusals": recusals or [],
        "beacon": {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": "1" * 64,
                   "round": 1, "round_time": "2026-11-30T00:00:00Z"},
    }
    if experts is not None:
        announce["experts"] = {"snapshot": "e", "root": "0" * 64, "count": len(experts)}
    return announce, unit_records, people, experts or []


RANDOMNESS = bytes(range(32))


def published_order(announce: dict[str, Any], role: str, unit_id: str, ids: list[str],
                    duties: dict[str, int]) -> list[str]:
    seed = derive_seed(spec_hash(announce), RANDOMNESS)
    return sorted(ids, key=lambda p: (duties.get(p, 0), ticket(seed, role, unit_id, p), p))


def test_recusal_substitute_is_the_next_in_published_order() -> None:
    announce, units, people, _ = world(scopes=["detachment"], units=1)
    plain = compute_draw(announce, units, RANDOMNESS, inspectors=people)
    lead = plain["selected"][0]["team"]["members"][0]["person_id"]
    order = published_order(announce, "lead", "U0", [p["id"] for p in people], {})
    assert order[0] == lead
    announce["recusals"] = [[lead, "U0"], [order[1], "U0"]]
    result = compute_draw(announce, units, RANDOMNESS, inspectors=people)
    team = result["selected"][0]["team"]
    # The announce changed, so the seed changed: recompute the order for the new announce.
    order = published_order(announce, "lead", "U0", [p["id"] for p in people], {})
    recused = {lead, announce["recusals"][1][0]}
    expected_lead = next(p for p in order if p not in recused)
    assert team["members"][0] == {"role": "lead", "person_id": expected_lead,
                                  "scope": "detachment"}
    met = [p for p in order[: order.index(expected_lead)] if p in recused]
    assert team["skipped"][: len(met)] == [
        {"role": "lead", "person_id": p, "reason": "recusal"} for p in met
    ]


def test_everyone_recused_gives_unfilled_and_skipped_once() -> None:
    announce, units, people, _ = world(units=1)
    announce["recusals"] = [[p["id"], "U0"] for p in people]
    team = compute_draw(announce, units, RANDOMNESS, inspectors=people)["selected"][0]["team"]
    assert team["members"] == []
    assert team["unfilled"] == ["lead", "assist"]
    roles = [(s["role"], s["person_id"]) for s in team["skipped"]]
    assert len(roles) == len(set(roles)) == 2 * len(people)  # once per role, not per scope


def test_unfilled_when_nobody_qualifies() -> None:
    expired = [{"id": "I0", "name": "x", "brigade": "hq", "roles": ["lead", "assist"],
                "status": "active", "cert_valid_until": "2026-12-30"},
               {"id": "I1", "name": "y", "brigade": "hq", "roles": ["lead"],
                "status": "inactive", "cert_valid_until": "2029-01-01"},
               {"id": "I2", "name": "z", "brigade": "hq", "roles": ["assist"],
                "status": "active", "cert_valid_until": PERIOD_TO}]
    announce, units, people, _ = world(inspectors=expired, units=1)
    team = compute_draw(announce, units, RANDOMNESS, inspectors=people)["selected"][0]["team"]
    # I0: certificate ends before period.to; I1: inactive; I2 is assist-only but valid.
    assert team == {"members": [{"role": "assist", "person_id": "I2", "scope": "brigade"}],
                    "skipped": [], "unfilled": ["lead"]}


def test_exclude_own_brigade_applies_in_every_scope() -> None:
    announce, units, people, _ = world(scopes=["brigade", "zone", "detachment"],
                                       exclude_own_brigade=True)
    result = compute_draw(announce, units, RANDOMNESS, inspectors=people)
    brigade_of = {p["id"]: p["brigade"] for p in people}
    for entry in result["selected"]:
        for member in entry["team"]["members"]:
            assert brigade_of[member["person_id"]] != "hq"
            assert member["scope"] in ("zone", "detachment")


def test_load_balancing_spreads_duties() -> None:
    announce, units, people, _ = world(scopes=["detachment"], units=5)
    result = compute_draw(announce, units, RANDOMNESS, inspectors=people)
    duties: dict[str, int] = {}
    for entry in result["selected"]:
        for member in entry["team"]["members"]:
            duties[member["person_id"]] = duties.get(member["person_id"], 0) + 1
    assert sorted(duties.values()) == [2, 2, 2, 2, 2]  # 10 slots, 5 people


def test_experts_have_null_scope_and_are_load_balanced() -> None:
    experts = [{"id": f"E{i}", "name": "专家", "field": "电气", "status": "active"}
               for i in range(2)]
    announce, units, people, experts = world(experts=experts, n_experts=1, units=4)
    result = compute_draw(announce, units, RANDOMNESS, inspectors=people, experts=experts)
    chosen = [m for e in result["selected"] for m in e["team"]["members"] if m["role"] == "expert"]
    assert [m["scope"] for m in chosen] == [None] * 4
    assert sorted(m["person_id"] for m in chosen) == ["E0", "E0", "E1", "E1"]


def test_inspector_expert_id_collision_rejected() -> None:
    experts = [{"id": "I0", "name": "专家", "field": "电气", "status": "active"}]
    announce, units, people, experts = world(experts=experts, n_experts=1)
    with pytest.raises(DrawInputError, match="both an inspector and an expert: I0"):
        compute_draw(announce, units, RANDOMNESS, inspectors=people, experts=experts)


def test_duplicate_unit_id_rejected() -> None:
    announce, units, people, _ = world()
    with pytest.raises(DrawInputError, match="duplicate id 'U0'"):
        compute_draw(announce, [*units, units[0]], RANDOMNESS, inspectors=people)


def test_non_identifier_unit_id_rejected() -> None:
    announce, units, people, _ = world()
    units[0]["id"] = "单位"
    with pytest.raises(DrawInputError, match="not an ASCII identifier"):
        compute_draw(announce, units, RANDOMNESS, inspectors=people)


def test_bad_announce_is_refused() -> None:
    announce, units, people, _ = world()
    announce["strata"][0]["quota"] = {"ratio": "1/0"}
    with pytest.raises(AnnounceError, match=r"strata\[0\]\.quota\.ratio"):
        compute_draw(announce, units, RANDOMNESS, inspectors=people)


def test_ties_in_duties_are_broken_by_ticket_then_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal tickets never happen with SHA-256; force them to exercise the id rule.
    announce, units, people, _ = world(scopes=["detachment"], units=1)
    monkeypatch.setattr(select.TicketHasher, "ticket", lambda self, id_bytes: b"\x00" * 32)
    team = compute_draw(announce, units, RANDOMNESS, inspectors=people)["selected"][0]["team"]
    assert [m["person_id"] for m in team["members"]] == ["I0", "I1"]


def test_match_is_json_typed() -> None:
    announce, units, people, _ = world()
    units[0]["key_unit"] = True
    units[1]["key_unit"] = 1
    announce["strata"] = [{"name": "one", "match": {"key_unit": [1]}, "quota": {"all": True}}]
    result = compute_draw(announce, units, RANDOMNESS, inspectors=people)
    assert [e["unit_id"] for e in result["selected"]] == ["U1"]
    assert result["unmatched"] == 2


@pytest.mark.parametrize("bad", ["", "0", "ABCD", "xyz0", "0g", " 00"])
def test_randomness_must_be_lowercase_hex(bad: str) -> None:
    with pytest.raises(DrawInputError, match="lowercase hex"):
        parse_randomness(bad)


# -- tickets: one definition, and the pre-fed hasher agrees with it ---------------------------

identifiers = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)


@settings(max_examples=300)
@given(st.binary(min_size=32, max_size=32),
       st.lists(st.text(max_size=12) | identifiers, min_size=1, max_size=4))
def test_ticket_is_sha256_of_seed_and_rfc8785(seed: bytes, parts: list[str]) -> None:
    try:
        canonical_json(parts)
    except CanonicalError:  # outside the subset (a lone surrogate, not NFC): refused
        with pytest.raises(CanonicalError):
            select.ticket(seed, *parts)
        return
    assert select.ticket(seed, *parts) == hashlib.sha256(seed + rfc8785.dumps(parts)).digest()


@settings(max_examples=300)
@given(st.binary(min_size=32, max_size=32), st.lists(identifiers, max_size=3),
       st.lists(identifiers, min_size=1, max_size=5))
def test_ticket_hasher_equals_ticket(seed: bytes, prefix: list[str], ids: list[str]) -> None:
    hasher = select.TicketHasher(seed, *prefix)
    expected = [select.ticket(seed, *prefix, i) for i in ids]
    assert [hasher.ticket(i.encode()) for i in ids] == expected
    assert hasher.tickets([i.encode() for i in ids]) == expected


@pytest.mark.parametrize("count", [0, 1, 5, 99, 100, 124, 125, 126, 1000])
def test_ranked_equals_full_sort(count: int) -> None:
    seed = hashlib.sha256(b"rank").digest()
    ids = [f"U{i}" for i in range(1000)]
    random.Random(count).shuffle(ids)
    expected = sorted((select.ticket(seed, "target", i), i.encode(), i) for i in ids)[:count]
    assert select._ranked(select.TicketHasher(seed, "target"), ids, count) == expected


def test_records_without_status_or_with_bad_ids_are_read_one_by_one() -> None:
    by_id, ids, _records, statuses = select._read_records([{"id": "B"}, {"id": "A",
                                                           "status": "active"}], "units")
    assert (list(by_id), ids, statuses) == (["B", "A"], ["B", "A"], [None, "active"])
    with pytest.raises(DrawInputError, match=r"units record 1: id 'U1\\nU2'"):
        select._read_records([{"id": "U0", "status": "x"}, {"id": "U1\nU2", "status": "x"}],
                             "units")
    with pytest.raises(DrawInputError, match="duplicate id 'U0'"):
        select._read_records([{"id": "U0", "status": "x"}, {"id": "U0", "status": "y"}],
                             "units")
    with pytest.raises(DrawInputError, match="record 0 is not an object"):
        select._read_records([["id"]], "units")


@pytest.mark.parametrize("vector", GENERATED[:10], ids=[v["desc"] for v in GENERATED[:10]])
def test_records_that_are_mappings_not_dicts_draw_the_same(vector: dict[str, Any]) -> None:
    # Ids and statuses are read from dicts by C maps; other mappings take the
    # record-by-record path, which must give the same draw.
    from types import MappingProxyType

    proxies = [MappingProxyType(unit) for unit in vector["units"]]
    assert canonical_json(run(vector, units=proxies)) == canonical_json(vector["expected"])

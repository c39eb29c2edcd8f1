"""The yearly plan's pure core (draw_engine.yearplan, docs/yearplan.md): strict rules,
class membership, batch slices, plans, the minimum share and coverage over log entries."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from draw_engine.select import compute_draw
from draw_engine.yearplan import (
    YearPlanError,
    apply_min_share,
    batch_of_rank,
    batch_plans,
    class_members,
    coverage_findings,
    order_plans,
    parse_rules,
    slices_by_id,
    slices_from_results,
)

RULES: dict[str, Any] = {
    "format": "fairdraw-yearplan-v1", "year": 2027, "id_prefix": "LB",
    "authority": "来宾市消防救援支队", "batches": 4,
    "zones": {"zone-1": ["xingbin"], "zone-2": ["heshan"]},
    "classes": [
        {"name": "key-crowded", "label": "人员密集场所重点单位",
         "match": {"key_unit": [True], "crowded_place": [True]},
         "coverage": "full", "order": "drawn"},
        {"name": "key-other", "match": {"key_unit": [True]}, "quota": {"ratio": "1/4"}},
        {"name": "non-key", "match": {}, "quota": {"ratio": "1/20"}, "min_share": "1/3"},
    ],
    "order_chunk": 7,
}


def units(n: int = 60) -> list[dict[str, Any]]:
    return [{"id": f"U{i:03d}", "brigade": ("xingbin", "heshan")[i % 2],
             "status": "defunct" if i % 17 == 0 else "active",
             "key_unit": i % 3 != 0, "crowded_place": i % 2 == 0} for i in range(1, n + 1)]


def raw(rules: dict[str, Any]) -> bytes:
    return json.dumps(rules, ensure_ascii=False).encode()


BAD = [
    (lambda r: r.pop("year"), "year"),
    (lambda r: r.update(year="2027"), "year"),
    (lambda r: r.update(batches=5), "batches"),
    (lambda r: r.update(colour="red"), "colour"),
    (lambda r: r.update(format="v2"), "format"),
    (lambda r: r.update(id_prefix="L B"), "id_prefix"),
    (lambda r: r["classes"][0].update(order="random"), "classes[0].order"),
    (lambda r: r["classes"][0].update(quota={"ratio": "1/2"}), "classes[0].quota"),
    (lambda r: r["classes"][1].update(quota={"ratio": "3/2"}), "classes[1].quota.ratio"),
    (lambda r: r["classes"][1].update(quota={"ratio": "1/02"}), "classes[1].quota.ratio"),
    (lambda r: r["classes"][1].update(match={"brigade": ["x"]}), "classes[1].match.brigade"),
    (lambda r: r["classes"][1].update(match={"id": ["U001"]}), "classes[1].match.id"),
    (lambda r: r["classes"][1].pop("quota"), "classes[1].quota"),
    (lambda r: r["classes"][1].update(name="key-crowded"), "classes[1].name"),
    (lambda r: r["classes"][2].update(min_share="1/1"), "classes[2].min_share"),
    (lambda r: r["classes"][1].update(min_share="1/5"), "classes[2].min_share"),
    (lambda r: r["zones"].update({"zone-3": ["heshan"]}), "zones.zone-3"),
    (lambda r: r.update(order_chunk=0), "order_chunk"),
]


@pytest.mark.parametrize(("mutate", "field"), BAD)
def test_bad_rules_name_the_field(mutate: Any, field: str) -> None:
    rules = copy.deepcopy(RULES)
    mutate(rules)
    with pytest.raises(YearPlanError) as e:
        parse_rules(raw(rules))
    assert e.value.field == field, str(e.value)


def test_not_json_is_refused() -> None:
    with pytest.raises(YearPlanError, match="not valid JSON"):
        parse_rules(b"{\"year\": 2027,")


def test_batch_of_rank_spreads_evenly() -> None:
    for n in (1, 5, 12, 13, 300):
        for batches in (1, 4, 12):
            got = [batch_of_rank(r, n, batches) for r in range(1, n + 1)]
            assert got == sorted(got)
            assert set(got) <= set(range(1, batches + 1))
            sizes = [got.count(b) for b in range(1, batches + 1)]
            assert max(sizes) - min(sizes) <= 1


def test_members_plans_and_slices() -> None:
    rules = parse_rules(raw(RULES))
    recs = units()
    members = class_members(rules, recs)
    active = [u for u in recs if u["status"] == "active"]
    assert members["key-crowded"] == sorted(u["id"] for u in active
                                            if u["key_unit"] and u["crowded_place"])
    assert sum(map(len, members.values())) == len(active)
    orders = order_plans(rules, members, "units-1")
    assert [p["draw_id"] for p in orders] == [f"LB-2027-order-key-crowded-0{i}"
                                              for i in range(1, len(orders) + 1)]
    assert rules.sha256 in orders[0]["title"]
    # Every order draw ranks its chunk (draw-v1, zero randomness here); slices follow.
    results = []
    for plan in orders:
        announce = _announce(plan, len(recs))
        results.append(compute_draw(announce, recs, b"\x01" * 32))
    slices = slices_from_results(rules, rules.classes[0], results)
    assert sorted(slices) == members["key-crowded"]
    plans = batch_plans(rules, records=recs, slices={"key-crowded": slices},
                        snapshots={"units": "units-1"})
    assert [p["draw_id"] for p in plans][:2] == ["LB-2027-b01-zone-1", "LB-2027-b01-zone-2"]
    assert plans[0]["period"] == {"from": "2027-01-01", "to": "2027-03-31"}
    listed = [i for p in plans for s in p["strata"] if s["name"] == "key-crowded"
              for i in s["match"]["id"]]
    assert sorted(listed) == members["key-crowded"]  # each member in exactly one batch
    # The plans select the slice exactly (draw-v1 on any randomness).
    for p in plans:
        got = compute_draw(_announce(p, len(recs)), recs, b"\x02" * 32)
        chosen = {s["unit_id"] for s in got["selected"] if s["stratum"] == "key-crowded"}
        want = {i for s in p["strata"] if s["name"] == "key-crowded" for i in s["match"]["id"]}
        assert chosen == want
        assert not any(s["stratum"] == "key-crowded-other-batches" for s in got["selected"])


def _announce(plan: dict[str, Any], count: int) -> dict[str, Any]:
    return {"type": "draw.announce", "v": 1, "algorithm": "draw-v1",
            **{k: v for k, v in plan.items() if k != "units"},
            "units": {"snapshot": plan["units"], "root": "0" * 64, "count": count},
            "exclusions": [], "zones": plan.get("zones", {}), "recusals": [],
            "beacon": {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": "0" * 64,
                       "round": 1, "round_time": "2027-01-01T00:00:00Z", "local": True},
            "supersedes": None}


def test_min_share_raises_the_minimum() -> None:
    rules = parse_rules(raw(RULES))
    plan = {"draw_id": "LB-2027-b01-zone-1", "strata": [
        {"name": "key-crowded", "match": {}, "quota": {"all": True}},
        {"name": "non-key", "match": {}, "quota": {"ratio": "1/20"}}]}
    raised = apply_min_share(rules, plan, {"key-crowded": (10, 10), "non-key": (40, 2)})
    assert raised["strata"][1]["quota"] == {"ratio": "1/20", "min": 5}  # 5 of 15 = 1/3
    assert apply_min_share(rules, plan, {"key-crowded": (2, 2), "non-key": (40, 2)}) == plan
    with pytest.raises(YearPlanError, match="needs 5"):
        apply_min_share(rules, plan, {"key-crowded": (10, 10), "non-key": (4, 1)})


def test_coverage_findings_report_a_class_that_falls_behind() -> None:
    rules = parse_rules(raw({**RULES, "zones": {}, "batches": 1}))
    entries: dict[int, dict[str, Any]] = {
        0: {"type": "draw.announce", "draw_id": "LB-2027-order-key-crowded-01",
            "title": f"order (rules sha256 {rules.sha256})", "strata": []},
        1: {"type": "draw.result", "draw_id": "LB-2027-order-key-crowded-01",
            "strata": [{"name": "key-crowded", "n": 2, "k": 2}],
            "selected": [{"unit_id": "U002", "stratum": "key-crowded", "rank": 1},
                         {"unit_id": "U004", "stratum": "key-crowded", "rank": 2}]},
        2: {"type": "draw.announce", "draw_id": "LB-2027-b01", "title": "b1", "strata": [
            {"name": "key-crowded", "match": {"id": ["U002", "U004"]}, "quota": {"all": True}}]},
        3: {"type": "draw.result", "draw_id": "LB-2027-b01", "strata": [],
            "selected": [{"unit_id": "U002", "stratum": "key-crowded", "rank": 1},
                         {"unit_id": "U004", "stratum": "key-crowded", "rank": 2},
                         {"unit_id": "U009", "stratum": "non-key", "rank": 1}]},
        4: {"type": "inspection.outcome", "draw_id": "LB-2027-b01", "unit_id": "U002",
            "date": "2027-05-02", "result": "penalised"},
    }

    def by_check(today: date) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in coverage_findings(rules, entries, today=today):
            out.setdefault(f.check, []).append(f.status)
        return out

    assert by_check(date(2027, 6, 1)) == {"plan-order": ["pass"], "plan-share": ["pass"],
                                          "plan-coverage": ["pending"]}
    late = by_check(date(2028, 3, 1))
    assert late["plan-coverage"] == ["fail"]
    entries[5] = {**entries[4], "unit_id": "U004", "result": "not_inspected"}
    assert by_check(date(2028, 3, 1))["plan-coverage"] == ["fail"]  # not inspected is behind
    entries[6] = {**entries[4], "unit_id": "U004", "result": "compliant"}
    assert by_check(date(2028, 3, 1))["plan-coverage"] == ["pass"]
    entries[7] = {**entries[4], "unit_id": "U004", "result": "not_inspected", "supersedes": 6,
                  "note": "correction: the unit was closed"}
    assert by_check(date(2028, 3, 1))["plan-coverage"] == ["fail"]  # a corrected outcome
    del entries[7]
    # a share below the minimum, an order draw naming other rules, a wrong slice
    entries[3]["selected"] = entries[3]["selected"][:2]
    entries[0]["title"] = "order (rules sha256 " + "0" * 64 + ")"
    entries[2]["strata"][0]["match"]["id"] = ["U002"]
    checks = [(f.check, f.status) for f in coverage_findings(rules, entries,
                                                             today=date(2028, 3, 1))]
    assert ("plan-share", "fail") in checks
    assert checks.count(("plan-order", "fail")) == 2
    # no batch draw at all once the batch began
    rules4 = parse_rules(raw({**RULES, "zones": {}}))
    statuses = [(f.subject, f.status) for f in coverage_findings(rules4, {}, today=date(2027, 5, 1))
                if f.check == "plan-coverage"]
    assert [s for _, s in statuses] == ["fail", "fail", "pending", "pending"]


def test_a_cancelled_order_draw_is_read_through_its_redraw() -> None:
    rules = parse_rules(raw({**RULES, "zones": {}, "batches": 2}))
    sha = rules.sha256
    entries: dict[int, dict[str, Any]] = {
        0: {"type": "draw.announce", "draw_id": "LB-2027-order-key-crowded-01",
            "title": f"(rules sha256 {sha})", "strata": []},
        1: {"type": "draw.cancel", "draw_id": "LB-2027-order-key-crowded-01"},
        2: {"type": "draw.announce", "draw_id": "LB-2027-order-key-crowded-01-r2",
            "title": f"(rules sha256 {sha})", "strata": []},
    }
    order = [f for f in coverage_findings(rules, entries, today=date(2026, 12, 1))
             if f.check == "plan-order"]
    assert [(f.status, f.evidence.get("draws")) for f in order] == [
        ("pending", ["LB-2027-order-key-crowded-01-r2"])]
    entries[3] = {"type": "draw.result", "draw_id": "LB-2027-order-key-crowded-01-r2",
                  "strata": [{"name": "key-crowded", "n": 2, "k": 2}],
                  "selected": [{"unit_id": "U004", "stratum": "key-crowded", "rank": 1},
                               {"unit_id": "U002", "stratum": "key-crowded", "rank": 2}]}
    order = [f for f in coverage_findings(rules, entries, today=date(2026, 12, 1))
             if f.check == "plan-order"]
    assert [f.status for f in order] == ["pass"]
    assert slices_from_results(rules, rules.classes[0], [entries[3]]) == {"U004": 1, "U002": 2}


def test_order_by_id_spreads_members_without_a_draw() -> None:
    rules_obj = copy.deepcopy(RULES)
    rules_obj["classes"][0]["order"] = "id"
    rules = parse_rules(raw(rules_obj))
    recs = units()
    members = class_members(rules, recs)
    assert order_plans(rules, members, "u") == []
    slices = slices_by_id(rules, members["key-crowded"])
    assert [slices[u] for u in members["key-crowded"]] == sorted(slices.values())
    assert set(slices.values()) == {1, 2, 3, 4}


def test_groups_split_a_zones_batch_draw() -> None:
    rules_obj = copy.deepcopy(RULES)
    rules_obj["zones"] = {"zone-1": ["xingbin", "heshan"]}
    rules_obj["groups"] = {"g1": ["xingbin"], "g2": ["heshan"]}
    rules = parse_rules(raw(rules_obj))
    recs = units()
    members = class_members(rules, recs)
    slices = {"key-crowded": {u: 1 + i % 4 for i, u in enumerate(members["key-crowded"])}}
    plans = batch_plans(rules, records=recs, slices=slices, snapshots={"units": "u"})
    assert [p["draw_id"] for p in plans[:2]] == ["LB-2027-b01-g1", "LB-2027-b01-g2"]
    assert plans[0]["zones"] == {"zone-1": ["xingbin", "heshan"]}  # team scopes keep zones
    assert plans[0]["strata"][-1]["match"]["brigade"] == ["xingbin"]
    for bad, field in (({"g1": ["xingbin"]}, "groups"),
                       ({"g1": ["xingbin", "nowhere"], "g2": ["heshan"]}, "groups.g1"),
                       ({"g1": ["xingbin"], "g2": ["xingbin", "heshan"]}, "groups.g2")):
        with pytest.raises(YearPlanError) as e:
            parse_rules(raw({**rules_obj, "groups": bad}))
        assert e.value.field == field, str(e.value)


def test_a_slice_unit_gone_from_the_registry_stays_listed() -> None:
    rules = parse_rules(raw(RULES))
    recs = units()
    slices = {"key-crowded": {"U001": 1, "GONE1": 1}}
    plans = batch_plans(rules, records=recs, slices=slices, snapshots={"units": "u"})
    listed = {p["draw_id"]: s["match"]["id"] for p in plans for s in p["strata"]
              if s["name"] == "key-crowded"}
    assert listed == {"LB-2027-b01-zone-1": ["GONE1"], "LB-2027-b01-zone-2": ["U001"]}

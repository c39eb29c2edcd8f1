"""Generated draw-v1 cases for the cross-check: one announce and its records per size.

Each case exercises what the spec has: strata with typed matches (lists, missing
attributes, `true` vs `1`, `null`), every quota kind with `min` and `reserve`,
exclusions (also of unknown ids), inactive and defunct records, teams with every
scope order, zones that overlap and a brigade in no zone, `exclude_own_brigade`,
recusals of inspectors and experts, certificates ending before, on and after the
period's last day or not a calendar date. Records are shuffled. Two families:
`team_heavy=False` (teams in about 3 of 4 cases) and `team_heavy=True` (always
teams and experts, more people, many recusals: the slot walk under load).
Deterministic: each case is built from `random.Random` seeded with its size.
"""

from __future__ import annotations

import random
from typing import Any

from tests.reference.draw_v1 import jcs
from tests.transparency.naive import mth

BRIGADES = ["hq", "xingbin", "wuxuan", "xiangzhou", "jinxiu", "heshan", "xincheng", "lone"]
TAGS = ["high_rise", "market", "ebike_parking", "hotel", "school"]
CERTS = ["2027-12-31", "2026-12-31", "2026-12-30", "2026-11-30", None, "2026-02-30",
         "2026-13-01", "0000-12-31", "9999-12-31", "2026-12-31T00:00:00Z"]
MATCHES: list[dict[str, list[Any]]] = [
    {},
    {"risk_level": ["high"]},
    {"risk_level": ["medium", 1]},
    {"risk_level": ["1"]},
    {"tags": ["high_rise", "ebike_parking"]},
    {"tags": ["school"]},
    {"key_unit": [True]},
    {"key_unit": [1]},
    {"crowded_place": [True], "risk_level": ["high", "medium"]},
    {"note": [None]},
    {"floors": [3, 4, 5]},
    {"absent_attribute": ["x"]},
    {"brigade": ["lone", "hq"]},
]


def snapshot_ref(name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """`{snapshot, root, count}`: the RFC 9162 root over the canonical records sorted by id."""
    ordered = sorted(records, key=lambda r: r["id"].encode())
    return {"snapshot": name, "root": mth([jcs(r) for r in ordered]).hex(),
            "count": len(records)}


def _unit(rng: random.Random, i: int) -> dict[str, Any]:
    unit: dict[str, Any] = {
        "id": f"U{rng.randrange(10**6):06d}-{i}", "name": f"单位{i}",
        "brigade": rng.choice(BRIGADES),
        "status": rng.choices(["active", "defunct", "inactive", "Active"], [85, 9, 3, 3])[0],
        "risk_level": rng.choice(["high", "medium", "low", "high", 1, "1"]),
        "key_unit": rng.choices([True, False, 1], [3, 6, 1])[0],
        "crowded_place": rng.random() < 0.3,
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
    }
    if rng.random() < 0.5:
        unit["floors"] = rng.randint(1, 8)
    if rng.random() < 0.3:
        unit["note"] = None if rng.random() < 0.5 else "备注"
    return unit


def _inspector(rng: random.Random, i: int) -> dict[str, Any]:
    person: dict[str, Any] = {
        "id": f"I{i:03d}", "name": f"监督员{i}", "brigade": rng.choice(BRIGADES),
        "roles": rng.choice([["lead", "assist"], ["lead"], ["assist"], ["assist"], []]),
        "status": rng.choices(["active", "inactive"], [9, 1])[0],
    }
    cert = rng.choice(CERTS)
    if cert is not None:
        person["cert_valid_until"] = cert
    return person


def _quota(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choice(["ratio", "count", "all"])
    if kind == "ratio":
        q = rng.randint(1, 200)
        quota: dict[str, Any] = {"ratio": f"{rng.randint(0, q)}/{q}"}
    elif kind == "count":
        quota = {"count": rng.randint(0, n + 3)}
    else:
        quota = {"all": True}
    if rng.random() < 0.3:
        quota["min"] = rng.randint(0, 12)
    if rng.random() < 0.4:
        quota["reserve"] = rng.randint(0, 6)
    return quota


def make_case(n: int, *, team_heavy: bool = False) -> dict[str, Any]:
    """The case of `n` units: {announce, units, inspectors, experts, randomness}."""
    rng = random.Random(f"team-heavy:{n}" if team_heavy else n)
    units = [_unit(rng, i) for i in range(n)]
    with_teams = team_heavy or rng.random() < 0.75
    people = rng.randint(20, 60) if team_heavy else rng.randint(0, 30)
    inspectors = [_inspector(rng, i) for i in range(people)] if with_teams else []
    experts = ([{"id": f"E{i:02d}", "name": f"专家{i}", "field": "electrical",
                 "status": rng.choices(["active", "inactive"], [4, 1])[0]}
                for i in range(rng.randint(1 if team_heavy else 0, 5))]
               if team_heavy or (with_teams and rng.random() < 0.6) else [])
    zones: dict[str, list[str]] = {}
    if rng.random() < 0.85:
        zones = {"z1": ["hq", "xingbin"], "z2": ["wuxuan", "xiangzhou", "jinxiu"],
                 "z3": ["heshan", "xincheng"]}
        if rng.random() < 0.4:
            zones["z4"] = ["xingbin", "heshan"]  # overlapping: a brigade in two zones
    strata = []
    for j, match in enumerate(rng.sample(MATCHES, rng.randint(1, 4))):
        strata.append({"name": f"s{j}", "match": match, "quota": _quota(rng, n)})
    ids = [u["id"] for u in units]
    excluded = rng.sample(ids, min(len(ids), rng.randint(0, 4)))
    if rng.random() < 0.2:
        excluded.append("U-not-in-registry")
    announce: dict[str, Any] = {
        "type": "draw.announce", "v": 1, "draw_id": f"REF-{n}", "title": f"参照 {n}",
        "authority": "来宾市消防救援支队", "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": "2026-12-01", "to": "2026-12-31"},
        "units": snapshot_ref("units-ref", units), "strata": strata,
        "exclusions": [{"unit_id": u, "reason": "inspected recently"} for u in excluded],
        "beacon": {"scheme": "bls-unchained-g1-rfc9380",
                   "chain_hash": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
                   "round": 30000000 + n, "round_time": "2026-12-01T00:00:00Z"},
        "supersedes": None,
    }
    if zones:
        announce["zones"] = zones
    if with_teams:
        announce["inspectors"] = snapshot_ref("inspectors-ref", inspectors)
        if experts:
            announce["experts"] = snapshot_ref("experts-ref", experts)
        scopes = rng.sample(["brigade", "zone", "detachment"] if zones
                            else ["brigade", "detachment"], rng.randint(1, 3 if zones else 2))
        teams: dict[str, Any] = {"scopes": scopes}
        if rng.random() < 0.8:
            teams["assistants"] = rng.randint(0, 3)
        if experts and (team_heavy or rng.random() < 0.8):
            teams["experts"] = rng.randint(1 if team_heavy else 0, 2)
        if rng.random() < 0.3:
            teams["exclude_own_brigade"] = True
        announce["teams"] = teams
        persons = [p["id"] for p in inspectors + experts]
        pairs: list[list[str]] = []
        most = n // 2 if team_heavy else 3 + n // 10
        for _ in range(rng.randint(0, most) if persons and ids else 0):
            pair = [rng.choice(persons), rng.choice(ids)]
            if pair not in pairs:
                pairs.append(pair)
        announce["recusals"] = pairs
    for records in (units, inspectors, experts):
        rng.shuffle(records)
    return {"announce": announce, "units": units, "inspectors": inspectors,
            "experts": experts, "randomness": rng.randbytes(rng.choice([32, 48, 1, 96]))}

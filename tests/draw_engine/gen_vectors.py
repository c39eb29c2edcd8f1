"""Generate tests/vectors/draw/generated-draws.json from the Python draw-v1.

Run `python -m tests.draw_engine.gen_vectors` (add `--check` to only compare
with the committed file). The file has the same schema as draw-v1.json:
{title, note, vectors: [{desc, announce, units, inspectors, experts,
randomness, spec_hash, expected}]}. The browser implementation is tested
against it, so each case aims at one rule: every quota kind, min, reserve
(also longer than the stratum), every scope order, exclude_own_brigade,
recusals (down to "everyone recused"), experts, unmatched, defunct and
excluded units, expired certificates, Unicode and escaped strings, JSON type
strictness (true is not 1). Randomness here is SHA-256 of a label, NOT a
real beacon value; that is fine, draw-v1 treats it as opaque bytes.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import make_snapshot

OUT = Path(__file__).resolve().parents[1] / "vectors" / "draw" / "generated-draws.json"
BRIGADES = ["hq", "xingbin", "wuxuan", "xiangzhou", "jinxiu", "heshan", "xincheng"]
ZONES = {"z1": ["hq", "xingbin"], "z2": ["wuxuan", "xiangzhou", "jinxiu"],
         "z3": ["heshan", "xincheng"]}
INDUSTRIES = ["hotel", "market", "school", "hospital", "factory", "warehouse", "ktv"]
TAGS = ["high_rise", "ebike_parking", "market", "underground"]
NAMES = ["来宾商场", "兴宾区第一小学", "Café Zürich", "武宣县人民医院", "象州 KTV 👑",
         "金秀瑶族自治县 仓库", "Bar \"Q\" \\ 店", "合山\t工厂", "Ångström Lab", "忻城𠮷野家"]
PERIOD_TO = "2026-12-31"
QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
MAINNET = "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"

LIBRARY: dict[str, dict[str, Any]] = {
    "high": {"risk_level": ["high"]},
    "medium-key": {"risk_level": ["medium"], "key_unit": [True]},
    "crowded": {"crowded_place": [True]},
    "special": {"tags": ["high_rise", "ebike_parking"]},
    "schools": {"industry": ["school", "hospital"]},
    "small": {"size_class": ["s0", "s1", "s2"]},
    "rest": {},
}


def unit_records(rng: random.Random, n: int, *, defunct: float = 0.15,
                 extra: bool = False) -> list[dict[str, Any]]:
    units = []
    for i in range(n):
        unit: dict[str, Any] = {
            "id": f"U{rng.randrange(10**6):06d}-{i}",
            "name": rng.choice(NAMES) + str(i),
            "brigade": rng.choice(BRIGADES),
            "status": "defunct" if rng.random() < defunct else "active",
            "industry": rng.choice(INDUSTRIES),
            "size_class": f"s{rng.randrange(8)}",
            "risk_level": rng.choice(["low", "low", "medium", "high"]),
            "key_unit": rng.random() < 0.3,
            "crowded_place": rng.random() < 0.3,
            "tags": sorted(rng.sample(TAGS, rng.randrange(3))),
        }
        if extra:
            unit["floors"] = rng.randrange(1, 40)
            unit["楼层类别"] = rng.choice(["高层", "多层"])
            unit["district"] = rng.choice(["north", "south", None])
        units.append(unit)
    return units


def inspector_records(rng: random.Random, n: int, *, expired: float = 0.1,
                      brigades: list[str] | None = None) -> list[dict[str, Any]]:
    people = []
    for i in range(n):
        roll = rng.random()
        cert = ("2026-06-30" if roll < expired else PERIOD_TO if roll < expired + 0.1
                else rng.choice(["2027-12-31", "2028-01-01"]))
        people.append({
            "id": f"I{i:03d}",
            "name": f"监督员{i}",
            "brigade": rng.choice(brigades or BRIGADES),
            "roles": rng.choice([["lead"], ["assist"], ["lead", "assist"], ["lead", "assist"]]),
            "status": "inactive" if rng.random() < 0.1 else "active",
            "cert_valid_until": cert,
        })
    return people


def expert_records(rng: random.Random, n: int) -> list[dict[str, Any]]:
    return [{"id": f"E{i:02d}", "name": f"专家{i}", "field": rng.choice(["电气", "建筑", "化工"]),
             "status": "inactive" if rng.random() < 0.15 else "active"} for i in range(n)]


def build(desc: str, rng: random.Random, *, units: list[dict[str, Any]],
          strata: list[dict[str, Any]], inspectors: list[dict[str, Any]] | None = None,
          experts: list[dict[str, Any]] | None = None, teams: dict[str, Any] | None = None,
          exclusions: int = 2, recusals: list[list[str]] | None = None, n_recusals: int = 0,
          zones: dict[str, list[str]] | None = None, extra_announce: dict[str, Any] | None = None,
          ) -> dict[str, Any]:
    index = len(VECTORS)
    announce: dict[str, Any] = {
        "type": "draw.announce", "v": 1, "draw_id": f"GEN-{index:03d}",
        "title": f"{desc[:24]} 抽查", "authority": "来宾市消防救援支队", "kind": "routine",
        "algorithm": "draw-v1", "period": {"from": "2026-12-01", "to": PERIOD_TO},
    }
    snap = make_snapshot(f"units-gen-{index}", "units", units)
    announce["units"] = {"snapshot": snap.name, "root": snap.root_hex, "count": snap.count}
    if inspectors is not None:
        s = make_snapshot(f"inspectors-gen-{index}", "inspectors", inspectors)
        announce["inspectors"] = {"snapshot": s.name, "root": s.root_hex, "count": s.count}
    if experts is not None:
        s = make_snapshot(f"experts-gen-{index}", "experts", experts)
        announce["experts"] = {"snapshot": s.name, "root": s.root_hex, "count": s.count}
    announce["strata"] = strata
    ids = [u["id"] for u in units]
    announce["exclusions"] = [{"unit_id": uid, "reason": "近期已检查"}
                              for uid in rng.sample(ids, min(exclusions, len(ids)))]
    if teams is not None:
        announce["zones"] = zones if zones is not None else ZONES
        announce["teams"] = teams
        pairs = list(recusals or [])
        people = [p["id"] for p in (inspectors or []) + (experts or [])]
        for _ in range(n_recusals):
            pair = [rng.choice(people), rng.choice(ids)]
            if pair not in pairs:
                pairs.append(pair)
        announce["recusals"] = pairs
    announce["beacon"] = {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": QUICKNET,
                          "round": 30000000 + index, "round_time": "2026-11-30T16:00:00Z"}
    announce["supersedes"] = None
    announce.update(extra_announce or {})
    randomness = hashlib.sha256(f"fairdraw generated vector {index}".encode()).hexdigest()
    shuffled = list(units)
    rng.shuffle(shuffled)
    expected = compute_draw(announce, shuffled, bytes.fromhex(randomness),
                            inspectors=inspectors or [], experts=experts or [])
    if teams is not None and n_recusals:
        # Aim recusals at people the draw actually chose, so substitutions happen
        # (the announce changes, so the whole draw is computed again).
        chosen = [[m["person_id"], s["unit_id"]] for s in expected["selected"]
                  for m in s["team"]["members"]]
        for pair in rng.sample(chosen, min(n_recusals, len(chosen))):
            if pair not in announce["recusals"]:
                announce["recusals"].append(pair)
        expected = compute_draw(announce, shuffled, bytes.fromhex(randomness),
                                inspectors=inspectors or [], experts=experts or [])
    vector = {"desc": desc, "announce": announce, "units": shuffled,
              "inspectors": inspectors or [], "experts": experts or [],
              "randomness": randomness, "spec_hash": spec_hash(announce).hex(),
              "expected": expected}
    VECTORS.append(vector)
    return vector


VECTORS: list[dict[str, Any]] = []


def stratum(name: str, quota: dict[str, Any], match: dict[str, Any] | None = None,
            ) -> dict[str, Any]:
    return {"name": name, "match": LIBRARY[name] if match is None else match, "quota": quota}


def team(scopes: list[str], *, assistants: int = 1, experts: int = 0,
         exclude_own_brigade: bool = False) -> dict[str, Any]:
    return {"assistants": assistants, "experts": experts, "scopes": scopes,
            "exclude_own_brigade": exclude_own_brigade}


def targeted(rng: random.Random) -> None:
    u = unit_records
    # Quota arithmetic.
    for ratio in ["1/10", "1/3", "2/7", "0/5", "1/1", "3/100"]:
        build(f"ratio {ratio} ceil in integers", rng, units=u(rng, 37),
              strata=[stratum("rest", {"ratio": ratio})])
    build("count larger than the stratum", rng, units=u(rng, 9),
          strata=[stratum("high", {"count": 50}), stratum("rest", {"count": 2})])
    build("count 0 selects nobody but reserve still listed", rng, units=u(rng, 20),
          strata=[stratum("rest", {"count": 0, "reserve": 3})])
    build("all with reserve: reserve is always empty", rng, units=u(rng, 15),
          strata=[stratum("high", {"all": True, "reserve": 5}), stratum("rest", {"count": 1})])
    build("min raises a small ratio", rng, units=u(rng, 40),
          strata=[stratum("crowded", {"ratio": "1/100", "min": 3}),
                  stratum("rest", {"ratio": "1/20", "min": 1})])
    build("min larger than the stratum is capped at n", rng, units=u(rng, 12),
          strata=[stratum("medium-key", {"ratio": "1/10", "min": 99}),
                  stratum("rest", {"count": 1, "min": 0})])
    build("min below the ratio changes nothing", rng, units=u(rng, 50),
          strata=[stratum("rest", {"ratio": "1/2", "min": 2})])
    build("reserve longer than the stratum", rng, units=u(rng, 14),
          strata=[stratum("special", {"count": 2, "reserve": 40}), stratum("rest", {"count": 1})])
    build("empty strata and units matching nothing (unmatched)", rng, units=u(rng, 25),
          strata=[stratum("medium-key", {"all": True}),
                  stratum("schools", {"ratio": "1/2", "reserve": 2})])
    build("first matching stratum wins (overlapping strata)", rng, units=u(rng, 40),
          strata=[stratum("crowded", {"ratio": "1/4"}), stratum("high", {"ratio": "1/4"}),
                  stratum("special", {"ratio": "1/4"}), stratum("rest", {"ratio": "1/10"})])
    build("all units defunct or excluded", rng, units=u(rng, 6, defunct=1.0),
          strata=[stratum("rest", {"all": True})], exclusions=3)
    build("many exclusions", rng, units=u(rng, 30), strata=[stratum("rest", {"all": True})],
          exclusions=20)
    build("JSON types are strict: key_unit true never equals 1", rng, units=u(rng, 30),
          strata=[stratum("ones", {"all": True}, {"key_unit": [1]}),
                  stratum("strings", {"all": True}, {"key_unit": ["true"]}),
                  stratum("rest", {"count": 2})])
    build("match on integer, null and extra (non-ASCII keyed) attributes", rng,
          units=u(rng, 40, extra=True),
          strata=[stratum("tall", {"all": True}, {"floors": [30, 31, 32, 33, 34, 35]}),
                  stratum("nodistrict", {"count": 3, "reserve": 2}, {"district": [None]}),
                  stratum("north", {"ratio": "1/3"}, {"district": ["north"], "tags": ["market"]}),
                  stratum("rest", {"ratio": "1/10"})])
    build("match on a missing attribute never holds", rng, units=u(rng, 20),
          strata=[stratum("ghost", {"all": True}, {"no_such_attribute": [None, "x"]}),
                  stratum("rest", {"count": 2})])
    # Teams and scopes.
    for scopes in (["brigade"], ["zone"], ["detachment"], ["brigade", "zone", "detachment"],
                   ["zone", "detachment"], ["brigade", "detachment"], ["detachment", "brigade"]):
        build(f"teams with scopes {'/'.join(scopes)}", rng, units=u(rng, 30),
              inspectors=inspector_records(rng, 14),
              strata=[stratum("high", {"ratio": "1/2"}), stratum("rest", {"ratio": "1/5"})],
              teams=team(scopes), n_recusals=3)
    for scopes in (["brigade", "zone", "detachment"], ["zone"], ["detachment"]):
        build(f"exclude_own_brigade with scopes {'/'.join(scopes)}", rng, units=u(rng, 24),
              inspectors=inspector_records(rng, 12),
              strata=[stratum("rest", {"ratio": "1/3"})],
              teams=team(scopes, exclude_own_brigade=True), n_recusals=2)
    build("no assistants, lead only", rng, units=u(rng, 20), inspectors=inspector_records(rng, 6),
          strata=[stratum("rest", {"count": 8})], teams=team(["detachment"], assistants=0))
    build("three assistants exhaust small brigades (unfilled)", rng, units=u(rng, 20),
          inspectors=inspector_records(rng, 9),
          strata=[stratum("rest", {"count": 6})], teams=team(["brigade", "zone"], assistants=3))
    build("load balancing: few inspectors, many units", rng, units=u(rng, 40),
          inspectors=inspector_records(rng, 5, expired=0.0),
          strata=[stratum("rest", {"count": 20})], teams=team(["detachment"]))
    build("no inspector qualifies: every slot unfilled", rng, units=u(rng, 10),
          inspectors=inspector_records(rng, 4, expired=1.0),
          strata=[stratum("rest", {"count": 3})], teams=team(["detachment"]))
    build("certificates expiring exactly on period.to still qualify", rng, units=u(rng, 12),
          inspectors=[{"id": f"I{i}", "name": f"监督员{i}", "brigade": "hq",
                       "roles": ["lead", "assist"], "status": "active",
                       "cert_valid_until": c}
                      for i, c in enumerate(["2026-12-30", "2026-12-31", "2027-01-01",
                                             "2026-06-30"])],
          strata=[stratum("rest", {"count": 3})], teams=team(["detachment"]))
    insp = inspector_records(rng, 6, expired=0.0)
    units = u(rng, 12, defunct=0.0)
    everyone = [[p["id"], units[0]["id"]] for p in insp]
    build("every candidate recused for one unit: all skipped, all unfilled", rng, units=units,
          inspectors=insp, strata=[stratum("rest", {"all": True})], teams=team(["detachment"]),
          recusals=everyone, exclusions=0)
    insp = inspector_records(rng, 10, expired=0.0)
    units = u(rng, 8, defunct=0.0)
    build("recusals on several units: substitute is next in order", rng, units=units,
          inspectors=insp, strata=[stratum("rest", {"all": True})],
          teams=team(["brigade", "zone", "detachment"], assistants=2),
          recusals=[[p["id"], x["id"]] for p in insp[:5] for x in units[:3]], exclusions=0)
    for n_experts, k in ((1, 1), (3, 1), (4, 2), (2, 3)):
        build(f"{n_experts} experts, {k} per team, expert recusals", rng, units=u(rng, 18),
              inspectors=inspector_records(rng, 10), experts=expert_records(rng, n_experts),
              strata=[stratum("special", {"count": 3, "reserve": 1}),
                      stratum("rest", {"count": 3})],
              teams=team(["zone", "detachment"], experts=k),
              n_recusals=6)
    build("experts snapshot named but teams.experts = 0", rng, units=u(rng, 10),
          inspectors=inspector_records(rng, 6), experts=expert_records(rng, 2),
          strata=[stratum("rest", {"count": 2})], teams=team(["detachment"]))
    build("brigade in no zone and brigade in two zones", rng, units=u(rng, 24),
          inspectors=inspector_records(rng, 12),
          zones={"za": ["hq", "xingbin", "wuxuan"], "zb": ["wuxuan", "jinxiu"]},
          strata=[stratum("rest", {"ratio": "1/2"})], teams=team(["zone"]))
    build("team order follows tickets across strata", rng, units=u(rng, 30),
          inspectors=inspector_records(rng, 4, expired=0.0),
          strata=[stratum("high", {"count": 3}), stratum("crowded", {"count": 3}),
                  stratum("rest", {"count": 3})], teams=team(["detachment"]))
    build("Unicode and escapes in titles and reasons", rng, units=u(rng, 8),
          strata=[stratum("rest", {"count": 2})],
          extra_announce={"title": "来宾 \"双随机\" \\ 抽查 𠮷 Ångström", "kind": "special",
                          "authority": "兴宾区\u3000大队"})
    build("return visit, chained beacon, local flag, supersedes", rng, units=u(rng, 30),
          strata=[stratum("rest", {"ratio": "1/10"})],
          extra_announce={"kind": "return_visit", "supersedes": "GEN-000",
                          "beacon": {"scheme": "pedersen-bls-chained",
                                     "chain_hash": MAINNET,
                                     "round": 5000000, "round_time": "2026-11-30T16:00:00Z",
                                     "local": True}})


def varied(rng: random.Random, count: int) -> None:
    names = list(LIBRARY)
    quotas = [{"ratio": "1/10"}, {"ratio": "1/3", "reserve": 2}, {"count": 4},
              {"count": 2, "min": 3}, {"all": True}, {"ratio": "2/7", "min": 4},
              {"count": 5, "reserve": 3}, {"all": True, "min": 2}, {"ratio": "3/20", "reserve": 1}]
    scope_sets = [["brigade"], ["zone"], ["detachment"], ["brigade", "zone", "detachment"],
                  ["zone", "detachment"], ["brigade", "zone"]]
    for i in range(count):
        chosen = rng.sample(names[:-1], rng.randrange(1, 4))
        if rng.random() < 0.6:
            chosen.append("rest")
        strata = [stratum(name, rng.choice(quotas)) for name in chosen]
        with_teams = rng.random() < 0.75
        with_experts = with_teams and rng.random() < 0.4
        build(f"varied {i}", rng, units=unit_records(rng, rng.choice([5, 20, 60, 150])),
              strata=strata,
              inspectors=inspector_records(rng, rng.randrange(3, 25)) if with_teams else None,
              experts=expert_records(rng, rng.randrange(1, 5)) if with_experts else None,
              teams=team(rng.choice(scope_sets), assistants=rng.choice([1, 1, 2]),
                         experts=rng.choice([1, 2]) if with_experts else 0,
                         exclude_own_brigade=rng.random() < 0.3) if with_teams else None,
              exclusions=rng.randrange(4), n_recusals=rng.randrange(6))


def generate() -> dict[str, Any]:
    VECTORS.clear()
    rng = random.Random(20261201)
    targeted(rng)
    varied(rng, 30)
    return {
        "title": "draw-v1 generated vectors (DESIGN.md §5), from the Python implementation",
        "note": ("Generated by `python -m tests.draw_engine.gen_vectors`; same schema as "
                 "draw-v1.json. 'units' order is shuffled on purpose. Randomness is SHA-256 of "
                 "a label, not a real beacon value. Do not edit by hand: regenerate."),
        "vectors": list(VECTORS),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    text = render(generate())
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python -m tests.draw_engine.gen_vectors")
            return 1
        print(f"{OUT} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(VECTORS)} vectors to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

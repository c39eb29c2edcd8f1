"""Team load of the demo month under draw-v1, and what two draw-v2 ideas would give.

The demo's month (fairdraw demo): the synthetic Laibin-scale registry
(fairdraw.demo_registry: 13,300 active units, 24 inspectors, 6 experts) and
its routine plan, one batch per collaboration zone (fairdraw.cli.demo.demo_plan,
teams of one lead and one assistant drawn in the zone, then the detachment).
Each run draws the three batches with draw-v1 (draw_engine.select, unchanged)
from a different randomness (SHA-256 of "team-load/<run>") and measures the
duty spread with draw_engine.team_load (per draw per zone; per month per zone
and over all officers).

Prototypes, measured for docs/draw-v2-notes.md and NOT an algorithm of this
project (draw-v1 is normative and published):
- "carry": each batch starts from the duties of the month's earlier batches
  (public in their results), i.e. draw-v1's ordering key (duties, ticket)
  with duties = earlier batches + this draw. Implemented by seeding draw-v1's
  step-7 state, nothing else changes.
- "carry+detachment": as "carry", with scopes ["detachment"] (officers may be
  sent across zones).
- "two-pass": draw-v1's leads, then every assistant slot in a second walk over
  the units (same ticket order), least-loaded first counting ALL leads already
  known: the assistant pool no longer fills before the lead-only load is seen.
  Re-implemented here in a few lines (zone, then detachment; recusals honoured).

Usage: python benchmarks/team_load_bench.py [--runs 20] [--out benchmarks/results/team_load.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from draw_engine import select
from draw_engine.plan import build_announce
from draw_engine.team_load import draw_duties, draw_spread, month_spread
from fairdraw import demo_registry as reg
from fairdraw.cli.demo import demo_plan

FIRST, LAST = date(2027, 1, 1), date(2027, 1, 31)
BEACON = {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": "00" * 32, "round": 1,
          "round_time": "2026-12-31T00:00:00Z", "local": True}


@contextmanager
def carried(prior: Counter[str]):  # type: ignore[no-untyped-def]
    """Prototype only: draw-v1's step-7 state starts from `prior` duties."""
    original = select._Teams.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.duties = dict(prior)

    select._Teams.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        select._Teams.__init__ = original  # type: ignore[method-assign]


def month(units: list[dict[str, Any]], inspectors: list[dict[str, Any]],
          experts: list[dict[str, Any]], run: int, variant: str) -> dict[str, Any]:
    snapshots = {"units": "units-demo", "inspectors": "inspectors-demo",
                 "experts": "experts-demo"}
    refs = {k: (v, "00" * 32, 0) for k, v in snapshots.items()}
    prior: Counter[str] = Counter()
    draws = []
    for zone in reg.ZONES:
        plan = demo_plan(f"LB-2027-01-{zone}", zone, snapshots=snapshots, first=FIRST,
                         last=LAST, units=units, inspectors=inspectors)
        if variant == "carry+detachment":
            plan["teams"] = {**plan["teams"], "scopes": ["detachment"]}
        announce = build_announce(plan, refs, BEACON)
        randomness = hashlib.sha256(f"team-load/{run}/{zone}".encode()).digest()
        if variant in ("v1", "two-pass"):
            computed = select.compute_draw(announce, units, randomness,
                                           inspectors=inspectors, experts=experts)
            if variant == "two-pass":
                computed = {**computed, "selected": two_pass(announce, computed, inspectors,
                                                             units)}
        else:
            with carried(prior):
                computed = select.compute_draw(announce, units, randomness,
                                               inspectors=inspectors, experts=experts)
            # the seeded state counted the prior duties too: keep this draw's own
            for person, n in draw_duties(computed["selected"]).items():
                prior[person] += n
        draws.append((announce, computed["selected"]))
    per_draw = [s for a, sel in draws for s in draw_spread(a, sel, inspectors)]
    per_month = month_spread("2027-01", draws, inspectors)
    return {"per_draw": [s.to_json() for s in per_draw],
            "per_month": [s.to_json() for s in per_month]}


def two_pass(announce: dict[str, Any], computed: dict[str, Any],
             inspectors: list[dict[str, Any]], units: list[dict[str, Any]]) -> list[Any]:
    """Prototype only: keep draw-v1's leads, re-walk the units for the assistant slots."""
    seed = bytes.fromhex(computed["seed"])
    brigade_of = {u["id"]: u["brigade"] for u in units}
    zone_of = {b: z for z, bs in announce["zones"].items() for b in bs}
    assist = [p for p in inspectors if p["status"] == "active" and "assist" in p["roles"]
              and p["cert_valid_until"] >= announce["period"]["to"]]
    recused = {tuple(r) for r in announce["recusals"]}
    duties: Counter[str] = Counter()
    for sel in computed["selected"]:
        for m in sel["team"]["members"]:
            if m["role"] == "lead":
                duties[m["person_id"]] += 1
    out = []
    for sel in sorted(computed["selected"], key=lambda s: s["ticket"]):
        unit = sel["unit_id"]
        lead = [m for m in sel["team"]["members"] if m["role"] == "lead"]
        zone = zone_of.get(brigade_of[unit])
        members = list(lead)
        for scope in ("zone", "detachment"):
            pool = [p["id"] for p in assist if (scope == "detachment" or zone_of.get(
                p["brigade"]) == zone) and p["id"] not in {m["person_id"] for m in lead}
                and (p["id"], unit) not in recused]
            if pool:
                pid = min(pool, key=lambda q: (duties[q], select.ticket(seed, "assist", unit, q),
                                               q))
                duties[pid] += 1
                members.append({"role": "assist", "person_id": pid, "scope": scope})
                break
        out.append({**sel, "team": {**sel["team"], "members": members}})
    return out


def summary(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in runs:
        for s in r[key]:
            scope = "draw" if key == "per_draw" else "month"
            rows.setdefault((scope, s["group"]), []).append(s)
    out = {}
    for (scope, group), found in sorted(rows.items()):
        ss = found
        if scope == "draw":  # a zone's own batch only
            ss = [s for s in found if s["scope"].endswith(s["group"])] or found
        out[f"{scope}:{group}"] = {
            "officers": ss[0]["officers"],
            "duties_median": statistics.median(s["duties"] for s in ss),
            "low_min": min(s["low"] for s in ss), "high_max": max(s["high"] for s in ss),
            "spread_median": statistics.median(s["high"] - s["low"] for s in ss),
            "spread_max": max(s["high"] - s["low"] for s in ss),
            "even_spread": max(s["best_high"] - s["best_low"] for s in ss),
            "runs_wider_than_even": sum(s["excess"] > 0 for s in ss),
            "example": {k: ss[0][k] for k in ("low", "high", "best_low", "best_high")},
        }
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/team_load.json"))
    args = p.parse_args(argv)
    units, inspectors = reg.generate_units(), reg.generate_inspectors()
    experts = reg.generate_experts()
    started = time.monotonic()
    report: dict[str, Any] = {"runs": args.runs, "variants": {}}
    for variant in ("v1", "two-pass", "carry", "carry+detachment"):
        runs = [month(units, inspectors, experts, r, variant) for r in range(args.runs)]
        report["variants"][variant] = {"per_draw": summary(runs, "per_draw"),
                                       "per_month": summary(runs, "per_month")}
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    for variant, v in report["variants"].items():
        print(f"== {variant}")
        for part in ("per_draw", "per_month"):
            for name, s in v[part].items():
                print(f"  {name:<16} officers {s['officers']:>2}  duties ~{s['duties_median']:>5}"
                      f"  low {s['low_min']:>3} high {s['high_max']:>3}  spread median "
                      f"{s['spread_median']} max {s['spread_max']} (even {s['even_spread']}), "
                      f"wider than even in {s['runs_wider_than_even']}/{args.runs}")
    print(f"written {args.out} ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`fairdraw plan year`: the yearly plan run against the draw service (docs/yearplan.md).

The pure steps are draw_engine.yearplan's; this module looks things up in the service
and announces the order draws through the ordinary lifecycle (`DrawService.announce`:
the same commitment, beacon and verification as any draw):

1. the units snapshot's records → class members (first class whose match holds);
2. per full class with `"order": "drawn"`: if none of its order draws exists yet, all of
   them are announced now (their plans are also written out); once they exist, only their
   state counts (a class's order draws are never re-planned from a later snapshot);
3. when every order draw is drawn: the slices (unit → batch) from their `draw.result`
   entries, then one plan per batch (and zone). Each plan is checked by
   `DrawService.plan_draw` (writes nothing) and the `min_share` class's `min` raised from
   the stratum sizes draw-v1 computes on a zero randomness (they do not depend on it);
4. everything is computed before any file is written: a refusal writes nothing.

A batch plan whose draw id exists already is not rewritten (it was announced).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import PlanError
from draw_engine.select import compute_draw
from draw_engine.snapshot import parse_records
from draw_engine.yearplan import (
    MAX_RULES_SIZE,
    Rules,
    YearPlanError,
    apply_min_share,
    batch_plans,
    class_members,
    order_plans,
    slices_by_id,
    slices_from_results,
)

ZERO_RANDOMNESS = b"\x00" * 32


@dataclass
class YearPlanRun:
    """What `run_year_plan` found and did."""

    rules: Rules
    members: dict[str, int]
    announced: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.pending and not self.cancelled


def _records(service: DrawService, name: str, kind: str) -> list[dict[str, Any]]:
    snap = {s.name: s for s in service.snapshots()}.get(name)
    if snap is None or snap.log_index is None:
        raise PlanError(f"no logged snapshot {name!r}", field=kind)
    if snap.kind != kind:
        raise PlanError(f"snapshot {name!r} is of kind {snap.kind}, not {kind}", field=kind)
    return [dict(r) for r in parse_records(snap.records).records]


def run_year_plan(
    service: DrawService,
    rules: Rules,
    *,
    units: str,
    inspectors: str | None = None,
    experts: str | None = None,
) -> YearPlanRun:
    """Steps 1–3 of the module docstring; returns the files to write (nothing written)."""
    service.sync()
    records = _records(service, units, "units")
    members = class_members(rules, records)
    run = YearPlanRun(rules, {name: len(ids) for name, ids in members.items()})
    draws = {d.draw_id: d for d in service.draws()}
    to_announce: list[dict[str, Any]] = []
    results: dict[str, list[Mapping[str, Any]]] = {}
    plans = order_plans(rules, members, units)
    for c in (c for c in rules.classes if c.full and c.order == "drawn"):
        mine = re.compile(re.escape(rules.order_id(c.name, 1)[:-2]) + r"[0-9]{2}(?:-r[0-9]+)?")
        existing = sorted(d for d in draws if mine.fullmatch(d))
        if not existing:
            for plan in plans:
                if plan["strata"][0]["name"] == c.name:
                    to_announce.append(plan)
                    run.files[f"{plan['draw_id']}.json"] = plan
            continue
        for draw_id in existing:  # announced once: judged from the service, never re-planned
            d = draws[draw_id]
            if d.status == "drawn" and d.result_index is not None:
                results.setdefault(c.name, []).append(service.entry(d.result_index))
            elif d.status == "announced":
                run.pending.append(draw_id)
            elif d.status == "cancelled":
                run.cancelled.append(draw_id)
            # "superseded": its redraw (…-rN) is in `existing` and judged itself
    for plan in to_announce:  # checked first: a refused plan announces nothing
        service.plan_draw(plan)
    for plan in to_announce:
        service.announce(plan)
        run.announced.append(plan["draw_id"])
        run.pending.append(plan["draw_id"])
    if not run.complete:
        return run
    slices = {c.name: (slices_from_results(rules, c, results.get(c.name, []))
                       if c.order == "drawn" else slices_by_id(rules, members[c.name]))
              for c in rules.classes if c.full}
    snapshots = {"units": units}
    for kind, name in (("inspectors", inspectors), ("experts", experts)):
        if name:
            _records(service, name, kind)  # a logged snapshot of that kind, or refused here
            snapshots[kind] = name
    for base in batch_plans(rules, records=records, slices=slices, snapshots=snapshots):
        if base["draw_id"] in draws:
            run.batches.append({"draw_id": base["draw_id"], "status": draws[base["draw_id"]]
                                .status, "period": base["period"]})
            continue
        plan, sizes = _with_share(service, rules, base, records)
        run.files[f"{plan['draw_id']}.json"] = plan
        run.batches.append({"draw_id": plan["draw_id"], "status": "planned",
                            "period": plan["period"],
                            "strata": [{"name": name, "n": n, "k": k}
                                       for name, (n, k) in sizes.items()]})
    return run


def _sizes(announce: Mapping[str, Any], records: list[dict[str, Any]]
           ) -> dict[str, tuple[int, int]]:
    """(n, k) per stratum as draw-v1 computes them. They depend neither on the randomness
    nor on the teams, so the teams are left out here (speed only)."""
    bare = {key: value for key, value in announce.items() if key != "teams"}
    computed = compute_draw(bare, records, ZERO_RANDOMNESS)
    return {s["name"]: (s["n"], s["k"]) for s in computed["strata"]}


def _with_share(service: DrawService, rules: Rules, plan: dict[str, Any],
                records: list[dict[str, Any]]
                ) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """The plan with its `min_share` applied, checked by `plan_draw` (which also refuses a
    result too large for one log entry), and its stratum sizes."""
    announce = _checked(service, plan)
    sizes = _sizes(announce, records)
    raised = apply_min_share(rules, plan, sizes)
    if raised == plan:
        return plan, sizes
    announce = _checked(service, raised)
    return raised, _sizes(announce, records)


def _checked(service: DrawService, plan: Mapping[str, Any]) -> dict[str, Any]:
    """`plan_draw`, its refusal naming the batch (a result too large for one log entry:
    more batches, or `groups` splitting a zone, docs/yearplan.md rule 2)."""
    try:
        return service.plan_draw(dict(plan))
    except PlanError as e:
        raise YearPlanError(f"batch draw {plan['draw_id']}: {e.args[0]}",
                            field=f"{plan['draw_id']}.{e.field}") from e


def summary(run: YearPlanRun) -> dict[str, Any]:
    """year-plan.json: what the plan holds, for the operator and for the 公告."""
    r = run.rules
    return {"format": "fairdraw-yearplan-summary-v1", "year": r.year,
            "rules_sha256": r.sha256, "batches": r.batches,
            "periods": [dict(zip(("from", "to"), r.period(b), strict=True))
                        for b in range(1, r.batches + 1)],
            "classes": [{"name": c.name, "label": c.label, "members": run.members[c.name],
                         "coverage": "full" if c.full else "sampled", "order": c.order}
                        for c in r.classes],
            "order_draws_announced": run.announced, "pending": run.pending,
            "cancelled": run.cancelled, "batch_draws": run.batches}


def write_files(run: YearPlanRun, out: Path) -> list[Path]:
    """Write every plan file and year-plan.json into `out` (created if missing)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, plan in {**run.files, "year-plan.json": summary(run)}.items():
            path = out / name
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(plan, ensure_ascii=False, indent=1, sort_keys=True)
                           + "\n", encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    except OSError as e:
        raise YearPlanError(f"cannot write {out}: {e.strerror or e}", field="out") from e
    return written


def read_rules(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_RULES_SIZE:
            raise YearPlanError(f"{path} is larger than {MAX_RULES_SIZE} bytes", field="$")
        return path.read_bytes()
    except OSError as e:
        raise YearPlanError(f"cannot read {path}: {e.strerror or e}", field="$") from e


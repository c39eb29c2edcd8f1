"""The checks of a draw plan against the store and the beacon, before its announce.

`DrawService.plan_draw` (draw_engine/lifecycle.py) runs these in its
transaction after `draw_engine.plan.check_plan` has checked the plan's own
form (docs/spec/lifecycle.md "Plans"):

- `resolve_refs`: the snapshots the plan names exist, are logged, are of the
  right kind and match the root and count the plan states (issue 4.5);
- `beacon_fields`: the announce's beacon round, at least the lead time ahead;
- `check_supersedable`: a draw may only supersede a cancelled, not yet superseded
  one, never a drawn one, never itself (`SupersedeError`, naming the verifier rule);
- `check_result_size`: the result will fit in one log entry, checked before
  the randomness exists so that a draw never fails after its round.

Each refusal is a `PlanError` naming the field. Left out: writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from draw_engine import plan as plans
from draw_engine.beacon import BeaconSource
from draw_engine.canonical import canonical_json
from draw_engine.entries import format_utc
from draw_engine.lifecycle_errors import (
    DrawStateError,
    PlanError,
    SupersedeError,
    TooLateError,
)
from draw_engine.select import compute_draw
from draw_engine.snapshot import parse_records
from draw_engine.store import DrawRecord, DrawTx
from transparency.tiles import MAX_ENTRY_SIZE

REF_KINDS = ("units", "inspectors", "experts")
RESULT_HEADROOM = 1.1  # the estimated result entry size must fit with 10 % to spare


def resolve_refs(tx: DrawTx, plan: Mapping[str, Any]
                 ) -> tuple[dict[str, tuple[str, str, int]], dict[str, list[dict[str, Any]]]]:
    """(kind -> (snapshot, root, count), kind -> records) for the snapshots the plan names."""
    refs: dict[str, tuple[str, str, int]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    if "units" not in plan:
        raise PlanError("is missing", field="units")
    for kind in REF_KINDS:
        if kind not in plan:
            continue
        name, root, count = plans.plan_snapshot_ref(plan[kind], kind)
        snap = tx.get_snapshot(name)
        # SPEC(issue 4.5): referenced snapshots exist, are logged, and match their roots.
        if snap is None or snap.log_index is None:
            raise PlanError(f"no logged snapshot {name!r}", field=f"{kind}.snapshot")
        if snap.kind != kind:
            raise PlanError(f"snapshot {name!r} is of kind {snap.kind}, not {kind}",
                            field=f"{kind}.snapshot")
        if root is not None and root != snap.root:
            raise PlanError(f"plan says root {root}, snapshot {name} has {snap.root}",
                            field=f"{kind}.root")
        if count is not None and count != snap.count:
            raise PlanError(f"plan says count {count}, snapshot {name} has {snap.count}",
                            field=f"{kind}.count")
        refs[kind] = (name, snap.root, snap.count)
        records[kind] = parse_records(snap.records).records
    return refs, records


def beacon_fields(source: BeaconSource, given: Mapping[str, Any], *, now: float,
                  lead_time: int) -> dict[str, Any]:
    """The announce's `beacon` object: the plan's round (or the first one at least
    `lead_time` s after `now` and not before `not_before`) on the configured chain."""
    chain = source.chain
    if "round" in given:
        rnd = given["round"]
        if isinstance(rnd, bool) or not isinstance(rnd, int) or rnd < 1:
            raise PlanError(f"must be an integer >= 1, got {rnd!r}", field="beacon.round")
    else:
        earliest = now + lead_time
        if "not_before" in given:
            earliest = max(earliest, plans.parse_time(given["not_before"],
                                                      "beacon.not_before"))
        rnd = max(1, -(-(int(earliest) - chain.genesis_time) // chain.period) + 1)
        while source.round_time(rnd) < earliest:
            rnd += 1
    when = source.round_time(rnd)
    # SPEC(issue 4.5): the beacon round lies in the future by at least the lead time.
    if when - now < lead_time:
        raise TooLateError(round=rnd, round_time=when, now=now, lead_time=lead_time)
    beacon = {"scheme": chain.scheme, "chain_hash": chain.chain_hash.hex(), "round": rnd,
              "round_time": format_utc(when)}
    if chain.local:
        beacon["local"] = True  # SPEC(DESIGN §6): everything from the local beacon is marked
    for key in ("scheme", "chain_hash", "round_time", "local"):
        if key in given and given[key] != beacon.get(key, False):
            raise PlanError(f"plan says {given[key]!r}, the configured beacon gives "
                            f"{beacon.get(key, False)!r}", field=f"beacon.{key}")
    return beacon


def check_supersedable(tx: DrawTx, old_id: str, new_id: str) -> DrawRecord:
    """SPEC(DESIGN §2; verification.md `self-supersede`, `supersede-*`, `superseded-twice`):
    `new_id` may supersede only another draw that was cancelled and is not superseded yet.
    A drawn draw is never superseded: its result stands (a redraw would be a re-roll).
    Returns the cancelled draw (its cancel's timing is the caller's check)."""
    if old_id == new_id:
        raise SupersedeError("self-supersede", f"draw {new_id} cannot supersede itself")
    old = tx.get_draw(old_id)
    if old is None:
        raise SupersedeError("supersede-unknown", f"no draw {old_id!r} to supersede")
    if old.superseded_by is not None or old.status == "superseded":
        raise SupersedeError("superseded-twice", f"draw {old_id} is already superseded by "
                             f"{old.superseded_by}; a draw is superseded once")
    if old.result_index is not None or old.status == "drawn":
        raise SupersedeError(
            "supersede-drawn", f"draw {old_id} has its result (log index {old.result_index}); "
            "a drawn draw is never redrawn: its result stands. To inspect more units, "
            f"announce {new_id} without supersedes")
    if old.status != "cancelled" or old.cancel_index is None:
        # SPEC(DESIGN §2): draw.cancel explains any draw that will never get a result.
        raise SupersedeError(
            "supersede-uncancelled", f"draw {old_id} is still {old.status}: cancel it (with a "
            f"reason, before its round time minus the margin) before {new_id} supersedes it")
    return old


def check_result_size(announce: Mapping[str, Any], records: Mapping[str, Any]) -> None:
    """Refuse, before the randomness exists, a draw whose result could not be logged."""
    probe = compute_draw(announce, records["units"], b"\x00" * 32,
                         inspectors=records.get("inspectors", ()),
                         experts=records.get("experts", ()))
    size = len(canonical_json(probe)) + 600  # + the result's header fields
    if size * RESULT_HEADROOM > MAX_ENTRY_SIZE:
        raise PlanError(
            f"the result would be about {size} bytes, too close to the {MAX_ENTRY_SIZE}-byte "
            "limit of one log entry; split the draw into batches (e.g. per zone)",
            field="strata")


def check_correction(draw_id: str, unit_id: str, in_force: int | None,
                     supersedes: int | None) -> None:
    """SPEC(verification.md "Outcomes"): a unit's first outcome corrects nothing; any later one
    is a correction naming the unit's outcome in force (rules outcome-twice,
    outcome-supersede-unknown, outcome-superseded-twice, refused before anything is logged)."""
    if supersedes is None and in_force is not None:
        raise DrawStateError(f"unit {unit_id} of draw {draw_id} already has an outcome (log "
                             f"index {in_force}); a correction names it: supersedes {in_force}")
    if supersedes is not None and supersedes != in_force:
        what = ("has no outcome to correct" if in_force is None
                else f"has its outcome in force at log index {in_force}")
        raise PlanError(f"unit {unit_id} of draw {draw_id} {what}, not {supersedes}",
                        field="supersedes")

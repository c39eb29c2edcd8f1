"""Registry gaps: a unit out of the pool just for one draw (issue 18.3; docs/spec/registry-diff.md).

A draw can be steered without touching the randomness by taking a unit out of
the pool shortly before the draw's units snapshot and putting it back after
the draw. `registry_gap_findings` reads the proven log entries and flags, for
every drawn draw, each unit that

* left the pool (removed, or retired: `status` no longer `active`) in the
  draw's own units snapshot or in one of the `window - 1` snapshots before it
  on the same `prev` chain, and
* came back (added, or reactivated) in one of the first `window` snapshots of
  that chain logged after the draw's result.

Counted in snapshots, not days: a `registry.snapshot` entry carries no time.
The ids come from each entry's diff (`entries.SnapshotDiffRef`), inline or, for
a big diff, from its published ids document (checked against `ids_sha256`);
a diff whose ids are not available (an entry written before issue 18, a
document not published) makes the draw `pending`, never a silent pass.

Pure: entries and documents in, findings out. Left out: why a unit left (a
real closure is possible: a finding asks for an explanation, it proves nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from draw_engine.entries import (
    ANNOUNCE,
    RESULT,
    SNAPSHOT,
    DiffIds,
    SnapshotDiffRef,
    entry_type,
)
from draw_engine.errors import EntryError

CHECK = "registry-gap"
DEFAULT_WINDOW = 2
"""Snapshots before (the draw's own included) and after the draw that are looked at."""


@dataclass(frozen=True)
class GapFinding:
    check: str
    status: str
    """pass, fail or pending (fairdraw.report's statuses)."""
    subject: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Snap:
    name: str
    index: int
    prev: str | None
    ids: DiffIds | None
    why_missing: str = ""


def _units_snapshots(entries: Mapping[int, Mapping[str, Any]],
                     documents: Mapping[str, bytes]) -> dict[str, _Snap]:
    snaps: dict[str, _Snap] = {}
    for index in sorted(entries):
        e = entries[index]
        if entry_type(e) != SNAPSHOT or e.get("kind") != "units":
            continue
        name, prev = e.get("snapshot"), e.get("prev")
        if not isinstance(name, str) or name in snaps:
            continue
        snap = _Snap(name, index, prev if isinstance(prev, str) else None, None)
        try:
            ref = SnapshotDiffRef.of(e)
            if ref.ids is not None:
                snap.ids = ref.ids
            elif ref.ids_sha256 is not None:
                document = documents.get(name)
                if document is None:
                    snap.why_missing = f"the diff ids of snapshot {name} are not published"
                else:
                    snap.ids = ref.check_ids_file(document)
            elif snap.prev is not None and (ref.added or ref.removed or ref.changed):
                snap.why_missing = (f"snapshot {name} logs its diff as counts only (an entry "
                                    "written before diffs carried ids)")
            else:
                snap.ids = DiffIds((), (), (), (), ())
        except EntryError as exc:
            snap.why_missing = f"snapshot {name}: {exc}"
        snaps[name] = snap
    return snaps


def _drawn(entries: Mapping[int, Mapping[str, Any]]) -> list[tuple[str, int, str, int]]:
    """(draw id, result index, units snapshot name, announce index) of every drawn draw."""
    out: list[tuple[str, int, str, int]] = []
    for index in sorted(entries):
        e = entries[index]
        if entry_type(e) != RESULT:
            continue
        a_index = e.get("announce_index")
        if not isinstance(a_index, int):
            continue
        announce = entries.get(a_index)
        if announce is None or entry_type(announce) != ANNOUNCE:
            continue
        units = announce.get("units")
        name = units.get("snapshot") if isinstance(units, Mapping) else None
        if isinstance(name, str) and isinstance(e.get("draw_id"), str):
            out.append((e["draw_id"], index, name, a_index))
    return out


def registry_gap_findings(
    entries: Mapping[int, Mapping[str, Any]],
    documents: Mapping[str, bytes] | None = None,
    *,
    window: int = DEFAULT_WINDOW,
) -> list[GapFinding]:
    """One finding per drawn draw (pass or pending) or per unit in a gap (fail).

    `entries`: leaf index -> proven entry; `documents`: snapshot name -> its
    published ids document (`data/snapshots/<name>.diff.json`), for diffs
    logged by `ids_sha256`.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    snaps = _units_snapshots(entries, documents or {})
    children: dict[str, list[_Snap]] = {}
    for each in snaps.values():
        if each.prev is not None:
            children.setdefault(each.prev, []).append(each)
    findings: list[GapFinding] = []
    for draw_id, result_index, name, _announce_index in _drawn(entries):
        subject = f"draw {draw_id}"
        own = snaps.get(name)
        if own is None:
            continue  # the draw checks report a missing snapshot
        before: list[_Snap] = []
        step: _Snap | None = own
        while step is not None and len(before) < window and step.prev is not None:
            before.append(step)
            step = snaps.get(step.prev)
        after: list[_Snap] = []
        frontier: _Snap = own
        while len(after) < window:
            later = sorted(children.get(frontier.name, []), key=lambda s: s.index)
            if not later:
                break
            frontier = later[0]
            if frontier.index > result_index:
                after.append(frontier)
        missing = [s.why_missing for s in before + after if s.ids is None]
        if missing:
            findings.append(GapFinding(CHECK, "pending", subject, "; ".join(missing)))
            continue
        left: dict[str, tuple[_Snap, str]] = {}
        for s in before:
            assert s.ids is not None
            for unit in s.ids.removed:
                left.setdefault(unit, (s, "removed"))
            for unit in s.ids.retired:
                left.setdefault(unit, (s, "retired"))
        gaps: list[tuple[str, tuple[_Snap, str], tuple[_Snap, str]]] = []
        for s in after:
            assert s.ids is not None
            for unit, how in [*((u, "added") for u in s.ids.added),
                              *((u, "reactivated") for u in s.ids.reactivated)]:
                if unit in left and unit not in {g[0] for g in gaps}:
                    gaps.append((unit, left[unit], (s, how)))
        for unit, (out_snap, out_how), (back_snap, back_how) in sorted(gaps):
            findings.append(GapFinding(
                CHECK, "fail", subject,
                f"unit {unit} left the pool ({out_how}) in snapshot {out_snap.name} "
                f"(entry {out_snap.index}) shortly before this draw and came back "
                f"({back_how}) in snapshot {back_snap.name} (entry {back_snap.index}) after "
                f"its result (entry {result_index}): explain why it was out of the pool",
                {"unit_id": unit, "left_in": out_snap.name, "left_entry": out_snap.index,
                 "left_how": out_how, "back_in": back_snap.name,
                 "back_entry": back_snap.index, "back_how": back_how,
                 "result_entry": result_index, "window": window}))
        if not gaps:
            findings.append(GapFinding(
                CHECK, "pass", subject,
                f"no unit left the pool in the {len(before)} snapshot(s) up to {name} and came "
                f"back in the {len(after)} after the result"))
    return findings

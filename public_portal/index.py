"""The portal's navigation index, derived from the log entries alone (docs/spec/portal-data.md).

`scan_log(entries)` classifies every entry of a log prefix: registry
snapshots (name, kind, publish mode), draws (announce, results, cancel,
supersession) and inspection outcomes. The browser never trusts this index:
it only tells the pages which leaf indices to read and prove.

Draw status (DESIGN §2): `superseded` when a later announce names the draw
in `supersedes`; else `cancelled` when a `draw.cancel` names it; else
`drawn` when it has a result; else `announced`.

Snapshot publication (DESIGN §4): `at_announce` snapshots are published as
soon as they are logged. An `after_inspection` snapshot is published once the
inspections of every draw naming it are over: each such draw is cancelled,
superseded, or has an `inspection.outcome` for every selected unit. A
snapshot no draw names is never published in that mode.

Pure: entries in, values out. Entries that are not JSON objects with a
`type` are ignored (a log may carry other entry types).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("units", "inspectors", "experts")


@dataclass
class SnapshotInfo:
    name: str
    kind: str
    publish: str
    index: int


@dataclass
class DrawInfo:
    draw_id: str
    announce_index: int
    announce: dict[str, Any]
    result_indices: list[int] = field(default_factory=list)
    cancel_index: int | None = None
    superseded_by: str | None = None
    selected: set[str] = field(default_factory=set)
    outcome_indices: list[int] = field(default_factory=list)
    outcome_units: set[str] = field(default_factory=set)

    @property
    def result_index(self) -> int | None:
        return self.result_indices[0] if self.result_indices else None

    @property
    def status(self) -> str:
        if self.superseded_by is not None:
            return "superseded"
        if self.cancel_index is not None:
            return "cancelled"
        return "drawn" if self.result_indices else "announced"

    @property
    def inspections_over(self) -> bool:
        if self.status in ("cancelled", "superseded"):
            return True
        return bool(self.result_indices) and self.selected <= self.outcome_units


DRAW_ENTRY_TYPES = ("draw.announce", "draw.result", "draw.cancel")


@dataclass
class LogIndex:
    size: int = 0
    snapshots: dict[str, SnapshotInfo] = field(default_factory=dict)
    draws: dict[str, DrawInfo] = field(default_factory=dict)
    draw_entries: dict[int, str] = field(default_factory=dict)
    """Leaf index -> type of EVERY draw.announce/result/cancel entry (the portal publishes a
    tlog-proof for each, whichever draw it names)."""

    def summary(self, draw: DrawInfo) -> dict[str, Any]:
        """One row of data/draws.json."""
        a = draw.announce
        raw = a.get("beacon")
        beacon: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        return {
            "draw_id": draw.draw_id, "title": a.get("title"), "kind": a.get("kind"),
            "authority": a.get("authority"), "period": a.get("period"),
            "status": draw.status, "announce_index": draw.announce_index,
            "result_index": draw.result_index, "cancel_index": draw.cancel_index,
            "superseded_by": draw.superseded_by, "supersedes": a.get("supersedes"),
            "round": beacon.get("round"), "round_time": beacon.get("round_time"),
            "local": bool(beacon.get("local", False)),
        }


def _entry(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None
    return value


def scan_log(entries: Iterable[tuple[int, bytes]]) -> LogIndex:
    """Index (leaf index, entry bytes) pairs in log order."""
    index = LogIndex()
    outcomes: list[tuple[int, dict[str, Any]]] = []
    for i, data in entries:
        index.size = i + 1
        e = _entry(data)
        if e is None:
            continue
        kind = e["type"]
        draw_id = e.get("draw_id")
        if kind in DRAW_ENTRY_TYPES:
            index.draw_entries[i] = kind
        if kind == "registry.snapshot" and isinstance(e.get("snapshot"), str):
            name = e["snapshot"]
            if name not in index.snapshots:
                index.snapshots[name] = SnapshotInfo(name, str(e.get("kind")),
                                                     str(e.get("publish", "at_announce")), i)
        elif kind == "draw.announce" and isinstance(draw_id, str):
            if draw_id in index.draws:
                continue  # a second announce of one id is not a draw; the first one counts
            index.draws[draw_id] = DrawInfo(draw_id, i, e)
            old = e.get("supersedes")
            if isinstance(old, str) and old in index.draws:
                index.draws[old].superseded_by = draw_id
        elif kind == "draw.result" and isinstance(draw_id, str) and draw_id in index.draws:
            d = index.draws[draw_id]
            d.result_indices.append(i)
            for s in e.get("selected", []):
                if isinstance(s, Mapping) and isinstance(s.get("unit_id"), str):
                    d.selected.add(s["unit_id"])
        elif kind == "draw.cancel" and isinstance(draw_id, str) and draw_id in index.draws:
            d = index.draws[draw_id]
            if d.cancel_index is None:
                d.cancel_index = i
        elif kind == "inspection.outcome" and isinstance(draw_id, str):
            outcomes.append((i, e))
    for i, e in outcomes:
        target = index.draws.get(e["draw_id"])
        if target is not None:
            target.outcome_indices.append(i)
            if isinstance(e.get("unit_id"), str):
                target.outcome_units.add(e["unit_id"])
    return index


def snapshot_available(index: LogIndex, name: str) -> bool:
    """May the records of snapshot `name` be published now? (module docstring)"""
    snap = index.snapshots.get(name)
    if snap is None:
        return False
    if snap.publish == "at_announce":
        return True
    users = [d for d in index.draws.values()
             if any(isinstance(d.announce.get(k), Mapping)
                    and d.announce[k].get("snapshot") == name for k in KINDS)]
    return bool(users) and all(d.inspections_over for d in users)

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

Pure: entries in, values out. Entries the one entry model does not classify
(`draw_engine.entries.entry_type`: canonical JSON of a known type with "v": 1)
are ignored here; the verifiers report them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from draw_engine.entries import OUTCOME, SNAPSHOT, entry_type, parse_entry
from draw_engine.errors import EntryError
from draw_engine.history import draw_histories

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


def scan_log(entries: Iterable[tuple[int, bytes]]) -> LogIndex:
    """Index (leaf index, entry bytes) pairs in log order.

    Entries are classified by the one entry model (`draw_engine.entries.entry_type`) and
    draws derived by the verifiers' own `draw_engine.history.draw_histories`: a result or
    cancel belongs to a draw by its `draw_id` or by an `announce_index` naming the draw's
    announce, so this index says what every verifier derives (their `index` check)."""
    index = LogIndex()
    parsed: dict[int, Mapping[str, Any]] = {}
    e: Mapping[str, Any]
    for i, data in entries:
        index.size = i + 1
        try:
            e = parse_entry(bytes(data))
        except EntryError:
            continue
        if entry_type(e) is not None:
            parsed[i] = e
    for i, e in parsed.items():
        kind = entry_type(e)
        if kind in DRAW_ENTRY_TYPES:
            index.draw_entries[i] = str(kind)
        if kind == SNAPSHOT and isinstance(e.get("snapshot"), str):
            name = e["snapshot"]
            if name not in index.snapshots:
                index.snapshots[name] = SnapshotInfo(name, str(e.get("kind")),
                                                     str(e.get("publish", "at_announce")), i)
    histories = [h for h in draw_histories(parsed).values() if h.announces]
    for h in sorted(histories, key=lambda h: h.announces[0]):
        first = h.announces[0]  # a second announce of one id is not a draw; the first counts
        d = DrawInfo(h.draw_id, first, dict(parsed[first]))
        d.result_indices = list(h.results)
        d.cancel_index = h.cancels[0] if h.cancels else None
        if h.superseded_by:
            d.superseded_by = str(parsed[h.superseded_by[0]].get("draw_id"))
        for r in h.results:
            for s in parsed[r].get("selected", []):
                if isinstance(s, Mapping) and isinstance(s.get("unit_id"), str):
                    d.selected.add(s["unit_id"])
        index.draws[h.draw_id] = d
    for i, e in parsed.items():
        target = index.draws.get(cast(str, e.get("draw_id"))) if entry_type(e) == OUTCOME else None
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

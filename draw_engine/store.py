"""Draw store: registry versions, snapshots, draws and outcomes beside the log (DESIGN §2, §7).

The log is the truth about what was committed; this store keeps what the log
does not hold (registry versions with their private fields, the records files
of snapshots, the operator's plan, the co-signed checkpoint that commits each
announce) and an index of the log's draw entries (status, leaf indices), so
that the lifecycle need not scan the log for every question.

One port, `DrawStore`, whose only method opens a unit of work:

    with store.transaction() as tx:   # the service decides the boundary
        tx.add_draw(...)
        tx.set_watermark(...)

A unit of work is atomic: all of its writes become visible when the `with`
block ends normally, none of them if it raises. The store methods themselves
never commit (DESIGN §3: services own transactions). Two implementations pass
the same conformance test (tests/draw_engine/test_store.py):

- `MemoryDrawStore`: process memory (copy on begin, swap on success);
- `SqlDrawStore` (draw_engine/sql_store.py): SQLAlchemy 2 Core on the log's
  database (SQLite or PostgreSQL).

Left out: deleting anything (nothing is ever deleted), pagination.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from draw_engine.errors import DrawEngineError

DRAW_STATUSES = ("announced", "drawn", "cancelled", "superseded")
OUTCOME_RESULTS = ("compliant", "rectification_ordered", "penalised", "not_inspected")
WATERMARK = "log_watermark"


class StoreError(DrawEngineError):
    """A store write that conflicts with what is stored (duplicate key, missing row)."""


@dataclass(frozen=True)
class StoredVersion:
    """One registry version: every record (private fields included) as canonical JSON Lines."""

    kind: str
    version: int
    records: bytes
    count: int
    source_name: str
    source_sha256: str
    imported_at: datetime


@dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot: its public records file (`records`, JSON Lines) and where it is logged."""

    name: str
    kind: str
    root: str
    count: int
    publish: str
    records: bytes
    source: str
    prev: str | None
    log_index: int | None
    created_at: datetime


@dataclass(frozen=True)
class DrawRecord:
    """One draw as the lifecycle sees it. `announce` is the canonical announce entry."""

    draw_id: str
    kind: str
    status: str
    announce_index: int
    announce: bytes
    beacon_round: int
    round_time: int
    plan: str | None = None
    result_index: int | None = None
    cancel_index: int | None = None
    supersedes: str | None = None
    superseded_by: str | None = None
    commitment_note: bytes | None = None
    commitment_size: int | None = None

    def __post_init__(self) -> None:
        if self.status not in DRAW_STATUSES:
            raise StoreError(f"draw status {self.status!r} is not one of {DRAW_STATUSES}")


@dataclass(frozen=True)
class OutcomeRecord:
    """An `inspection.outcome` entry as indexed: which draw, unit, date and result."""

    log_index: int
    draw_id: str
    unit_id: str
    date: str
    result: str


class DrawTx(Protocol):
    """One unit of work. Reads see this unit's own writes."""

    def latest_version(self, kind: str) -> StoredVersion | None: ...
    def add_version(self, version: StoredVersion) -> None: ...
    def get_snapshot(self, name: str) -> StoredSnapshot | None: ...
    def list_snapshots(self) -> list[StoredSnapshot]:
        """All snapshots in creation order."""
        ...
    def add_snapshot(self, snapshot: StoredSnapshot) -> None: ...
    def set_snapshot_index(self, name: str, log_index: int) -> None: ...
    def drop_pending_snapshots(self, only: str | None = None) -> list[str]:
        """Delete the snapshots the log never accepted (no `log_index`), or only the one
        named `only`; return their names."""
        ...
    def get_draw(self, draw_id: str) -> DrawRecord | None: ...
    def list_draws(self) -> list[DrawRecord]:
        """All draws in announce order."""
        ...
    def add_draw(self, draw: DrawRecord) -> None: ...
    def update_draw(self, draw: DrawRecord) -> None: ...
    def add_outcome(self, outcome: OutcomeRecord) -> None: ...
    def supersede_outcome(self, old_index: int, outcome: OutcomeRecord) -> None:
        """Replace the unit's outcome in force (at `old_index`) by its correction `outcome`;
        both stay in the log, the store keeps the one in force."""
        ...
    def list_outcomes(self, draw_id: str | None = None) -> list[OutcomeRecord]:
        """Outcomes in force (of one draw, or all) in log order."""
        ...
    def watermark(self) -> int:
        """Next log index the draw index has not looked at (0 at first)."""
        ...
    def set_watermark(self, index: int) -> None: ...


class DrawStore(Protocol):
    def transaction(self) -> AbstractContextManager[DrawTx]:
        """A context manager yielding a `DrawTx`; commits on normal exit, rolls back on error."""
        ...


# -- memory ------------------------------------------------------------------------


@dataclass
class _State:
    versions: dict[tuple[str, int], StoredVersion]
    snapshots: dict[str, StoredSnapshot]
    draws: dict[str, DrawRecord]
    outcomes: dict[int, OutcomeRecord]
    watermark: int


class _MemoryTx:
    def __init__(self, state: _State) -> None:
        self.s = state

    def latest_version(self, kind: str) -> StoredVersion | None:
        found = [v for (k, _), v in self.s.versions.items() if k == kind]
        return max(found, key=lambda v: v.version, default=None)

    def add_version(self, version: StoredVersion) -> None:
        key = (version.kind, version.version)
        if key in self.s.versions:
            raise StoreError(f"{version.kind} registry version {version.version} exists already")
        self.s.versions[key] = version

    def get_snapshot(self, name: str) -> StoredSnapshot | None:
        return self.s.snapshots.get(name)

    def list_snapshots(self) -> list[StoredSnapshot]:
        return list(self.s.snapshots.values())

    def add_snapshot(self, snapshot: StoredSnapshot) -> None:
        if snapshot.name in self.s.snapshots:
            raise StoreError(f"snapshot {snapshot.name!r} exists already")
        if snapshot.log_index is not None:
            self._unique_snapshot_index(snapshot.log_index)
        self.s.snapshots[snapshot.name] = snapshot

    def _unique_snapshot_index(self, log_index: int) -> None:
        if any(s.log_index == log_index for s in self.s.snapshots.values()):
            raise StoreError(f"log index {log_index} already names a snapshot")

    def set_snapshot_index(self, name: str, log_index: int) -> None:
        snap = self.s.snapshots.get(name)
        if snap is None:
            raise StoreError(f"no snapshot {name!r}")
        self._unique_snapshot_index(log_index)
        self.s.snapshots[name] = replace(snap, log_index=log_index)

    def drop_pending_snapshots(self, only: str | None = None) -> list[str]:
        names = [n for n, s in self.s.snapshots.items()
                 if s.log_index is None and only in (None, n)]
        for name in names:
            del self.s.snapshots[name]
        return names

    def get_draw(self, draw_id: str) -> DrawRecord | None:
        return self.s.draws.get(draw_id)

    def list_draws(self) -> list[DrawRecord]:
        return sorted(self.s.draws.values(), key=lambda d: d.announce_index)

    def _unique_indices(self, draw: DrawRecord) -> None:
        mine = {i for i in (draw.announce_index, draw.result_index, draw.cancel_index)
                if i is not None}
        for other in self.s.draws.values():
            if other.draw_id == draw.draw_id:
                continue
            theirs = {other.announce_index, other.result_index, other.cancel_index}
            if mine & theirs:
                raise StoreError(f"draw {draw.draw_id}: log index {sorted(mine & theirs)} is "
                                 f"already used by draw {other.draw_id}")

    def add_draw(self, draw: DrawRecord) -> None:
        if draw.draw_id in self.s.draws:
            raise StoreError(f"draw {draw.draw_id!r} exists already")
        self._unique_indices(draw)
        self.s.draws[draw.draw_id] = draw

    def update_draw(self, draw: DrawRecord) -> None:
        if draw.draw_id not in self.s.draws:
            raise StoreError(f"no draw {draw.draw_id!r}")
        self._unique_indices(draw)
        self.s.draws[draw.draw_id] = draw

    def add_outcome(self, outcome: OutcomeRecord) -> None:
        if outcome.log_index in self.s.outcomes:
            raise StoreError(f"outcome at log index {outcome.log_index} exists already")
        for o in self.s.outcomes.values():
            if (o.draw_id, o.unit_id) == (outcome.draw_id, outcome.unit_id):
                raise StoreError(f"unit {outcome.unit_id} of draw {outcome.draw_id} already has "
                                 f"an outcome (log index {o.log_index})")
        self.s.outcomes[outcome.log_index] = outcome

    def supersede_outcome(self, old_index: int, outcome: OutcomeRecord) -> None:
        old = self.s.outcomes.get(old_index)
        if old is None or (old.draw_id, old.unit_id) != (outcome.draw_id, outcome.unit_id):
            raise StoreError(f"no outcome of unit {outcome.unit_id} in draw {outcome.draw_id} "
                             f"at log index {old_index}")
        if outcome.log_index in self.s.outcomes:
            raise StoreError(f"outcome at log index {outcome.log_index} exists already")
        del self.s.outcomes[old_index]
        self.s.outcomes[outcome.log_index] = outcome

    def list_outcomes(self, draw_id: str | None = None) -> list[OutcomeRecord]:
        return [o for _, o in sorted(self.s.outcomes.items())
                if draw_id is None or o.draw_id == draw_id]

    def watermark(self) -> int:
        return self.s.watermark

    def set_watermark(self, index: int) -> None:
        if index < 0:
            raise StoreError(f"watermark {index} is negative")
        self.s.watermark = index


class MemoryDrawStore:
    """DrawStore in process memory; units of work are serialised by one lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._state = _State({}, {}, {}, {}, 0)

    @contextmanager
    def transaction(self) -> Iterator[DrawTx]:
        with self._lock:
            work = copy.copy(self._state)
            work.versions = dict(work.versions)
            work.snapshots = dict(work.snapshots)
            work.draws = dict(work.draws)
            work.outcomes = dict(work.outcomes)
            yield _MemoryTx(work)
            self._state = work  # only reached when the block did not raise

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
- `SqlDrawStore`: SQLAlchemy 2 Core on the log's database (SQLite or
  PostgreSQL), tables created by the Alembic migrations in
  `draw_engine.migrations` (version table `alembic_version_draw_engine`).

Left out: deleting anything (nothing is ever deleted), pagination.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

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
    def get_draw(self, draw_id: str) -> DrawRecord | None: ...
    def list_draws(self) -> list[DrawRecord]:
        """All draws in announce order."""
        ...
    def add_draw(self, draw: DrawRecord) -> None: ...
    def update_draw(self, draw: DrawRecord) -> None: ...
    def add_outcome(self, outcome: OutcomeRecord) -> None: ...
    def list_outcomes(self, draw_id: str | None = None) -> list[OutcomeRecord]:
        """Outcomes (of one draw, or all) in log order."""
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


# -- SQL ---------------------------------------------------------------------------

metadata = sa.MetaData()
versions_table = sa.Table(
    "draw_registry_versions", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("records", sa.LargeBinary, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)
snapshots_table = sa.Table(
    "draw_snapshots", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("publish", sa.String(32), nullable=False),
    sa.Column("records", sa.LargeBinary, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("prev", sa.String(64), nullable=True),
    sa.Column("log_index", sa.BigInteger, nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
draws_table = sa.Table(
    "draw_draws", metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("announce_index", sa.BigInteger, nullable=False, unique=True),
    sa.Column("result_index", sa.BigInteger, nullable=True, unique=True),
    sa.Column("cancel_index", sa.BigInteger, nullable=True, unique=True),
    sa.Column("announce", sa.LargeBinary, nullable=False),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("beacon_round", sa.BigInteger, nullable=False),
    sa.Column("round_time", sa.BigInteger, nullable=False),
    sa.Column("supersedes", sa.String(64), nullable=True),
    sa.Column("superseded_by", sa.String(64), nullable=True),
    sa.Column("commitment_note", sa.LargeBinary, nullable=True),
    sa.Column("commitment_size", sa.BigInteger, nullable=True),
)
outcomes_table = sa.Table(
    "draw_outcomes", metadata,
    sa.Column("log_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("draw_id", sa.String(64), nullable=False),
    sa.Column("unit_id", sa.String(64), nullable=False),
    sa.Column("date", sa.String(10), nullable=False),
    sa.Column("result", sa.String(32), nullable=False),
    sa.UniqueConstraint("draw_id", "unit_id", name="uq_draw_outcomes_draw_unit"),
)
meta_table = sa.Table(
    "draw_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


class _SqlTx:
    def __init__(self, conn: Connection) -> None:
        self.c = conn

    def _insert(self, table: sa.Table, what: str, **values: Any) -> None:
        try:
            with self.c.begin_nested():
                self.c.execute(table.insert().values(**values))
        except sa.exc.IntegrityError as e:
            raise StoreError(f"{what} conflicts with a stored row") from e

    def latest_version(self, kind: str) -> StoredVersion | None:
        t = versions_table
        row = self.c.execute(
            sa.select(t).where(t.c.kind == kind).order_by(t.c.version.desc()).limit(1)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return StoredVersion(m["kind"], m["version"], bytes(m["records"]), m["count"],
                             m["source_name"], m["source_sha256"], _utc(m["imported_at"]))

    def add_version(self, version: StoredVersion) -> None:
        self._insert(versions_table, f"{version.kind} registry version {version.version}",
                     kind=version.kind, version=version.version, records=version.records,
                     count=version.count, source_name=version.source_name,
                     source_sha256=version.source_sha256,
                     imported_at=version.imported_at.astimezone(UTC))

    @staticmethod
    def _snapshot(row: Any) -> StoredSnapshot:
        m = row._mapping
        return StoredSnapshot(m["name"], m["kind"], m["root"], m["count"], m["publish"],
                              bytes(m["records"]), m["source"], m["prev"], m["log_index"],
                              _utc(m["created_at"]))

    def get_snapshot(self, name: str) -> StoredSnapshot | None:
        t = snapshots_table
        row = self.c.execute(sa.select(t).where(t.c.name == name)).first()
        return None if row is None else self._snapshot(row)

    def list_snapshots(self) -> list[StoredSnapshot]:
        t = snapshots_table
        return [self._snapshot(r) for r in self.c.execute(sa.select(t).order_by(t.c.seq))]

    def add_snapshot(self, snapshot: StoredSnapshot) -> None:
        t = snapshots_table
        seq = self.c.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.seq), 0))).scalar_one()
        self._insert(t, f"snapshot {snapshot.name!r}", name=snapshot.name, seq=int(seq) + 1,
                     kind=snapshot.kind, root=snapshot.root, count=snapshot.count,
                     publish=snapshot.publish, records=snapshot.records, source=snapshot.source,
                     prev=snapshot.prev, log_index=snapshot.log_index,
                     created_at=snapshot.created_at.astimezone(UTC))

    def set_snapshot_index(self, name: str, log_index: int) -> None:
        t = snapshots_table
        try:
            with self.c.begin_nested():
                done = self.c.execute(
                    t.update().where(t.c.name == name).values(log_index=log_index)
                ).rowcount
        except sa.exc.IntegrityError as e:
            raise StoreError(f"log index {log_index} already names a snapshot") from e
        if done != 1:
            raise StoreError(f"no snapshot {name!r}")

    @staticmethod
    def _draw(row: Any) -> DrawRecord:
        m = row._mapping
        return DrawRecord(
            draw_id=m["draw_id"], kind=m["kind"], status=m["status"],
            announce_index=m["announce_index"], announce=bytes(m["announce"]),
            beacon_round=m["beacon_round"], round_time=m["round_time"], plan=m["plan"],
            result_index=m["result_index"], cancel_index=m["cancel_index"],
            supersedes=m["supersedes"], superseded_by=m["superseded_by"],
            commitment_note=_blob(m["commitment_note"]), commitment_size=m["commitment_size"],
        )

    @staticmethod
    def _draw_values(d: DrawRecord) -> dict[str, Any]:
        return {
            "draw_id": d.draw_id, "kind": d.kind, "status": d.status,
            "announce_index": d.announce_index, "announce": d.announce,
            "beacon_round": d.beacon_round, "round_time": d.round_time, "plan": d.plan,
            "result_index": d.result_index, "cancel_index": d.cancel_index,
            "supersedes": d.supersedes, "superseded_by": d.superseded_by,
            "commitment_note": d.commitment_note, "commitment_size": d.commitment_size,
        }

    def get_draw(self, draw_id: str) -> DrawRecord | None:
        t = draws_table
        row = self.c.execute(sa.select(t).where(t.c.draw_id == draw_id)).first()
        return None if row is None else self._draw(row)

    def list_draws(self) -> list[DrawRecord]:
        t = draws_table
        return [self._draw(r) for r in self.c.execute(sa.select(t).order_by(t.c.announce_index))]

    def add_draw(self, draw: DrawRecord) -> None:
        self._insert(draws_table, f"draw {draw.draw_id!r}", **self._draw_values(draw))

    def update_draw(self, draw: DrawRecord) -> None:
        t = draws_table
        try:
            with self.c.begin_nested():
                done = self.c.execute(
                    t.update().where(t.c.draw_id == draw.draw_id).values(**self._draw_values(draw))
                ).rowcount
        except sa.exc.IntegrityError as e:
            raise StoreError(f"draw {draw.draw_id}: a log index is already used") from e
        if done != 1:
            raise StoreError(f"no draw {draw.draw_id!r}")

    def add_outcome(self, outcome: OutcomeRecord) -> None:
        self._insert(outcomes_table,
                     f"outcome of unit {outcome.unit_id} in draw {outcome.draw_id}",
                     log_index=outcome.log_index, draw_id=outcome.draw_id,
                     unit_id=outcome.unit_id, date=outcome.date, result=outcome.result)

    def list_outcomes(self, draw_id: str | None = None) -> list[OutcomeRecord]:
        t = outcomes_table
        query = sa.select(t.c.log_index, t.c.draw_id, t.c.unit_id, t.c.date, t.c.result)
        if draw_id is not None:
            query = query.where(t.c.draw_id == draw_id)
        return [OutcomeRecord(*r) for r in self.c.execute(query.order_by(t.c.log_index))]

    def watermark(self) -> int:
        t = meta_table
        value = self.c.execute(sa.select(t.c.value).where(t.c.key == WATERMARK)).scalar()
        return 0 if value is None else int(value)

    def set_watermark(self, index: int) -> None:
        if index < 0:
            raise StoreError(f"watermark {index} is negative")
        t = meta_table
        done = self.c.execute(t.update().where(t.c.key == WATERMARK).values(value=index)).rowcount
        if done == 0:
            self.c.execute(t.insert().values(key=WATERMARK, value=index))


class SqlDrawStore:
    """DrawStore on the log's SQL database. The schema must exist (`migrations.upgrade`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlDrawStore:
        from transparency.sql import create_log_engine

        engine = create_log_engine(url)
        if migrate:
            from draw_engine.migrations import upgrade_engine

            upgrade_engine(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[DrawTx]:
        conn = self.engine.connect()
        # SQLite: take the write lock at BEGIN (transparency.sql's "begin" hook).
        conn.execution_options(fairdraw_write=True)
        try:
            with conn.begin():
                yield _SqlTx(conn)
        finally:
            conn.close()

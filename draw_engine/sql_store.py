"""The SQL implementation of the `DrawStore` port (draw_engine/store.py; DESIGN §2, §7).

SQLAlchemy 2 Core on the log's database (SQLite or PostgreSQL), in the tables of
`draw_engine.tables`, created by the Alembic migrations in `draw_engine.migrations`
(version table `alembic_version_draw_engine`), on an engine from the neutral
`sqlbase` layer (the draw engine imports none of the log's SQL modules). A unit of
work is one database transaction; a duplicate key becomes a `StoreError` and leaves
the transaction usable (each insert runs in a savepoint). It passes the same conformance test as
`MemoryDrawStore` (tests/draw_engine/test_store.py).

Left out: deleting anything (nothing is ever deleted), pagination.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from draw_engine.migrations import upgrade_engine
from draw_engine.store import (
    WATERMARK,
    DrawRecord,
    DrawTx,
    OutcomeRecord,
    StoredSnapshot,
    StoredVersion,
    StoreError,
)
from draw_engine.tables import (
    draws_table,
    meta_table,
    outcomes_table,
    snapshots_table,
    versions_table,
)
from sqlbase.engine import create_engine, write_connection


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

    def drop_pending_snapshots(self, only: str | None = None) -> list[str]:
        t = snapshots_table
        where: sa.ColumnElement[bool] = t.c.log_index.is_(None)
        if only is not None:
            where = sa.and_(where, t.c.name == only)
        names = [str(n) for n in self.c.execute(sa.select(t.c.name).where(where)).scalars()]
        if names:
            self.c.execute(t.delete().where(where, t.c.name.in_(names)))
        return names

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

    def supersede_outcome(self, old_index: int, outcome: OutcomeRecord) -> None:
        t = outcomes_table
        gone = self.c.execute(t.delete().where(
            t.c.log_index == old_index, t.c.draw_id == outcome.draw_id,
            t.c.unit_id == outcome.unit_id)).rowcount
        if gone != 1:
            raise StoreError(f"no outcome of unit {outcome.unit_id} in draw {outcome.draw_id} "
                             f"at log index {old_index}")
        self.add_outcome(outcome)

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
        engine = create_engine(url)
        if migrate:
            upgrade_engine(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[DrawTx]:
        conn = write_connection(self.engine)  # SQLite: the write lock is taken at BEGIN
        try:
            with conn.begin():
                yield _SqlTx(conn)
        finally:
            conn.close()

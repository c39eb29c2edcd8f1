"""Witness state storage: the latest cosigned checkpoint per origin.

One narrow port, `WitnessState`, with two implementations passing the same
conformance tests (tests/witnesses/test_store.py): `MemoryWitnessState` and
`SqlWitnessState` (SQLAlchemy 2 Core; SQLite or PostgreSQL; the tables of
`witnesses.tables`, created by the Alembic migrations in `witnesses.migrations`,
on an engine from the neutral `sqlbase` layer: a witness imports none of the
log's SQL modules).

The only write is `compare_and_swap(expected, new)`: it replaces the stored
checkpoint for `new.origin` only if what is stored is still exactly `expected`
(same size and root; `None` = nothing stored), in ONE statement
(`UPDATE … WHERE origin=? AND tree_size=? AND root_hash=?`, or an `INSERT`
that the primary key makes fail if a row appeared). So the check a witness
made and the write it does are one atomic step, as C2SP tlog-witness
requires, on any number of processes sharing the database. Each call is its
own transaction: the compare-and-swap IS the unit of work, so there is no
outer service transaction to join.

`instance_id` ties a database to the witness directory that created it, so a
witness whose database was lost or replaced notices (docs/spec/witness.md §7).
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sqlbase.engine import create_engine
from witnesses.errors import CompareAndSwapError
from witnesses.migrations import upgrade_engine
from witnesses.state import WitnessedCheckpoint
from witnesses.tables import checkpoints_table, meta_table

_INSTANCE = "instance_id"


class WitnessState(Protocol):
    """The witness's persistent state."""

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        """The latest cosigned checkpoint for `origin`, or None if never cosigned."""
        ...

    def all_latest(self) -> list[WitnessedCheckpoint]:
        """Every stored checkpoint, ordered by origin."""
        ...

    def compare_and_swap(
        self, expected: WitnessedCheckpoint | None, new: WitnessedCheckpoint
    ) -> None:
        """Store `new` iff the stored checkpoint for new.origin is still `expected`.

        Raises CompareAndSwapError (and changes nothing) otherwise."""
        ...

    def instance_id(self) -> str | None: ...

    def set_instance_id(self, value: str) -> None: ...


def _same(a: WitnessedCheckpoint | None, b: WitnessedCheckpoint | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.origin, a.tree_size, a.root_hash) == (b.origin, b.tree_size, b.root_hash)


class MemoryWitnessState:
    """In-memory WitnessState (tests, simulations). Thread-safe."""

    def __init__(self) -> None:
        self._rows: dict[str, WitnessedCheckpoint] = {}
        self._instance: str | None = None
        self._lock = threading.Lock()

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        with self._lock:
            return self._rows.get(origin)

    def all_latest(self) -> list[WitnessedCheckpoint]:
        with self._lock:
            return [self._rows[o] for o in sorted(self._rows)]

    def compare_and_swap(
        self, expected: WitnessedCheckpoint | None, new: WitnessedCheckpoint
    ) -> None:
        if expected is not None and expected.origin != new.origin:
            raise ValueError("expected and new checkpoints are for different origins")
        with self._lock:
            current = self._rows.get(new.origin)
            if not _same(current, expected):
                raise CompareAndSwapError(
                    f"state of {new.origin!r} changed: expected size "
                    f"{expected.tree_size if expected else 'none'}, found "
                    f"{current.tree_size if current else 'none'}"
                )
            self._rows[new.origin] = new

    def instance_id(self) -> str | None:
        return self._instance

    def set_instance_id(self, value: str) -> None:
        self._instance = value


class SqlWitnessState:
    """WitnessState on SQLite or PostgreSQL. Run `witnesses.migrations.upgrade_engine` first
    (or use `SqlWitnessState.open(url)`, which does)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlWitnessState:
        engine = create_engine(url)
        if migrate:
            upgrade_engine(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _row(row: Any) -> WitnessedCheckpoint:
        return WitnessedCheckpoint(row[0], int(row[1]), bytes(row[2]), bytes(row[3]))

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        t = checkpoints_table
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.c.origin, t.c.tree_size, t.c.root_hash, t.c.note).where(
                    t.c.origin == origin
                )
            ).first()
        return None if row is None else self._row(row)

    def all_latest(self) -> list[WitnessedCheckpoint]:
        t = checkpoints_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.origin, t.c.tree_size, t.c.root_hash, t.c.note).order_by(t.c.origin)
            ).all()
        return [self._row(r) for r in rows]

    def compare_and_swap(
        self, expected: WitnessedCheckpoint | None, new: WitnessedCheckpoint
    ) -> None:
        if expected is not None and expected.origin != new.origin:
            raise ValueError("expected and new checkpoints are for different origins")
        t = checkpoints_table
        values = {"tree_size": new.tree_size, "root_hash": new.root_hash, "note": new.note}
        try:
            with self.engine.begin() as conn:
                if expected is None:
                    # The primary key makes this fail if another request stored first.
                    conn.execute(sa.insert(t).values(origin=new.origin, **values))
                    return
                result = conn.execute(
                    sa.update(t)
                    .where(
                        t.c.origin == new.origin,
                        t.c.tree_size == expected.tree_size,
                        t.c.root_hash == expected.root_hash,
                    )
                    .values(**values)
                )
                if result.rowcount != 1:
                    raise CompareAndSwapError(
                        f"state of {new.origin!r} changed since size {expected.tree_size} was read"
                    )
        except IntegrityError as e:
            raise CompareAndSwapError(f"state of {new.origin!r} was created concurrently") from e

    def instance_id(self) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == _INSTANCE)
            ).scalar()
        return None if value is None else str(value)

    def set_instance_id(self, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(meta_table).where(meta_table.c.key == _INSTANCE))
            conn.execute(sa.insert(meta_table).values(key=_INSTANCE, value=value))

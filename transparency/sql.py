"""SQL log storage (SQLAlchemy 2 Core): SQLite by default, PostgreSQL in production.

Implements the `transparency.storage.LogStorage` port on the tables of
`transparency.tables` (entries, complete Merkle nodes keyed by in-order id,
checkpoints, the write lease), created by the Alembic migrations in
`transparency.migrations`, on an engine from `sqlbase.engine`.

DESIGN §7: SQLite runs in WAL mode with `synchronous=FULL`, so a committed
append survives a process kill and a power cut; PostgreSQL commits are durable
by default. Each write method is one transaction; nothing is visible before
it commits, and the sequencer hands out indices only after the commit.

Hot paths, on one code path each:
- an append is one write transaction: the fencing check, the size check, then
  `executemany` over tuples per table with INSERTs compiled once per table
  (`sqlbase.engine.BulkInsert`), so no per-row parameter processing;
- a proof reads its ≤ 8 uncached nodes with one `id IN (…)` statement on a
  held read connection (`sqlbase.engine.ReadConnection`): no pool checkout
  and no statement compilation per proof.

Sequencer exclusion (one appender per log, DESIGN §7): the write lease in
`log_lease` (one row: epoch, holder, expiry; see transparency.storage). Every
fenced write runs `UPDATE log_lease SET epoch = epoch WHERE id = 1 AND epoch = :e`
first in its own transaction: no row updated means the lease was taken over
(FencedError, nothing written); a row updated holds that row's lock until the
commit, so a takeover (which updates the same row) is ordered entirely before
or after the write. Besides the lease:
- SQLite file: an exclusive `flock` on `<database file>-sequencer.lock`; the
  kernel drops it when the process dies, so holding it proves every other
  writer of this local file is dead and the lease may be taken over at once;
- SQLite in memory: a flag in this process (nothing else can see that database);
- PostgreSQL: no lock beyond the lease. (A session advisory lock was used
  until issue 14: it vanished with its session while its holder kept writing.)

Node hashes never change once written, so hashes of nodes at level ≥ 8 (one
per 256 leaves, at most `UPPER_CACHE_LIMIT` of them) are cached in process.

Left out: pruning, and any ORM layer (Core statements are enough and faster).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sqlbase.engine import (
    BulkInsert,
    ReadConnection,
    create_engine,
    positional_marks,
    write_connection,
)
from transparency.errors import FencedError, SequencerBusyError, StorageError
from transparency.merkle import Node
from transparency.migrations import upgrade_engine
from transparency.storage import (
    Lease,
    SequencerLock,
    StoredCheckpoint,
    check_append,
    check_checkpoint_args,
    check_epoch,
    next_lease,
    node_id,
)
from transparency.tables import checkpoints_table, entries_table, lease_table, nodes_table

DEFAULT_DATABASE_URL = "sqlite:///fairdraw.db"
UPPER_CACHE_LIMIT = 1 << 20
_CHUNK = 900  # ids per IN (…): below SQLite's historical 999-parameter limit

_LEASE_ID = 1


class _FileLock:
    sole_writer = True

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class _FlagLock:
    sole_writer = True

    def __init__(self, storage: SqlStorage) -> None:
        self._storage: SqlStorage | None = storage

    def release(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            with storage._cache_mutex:
                storage._memory_locked = False


class _NoLock:
    """PostgreSQL: servers on several hosts share the database; only the lease decides."""

    sole_writer = False

    def release(self) -> None:
        return None


class SqlStorage:
    """LogStorage on a SQL database. The schema must exist (`migrations.upgrade(url)`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[int, bytes] = {}
        self._cache_mutex = threading.Lock()
        self._memory_locked = False
        self._reads = ReadConnection(engine)
        self._insert_entries = BulkInsert(entries_table, engine.dialect)
        self._insert_nodes = BulkInsert(nodes_table, engine.dialect)
        self._select_nodes: dict[int, str] = {}

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlStorage:
        """Open the log at `url`, first bringing its schema up to date unless told not to."""
        engine = create_engine(url)
        if migrate:
            upgrade_engine(engine)
        return cls(engine)

    def close(self) -> None:
        self._reads.close()
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- reads -------------------------------------------------------------------

    def tree_size(self) -> int:
        with self.engine.connect() as conn:
            return _size(conn)

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        ids = [node_id(level, index) for level, index in nodes]
        cache = self._cache  # only ever grows; a read needs no lock
        found = {i: cache[i] for i in ids if i in cache}
        missing = [i for i in set(ids) if i not in found]
        if missing:
            fetched = self._fetch_nodes(missing)
            found.update(fetched)
            self._remember(fetched)
        try:
            return [found[i] for i in ids]
        except KeyError:
            level, index = next(n for n, i in zip(nodes, ids, strict=True) if i not in found)
            raise StorageError(f"node ({level}, {index}) is not stored") from None

    def _node_query(self, count: int) -> str:
        sql = self._select_nodes.get(count)
        if sql is None:
            # Table and column names come from transparency.tables; values are bound.
            marks = positional_marks(self.engine.dialect, count)
            sql = f"SELECT id, hash FROM {nodes_table.name} WHERE id IN ({marks})"  # noqa: S608
            self._select_nodes[count] = sql
        return sql

    def _fetch_nodes(self, ids: Sequence[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        for pos in range(0, len(ids), _CHUNK):
            chunk = ids[pos : pos + _CHUNK]
            for i, h in self._reads.fetchall(self._node_query(len(chunk)), chunk):
                out[int(i)] = bytes(h)
        return out

    def _remember(self, fetched: dict[int, bytes]) -> None:
        with self._cache_mutex:
            for i, h in fetched.items():
                # an id of level ≥ 8 has its 8 low bits set (id ≡ 2^l − 1 mod 2^(l+1))
                if i & 0xFF == 0xFF and len(self._cache) < UPPER_CACHE_LIMIT:
                    self._cache[i] = h

    def read_entries(self, start: int, end: int) -> list[bytes]:
        if start < 0 or start > end:
            raise StorageError(f"entries [{start}, {end}) is not a valid range")
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(entries_table.c.idx, entries_table.c.data)
                .where(entries_table.c.idx >= start, entries_table.c.idx < end)
                .order_by(entries_table.c.idx)
            ).all()
        if len(rows) != end - start:
            raise StorageError(f"entries [{start}, {end}) are not all stored ({len(rows)} found)")
        return [bytes(r[1]) for r in rows]

    def latest_checkpoint(self, *, cosigned_only: bool = False) -> StoredCheckpoint | None:
        t = checkpoints_table
        query = sa.select(t.c.tree_size, t.c.root_hash, t.c.note, t.c.cosigned, t.c.created_at)
        if cosigned_only:
            query = query.where(t.c.cosigned.is_(True))
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(t.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        created = row[4] if row[4].tzinfo else row[4].replace(tzinfo=UTC)
        return StoredCheckpoint(row[0], bytes(row[1]), bytes(row[2]), bool(row[3]), created)

    def first_cosigned_covering(self, index: int) -> StoredCheckpoint | None:
        t = checkpoints_table
        query = (
            sa.select(t.c.tree_size, t.c.root_hash, t.c.note, t.c.cosigned, t.c.created_at)
            .where(t.c.cosigned.is_(True), t.c.tree_size > index)
            .order_by(t.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        created = row[4] if row[4].tzinfo else row[4].replace(tzinfo=UTC)
        return StoredCheckpoint(row[0], bytes(row[1]), bytes(row[2]), bool(row[3]), created)

    # -- writes ------------------------------------------------------------------

    def append(
        self,
        start: int,
        entries: Sequence[bytes],
        nodes: Sequence[tuple[Node, bytes]],
        *,
        epoch: int | None = None,
    ) -> None:
        try:
            with write_connection(self.engine) as conn, conn.begin():
                _fence(conn, epoch)
                node_rows = check_append(_size(conn), start, entries, nodes)
                self._insert_entries(conn, list(enumerate(entries, start)))
                self._insert_nodes(conn, node_rows)
        except sa.exc.IntegrityError as e:
            raise StorageError(f"append at index {start} conflicts with stored data") from e

    def store_checkpoint(
        self,
        tree_size: int,
        root_hash: bytes,
        note: bytes,
        *,
        cosigned: bool,
        created_at: datetime,
        epoch: int | None = None,
    ) -> None:
        with write_connection(self.engine) as conn, conn.begin():
            _fence(conn, epoch)
            check_checkpoint_args(tree_size, root_hash, _size(conn))
            conn.execute(
                checkpoints_table.insert().values(
                    tree_size=tree_size,
                    root_hash=bytes(root_hash),
                    note=bytes(note),
                    cosigned=cosigned,
                    created_at=created_at.astimezone(UTC),
                )
            )

    # -- exclusion ---------------------------------------------------------------

    def acquire_sequencer_lock(self) -> SequencerLock:
        url = self.engine.url
        if self.dialect == "postgresql":
            return _NoLock()
        if self.dialect == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(str(url.database)).resolve()
            lock_path = f"{path}-sequencer.lock"
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SequencerBusyError(
                    f"another sequencer holds {lock_path} (one appender per log)"
                ) from None
            return _FileLock(fd)
        with self._cache_mutex:
            if self._memory_locked:
                raise SequencerBusyError("another sequencer holds this in-memory database")
            self._memory_locked = True
        return _FlagLock(self)

    # -- the write lease ---------------------------------------------------------

    def current_lease(self) -> Lease | None:
        with self.engine.connect() as conn:
            return _read_lease(conn)

    def acquire_lease(
        self, holder: str, *, now: datetime, duration: timedelta, force: bool = False
    ) -> Lease:
        t = lease_table
        try:
            with write_connection(self.engine) as conn, conn.begin():
                current = _read_lease(conn)
                lease = next_lease(current, holder, now, duration, force)
                values = {"epoch": lease.epoch, "holder": holder[:200],
                          "expires_at": lease.expires_at.astimezone(UTC)}
                if current is None:
                    conn.execute(t.insert().values(id=_LEASE_ID, **values))
                else:
                    done = conn.execute(
                        t.update()
                        .where(t.c.id == _LEASE_ID, t.c.epoch == current.epoch)
                        .values(**values)
                    ).rowcount
                    if done != 1:  # a concurrent acquire won (PostgreSQL read committed)
                        raise SequencerBusyError("another sequencer took the write lease just now")
        except sa.exc.IntegrityError as e:  # two first acquires: the primary key decides
            raise SequencerBusyError("another sequencer took the write lease just now") from e
        return lease

    def renew_lease(self, epoch: int, *, now: datetime, duration: timedelta) -> Lease:
        t = lease_table
        with write_connection(self.engine) as conn, conn.begin():
            expires = now + duration
            done = conn.execute(
                t.update()
                .where(t.c.id == _LEASE_ID, t.c.epoch == epoch)
                .values(expires_at=expires.astimezone(UTC))
            ).rowcount
            if done != 1:
                check_epoch(epoch, _read_lease(conn))
            lease = _read_lease(conn)
        if lease is None:  # pragma: no cover - the update above matched the row
            raise StorageError("the write lease vanished during its renewal")
        return lease

    def release_lease(self, epoch: int, *, now: datetime) -> None:
        t = lease_table
        with write_connection(self.engine) as conn, conn.begin():
            current = _read_lease(conn)
            if current is not None and current.epoch == epoch and current.expires_at > now:
                conn.execute(
                    t.update()
                    .where(t.c.id == _LEASE_ID, t.c.epoch == epoch)
                    .values(expires_at=now.astimezone(UTC))
                )


def _read_lease(conn: Connection) -> Lease | None:
    t = lease_table
    row = conn.execute(
        sa.select(t.c.holder, t.c.epoch, t.c.expires_at).where(t.c.id == _LEASE_ID)
    ).first()
    if row is None:
        return None
    expires = row[2] if row[2].tzinfo else row[2].replace(tzinfo=UTC)
    return Lease(str(row[0]), int(row[1]), expires)


def _fence(conn: Connection, epoch: int | None) -> None:
    """The fencing check, first in a write transaction: lock the lease row iff it still
    holds `epoch` (so no takeover can interleave with this write), else FencedError."""
    if epoch is None:
        return
    t = lease_table
    done = conn.execute(
        t.update().where(t.c.id == _LEASE_ID, t.c.epoch == epoch).values(epoch=t.c.epoch)
    ).rowcount
    if done != 1:
        check_epoch(epoch, _read_lease(conn))
        raise FencedError(  # pragma: no cover - check_epoch raised: the epochs differ
            f"write refused: lease epoch {epoch} is not stored", epoch=epoch, current_epoch=None
        )


def _size(conn: Connection) -> int:
    top = conn.execute(sa.select(sa.func.max(entries_table.c.idx))).scalar()
    return 0 if top is None else int(top) + 1

"""SQL log storage (SQLAlchemy 2 Core): SQLite by default, PostgreSQL in production.

Implements the `transparency.storage.LogStorage` port with three tables
(created by the Alembic migrations in `transparency.migrations`):

- `log_entries (idx, data)`: the entries;
- `log_nodes (id, hash)`: every complete Merkle node, keyed by its in-order
  id (`storage.node_id`), so a proof is one `id IN (…)` lookup;
- `log_checkpoints`: the signed checkpoint history.

DESIGN §7: SQLite runs in WAL mode with `synchronous=FULL`, so a committed
append survives a process kill and a power cut; PostgreSQL commits are durable
by default. Each write method is one transaction; nothing is visible before
it commits.

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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from transparency.errors import FencedError, SequencerBusyError, StorageError
from transparency.merkle import Node
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

DEFAULT_DATABASE_URL = "sqlite:///fairdraw.db"
UPPER_CACHE_LIMIT = 1 << 20
_CACHE_MIN_LEVEL = 8
_CHUNK = 900  # ids per IN (…): below SQLite's historical 999-parameter limit

metadata = sa.MetaData()

entries_table = sa.Table(
    "log_entries",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

nodes_table = sa.Table(
    "log_nodes",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

checkpoints_table = sa.Table(
    "log_checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.LargeBinary, nullable=False),
    sa.Column("cosigned", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

lease_table = sa.Table(
    "log_lease",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("epoch", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
_LEASE_ID = 1


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def create_log_engine(url: str) -> Engine:
    """An engine with the pragmas DESIGN §7 requires (SQLite: WAL, synchronous=FULL)."""
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so the size check and the
        # inserts of one append cannot interleave with another writer.
        immediate = conn.get_execution_options().get("fairdraw_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


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

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlStorage:
        """Open the log at `url`, first bringing its schema up to date unless told not to."""
        engine = create_log_engine(url)
        if migrate:
            from transparency.migrations import upgrade_engine

            upgrade_engine(engine)
        return cls(engine)

    def close(self) -> None:
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
        found: dict[int, bytes] = {}
        with self._cache_mutex:
            for i, (level, _) in zip(ids, nodes, strict=True):
                if level >= _CACHE_MIN_LEVEL and i in self._cache:
                    found[i] = self._cache[i]
        missing = sorted({i for i in ids if i not in found})
        if missing:
            found.update(self._fetch_nodes(missing))
            self._remember(found, missing)
        out = []
        for i, (level, index) in zip(ids, nodes, strict=True):
            h = found.get(i)
            if h is None:
                raise StorageError(f"node ({level}, {index}) is not stored")
            out.append(h)
        return out

    def _fetch_nodes(self, ids: Sequence[int]) -> list[tuple[int, bytes]]:
        # The proof hot path: a plain DBAPI query skips SQLAlchemy's statement
        # machinery (≈ 150 µs per call); reads need no explicit transaction.
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            out: list[tuple[int, bytes]] = []
            for pos in range(0, len(ids), _CHUNK):
                chunk = list(ids[pos : pos + _CHUNK])
                marks = ",".join([mark] * len(chunk))
                cur.execute(f"SELECT id, hash FROM log_nodes WHERE id IN ({marks})", chunk)  # noqa: S608
                out.extend((int(r[0]), bytes(r[1])) for r in cur.fetchall())
            cur.close()
            raw.commit()  # ends PostgreSQL's implicit read transaction; a no-op on SQLite
        finally:
            raw.close()
        return out

    def _remember(self, found: dict[int, bytes], ids: Sequence[int]) -> None:
        with self._cache_mutex:
            for i in ids:
                # an id of level ≥ 8 has its 8 low bits set (id ≡ 2^l − 1 mod 2^(l+1))
                if i & 0xFF == 0xFF and i in found and len(self._cache) < UPPER_CACHE_LIMIT:
                    self._cache[i] = found[i]

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

    def _write(self) -> Any:
        conn = self.engine.connect()
        conn.execution_options(fairdraw_write=True)
        return conn

    def append(
        self,
        start: int,
        entries: Sequence[bytes],
        nodes: Sequence[tuple[Node, bytes]],
        *,
        epoch: int | None = None,
    ) -> None:
        try:
            with self._write() as conn, conn.begin():
                _fence(conn, epoch)
                check_append(_size(conn), start, entries, nodes)
                if entries:
                    conn.execute(
                        entries_table.insert(),
                        [{"idx": start + k, "data": bytes(e)} for k, e in enumerate(entries)],
                    )
                if nodes:
                    conn.execute(
                        nodes_table.insert(),
                        [{"id": node_id(lvl, idx), "hash": bytes(h)} for (lvl, idx), h in nodes],
                    )
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
        with self._write() as conn, conn.begin():
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
            with self._write() as conn, conn.begin():
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
        with self._write() as conn, conn.begin():
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
        with self._write() as conn, conn.begin():
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

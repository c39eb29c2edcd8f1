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

Sequencer exclusion (one appender per log):
- PostgreSQL: `pg_try_advisory_lock(k)` held on a dedicated connection for as
  long as the sequencer lives; k is derived from the current schema, so logs
  in different schemas of one database do not exclude each other. The server
  drops the lock when the connection dies (crash, SIGKILL).
- SQLite file: an exclusive `flock` on `<database file>-sequencer.lock`; the
  kernel drops it when the process dies.
- SQLite in memory: a flag in this process (nothing else can see that database).

Node hashes never change once written, so hashes of nodes at level ≥ 8 (one
per 256 leaves, at most `UPPER_CACHE_LIMIT` of them) are cached in process.

Left out: pruning, and any ORM layer (Core statements are enough and faster).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from transparency.errors import SequencerBusyError, StorageError
from transparency.merkle import Node
from transparency.storage import (
    SequencerLock,
    StoredCheckpoint,
    check_append,
    check_checkpoint_args,
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
    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class _FlagLock:
    def __init__(self, storage: SqlStorage) -> None:
        self._storage: SqlStorage | None = storage

    def release(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            with storage._cache_mutex:
                storage._memory_locked = False


class _AdvisoryLock:
    def __init__(self, conn: Connection, key: int) -> None:
        self._conn: Connection | None = conn
        self._key = key

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                conn.commit()
            finally:
                conn.close()


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
        self, start: int, entries: Sequence[bytes], nodes: Sequence[tuple[Node, bytes]]
    ) -> None:
        try:
            with self._write() as conn, conn.begin():
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
        self, tree_size: int, root_hash: bytes, note: bytes, *, cosigned: bool, created_at: datetime
    ) -> None:
        with self._write() as conn, conn.begin():
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
            return self._advisory_lock()
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

    def _advisory_lock(self) -> SequencerLock:
        conn = self.engine.connect()
        try:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            digest = hashlib.sha256(f"fairdraw.transparency.sequencer:{schema}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            raise SequencerBusyError(
                f"another sequencer holds the advisory lock of schema {schema!r} "
                "(one appender per log)"
            )
        return _AdvisoryLock(conn, key)


def _size(conn: Connection) -> int:
    top = conn.execute(sa.select(sa.func.max(entries_table.c.idx))).scalar()
    return 0 if top is None else int(top) + 1

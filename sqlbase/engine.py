"""Engines and connections for SQLite and PostgreSQL, as DESIGN §7 requires them.

- `create_engine(url)`: SQLite runs in WAL mode with `synchronous=FULL` (a
  committed transaction survives a process kill and a power cut) and a 10 s
  busy timeout; a SQLite `:memory:` database lives on one shared connection.
  We emit BEGIN ourselves: plain (deferred) for reads, `BEGIN IMMEDIATE` for a
  `write_connection`, so the checks and the writes of one transaction cannot
  interleave with another writer's. PostgreSQL commits are durable by
  default; its pool is pre-pinged on checkout.
- `ReadConnection`: one connection held open for short reads on a hot path
  (autocommit, no pool checkout per read); a lost connection is replaced once
  and otherwise reported as SQLAlchemy's `OperationalError`.
- `BulkInsert(table, dialect)`: many rows of one table written by `executemany`
  over tuples with statements compiled once per table, so bulk writes skip
  SQLAlchemy's per-row parameter processing; each statement carries as many
  rows as fit in `MAX_PARAMETERS` (a multi-row VALUES), which cuts the database's
  per-row cost by about 40 % against one row per statement (docs/performance.md).

Left out: other databases (the settings accept only SQLite and PostgreSQL).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.pool import StaticPool

WRITE_OPTION = "sqlbase_write"
"""Execution option marking a connection whose transactions begin with SQLite's write lock."""


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 (SQLAlchemy's default is psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def is_memory_sqlite(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for `url` with the pragmas DESIGN §7 requires.

    `pool_size`/`max_overflow` size a server database's pool (PostgreSQL);
    a SQLite file gets SQLAlchemy's default pool, `:memory:` one shared connection."""
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
        )
    memory = is_memory_sqlite(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver never opens transactions; BEGIN is ours
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions are writes: on SQLite they take the write lock at BEGIN."""
    conn = engine.connect()
    conn.execution_options(**{WRITE_OPTION: True})
    return conn


def insert_sql(table: sa.Table, dialect: Dialect) -> str:
    """`INSERT INTO table (all columns) VALUES (…)` with positional parameters, for
    `Connection.exec_driver_sql(text, [tuple, …])`; tuples follow `table.c` order."""
    if not dialect.positional:
        # e.g. psycopg's pyformat (%(name)s): the same dialect class in its "format" style.
        positional: Any = type(dialect)
        dialect = positional(paramstyle="format")
    return str(table.insert().compile(dialect=dialect))


MAX_PARAMETERS = 999
"""Parameters per statement in a multi-row INSERT: SQLite's historical limit (newer
SQLite allows 32,766, PostgreSQL 65,535)."""


class BulkInsert:
    """Writes many rows of one table inside the caller's transaction.

    Full groups of `rows_per_statement` rows (as many as bind at most
    `MAX_PARAMETERS` parameters) go through one `executemany` of the multi-row
    statement; the remainder through one `executemany` of the one-row statement.
    Both texts are compiled once, here. Rows are tuples in `table.c` order."""

    def __init__(self, table: sa.Table, dialect: Dialect) -> None:
        self.rows_per_statement = max(1, MAX_PARAMETERS // len(table.c))
        self.one_row = insert_sql(table, dialect)
        head, values = self.one_row.split(" VALUES ", 1)
        self.many_rows = f"{head} VALUES {', '.join([values] * self.rows_per_statement)}"

    def __call__(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        k = self.rows_per_statement
        full = len(rows) - len(rows) % k
        if full:
            groups = [tuple(chain.from_iterable(rows[p : p + k])) for p in range(0, full, k)]
            conn.exec_driver_sql(self.many_rows, groups)
        if full < len(rows):
            conn.exec_driver_sql(self.one_row, list(rows[full:]))


def positional_marks(dialect: Dialect, count: int) -> str:
    """`count` comma-separated positional parameter marks for raw DBAPI statements."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    return ",".join([mark] * count)


class ReadConnection:
    """One DBAPI connection kept for short reads, used by one caller at a time.

    Each statement is its own read (SQLite: no transaction is open between
    statements, so every read sees the latest commit; PostgreSQL: the held
    connection is in AUTOCOMMIT, so no transaction stays open). A statement
    that fails because the connection was lost is retried once on a new one;
    any other DBAPI failure is raised as SQLAlchemy's `DBAPIError` subclass.
    `close()` hands the connection back to the engine's pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mutex = threading.Lock()
        self._conn: Connection | None = None
        self._cursor: Any = None

    def _open(self) -> Any:
        conn = self.engine.connect()
        if self.engine.dialect.name != "sqlite":
            # SQLite connections are already driver-autocommit (create_engine); setting
            # AUTOCOMMIT there would be undone on return to the pool, breaking BEGIN.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        self._conn = conn
        self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    def _drop(self, *, invalidate: bool) -> None:
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is None:
            return
        try:
            if invalidate:
                conn.invalidate()
            conn.close()
        except Exception:  # noqa: S110 - a broken connection may fail to close; it is gone
            pass

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows of one read statement with positional `params` (DBAPI rows, not Row objects)."""
        dialect = self.engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        with self._mutex:
            for attempt in (1, 2):
                cursor = self._cursor if self._cursor is not None else self._open()
                try:
                    cursor.execute(sql, params)
                    return list(cursor.fetchall())
                except dbapi_error as e:
                    lost = self._conn is not None and dialect.is_disconnect(
                        e, self._conn.connection.driver_connection, cursor
                    )
                    self._drop(invalidate=lost)
                    if lost and attempt == 1:
                        continue
                    raise sa.exc.DBAPIError.instance(
                        sql, list(params), e, dbapi_error, connection_invalidated=lost,
                        dialect=dialect,
                    ) from e
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._mutex:
            self._drop(invalidate=False)

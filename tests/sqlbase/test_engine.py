"""sqlbase.engine: durability pragmas, write transactions, executemany text, the held reader."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sqlbase.engine import (
    MAX_PARAMETERS,
    BulkInsert,
    ReadConnection,
    create_engine,
    insert_sql,
    normalize_url,
    positional_marks,
    write_connection,
)

ROWS = sa.MetaData()
GROUP = MAX_PARAMETERS // 3  # rows per multi-row statement for the three columns below
rows_table = sa.Table(
    "rows", ROWS,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("label", sa.String(16), nullable=True),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'x.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = create_engine(url)
    ROWS.create_all(engine)
    yield engine
    engine.dispose()


def test_sqlite_is_wal_with_full_sync(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    engine.dispose()


def test_sqlite_memory_is_one_shared_database() -> None:
    engine = create_engine("sqlite://")
    ROWS.create_all(engine)
    with engine.begin() as conn:
        conn.execute(rows_table.insert().values(id=1, data=b"x"))
    with engine.connect() as other:  # a second checkout sees the same database
        assert other.execute(sa.select(rows_table.c.data)).scalar_one() == b"x"
    engine.dispose()


def test_postgres_plain_url_means_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert create_engine("postgresql://u@h/db").dialect.driver == "psycopg"


def test_sqlite_write_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    ROWS.create_all(engine)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as reader, reader.begin():
            reader.execute(sa.select(rows_table.c.id)).all()
            other.execute("BEGIN IMMEDIATE")  # a read transaction leaves the write lock free
            other.execute("ROLLBACK")
        # nothing written yet, but the write lock is already held
        with write_connection(engine) as writer, writer.begin(), pytest.raises(
                sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()


def test_insert_sql_is_positional_in_column_order() -> None:
    sqlite = create_engine("sqlite://")
    assert insert_sql(rows_table, sqlite.dialect) == (
        "INSERT INTO rows (id, data, label) VALUES (?, ?, ?)"
    )
    pg = create_engine("postgresql+psycopg://u@h/db")  # compiling needs no server
    assert insert_sql(rows_table, pg.dialect) == (
        "INSERT INTO rows (id, data, label) VALUES (%s::BIGINT, %s, %s::VARCHAR)"
    )
    assert positional_marks(sqlite.dialect, 3) == "?,?,?"
    assert positional_marks(pg.dialect, 2) == "%s,%s"
    sqlite.dispose()
    pg.dispose()


def test_bulk_insert_statements_are_compiled_from_the_table() -> None:
    pg = create_engine("postgresql+psycopg://u@h/db")
    bulk = BulkInsert(rows_table, pg.dialect)
    assert bulk.rows_per_statement == GROUP == 333
    assert bulk.one_row == insert_sql(rows_table, pg.dialect)
    group = "(%s::BIGINT, %s, %s::VARCHAR)"
    assert bulk.many_rows == (
        f"INSERT INTO rows (id, data, label) VALUES {', '.join([group] * GROUP)}"
    )
    pg.dispose()


@pytest.mark.parametrize("count", [0, 1, GROUP - 1, GROUP, GROUP + 1, 2 * GROUP + 3, 2500])
def test_bulk_insert_writes_every_row(engine: sa.Engine, count: int) -> None:
    rows = [(i, bytes([i % 256]) * (i % 7), None if i % 3 else f"r{i}") for i in range(count)]
    with write_connection(engine) as conn, conn.begin():
        BulkInsert(rows_table, engine.dialect)(conn, rows)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(rows_table).order_by(rows_table.c.id)).all()
    assert [(r[0], bytes(r[1]), r[2]) for r in stored] == rows


@pytest.mark.parametrize("duplicate_at", [5, GROUP + 7])  # in a group, in the rest
def test_bulk_insert_failure_writes_nothing(engine: sa.Engine, duplicate_at: int) -> None:
    rows = [(i, b"x", None) for i in range(GROUP + 10)]
    rows[duplicate_at] = (0, b"again", None)
    with pytest.raises(sa.exc.IntegrityError), write_connection(engine) as conn, conn.begin():
        BulkInsert(rows_table, engine.dialect)(conn, rows)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows_table)).scalar() == 0


def test_read_connection_sees_later_commits_and_reports_errors(engine: sa.Engine) -> None:
    reads = ReadConnection(engine)
    query = f"SELECT id, data FROM rows WHERE id IN ({positional_marks(engine.dialect, 2)})"
    text = insert_sql(rows_table, engine.dialect)
    try:
        assert reads.fetchall(query, [1, 2]) == []
        with write_connection(engine) as conn, conn.begin():
            conn.exec_driver_sql(text, [(1, b"a", None)])
        assert [(i, bytes(d)) for i, d in reads.fetchall(query, [1, 2])] == [(1, b"a")]
        with write_connection(engine) as conn, conn.begin():
            conn.exec_driver_sql(text, [(2, b"b", None)])
        assert sorted((i, bytes(d)) for i, d in reads.fetchall(query, [1, 2])) == [
            (1, b"a"), (2, b"b")]
        # a bad statement is SQLAlchemy's error, naming the statement; the reader recovers
        with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
            reads.fetchall("SELECT x FROM no_such_table", [])
        assert len(reads.fetchall(query, [1, 2])) == 2
    finally:
        reads.close()
    # closed: the connection went back to the pool; a new read opens another
    assert len(reads.fetchall(query, [1, 2])) == 2
    reads.close()


@pytest.mark.postgres
def test_held_postgres_reader_keeps_no_transaction_open(postgres_schema_url: str) -> None:
    tag = f"sqlbase_reader_{uuid.uuid4().hex[:8]}"
    engine = create_engine(f"{postgres_schema_url}&application_name={tag}")
    ROWS.create_all(engine)
    admin = sa.create_engine(postgres_schema_url)
    reads = ReadConnection(engine)
    try:
        reads.fetchall("SELECT id FROM rows WHERE id IN (%s)", [1])
        with admin.connect() as conn:
            states = conn.execute(
                sa.text("SELECT state FROM pg_stat_activity WHERE application_name = :tag"),
                {"tag": tag},
            ).scalars().all()
        assert states == ["idle"]  # not "idle in transaction": no snapshot is held open
        reads.close()
        with engine.connect() as conn:  # the same pooled connection, transactional again
            assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        reads.close()
        engine.dispose()
        admin.dispose()

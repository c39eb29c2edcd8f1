"""Tables are defined once: every package's migrations, applied to a fresh database, give
exactly the schema of its SQLAlchemy metadata (SQLite, and PostgreSQL when
FAIRDRAW_TEST_DATABASE_URL is set); existing databases upgrade step by step; new
revisions are generated from the metadata; no SQL module import cycle remains."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from draw_engine.migrations import HISTORY as DRAW_HISTORY
from fairdraw.db import HISTORIES as SERVICE_HISTORIES
from fairdraw.migrations import HISTORY as FAIRDRAW_HISTORY
from sqlbase.engine import create_engine
from sqlbase.migrations import (
    History,
    current_revision,
    generate_revision,
    main,
    schema_differences,
    upgrade,
)
from transparency.migrations import HISTORY as LOG_HISTORY
from witnesses.migrations import HISTORY as WITNESS_HISTORY

HISTORIES = [LOG_HISTORY, WITNESS_HISTORY, DRAW_HISTORY, FAIRDRAW_HISTORY]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = create_engine(url)
    yield engine
    engine.dispose()


def revisions(history: History) -> list[str]:
    """The history's revisions, oldest first (one branch per package)."""
    script = ScriptDirectory(str(history.directory), version_locations=[
        str(history.directory / "versions")])
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def test_the_service_database_holds_the_log_draw_and_fairdraw_histories() -> None:
    assert [h.name for h in SERVICE_HISTORIES] == ["transparency", "draw_engine", "fairdraw"]
    assert len({h.version_table for h in HISTORIES}) == len(HISTORIES)
    tables = [name for h in HISTORIES for name in h.metadata.tables]
    assert len(tables) == len(set(tables))  # no table belongs to two histories


@pytest.mark.parametrize("history", HISTORIES, ids=lambda h: h.name)
def test_migrated_schema_equals_the_metadata(history: History, engine: sa.Engine) -> None:
    upgrade(history, engine)
    with engine.connect() as conn:
        assert schema_differences(history, conn) == []
        assert current_revision(history, conn) == revisions(history)[-1]
        present = set(sa.inspect(conn).get_table_names())
    assert set(history.metadata.tables) <= present


@pytest.mark.parametrize("history", HISTORIES, ids=lambda h: h.name)
def test_sqlite_row_layout_follows_the_metadata(history: History, tmp_path: Path) -> None:
    # compare_metadata does not look at SQLite's WITHOUT ROWID option; check it here.
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(history, engine)
    with engine.connect() as conn:
        for table in history.metadata.tables.values():
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                (table.name,)).scalar_one()
            without_rowid = table.dialect_options["sqlite"]["with_rowid"] is False
            assert ("WITHOUT ROWID" in sql) is without_rowid, table.name
    engine.dispose()


def test_the_check_reports_a_schema_that_differs(engine: sa.Engine) -> None:
    upgrade(LOG_HISTORY, engine)
    changed = sa.MetaData()
    for table in LOG_HISTORY.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["log_checkpoints"].append_column(sa.Column("witnessed", sa.Integer))
    sa.Table("log_extra", changed, sa.Column("id", sa.Integer, primary_key=True))
    altered = History("transparency", LOG_HISTORY.directory, LOG_HISTORY.version_table, changed)
    with engine.connect() as conn:
        found = schema_differences(altered, conn)
    kinds = sorted(d[0] if isinstance(d, tuple) else d[0][0] for d in found)
    assert kinds == ["add_column", "add_table"], found


@pytest.mark.parametrize("history", HISTORIES, ids=lambda h: h.name)
def test_existing_databases_upgrade_one_revision_at_a_time(
    history: History, engine: sa.Engine
) -> None:
    for revision in revisions(history):
        upgrade(history, engine, revision)
        with engine.connect() as conn:
            assert current_revision(history, conn) == revision
    upgrade(history, engine)  # at head already: a no-op
    with engine.connect() as conn:
        assert schema_differences(history, conn) == []


def test_a_log_from_before_the_lease_keeps_its_rows(engine: sa.Engine) -> None:
    upgrade(LOG_HISTORY, engine, "0001_log_tables")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO log_entries (idx, data) VALUES (0, :d)"), {"d": b"e0"})
        conn.execute(sa.text("INSERT INTO log_nodes (id, hash) VALUES (0, :h)"), {"h": b"h" * 32})
    upgrade(LOG_HISTORY, engine)
    with engine.connect() as conn:
        assert current_revision(LOG_HISTORY, conn) == "0002_log_lease"
        assert bytes(conn.execute(sa.text("SELECT data FROM log_entries")).scalar_one()) == b"e0"
        assert conn.execute(sa.text("SELECT count(*) FROM log_lease")).scalar_one() == 0


def copy_history(history: History, into: Path, metadata: sa.MetaData) -> History:
    directory = into / "migrations"
    shutil.copytree(history.directory, directory,
                    ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return History(history.name, directory, history.version_table, metadata)


def test_new_revisions_are_generated_from_the_metadata(tmp_path: Path) -> None:
    grown = sa.MetaData()
    for table in WITNESS_HISTORY.metadata.tables.values():
        table.to_metadata(grown)
    sa.Table("witness_peers", grown,
             sa.Column("name", sa.String(64), primary_key=True),
             sa.Column("url", sa.String(512), nullable=False))
    history = copy_history(WITNESS_HISTORY, tmp_path, grown)
    path = generate_revision(history, "witness peers", "w0002")
    assert path is not None
    assert path.parent == history.directory / "versions"
    text = path.read_text(encoding="utf-8")
    assert 'revision = "w0002"' in text or "revision = 'w0002'" in text
    assert "witness_peers" in text
    assert revisions(history) == ["w0001", "w0002"]
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(history, engine)
    with engine.connect() as conn:
        assert schema_differences(history, conn) == []
    engine.dispose()
    # nothing left to generate: no file is written
    assert generate_revision(history, "again", "w0003") is None
    assert sorted(p.name for p in (history.directory / "versions").glob("*.py")) == [
        "0001_witness_state.py", path.name]


def test_revision_command_names_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transparency.migrations"]) == 2
    assert "usage: python -m sqlbase.migrations MODULE MESSAGE REV_ID" in capsys.readouterr().err
    assert main(["transparency.tables", "message", "0003_x"]) == 2
    assert "transparency.tables has no HISTORY" in capsys.readouterr().err


def test_no_sql_module_imports_its_importers() -> None:
    """No import cycle among the SQL modules (the log's migrations and storage used to
    import each other)."""
    grimp = pytest.importorskip("grimp")  # installed with import-linter (the test extra)
    graph = grimp.build_graph("sqlbase", "transparency", "witnesses", "draw_engine", "fairdraw")
    sql_modules = sorted(
        m for m in graph.modules
        if m.startswith("sqlbase")
        or m.split(".")[-1] in {"sql", "sql_store", "store", "tables", "db"}
        or ".migrations" in m
    )
    assert {"transparency.sql", "transparency.migrations", "witnesses.store",
            "draw_engine.sql_store", "sqlbase.migrations"} <= set(sql_modules)
    cycles = [
        (a, b) for a in sql_modules for b in sql_modules
        if a < b and graph.chain_exists(importer=a, imported=b)
        and graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []

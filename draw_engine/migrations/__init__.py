"""Alembic migrations of the draw lifecycle tables (draw_engine.tables).

`upgrade(url)` / `upgrade_engine(engine)` bring a database up to date. The
version table is `alembic_version_draw_engine`, distinct from the log's
(`alembic_version_transparency`) and the witnesses' (`alembic_version_witnesses`),
so the draw tables live in the same database as the log they index.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from draw_engine.tables import metadata
from sqlbase.migrations import History
from sqlbase.migrations import upgrade as run_upgrade

VERSION_TABLE = "alembic_version_draw_engine"
HISTORY = History("draw_engine", Path(__file__).resolve().parent, VERSION_TABLE, metadata)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the draw tables behind `engine` up to `revision`."""
    run_upgrade(HISTORY, engine, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the draw tables at database `url` up to `revision`."""
    run_upgrade(HISTORY, url, revision)

"""Alembic migrations of the draw lifecycle tables (see draw_engine.sql_store).

`upgrade(url)` / `upgrade_engine(engine)` bring a database up to date. The
version table is `alembic_version_draw_engine`, distinct from the log's
(`alembic_version_transparency`) and the witnesses' (`alembic_version_witnesses`),
so the draw tables live in the same database as the log they index.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from transparency.migrations import run_upgrade

VERSION_TABLE = "alembic_version_draw_engine"
_HERE = Path(__file__).resolve().parent


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the draw tables behind `engine` up to `revision`."""
    run_upgrade(_HERE, VERSION_TABLE, engine, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the draw tables at database `url` up to `revision`."""
    run_upgrade(_HERE, VERSION_TABLE, url, revision)

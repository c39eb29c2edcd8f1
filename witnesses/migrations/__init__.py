"""Alembic migrations of the witness state tables (see witnesses.store).

`upgrade_engine(engine)` brings a database up to date. The version table is
`alembic_version_witnesses`, so a witness may share a database with a log
(whose history lives in `alembic_version_transparency`) without collisions.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from transparency.migrations import run_upgrade

VERSION_TABLE = "alembic_version_witnesses"
_HERE = Path(__file__).resolve().parent


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the witness schema behind `engine` up to `revision`."""
    run_upgrade(_HERE, VERSION_TABLE, engine, revision)

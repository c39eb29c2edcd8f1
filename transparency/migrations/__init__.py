"""Alembic migrations of the log tables (transparency.tables).

The revision history lives in `versions/`; the version table is
`alembic_version_transparency`, so other packages keep their own histories in
the same database. The runner is `sqlbase.migrations`; new revisions are
generated from `transparency.tables.metadata`
(`python -m sqlbase.migrations transparency.migrations MESSAGE REV_ID`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sqlbase.migrations import History
from sqlbase.migrations import upgrade as run_upgrade
from transparency.tables import metadata

VERSION_TABLE = "alembic_version_transparency"
HISTORY = History("transparency", Path(__file__).resolve().parent, VERSION_TABLE, metadata)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the log schema behind `engine` up to `revision`."""
    run_upgrade(HISTORY, engine, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the log schema at database `url` up to `revision`."""
    run_upgrade(HISTORY, url, revision)

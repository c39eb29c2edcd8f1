"""Alembic migrations of the witness state tables (witnesses.tables).

`upgrade_engine(engine)` brings a database up to date. The version table is
`alembic_version_witnesses`, so a witness may share a database with a log
(whose history lives in `alembic_version_transparency`) without collisions.
A witness runs on another host under another administration: it uses the
neutral runner (`sqlbase.migrations`), never the log's SQL modules.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sqlbase.migrations import History
from sqlbase.migrations import upgrade as run_upgrade
from witnesses.tables import metadata

VERSION_TABLE = "alembic_version_witnesses"
HISTORY = History("witnesses", Path(__file__).resolve().parent, VERSION_TABLE, metadata)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the witness schema behind `engine` up to `revision`."""
    run_upgrade(HISTORY, engine, revision)

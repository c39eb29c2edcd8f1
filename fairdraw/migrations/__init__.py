"""Alembic migrations of the composition root's tables (operator tokens, audit trail:
`fairdraw.auth.metadata`).

Version table `alembic_version_fairdraw`, distinct from the log's, the
witnesses' and the draw engine's, so all histories live in one database.
`fairdraw.db.upgrade_all(url)` runs every package's migrations in order.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from fairdraw.auth import metadata
from sqlbase.migrations import History
from sqlbase.migrations import upgrade as run_upgrade

VERSION_TABLE = "alembic_version_fairdraw"
HISTORY = History("fairdraw", Path(__file__).resolve().parent, VERSION_TABLE, metadata)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the token and audit tables behind `engine` up to `revision`."""
    run_upgrade(HISTORY, engine, revision)

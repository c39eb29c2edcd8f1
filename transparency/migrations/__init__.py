"""Alembic migrations of the log tables (see transparency.sql).

Run them with `upgrade(url)` (or `upgrade_engine(engine)`); the revision
history lives in `versions/`. The version table is `alembic_version_transparency`
so other packages can keep their own migration histories in the same database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

VERSION_TABLE = "alembic_version_transparency"
_HERE = Path(__file__).resolve().parent


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the log schema behind `engine` up to `revision`."""
    command.upgrade(_config(engine), revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the log schema at database `url` up to `revision`."""
    from transparency.sql import create_log_engine

    engine = create_log_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()

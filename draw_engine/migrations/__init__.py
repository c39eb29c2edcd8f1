"""Alembic migrations of the draw lifecycle tables (see draw_engine.sql_store).

`upgrade(url)` / `upgrade_engine(engine)` bring a database up to date. The
version table is `alembic_version_draw_engine`, distinct from the log's
(`alembic_version_transparency`) and the witnesses' (`alembic_version_witnesses`),
so the draw tables live in the same database as the log they index.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

VERSION_TABLE = "alembic_version_draw_engine"
_HERE = Path(__file__).resolve().parent


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(_HERE / "versions"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the draw tables behind `engine` up to `revision`."""
    command.upgrade(_config(engine), revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the draw tables at database `url` up to `revision`."""
    from transparency.sql import create_log_engine

    engine = create_log_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()

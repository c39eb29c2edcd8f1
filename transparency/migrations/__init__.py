"""Alembic migrations of the log tables (see transparency.sql), and the one runner for all.

Run them with `upgrade(url)` (or `upgrade_engine(engine)`); the revision
history lives in `versions/`. The version table is `alembic_version_transparency`
so other packages can keep their own migration histories in the same database.

`run_upgrade(package_dir, version_table, url_or_engine)` is how every package
(`witnesses`, `draw_engine`, `fairdraw`) runs its own `migrations/` folder, and
`run_env()` is the whole of each folder's Alembic `env.py`: online migrations on
the engine handed over in the config, recorded in that package's version table.
Left out: offline (SQL script) mode and autogenerate.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Engine

VERSION_TABLE = "alembic_version_transparency"
_HERE = Path(__file__).resolve().parent


def run_upgrade(
    package_dir: Path, version_table: str, target: str | Engine, revision: str = "head"
) -> None:
    """Bring the tables of the migrations in `package_dir` up to `revision`.

    `target` is an engine (left open) or a database URL (an engine is made with
    `transparency.sql.create_log_engine` and disposed of afterwards)."""
    if isinstance(target, str):
        from transparency.sql import create_log_engine

        engine = create_log_engine(target)
        try:
            run_upgrade(package_dir, version_table, engine, revision)
        finally:
            engine.dispose()
        return
    cfg = Config()
    cfg.set_main_option("script_location", str(package_dir))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(package_dir / "versions"))
    cfg.attributes["engine"] = target
    cfg.attributes["version_table"] = version_table
    command.upgrade(cfg, revision)


def run_env() -> None:
    """The body of every package's migrations/env.py (online mode only)."""
    attributes = context.config.attributes
    with attributes["engine"].connect() as connection:
        context.configure(connection=connection, version_table=attributes["version_table"])
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the log schema behind `engine` up to `revision`."""
    run_upgrade(_HERE, VERSION_TABLE, engine, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the log schema at database `url` up to `revision`."""
    run_upgrade(_HERE, VERSION_TABLE, url, revision)

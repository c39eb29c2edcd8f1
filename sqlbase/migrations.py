"""The Alembic runner every package uses: one history per package, one database for all.

A package that keeps rows declares its `History`: the `migrations/` folder
holding its revisions, its own version table (so several histories share one
database without colliding) and the SQLAlchemy `MetaData` its code uses. The
tables are defined once, in that metadata:

- `upgrade(history, url_or_engine)` brings the database up to the history's
  head (or a given revision);
- `schema_differences(history, connection)` lists what differs between the
  migrated database and the metadata (`alembic.autogenerate.compare_metadata`,
  restricted to the history's own tables); the tests require it empty on a
  freshly migrated SQLite and PostgreSQL database;
- `generate_revision(history, message, rev_id)` writes the next revision
  from the metadata (autogenerate against a scratch SQLite database migrated
  to head): `python -m sqlbase.migrations transparency.migrations "message" rev_id`.

`run_env()` is the whole body of each package's `migrations/env.py`: online
migrations on the engine handed over in the Alembic config, each in a write
transaction (SQLite: `BEGIN IMMEDIATE`, so concurrent upgrades serialize).

Left out: offline (SQL script) mode and downgrades in production (nothing is
ever deleted; roll forward instead).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from sqlbase.engine import create_engine, write_connection


@dataclass(frozen=True)
class History:
    """One package's migrations: where they live, their version table, the tables they make."""

    name: str
    directory: Path
    version_table: str
    metadata: sa.MetaData

    def owns(self, name: str | None, type_: str, _parent: Any = None) -> bool:
        """Alembic `include_name`: only this history's tables (others share the database)."""
        return type_ != "table" or name in self.metadata.tables


def _config(history: History, engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(history.directory))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(history.directory / "versions"))
    cfg.attributes["engine"] = engine
    cfg.attributes["history"] = history
    return cfg


def upgrade(history: History, target: str | Engine, revision: str = "head") -> None:
    """Bring the tables of `history` up to `revision`.

    `target` is an engine (left open) or a database URL (an engine is made with
    `sqlbase.engine.create_engine` and disposed of afterwards)."""
    if isinstance(target, str):
        engine = create_engine(target)
        try:
            upgrade(history, engine, revision)
        finally:
            engine.dispose()
        return
    command.upgrade(_config(history, target), revision)


def current_revision(history: History, connection: Connection) -> str | None:
    """The revision the database is at for this history (None: never migrated)."""
    ctx = MigrationContext.configure(connection, opts={"version_table": history.version_table})
    return ctx.get_current_revision()


def _compare_options(history: History) -> dict[str, Any]:
    return {
        "version_table": history.version_table,
        "target_metadata": history.metadata,
        "include_name": history.owns,
        "compare_type": True,
        "compare_server_default": True,
    }


def schema_differences(history: History, connection: Connection) -> list[Any]:
    """What Alembic's autogenerate finds between the database and `history.metadata`
    (an empty list when the migrated schema is exactly the tables the code defines)."""
    opts = _compare_options(history)
    del opts["target_metadata"]
    ctx = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(ctx, history.metadata))


def run_env() -> None:
    """The body of every package's migrations/env.py (online mode only)."""
    attributes = context.config.attributes
    history: History = attributes["history"]
    with write_connection(attributes["engine"]) as connection:
        context.configure(connection=connection, **_compare_options(history))
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def generate_revision(history: History, message: str, rev_id: str) -> Path | None:
    """Write the revision that takes the history's head to `history.metadata`, generated
    by autogenerate against a scratch SQLite database at head; None if nothing differs."""
    with tempfile.TemporaryDirectory(prefix="sqlbase-") as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            upgrade(history, engine)
            with engine.connect() as conn:
                if not schema_differences(history, conn):
                    return None
            script = command.revision(
                _config(history, engine), message=message, autogenerate=True, rev_id=rev_id
            )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):  # pragma: no cover - one head per history
        raise RuntimeError(f"{history.name}: autogenerate wrote no single revision")
    return Path(script.path)


def main(argv: list[str] | None = None) -> int:
    """`python -m sqlbase.migrations MODULE MESSAGE REV_ID`: MODULE names a package's
    migrations module whose `HISTORY` gets a new revision generated from its metadata."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m sqlbase.migrations MODULE MESSAGE REV_ID\n"
              "  e.g. python -m sqlbase.migrations transparency.migrations "
              '"add a column" 0003_column', file=sys.stderr)
        return 2
    module, message, rev_id = args
    history = getattr(importlib.import_module(module), "HISTORY", None)
    if not isinstance(history, History):
        print(f"{module} has no HISTORY (a sqlbase.migrations.History)", file=sys.stderr)
        return 2
    path = generate_revision(history, message, rev_id)
    print(f"{history.name}: schema already matches its metadata; no revision written"
          if path is None else f"{history.name}: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The service database: one engine, every package's Alembic history brought up in order.

`fairdraw db upgrade` calls `upgrade_all(url)`. Each package keeps its own
Alembic history and version table in the same database (`HISTORIES`, run by
`sqlbase.migrations`):

1. `transparency` (log entries, nodes, checkpoints, lease; `alembic_version_transparency`)
2. `draw_engine` (registry versions, snapshots, draws, outcomes; `alembic_version_draw_engine`)
3. `fairdraw` (operator tokens, audit trail; `alembic_version_fairdraw`)

The witness state tables (`witnesses.migrations`) are not part of the
service database: a witness runs elsewhere, with its own database
(`fairdraw witness init`).

Left out: downgrades (nothing is ever deleted; roll forward instead).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from draw_engine.migrations import HISTORY as DRAW_HISTORY
from fairdraw.migrations import HISTORY as FAIRDRAW_HISTORY
from sqlbase import engine as sqlbase_engine
from sqlbase.migrations import History, upgrade
from transparency.migrations import HISTORY as LOG_HISTORY

HISTORIES: tuple[History, ...] = (LOG_HISTORY, DRAW_HISTORY, FAIRDRAW_HISTORY)
"""The service database's histories, in the order they are brought up."""


def create_engine(url: str) -> Engine:
    """The engine every service component shares (SQLite: WAL, synchronous=FULL).

    PostgreSQL gets a pool sized for the read API's worker threads (anyio's default
    limit is 40): 20 kept + 20 overflow connections, pre-pinged on checkout."""
    return sqlbase_engine.create_engine(url, pool_size=20, max_overflow=20)


def upgrade_engine(engine: Engine) -> list[str]:
    """Run every package's migrations to head, in order; returns the package names."""
    for history in HISTORIES:
        upgrade(history, engine)
    return [history.name for history in HISTORIES]


def upgrade_all(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()

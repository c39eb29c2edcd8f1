"""The service database: one engine, every package's Alembic history brought up in order.

`fairdraw db upgrade` calls `upgrade_all(url)`. Each package keeps its own
Alembic history and version table in the same database:

1. `transparency` (log entries, nodes, checkpoints; `alembic_version_transparency`)
2. `draw_engine` (registry versions, snapshots, draws, outcomes; `alembic_version_draw_engine`)
3. `fairdraw` (operator tokens, audit trail; `alembic_version_fairdraw`)

The witness state tables (`witnesses.migrations`) are not part of the
service database: a witness runs elsewhere, with its own database
(`fairdraw witness init`).

Left out: downgrades (nothing is ever deleted; roll forward instead).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from transparency.sql import create_log_engine, normalize_url


def _histories() -> list[tuple[str, Callable[[Engine], None]]]:
    from draw_engine.migrations import upgrade_engine as draw_upgrade
    from fairdraw.migrations import upgrade_engine as fairdraw_upgrade
    from transparency.migrations import upgrade_engine as log_upgrade

    return [("transparency", log_upgrade), ("draw_engine", draw_upgrade),
            ("fairdraw", fairdraw_upgrade)]


def create_engine(url: str) -> Engine:
    """The engine every service component shares (SQLite: WAL, synchronous=FULL).

    PostgreSQL gets a pool sized for the read API's worker threads (anyio's default
    limit is 40): 20 kept + 20 overflow connections, pre-pinged on checkout."""
    url = normalize_url(url)
    if url.startswith("postgresql"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)
    return create_log_engine(url)


def upgrade_engine(engine: Engine) -> list[str]:
    """Run every package's migrations to head, in order; returns the package names."""
    done = []
    for name, upgrade in _histories():
        upgrade(engine)
        done.append(name)
    return done


def upgrade_all(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()

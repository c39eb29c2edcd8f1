"""Alembic environment: runs online against the engine handed over in config.attributes."""

from __future__ import annotations

from alembic import context

from fairdraw.migrations import VERSION_TABLE

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

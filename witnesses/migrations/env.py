"""Alembic environment: online, on the engine and history handed over in the config."""

from sqlbase.migrations import run_env

run_env()

"""Alembic environment: online, on the engine and version table handed over in the config."""

from transparency.migrations import run_env

run_env()

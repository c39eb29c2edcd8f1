"""Shared fixtures: vector files, the optional PostgreSQL test database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).parent / "vectors"


def load_vectors(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("FAIRDRAW_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FAIRDRAW_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Any:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards.

    Tests run concurrently against one shared database, so each gets its own
    schema instead of sharing tables."""
    import uuid

    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

"""One conformance test for every WitnessState implementation (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from witnesses.errors import CompareAndSwapError
from witnesses.state import WitnessedCheckpoint
from witnesses.store import MemoryWitnessState, SqlWitnessState, WitnessState


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WitnessState]:
    if request.param == "memory":
        yield MemoryWitnessState()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'w.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    store = SqlWitnessState.open(url)
    yield store
    store.close()


def cp(size: int, root: int = 0, origin: str = "example.com/a") -> WitnessedCheckpoint:
    return WitnessedCheckpoint(origin, size, bytes([root]) * 32, f"note {size} {root}".encode())


def test_compare_and_swap(state: WitnessState) -> None:
    assert state.latest("example.com/a") is None
    state.compare_and_swap(None, cp(3))
    assert state.latest("example.com/a") == cp(3)
    with pytest.raises(CompareAndSwapError):
        state.compare_and_swap(None, cp(4))  # something is stored now
    with pytest.raises(CompareAndSwapError):
        state.compare_and_swap(cp(2), cp(4))  # stale size
    with pytest.raises(CompareAndSwapError):
        state.compare_and_swap(cp(3, root=9), cp(4))  # same size, other root
    assert state.latest("example.com/a") == cp(3)
    state.compare_and_swap(cp(3), cp(7))
    assert state.latest("example.com/a") == cp(7)
    state.compare_and_swap(None, cp(1, origin="example.com/b"))
    assert [c.origin for c in state.all_latest()] == ["example.com/a", "example.com/b"]
    with pytest.raises(ValueError, match="different origins"):
        state.compare_and_swap(cp(7), cp(8, origin="example.com/b"))


def test_instance_id(state: WitnessState) -> None:
    assert state.instance_id() is None
    state.set_instance_id("abc")
    state.set_instance_id("def")
    assert state.instance_id() == "def"


def test_large_sizes_survive(state: WitnessState) -> None:
    big = cp(2**63 - 1)
    state.compare_and_swap(None, big)
    assert state.latest("example.com/a") == big

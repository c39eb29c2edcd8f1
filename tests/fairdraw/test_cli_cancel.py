"""`fairdraw draw cancel` (fairdraw/cli/operate.py) on the real DrawService of
tests/draw_engine/test_lifecycle.py (in-memory ports, virtual clock): what the operator reads
and the exit status for a cancel proven in time, one whose proof is missing, and one refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import typer

from draw_engine.entries import format_utc
from fairdraw.cli import operate
from tests.draw_engine.test_lifecycle import SETTINGS, World


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    w.setup_snapshots()

    @contextmanager
    def service(_config: Any) -> Iterator[Any]:
        try:
            yield w.service
        except Exception as e:  # as the real _service does: refusals become exit 1
            raise operate._refused(e) from e

    monkeypatch.setattr(operate, "_service", service)
    return w


def _cancel(draw_id: str) -> int:
    try:
        operate.draw_cancel(draw_id, reason="plan changed", config=None)
    except typer.Exit as e:
        return e.exit_code
    return 0


def test_cli_cancel(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    s = world.service
    first, _, third = (s.announce(world.plan(d)) for d in ("c1", "c2", "c3"))
    s.publish_checkpoint()
    deadline = first.round_time - SETTINGS.commitment_margin
    world.clock.now = deadline - 2

    assert _cancel("c1") == 0
    out = capsys.readouterr()
    assert "c1 cancelled at log index" in out.out
    assert "covers the cancel; in time" in out.out

    world.witnesses.down.add("w2.example")
    assert _cancel("c2") == 3
    out = capsys.readouterr()
    assert "c2 cancelled at log index" in out.out
    assert "witness w2.example: down" in out.err
    assert "NOT proven" in out.err
    assert format_utc(deadline) in out.err
    world.witnesses.down.clear()

    world.clock.now = deadline
    size = world.storage.tree_size()
    assert _cancel("c3") == 1
    out = capsys.readouterr()
    assert "must be executed" in " ".join(out.err.split())
    assert world.storage.tree_size() == size
    assert s.draw(third.draw_id).status == "announced"

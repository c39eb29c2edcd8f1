"""`DrawService(on_published=…)`: the publish use case tells its caller about every checkpoint
it stores (a cancel's publish too), and only those (the service rebuilds its portal from it,
fairdraw.runtime; issue 16.3)."""

from __future__ import annotations

import pytest

from draw_engine.commitment import PublishedCheckpoint
from draw_engine.lifecycle_errors import CheckpointNotCosignedError
from tests.draw_engine.test_lifecycle import World


@pytest.fixture
def told() -> list[PublishedCheckpoint]:
    return []


@pytest.fixture
def world(told: list[PublishedCheckpoint]) -> World:
    w = World()
    w.service.on_published = told.append
    w.setup_snapshots()
    return w


def test_each_published_checkpoint_is_told_after_it_is_stored(
        world: World, told: list[PublishedCheckpoint]) -> None:
    draw = world.service.announce(world.plan())
    assert told == []  # an announce publishes nothing
    published = world.service.publish_checkpoint()
    assert told == [published]
    assert published.committed == (draw.draw_id,)
    stored = world.storage.latest_checkpoint(cosigned_only=True)
    assert stored is not None
    assert (stored.tree_size, stored.note) == (published.tree_size, published.note)


def test_a_cancel_tells_the_checkpoint_that_proves_it(
        world: World, told: list[PublishedCheckpoint]) -> None:
    draw = world.service.announce(world.plan())
    world.service.publish_checkpoint()
    report = world.service.cancel(draw.draw_id, "plan changed")
    assert not report.needs_attention
    assert len(told) == 2
    assert told[1].tree_size == world.storage.tree_size()  # covers the cancel entry


def test_nothing_is_told_when_the_witnesses_do_not_co_sign(
        world: World, told: list[PublishedCheckpoint]) -> None:
    draw = world.service.announce(world.plan())
    world.witnesses.down.add("w1.example")
    with pytest.raises(CheckpointNotCosignedError):
        world.service.publish_checkpoint()
    report = world.service.cancel(draw.draw_id, "plan changed")  # logged, nothing published
    assert report.draw.status == "cancelled"
    assert told == []
    assert world.storage.latest_checkpoint(cosigned_only=True) is None

"""The running service keeps its checkpoint fresh (issue 12 point 6): with no new entries it
re-co-signs the same tree once the newest co-signed checkpoint is `interval` old. Real
witness processes (tlog-witness add-checkpoint with old size == size), the real service."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from fairdraw.app import create_app, open_runtime
from fairdraw.cli.demo import _log_key, write_settings
from fairdraw.draw_service import open_service
from fairdraw.local_processes import LocalCluster
from fairdraw.refresh import CheckpointRefresher, start_checkpoint_refresh
from fairdraw.settings import load_settings
from transparency.note import parse_note
from witnesses.policy import counted_cosignatures


@pytest.fixture
def served(tmp_path: Path) -> Any:
    vkey = _log_key(tmp_path)
    with LocalCluster(tmp_path / "cluster", vkey.split("+", 1)[0], vkey) as cluster:
        cluster.prepare(now=time.time())
        cluster.start()
        settings = load_settings(write_settings(tmp_path, cluster))
        rt = open_runtime(settings)
        try:
            service = open_service(rt)
            service.import_records("experts", [{"id": "E001", "name": "专家",
                                                "field": "electrical", "status": "active"}],
                                   source_name="test")
            service.create_snapshot("experts", "experts-refresh-test")  # one log entry
            yield rt, service
        finally:
            rt.close()


def _timestamps(note: bytes, service: Any) -> dict[str, int]:
    return {c.witness: c.timestamp for c in counted_cosignatures(note, service.policy)}


def test_the_same_tree_is_co_signed_again_only_when_due(served: Any) -> None:
    rt, service = served
    first = service.publish_checkpoint()
    stored = rt.storage.latest_checkpoint(cosigned_only=True)
    born = stored.created_at.timestamp()
    now = [born + 100.0]
    rebuilt: list[int] = []
    r = CheckpointRefresher(service, rt.storage, interval=3600, clock=lambda: now[0],
                            after_publish=lambda: rebuilt.append(1))
    assert r.refresh_if_due() == pytest.approx(3500)  # not due: nothing published
    assert rt.storage.latest_checkpoint(cosigned_only=True).note == stored.note
    assert rebuilt == []

    time.sleep(1.1)  # the witnesses' clocks move on: their new timestamps are larger
    now[0] = born + 3600
    assert r.refresh_if_due() == 3600
    again = rt.storage.latest_checkpoint(cosigned_only=True)
    assert (again.tree_size, again.root_hash) == (first.tree_size, stored.root_hash)
    assert parse_note(again.note).text == parse_note(stored.note).text  # same signed tree
    old, new = _timestamps(stored.note, service), _timestamps(again.note, service)
    assert set(new) == set(old)
    assert all(new[w] > old[w] for w in new)  # every witness co-signed anew
    service.policy.check(again.note)
    assert (r.refreshes, rebuilt) == (1, [1])


def test_a_failed_refresh_is_retried_not_raised(served: Any) -> None:
    rt, service = served
    service.publish_checkpoint()

    class Down:
        def publish_checkpoint(self) -> None:
            raise ConnectionError("witness-2 is down")

    r = CheckpointRefresher(Down(), rt.storage, interval=10, retry=3,
                            clock=lambda: time.time() + 11)
    assert r.refresh_if_due() == 3
    assert r.last_error is not None
    assert "witness-2 is down" in r.last_error
    assert r.refreshes == 0


def test_nothing_published_yet_means_nothing_to_refresh(served: Any) -> None:
    rt, service = served
    r = CheckpointRefresher(service, rt.storage, interval=5)
    assert r.due_in() is None
    assert r.refresh_if_due() == 5
    assert rt.storage.latest_checkpoint(cosigned_only=True) is None


def test_the_served_app_refreshes_in_the_background(served: Any) -> None:
    rt, service = served
    service.publish_checkpoint()
    before = rt.storage.latest_checkpoint(cosigned_only=True)
    rt.settings = rt.settings.model_copy(update={"checkpoint_refresh_seconds": 1})
    app = create_app(rt.settings, runtime=rt)
    refresher = start_checkpoint_refresh(app, rt)
    assert refresher is not None
    deadline = time.monotonic() + 20
    while refresher.refreshes == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    refresher.stop()
    assert refresher.refreshes >= 1, refresher.last_error
    after = rt.storage.latest_checkpoint(cosigned_only=True)
    assert after.tree_size == before.tree_size
    assert after.note != before.note
    # the portal was rebuilt from the refreshed checkpoint
    portal = app.state.portal_refresher
    portal._pool.submit(lambda: None).result(timeout=30)  # wait for queued builds
    assert portal.builds >= 1, portal.last_error


def test_refresh_is_off_with_zero_or_without_a_writer(served: Any) -> None:
    rt, _service = served
    rt.settings = rt.settings.model_copy(update={"checkpoint_refresh_seconds": 0})
    assert start_checkpoint_refresh(create_app(rt.settings, runtime=rt), rt) is None
    assert load_settings(checkpoint_refresh_seconds=3600).checkpoint_refresh_seconds == 3600
    assert load_settings().checkpoint_refresh_seconds == 3600
    with pytest.raises(ValueError, match="positive"):
        CheckpointRefresher(None, rt.storage, interval=0)

"""The served portal is rebuilt by the publish use case itself (issue 16.3): the draw service's
`on_published` is the runtime's `published`, which asks the portal rebuilder for a build. A
publish through the HTTP API, a cancel's publish and a publish from the CLI's service all
rebuild it; a request that publishes nothing (a refused cancel, an execute) does not. No URL
is watched. Real witness processes, the real service."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from fairdraw.app import create_app
from tests.fairdraw.test_refresh import served  # noqa: F401 (the fixture)


def _settled(portal: Any) -> int:
    portal._pool.submit(lambda: None).result(timeout=60)  # every queued build has run
    return int(portal.builds)


def test_each_publish_rebuilds_the_served_portal(served: Any) -> None:  # noqa: F811
    rt, service = served
    app = create_app(rt.settings, runtime=rt)
    portal = rt.portal
    assert portal is not None
    assert app.state.portal_refresher is portal
    assert service.on_published == rt.published
    token = rt.auth.create_token("operator")[1]
    client = TestClient(app, raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {token}"}

    r = client.post("/api/checkpoints/publish", headers=auth)
    assert r.status_code == 200, r.text
    assert _settled(portal) == 1, portal.last_error
    served_note = (Path(portal.directory) / "log" / "checkpoint").read_bytes()
    assert served_note == r.json()["checkpoint"].encode()

    # requests that publish nothing build nothing
    assert client.post("/api/draws/nope/cancel", json={"reason": "x"},
                       headers=auth).status_code == 404
    assert client.post("/api/draws/nope/execute", json={}, headers=auth).status_code == 404
    assert client.get("/api/draws").status_code == 200
    assert _settled(portal) == 1

    # a publish that does not go through HTTP (the CLI, the freshness refresher) too
    time.sleep(1.1)  # the witnesses' new timestamps are larger
    again = service.publish_checkpoint()
    assert _settled(portal) == 2, portal.last_error
    assert (Path(portal.directory) / "log" / "checkpoint").read_bytes() == again.note

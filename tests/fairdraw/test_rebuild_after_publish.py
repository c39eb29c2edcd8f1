"""RebuildAfterPublish (fairdraw/middleware.py): a successful publish or cancel (which publishes
the checkpoint proving the cancel came in time) asks for a portal rebuild; nothing else does."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from fairdraw.middleware import RebuildAfterPublish


class Refresher:
    def __init__(self) -> None:
        self.requests = 0

    def request(self) -> None:
        self.requests += 1


def test_publish_and_cancel_ask_for_a_rebuild() -> None:
    app = FastAPI()

    @app.post("/api/checkpoints/publish")
    def publish() -> dict[str, int]:
        return {"tree_size": 1}

    @app.post("/api/draws/{draw_id}/cancel")
    def cancel(draw_id: str) -> dict[str, str]:
        if draw_id == "late":
            raise HTTPException(409, detail="too late")
        return {"draw_id": draw_id}

    @app.post("/api/draws/{draw_id}/execute")
    def execute(draw_id: str) -> dict[str, str]:
        return {"draw_id": draw_id}

    refresher = Refresher()
    client = TestClient(RebuildAfterPublish(app, refresher))
    assert client.post("/api/draws/d1/execute").status_code == 200
    assert refresher.requests == 0
    assert client.post("/api/checkpoints/publish").status_code == 200
    assert refresher.requests == 1
    assert client.post("/api/draws/d1/cancel").status_code == 200
    assert refresher.requests == 2
    assert client.post("/api/draws/late/cancel").status_code == 409
    assert client.get("/api/draws/d1/cancel").status_code == 405
    assert refresher.requests == 2

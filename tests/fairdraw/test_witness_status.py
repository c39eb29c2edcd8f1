"""The operator's witness status endpoint (issue 3, item 5): when a witness is
unreachable the checkpoint is not published, and the operator sees which
witness failed and that co-signing lags signing. Real witness processes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairdraw.app import create_app, open_runtime
from fairdraw.cli.demo import _log_key, write_settings
from fairdraw.local_processes import LocalCluster
from fairdraw.settings import load_settings


@pytest.fixture
def cluster_runtime(tmp_path: Path) -> Any:
    vkey = _log_key(tmp_path)
    origin = vkey.split("+", 1)[0]
    with LocalCluster(tmp_path / "cluster", origin, vkey) as cluster:
        cluster.prepare(now=time.time())
        cluster.start()
        settings = load_settings(write_settings(tmp_path, cluster))
        rt = open_runtime(settings)
        try:
            yield cluster, rt
        finally:
            rt.close()


def test_status_names_the_unreachable_witness(cluster_runtime: Any) -> None:
    cluster, rt = cluster_runtime
    client = TestClient(create_app(rt.settings, runtime=rt), raise_server_exceptions=False)
    operator = {"Authorization": f"Bearer {rt.auth.create_token('operator')[1]}"}

    assert client.get("/api/witnesses/status").status_code == 401
    assert client.post("/api/checkpoints/publish", headers=operator).status_code == 200
    status = client.get("/api/witnesses/status", headers=operator).json()
    assert status["cosigning_lags"] is False
    # Witnesses are named by their key names.
    assert {w["name"].rsplit("/", 1)[-1]: w["ok"] for w in status["witnesses"].values()} == {
        "witness-1": True, "witness-2": True}

    # Stop witness-2: the default policy needs both, so nothing new is published.
    child = next(c for c in cluster.children if c.name == "witness-2")
    child.process.terminate()
    child.process.wait(timeout=10)
    rt.service.import_records("experts", [{"id": "E001", "name": "专家", "field": "electrical",
                                            "status": "active"}], source_name="test")
    rt.service.create_snapshot("experts", "experts-status-test")  # appends a log entry
    refused = client.post("/api/checkpoints/publish", headers=operator)
    assert refused.status_code == 503, refused.text
    assert "witness-2" in refused.text

    status = client.get("/api/witnesses/status", headers=operator).json()
    assert status["cosigning_lags"] is True
    assert status["latest_signed_size"] > status["latest_cosigned_size"]
    by_name = {w["name"].rsplit("/", 1)[-1]: w for w in status["witnesses"].values()}
    assert by_name["witness-1"]["ok"] is True
    assert by_name["witness-2"]["ok"] is False
    assert by_name["witness-2"]["detail"]
    # The public checkpoint is still the last co-signed one.
    public = client.get("/log/checkpoint").text.splitlines()
    assert int(public[1]) == status["latest_cosigned_size"]

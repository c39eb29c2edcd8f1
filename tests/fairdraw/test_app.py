"""The service app: settings sources, db upgrade, health/metrics, body limits, the error
mapping, the read cache, the portal mount, and the serve/token/db CLI as processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fairdraw.app import create_app, open_runtime
from fairdraw.db import upgrade_all
from fairdraw.settings import Settings, SettingsError, load_settings
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import generate_signer

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/app-test/log"


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    write_signer_key_file(tmp_path / "log.key", generate_signer(ORIGIN))
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "index.html").write_text("<h1>portal</h1>")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", data_dir=tmp_path,
                        log_origin=ORIGIN, portal_dir=Path("portal"), max_body_bytes=4096,
                        max_upload_bytes=64 * 1024)
    rt = open_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Any) -> TestClient:
    return TestClient(create_app(runtime.settings, runtime=runtime),
                      raise_server_exceptions=False)


def _token(runtime: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {runtime.auth.create_token('operator')[1]}"}


# -- settings -----------------------------------------------------------------------


def test_settings_env_file_and_override_priority(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("FAIRDRAW_"):
            monkeypatch.delenv(k)
    assert Settings().database_url == "sqlite:///./fairdraw.db"
    toml = tmp_path / "s.toml"
    toml.write_text('lead_time_seconds = 120\nmargin_seconds = 30\n'
                    '[[witnesses]]\nname = "w1"\nurl = "http://w"\nvkey = "k"\n')
    s = load_settings(toml)
    assert (s.lead_time_seconds, s.margin_seconds, s.witnesses[0].name) == (120, 30, "w1")
    monkeypatch.setenv("FAIRDRAW_LEAD_TIME_SECONDS", "300")
    assert load_settings(toml).lead_time_seconds == 300  # env beats the file
    assert load_settings(toml, lead_time_seconds=5).lead_time_seconds == 5
    monkeypatch.setenv("FAIRDRAW_CONFIG", str(toml))
    assert Settings().margin_seconds == 30


@pytest.mark.parametrize(("text", "message"), [
    ('{"databse_url": "x"}', "unknown setting(s) databse_url"),
    ("[1, 2]", "table/object"),
    ("{not json", "not valid json"),
])
def test_bad_settings_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(path)


def test_bad_setting_values_refused() -> None:
    with pytest.raises(ValidationError, match="database_url"):
        Settings(database_url="mysql://x")
    with pytest.raises(ValidationError, match="lead_time_seconds"):
        Settings(lead_time_seconds=0)
    with pytest.raises(ValidationError, match="beacon_chain"):
        Settings(beacon_chain="nist")


# -- database -----------------------------------------------------------------------


def test_db_upgrade_is_idempotent_with_separate_version_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert upgrade_all(url) == ["transparency", "draw_engine", "fairdraw"]
    assert upgrade_all(url) == ["transparency", "draw_engine", "fairdraw"]
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"alembic_version_transparency", "alembic_version_draw_engine",
            "alembic_version_fairdraw", "fairdraw_tokens", "fairdraw_audit", "log_entries",
            "draw_draws"} <= names


@pytest.mark.postgres
def test_db_upgrade_on_postgres(postgres_schema_url: str) -> None:
    assert upgrade_all(postgres_schema_url) == ["transparency", "draw_engine", "fairdraw"]
    assert upgrade_all(postgres_schema_url) == ["transparency", "draw_engine", "fairdraw"]


# -- endpoints ----------------------------------------------------------------------


def test_health_metrics_portal_and_log(runtime: Any, client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert {k: health[k] for k in ("status", "log_size", "database", "writer", "role",
                                   "epoch")} == {"status": "ok", "log_size": 0,
                                                 "database": "sqlite", "writer": True,
                                                 "role": "writer", "epoch": 1}
    assert client.get("/log/checkpoint").status_code == 404
    seq = runtime.service.sequencer  # the app's one sequencer
    seq.append([b'{"type":"x","v":1}'] * 3)
    seq.checkpoint()
    runtime.auth.create_token("admin")
    cp = client.get("/log/checkpoint")
    assert cp.status_code == 200
    assert cp.text.startswith(f"{ORIGIN}\n3\n")
    assert client.get("/portal/").text == "<h1>portal</h1>"
    assert client.get("/", follow_redirects=False).headers["location"] == "/portal/"
    metrics = client.get("/metrics").text
    assert 'fairdraw_http_requests_total{method="GET",status="2xx"}' in metrics
    assert "fairdraw_log_entries 3" in metrics
    assert "# TYPE fairdraw_http_requests_total counter" in metrics


def test_read_cache_serves_immutable_answers_and_refreshes_the_checkpoint(
        runtime: Any, client: TestClient) -> None:
    seq = runtime.service.sequencer
    seq.append([b"a", b"b", b"c", b"d"])
    seq.checkpoint()
    first = client.get("/log/proof/inclusion?index=1&size=4").json()
    assert client.get("/log/proof/inclusion?index=1&size=4").json() == first
    assert client.get("/log/proof/inclusion?index=1&size=5").status_code == 400
    seq.append([b"e"])
    seq.checkpoint()
    import time

    time.sleep(1.1)  # the checkpoint is cached for 1 s, never longer
    assert client.get("/log/checkpoint").text.split("\n")[1] == "5"
    assert client.get("/log/proof/inclusion?index=1&size=5").status_code == 200
    seq.append([b"f"])
    seq.checkpoint()
    client.post("/api/checkpoints/publish")  # any write request refreshes at once
    assert client.get("/log/checkpoint").text.split("\n")[1] == "6"
    assert client.get("/log/proof/inclusion?index=1&size=6").status_code == 200


def test_body_limits(runtime: Any, client: TestClient) -> None:
    auth = _token(runtime)
    r = client.post("/api/draws/plan", content=b"{" + b" " * 5000 + b"}", headers=auth)
    assert r.status_code == 413
    assert "4096" in r.json()["detail"]

    def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1000

    r = client.post("/api/draws/plan", content=chunks(), headers=auth)
    assert r.status_code == 413
    # uploads have their own, larger limit
    r = client.post("/api/registries/units/import?format=jsonl&source_name=x",
                    content=b"\n" * 5000, headers=auth)
    assert r.status_code == 400  # parsed and refused by the registry, not by the size limit
    r = client.post("/api/registries/units/import?format=jsonl&source_name=x",
                    content=b"\n" * 70_000, headers=auth)
    assert r.status_code == 413


def test_error_mapping_gives_clear_4xx(runtime: Any, client: TestClient) -> None:
    auth = _token(runtime)
    r = client.post("/api/draws/plan", json={"kind": "routine", "x": 1.5}, headers=auth)
    assert r.status_code == 400
    assert "float" in r.text or "unknown field" in r.text
    r = client.get("/api/draws/NOPE")
    assert r.status_code == 404
    assert "NOPE" in r.text
    assert client.get("/log/proof/inclusion?index=01&size=2").status_code == 400
    assert "fairdraw_http_requests_total{method=\"POST\",status=\"5xx\"}" not in client.get(
        "/metrics").text


# -- CLI as processes ---------------------------------------------------------------


@pytest.mark.slow
def test_cli_db_token_and_notices(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"database_url": f"sqlite:///{tmp_path / 'c.db'}",
                                  "data_dir": str(tmp_path)}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args, "--config", str(config)], env=env, text=True,
                              capture_output=True, timeout=60, check=False)

    assert "database up to date" in run("db", "upgrade").stdout
    made = run("token", "create", "--role", "admin", "--name", "ada")
    assert made.returncode == 0
    token = made.stdout.strip()
    assert token.startswith("fdt_")
    assert "shown once" in made.stderr
    listed = run("token", "list").stdout
    assert "ada" in listed
    assert token not in listed
    bad = run("token", "create", "--role", "root")
    assert bad.returncode == 2
    assert "role must be one of" in bad.stderr
    assert run("token", "revoke", "1").returncode == 0
    assert run("token", "revoke", "1").returncode == 1
    out = run("notices", "--date", "2026-02-30", "--out", str(tmp_path / "n.csv"))
    assert out.returncode == 2
    assert "not a calendar date" in out.stderr
    out = run("notices", "--date", "2026-06-01", "--out", str(tmp_path / "n.csv"))
    assert out.returncode == 0
    assert (tmp_path / "n.csv").read_text("utf-8-sig").startswith(
        "通知日期 notice_date,检查日期 inspection_date,")
    assert "0 notice(s) for 2026-06-01" in out.stderr
    config.write_text('{"databse_url": 1}')
    assert run("db", "upgrade").returncode == 2


def test_second_process_on_the_same_database_serves_reads_only(runtime: Any,
                                                               client: TestClient) -> None:
    seq = runtime.service.sequencer
    seq.append([b"x"])
    seq.checkpoint()
    other = open_runtime(runtime.settings)  # as a second `fairdraw serve` would
    try:
        reader = TestClient(create_app(other.settings, runtime=other),
                            raise_server_exceptions=False)
        assert reader.get("/healthz").json()["writer"] is False
        assert reader.get("/log/checkpoint").text.startswith(f"{ORIGIN}\n1\n")
        r = reader.post("/api/checkpoints/publish", headers=_token(other))
        assert r.status_code == 409
        assert "sequencer" in r.text  # this process is not the log's writer
        assert client.get("/healthz").json()["writer"] is True
    finally:
        other.close()

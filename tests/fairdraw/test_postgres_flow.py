"""The whole flow on PostgreSQL, through the real processes and the HTTP API.

`fairdraw db upgrade`, `fairdraw token create` and `fairdraw serve` run as
separate processes on a fresh PostgreSQL schema, with a local beacon and two
witnesses (their own processes, fairdraw.local_processes). Over HTTP with an operator
token: import the three registries, snapshot them, announce one batch of the
monthly routine plan, publish the co-signed commitment, execute at the round,
publish again, record an inspection outcome, publish. Then `fairdraw portal
build` writes the portal from the same database and the Python verifier passes
the draw; `fairdraw notices` exports the units to notify; the audit trail in
PostgreSQL holds every write with its actor.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from fairdraw import demo_registry as reg
from fairdraw.cli.demo import _jsonl, _next_month, demo_plan
from fairdraw.local_processes import LocalCluster, free_port
from fairdraw.portal_inputs import verify_portal_draw
from fairdraw.portal_source import DirectorySource
from fairdraw.trust import load_trust
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import generate_signer

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/pg-flow/log"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.postgres
@pytest.mark.slow
def test_whole_flow_on_postgres(postgres_schema_url: str, tmp_path: Path) -> None:
    signer = generate_signer(ORIGIN)
    write_signer_key_file(tmp_path / "log.key", signer)
    with LocalCluster(tmp_path / "services", ORIGIN, signer.verifier_key) as cluster:
        cluster.prepare(now=time.time())
        cluster.start()
        config = {
            "database_url": postgres_schema_url, "data_dir": str(tmp_path),
            "log_origin": ORIGIN, "log_key_file": "log.key",
            "witnesses": [{"name": w.name, "url": w.url, "vkey": w.vkey}
                          for w in cluster.witnesses],
            "beacon_chain": "local", "beacon_relay_url": cluster.beacon_url,
            "beacon_chain_info_file": str(tmp_path / "services/beacon/chain-info.json"),
            "lead_time_seconds": 6, "margin_seconds": 2, "portal_dir": "live-portal",
        }
        (tmp_path / "fairdraw.json").write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
        env["FAIRDRAW_CONFIG"] = str(tmp_path / "fairdraw.json")

        up = _cli("db", "upgrade", env=env)
        assert up.returncode == 0, up.stderr
        assert "transparency, draw_engine, fairdraw" in up.stdout
        made = _cli("token", "create", "--role", "operator", "--name", "pg-op", env=env)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()

        port = free_port()
        server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, server)
            _flow(base, token, tmp_path, env)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    engine = sa.create_engine(postgres_schema_url)
    try:
        with engine.connect() as conn:
            trail = conn.execute(sa.text(
                "SELECT actor, method, path, status FROM fairdraw_audit ORDER BY id")).all()
            stored = conn.execute(sa.text("SELECT token_sha256 FROM fairdraw_tokens")).scalar()
            size = conn.execute(sa.text("SELECT count(*) FROM log_entries")).scalar()
    finally:
        engine.dispose()
    assert stored != token
    assert size == 6  # 3 snapshots, announce, result, outcome
    writes = [(a, m, p, s) for a, m, p, s in trail]
    assert ("pg-op", "POST", "/api/draws", 201) in writes
    assert ("pg-op", "POST", "/api/checkpoints/publish", 200) in writes
    assert (None, "POST", "/api/draws", 401) in writes
    assert all(m == "POST" for _, m, _, _ in writes)


def _wait(base: str, server: subprocess.Popen[str]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            pytest.fail(f"fairdraw serve exited: {server.stderr.read() if server.stderr else ''}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail("fairdraw serve did not answer")


def _flow(base: str, token: str, tmp_path: Path, env: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    s = requests.Session()
    assert s.get(f"{base}/healthz").json()["database"] == "postgresql"
    units, inspectors, experts = (reg.generate_units(), reg.generate_inspectors(),
                                  reg.generate_experts())
    snapshots = {}
    for kind, records in (("units", units), ("inspectors", inspectors), ("experts", experts)):
        r = s.post(f"{base}/api/registries/{kind}/import",
                   params={"format": "jsonl", "source_name": f"{kind}.jsonl"},
                   data=_jsonl(records), headers=auth)
        assert r.status_code == 200, r.text
        r = s.post(f"{base}/api/snapshots", json={"kind": kind, "name": f"{kind}-pg"},
                   headers=auth)
        assert r.status_code == 200, r.text
        snapshots[kind] = f"{kind}-pg"
    first, last = _next_month(date.today())
    plan = demo_plan("PG-zone-3", "zone-3", snapshots=snapshots, first=first, last=last,
                     units=units, inspectors=inspectors)
    assert s.post(f"{base}/api/draws", json=plan).status_code == 401
    r = s.post(f"{base}/api/draws", json=plan, headers=auth)
    assert r.status_code == 201, r.text
    r = s.post(f"{base}/api/checkpoints/publish", headers=auth)
    assert r.status_code == 200, r.text
    commitment = s.get(f"{base}/api/draws/PG-zone-3/commitment")
    assert commitment.status_code == 200, commitment.text
    r = s.post(f"{base}/api/draws/PG-zone-3/execute", json={"timeout": 30}, headers=auth,
               timeout=60)
    assert r.status_code == 200, r.text
    drawn: dict[str, Any] = s.get(f"{base}/api/draws/PG-zone-3").json()
    assert drawn["status"] == "drawn"
    assert s.post(f"{base}/api/checkpoints/publish", headers=auth).status_code == 200
    result_index = drawn["result_index"]
    cp_size = int(s.get(f"{base}/log/checkpoint").text.split("\n")[1])
    assert cp_size == result_index + 1
    entry = s.get(f"{base}/log/entries/{result_index}").json()
    import base64

    result = json.loads(base64.b64decode(entry["data"]))
    unit = result["selected"][0]["unit_id"]
    today = datetime.now(UTC).date().isoformat()  # outcomes are never dated in the future
    r = s.post(f"{base}/api/draws/PG-zone-3/outcomes", headers=auth,
               json={"unit_id": unit, "date": today, "result": "compliant"})
    assert r.status_code == 201, r.text
    assert s.post(f"{base}/api/checkpoints/publish", headers=auth).status_code == 200
    # the service rebuilds its portal after each publish: the outcome appears there
    live = tmp_path / "live-portal" / "data" / "draws" / "PG-zone-3.json"
    for _ in range(100):
        if live.exists() and json.loads(live.read_text())["outcome_indices"]:
            break
        time.sleep(0.1)
    assert len(json.loads(live.read_text())["outcome_indices"]) == 1
    assert s.get(f"{base}/portal/data/draws/PG-zone-3.json").json()["outcome_indices"]
    proof = s.get(f"{base}/log/proof/inclusion", params={"index": result_index,
                                                         "size": cp_size + 1})
    assert proof.status_code == 200, proof.text

    portal = tmp_path / "portal"
    built = _cli("portal", "build", "--out", str(portal), env=env)
    assert built.returncode == 0, built.stderr
    report = verify_portal_draw(DirectorySource(portal),
                                load_trust((portal / "trust.json").read_bytes()), "PG-zone-3")
    assert report.verdict == "pass", [(c.name, c.status, c.error) for c in report.checks]
    nav = json.loads((portal / "data/draws/PG-zone-3.json").read_text())
    assert len(nav["outcome_indices"]) == 1

    from draw_engine.calendar import load_default_calendar
    from draw_engine.schedule import schedule_draw

    announce_entry = s.get(f"{base}/log/entries/{drawn['announce_index']}").json()
    announce = json.loads(base64.b64decode(announce_entry["data"]))
    schedule = schedule_draw(announce, result["selected"], load_default_calendar())
    day = schedule.units[unit].notice_date
    due = sorted(u for u, planned in schedule.units.items() if planned.notice_date == day)
    out = _cli("notices", "--date", day.isoformat(), "--out", str(tmp_path / "n.csv"), env=env)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "n.csv").read_text("utf-8-sig"))))
    assert sorted(r["单位编号 unit_id"] for r in rows) == due
    api = s.get(f"{base}/api/notices", params={"date": day.isoformat()}, headers=auth)
    assert api.status_code == 200, api.text
    assert sorted(r["unit_id"] for r in api.json()["rows"]) == due

"""Writer fencing on PostgreSQL through real `fairdraw serve` processes (issue 14 item 1).

Server A is the writer (lease epoch 1). While a client sends snapshot writes
(each appends one log entry), every PostgreSQL session of A is terminated with
`pg_terminate_backend`; then server B starts on the same database. Shown:
B starts read-only (the lease is live: the session that died was no lock),
A keeps writing (its pool reconnects), no request gets a 5xx other than 503
naming its cause. Then A is frozen (SIGSTOP) past its 3 s lease, server C
starts and takes the lease over (epoch 2); A, resumed, is fenced: its writes
answer 503 "lost the log's write lease", its /healthz says read-only and why,
it still serves reads. Every acknowledged snapshot's entry is in the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from fairdraw import demo_registry as reg
from fairdraw.cli.demo import _jsonl
from fairdraw.local_processes import free_port
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import generate_signer

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/fencing/log"
LEASE = 3.0


class Server:
    def __init__(self, name: str, url: str, tmp_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = json.loads((tmp_path / "fairdraw.json").read_text())
        sep = "&" if "?" in url else "?"
        config["database_url"] = f"{url}{sep}application_name=fencing-{name}"
        path = tmp_path / f"fairdraw-{name}.json"
        path.write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
        env["FAIRDRAW_CONFIG"] = str(path)
        self.log = (tmp_path / f"{name}.log").open("wb")
        self.process = subprocess.Popen([*CLI, "serve", "--port", str(self.port)], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.log_path = tmp_path / f"{name}.log"

    def wait(self) -> dict[str, Any]:
        for _ in range(300):
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                r = requests.get(f"{self.base}/healthz", timeout=1)
                if r.status_code == 200:
                    health: dict[str, Any] = r.json()
                    return health
            time.sleep(0.1)
        pytest.fail(f"{self.name} did not answer")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Writer(threading.Thread):
    """Sends snapshot writes to one server until stopped; records every answer."""

    def __init__(self, server: Server, auth: dict[str, str], prefix: str) -> None:
        super().__init__(daemon=True)
        self.server, self.auth, self.prefix = server, auth, prefix
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with requests.Session() as s:
            k = 0
            while not self.halt.is_set():
                r = s.post(f"{self.server.base}/api/snapshots", headers=self.auth, timeout=20,
                           json={"kind": "units", "name": f"{self.prefix}-{k}"})
                self.answers.append((r.status_code, r.json()))
                k += 1


def _terminate_sessions(admin: sa.Engine, name: str) -> int:
    with admin.begin() as conn:
        return len(conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = :a AND pid <> pg_backend_pid()"),
            {"a": f"fencing-{name}"}).all())


@pytest.mark.postgres
def test_terminated_session_and_takeover_never_give_two_writers(
    postgres_url: str, postgres_schema_url: str, tmp_path: Path
) -> None:
    signer = generate_signer(ORIGIN)
    write_signer_key_file(tmp_path / "log.key", signer)
    (tmp_path / "fairdraw.json").write_text(json.dumps({
        "database_url": postgres_schema_url, "data_dir": str(tmp_path), "log_origin": ORIGIN,
        "log_key_file": "log.key", "writer_lease_seconds": LEASE}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["FAIRDRAW_CONFIG"] = str(tmp_path / "fairdraw.json")
    for args in (["db", "upgrade"], ["token", "create", "--role", "operator", "--name", "op"]):
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    auth = {"Authorization": f"Bearer {done.stdout.strip()}"}
    admin = sa.create_engine(postgres_url)
    servers: list[Server] = []
    try:
        a = Server("a", postgres_schema_url, tmp_path)
        servers.append(a)
        health = a.wait()
        assert (health["role"], health["epoch"]) == ("writer", 1)
        units = reg.generate_units(active=20, defunct=0)
        r = requests.post(f"{a.base}/api/registries/units/import", headers=auth,
                          params={"format": "jsonl", "source_name": "u.jsonl"},
                          data=_jsonl(units), timeout=30)
        assert r.status_code == 200, r.text

        # 1. A's database sessions die under load; B starts: B is read-only, A writes on
        writer_a = Writer(a, auth, "a")
        writer_a.start()
        time.sleep(1.0)
        assert _terminate_sessions(admin, "a") >= 1
        b = Server("b", postgres_schema_url, tmp_path)
        servers.append(b)
        health_b = b.wait()
        assert health_b["role"] == "read-only"
        assert "write lease is held by" in health_b["reason"]
        r = requests.post(f"{b.base}/api/snapshots", headers=auth, timeout=10,
                          json={"kind": "units", "name": "b-0"})
        assert r.status_code in (409, 503), r.text
        time.sleep(1.5)
        writer_a.halt.set()
        writer_a.join(timeout=30)
        health = requests.get(f"{a.base}/healthz", timeout=5).json()
        assert (health["role"], health["epoch"]) == ("writer", 1)

        # 2. A frozen past its lease; C takes over with epoch 2; A, resumed, is fenced
        os.kill(a.process.pid, signal.SIGSTOP)
        time.sleep(LEASE + 0.5)
        c = Server("c", postgres_schema_url, tmp_path)
        servers.append(c)
        health_c = c.wait()
        assert (health_c["role"], health_c["epoch"]) == ("writer", 2)
        os.kill(a.process.pid, signal.SIGCONT)
        r = requests.post(f"{a.base}/api/snapshots", headers=auth, timeout=10,
                          json={"kind": "units", "name": "a-after"})
        assert r.status_code == 503, r.text
        assert "lost the log's write lease" in r.json()["detail"] or \
            "not the log's current epoch 2" in r.json()["detail"]
        health = requests.get(f"{a.base}/healthz", timeout=5).json()
        assert health["role"] == "read-only"
        assert health["reason"].startswith("lease lost at ")
        assert requests.get(f"{a.base}/log/entries/0", timeout=5).status_code in (200, 404)
        r = requests.post(f"{c.base}/api/snapshots", headers=auth, timeout=10,
                          json={"kind": "units", "name": "c-0"})
        assert r.status_code == 200, r.text
        c_index = r.json()["log_index"]
    finally:
        for s in servers:
            s.stop()
        admin.dispose()

    answers = writer_a.answers
    statuses = [code for code, _ in answers]
    assert statuses.count(200) >= 5, answers[-3:]
    assert all(code in (200, 409, 503) for code in statuses), answers
    for code, body in answers:
        if code == 503:
            assert body.get("detail"), body
    acknowledged = {body["log_index"]: body["name"] for code, body in answers if code == 200}
    acknowledged[c_index] = "c-0"
    engine = sa.create_engine(postgres_schema_url)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT idx, data FROM log_entries")).all())
            lease = conn.execute(sa.text("SELECT epoch FROM log_lease")).scalar_one()
    finally:
        engine.dispose()
    assert lease == 2
    for index, name in acknowledged.items():  # nothing acknowledged is lost
        assert json.loads(bytes(rows[index]))["snapshot"] == name
    assert "LEASE LOST" in (tmp_path / "a.log").read_text() or \
        "lost the log's write lease" in (tmp_path / "a.log").read_text()

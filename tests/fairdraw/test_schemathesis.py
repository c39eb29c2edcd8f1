"""API schema fuzzing: schemathesis against the service's own OpenAPI document, no 5xx.

A real `fairdraw serve` process (SQLite, a small registry already imported and
snapshotted, one signed checkpoint) is fuzzed over loopback HTTP from its
`/openapi.json`, every operation twice: anonymously (writes must be refused,
reads must answer) and with an admin token (every route is reachable: writes
reach the lifecycle and the token API, which must refuse bad input with a
4xx). The only check is schemathesis' `not_a_server_error`; bounded to
MAX_EXAMPLES per operation and mode.

With the request schemas of draw_engine/requests.py the generated bodies pass the shape
check. The module-scoped `tally` counts every answer the fuzz tests got (by status class,
and the admin-mode write cases answered by the lifecycle itself: a 2xx, or a refusal other
than the route's "BadRequest" shape answer); when the module ends, whatever order its tests
ran in, it checks the totals against the server's own /metrics and, after a full fuzz
run, that at least 100 write cases reached the real validation (issue 14). No test reads
traffic another test left behind (issue 16.5).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from fairdraw import demo_registry as reg  # noqa: E402
from fairdraw.cli.demo import _jsonl  # noqa: E402
from fairdraw.local_processes import free_port  # noqa: E402

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
MAX_EXAMPLES = 15
WRITES = ("POST", "PUT", "PATCH", "DELETE")
FULL_RUN = 400
"""Admin write cases a whole fuzz run makes at least (821 when written); fewer: a -k run."""
ORIGIN = "localhost/fuzz/log"


def _populate(config: Path) -> None:
    from fairdraw.app import open_runtime
    from fairdraw.draw_service import open_service
    from fairdraw.settings import load_settings

    rt = open_runtime(load_settings(config))
    try:
        service = open_service(rt)
        units = reg.generate_units(active=300, defunct=20)
        for kind, records in (("units", units), ("inspectors", reg.generate_inspectors()),
                              ("experts", reg.generate_experts())):
            service.import_registry(kind, _jsonl(records), fmt="jsonl", source_name=kind)
            service.create_snapshot(kind, f"{kind}-fuzz")
        service.sequencer.checkpoint()
    finally:
        rt.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer

    d = tmp_path_factory.mktemp("fuzz")
    write_signer_key_file(d / "log.key", generate_signer(ORIGIN))
    config = d / "fairdraw.json"
    config.write_text(json.dumps({"database_url": f"sqlite:///{d / 'fuzz.db'}",
                                  "data_dir": str(d), "log_origin": ORIGIN,
                                  "beacon_relay_url": "http://127.0.0.1:9",
                                  "portal_dir": "portal"}))
    _populate(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["FAIRDRAW_CONFIG"] = str(config)
    token = subprocess.run([*CLI, "token", "create", "--role", "admin"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    log = (d / "serve.log").open("wb")
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"fairdraw serve did not start (exit {proc.poll()}): "
                            f"{(d / 'serve.log').read_text()[-2000:]}")
        yield {"base": base, "token": token, "log": d / "serve.log",
               "schema": schemathesis.openapi.from_url(f"{base}/openapi.json")}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def api_schema(server: dict[str, Any]) -> Any:
    return server["schema"]


schema = schemathesis.pytest.from_fixture("api_schema")
_bounded = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


@dataclass
class Tally:
    """What the fuzz tests of this module were answered."""

    status_classes: Counter[str] = field(default_factory=Counter)
    """Every answer by status class ("2xx", "4xx", "5xx")."""
    admin_writes: Counter[str] = field(default_factory=Counter)
    """Admin write cases by outcome: "shape" (refused by the body-shape check), "reached"."""

    def add(self, response: Any, *, admin_write: bool) -> None:
        self.status_classes[f"{response.status_code // 100}xx"] += 1
        if admin_write:
            self.admin_writes[_reached(response)] += 1


@pytest.fixture(scope="module")
def tally(server: dict[str, Any]) -> Iterator[Tally]:
    """Counts the fuzz answers; checks the totals once every test of the module has run."""
    counted = Tally()
    yield counted
    if not counted.status_classes:
        return  # no fuzz test ran (e.g. -k selected another test)
    # A write is counted once its audit row is written, just AFTER its answer was sent: read
    # /metrics until the last answers are in (at most a few seconds).
    for _ in range(50):
        metrics = requests.get(f"{server['base']}/metrics", timeout=5).text
        served: Counter[str] = Counter()
        for line in metrics.splitlines():
            if line.startswith("fairdraw_http_requests_total"):
                labels, value = line.rsplit(" ", 1)
                served[labels.split('status="')[1][:3]] += int(value)
        if all(served[c] >= n for c, n in counted.status_classes.items()):
            break
        time.sleep(0.1)
    # every answer the tests saw was served over HTTP by this server, none of them a 5xx
    assert served["5xx"] == 0, (served, server["log"].read_text()[-3000:])
    for status_class, n in counted.status_classes.items():
        assert served[status_class] >= n, (status_class, served, counted.status_classes)
    writes = sum(counted.admin_writes.values())
    print(f"\nschemathesis answers: {dict(counted.status_classes)}; admin write cases: "
          f"{dict(counted.admin_writes)}")
    if writes >= FULL_RUN:  # a whole run: the bodies reached the real validation
        assert counted.status_classes["4xx"] > 100, counted.status_classes
        assert counted.status_classes["2xx"] > 20, counted.status_classes
        assert counted.admin_writes["reached"] >= 100, counted.admin_writes


@schema.parametrize()
@_bounded
def test_no_server_error_anonymous(case: Any, tally: Tally) -> None:
    response = case.call_and_validate(checks=[not_a_server_error], timeout=20)
    tally.add(response, admin_write=False)


@schema.parametrize()
@_bounded
def test_no_server_error_admin(case: Any, server: dict[str, Any], tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {server['token']}"}
    response = case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=20)
    tally.add(response, admin_write=case.method.upper() in WRITES)


def _reached(response: Any) -> str:
    """"shape" for the body-shape answers (FastAPI's 422, the routes' "BadRequest"), else
    "reached": the lifecycle or the token API judged the request itself."""
    if response.status_code == 422:
        return "shape"
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return "reached"
    if isinstance(detail, dict) and detail.get("error") == "BadRequest":
        return "shape"
    return "reached"


def test_the_schema_lists_the_operator_api(server: dict[str, Any]) -> None:
    paths = requests.get(f"{server['base']}/openapi.json", timeout=5).json()["paths"]
    assert "/api/draws" in paths
    assert "/api/checkpoints/publish" in paths
    assert "/log/checkpoint" in paths
    assert "/healthz" in paths
    assert "/metrics" in paths

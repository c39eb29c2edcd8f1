"""`fairdraw demo` as a user runs it: a real process tree (the demo, a local beacon, two
witnesses) over loopback HTTP.

What must hold: the portal URL well under a minute, the red local-beacon marker, a
portal whose every draw the Python verifier passes (from the directory and over HTTP),
the service answering /healthz, /metrics and /log/checkpoint, and no child process left
behind on Ctrl-C or SIGTERM. (`--no-serve` runs from a clean clone in
test_readme_commands.py.)
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fairdraw.local_processes import free_port
from fairdraw.portal_inputs import draw_ids, verify_portal_draw
from fairdraw.portal_source import DirectorySource, HttpSource
from fairdraw.trust import load_trust

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["COLUMNS"] = "120"
    return env


def _child_ports(out: Path) -> list[int]:
    config = json.loads((out / "fairdraw.json").read_text())
    urls = [config["beacon_relay_url"], *(w["url"] for w in config["witnesses"])]
    return [int(u.rsplit(":", 1)[1]) for u in urls]


def _assert_closed(ports: list[int]) -> None:
    for port in ports:
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"


def _verify_all(source: object, trust_bytes: bytes) -> list[str]:
    trust = load_trust(trust_bytes)
    ids = draw_ids(source)  # type: ignore[arg-type]
    for draw_id in ids:
        report = verify_portal_draw(source, trust, draw_id)  # type: ignore[arg-type]
        assert report.verdict == "pass", (draw_id, [(c.name, c.status, c.error)
                                                    for c in report.checks])
    return ids


@pytest.mark.slow
def test_demo_serves_the_verified_portal_and_stops_its_children(tmp_path: Path) -> None:
    """`--no-serve` from a clean clone is tests/fairdraw/test_readme_commands.py; here the
    default mode: build, serve, answer over HTTP, stop everything on Ctrl-C."""
    out = tmp_path / "fairdraw-demo"
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen([*CLI, "demo", "--out", str(out), "--port", str(port)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env())
    try:
        url = None
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("portal: http"):
                url = line.split(" ", 1)[1].strip()
                break
        assert url == f"http://127.0.0.1:{port}/portal/", (url, proc.poll())
        elapsed = time.monotonic() - start
        assert elapsed < 60, f"demo took {elapsed:.1f} s"
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert health.json()["log_size"] == 9  # 3 snapshots + 3 announces + 3 results
        # each demo directory is its own log: localhost/fairdraw-demo/<random id>/log
        assert re.match(r"localhost/fairdraw-demo/[0-9a-f]{12}/log\n9\n",
                        requests.get(f"{base}/log/checkpoint", timeout=5).text)
        assert "fairdraw_http_requests_total" in requests.get(f"{base}/metrics", timeout=5).text
        assert requests.get(base + "/", timeout=5, allow_redirects=False).status_code in (
            302, 307)
        ids = _verify_all(HttpSource(url), requests.get(url + "trust.json", timeout=5).content)
        assert len(ids) == 3
        portal = out / "portal"
        assert _verify_all(DirectorySource(portal), (portal / "trust.json").read_bytes()) == ids
        draws = json.loads((portal / "data/draws.json").read_text())["draws"]
        assert {d["status"] for d in draws} == {"drawn"}
        assert all(d["local"] for d in draws)
        assert (out / "log.key").stat().st_mode & 0o077 == 0
        ports = _child_ports(out)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("demo did not stop on SIGINT")
    assert "NOT public randomness" in stderr
    _assert_closed([*ports, port])


@pytest.mark.slow
def test_demo_sigterm_while_waiting_stops_the_children(tmp_path: Path) -> None:
    out = tmp_path / "d"
    proc = subprocess.Popen([*CLI, "demo", "--out", str(out), "--no-serve"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=_env())
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "✓ co-sign the commitment" in line:
            break
    ports = _child_ports(out)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("demo ignored SIGTERM")
    assert proc.returncode != 0, seen
    _assert_closed(ports)

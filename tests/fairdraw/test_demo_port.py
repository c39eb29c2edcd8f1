"""`fairdraw demo` finds a busy port first (issue 13 point 5) and names every batch's round
(point 11). The whole demo's output is checked in test_readme_examples.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from fairdraw.cli.demo import MARGIN, MARGIN_NOTE, _rounds, port_problem

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def test_busy_port_stops_the_demo_before_any_work(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert port_problem(port) is not None
        out = tmp_path / "demo"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
        env["COLUMNS"] = "200"
        started = time.monotonic()
        r = subprocess.run([*CLI, "demo", "--out", str(out), "--port", str(port)], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
        took = time.monotonic() - started
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"cannot serve on 127.0.0.1:{port}" in r.stderr
    assert "--port" in r.stderr
    assert "--no-serve" in r.stderr
    assert "portal:" not in r.stdout  # no URL that belongs to the other process
    assert not out.exists()  # nothing was done
    assert took < 10  # at once, not after the draws (which take ~40 s)


def test_free_port_has_no_problem() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert port_problem(port) is None


def test_each_batch_round_is_named() -> None:
    draws = [SimpleNamespace(beacon_round=r) for r in (27, 27, 28)]
    assert _rounds(draws) == "rounds 27, 28"
    assert _rounds(draws[:2]) == "round 27"


def test_the_short_margin_is_explained() -> None:
    assert f"{MARGIN} s" in MARGIN_NOTE
    assert "60 s" in MARGIN_NOTE

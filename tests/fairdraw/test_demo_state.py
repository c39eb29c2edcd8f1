"""Two demos in a row verify in one user's client state (issue 13 point 2).

Each demo directory is its own log (origin `localhost/fairdraw-demo/<id>/log`, made once
with the directory's log key), and the client state is keyed by (origin, log key), so a
second demo is a new log to `fairdraw verify`, never "the log forked"; a re-run in the same
directory grows the same log, which the state accepts after a consistency proof.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fairdraw.cli.demo import DEMO_ORIGIN_PREFIX, _log_key

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def test_each_demo_directory_has_its_own_origin_made_once(tmp_path: Path) -> None:
    a1 = _log_key(tmp_path / "a")
    assert _log_key(tmp_path / "a") == a1  # made once per directory
    b = _log_key(tmp_path / "b")
    origin_a, origin_b = a1.split("+", 1)[0], b.split("+", 1)[0]
    assert origin_a != origin_b
    for origin in (origin_a, origin_b):
        assert re.fullmatch(re.escape(DEMO_ORIGIN_PREFIX) + r"/[0-9a-f]{12}/log", origin)


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.slow
def test_two_demos_in_a_row_verify_in_the_same_state(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg")  # the default state file of this "user"
    env["COLUMNS"] = "120"
    origins = []
    for name in ("first", "second", "first"):  # the third run grows the first demo's log
        out = tmp_path / name
        demo = _run("demo", "--out", str(out), "--no-serve", env=env, cwd=tmp_path)
        assert demo.returncode == 0, demo.stderr[-3000:]
        r = _run("verify", str(out / "portal"), env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert "forked" not in r.stderr
        origins.append(json.loads((out / "portal" / "trust.json").read_text())["log"]["origin"])
    assert origins[0] != origins[1]
    assert origins[0] == origins[2]
    state = json.loads((tmp_path / "xdg" / "fairdraw" / "client-state.json").read_text())
    sizes = {r["origin"]: r["tree_size"] for r in state["logs"]}
    assert set(sizes) == {origins[0], origins[1]}
    assert sizes[origins[0]] > sizes[origins[1]]  # the re-run appended to the first log

"""Runs the portal's JavaScript unit tests (`node --test tests/public_portal/js/`).

The JS verifier is the second implementation of the formats and of draw-v1;
its node tests read the same vector files as the Python tests. This wrapper
fails when any node test fails and skips, naming why, when node is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "public_portal" / "js"


@pytest.mark.slow
def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the portal's JS unit tests need node >= 20")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"node {version.strip()} is too old for the JS unit tests (need >= 20)")
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs files under {JS_TESTS}"
    proc = subprocess.run(
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    summary = "\n".join(line for line in proc.stdout.splitlines() if line.startswith("# "))
    if proc.returncode != 0:
        failures = [line for line in proc.stdout.splitlines() if line.startswith("not ok")]
        pytest.fail(
            "node --test failed:\n" + "\n".join(failures) + "\n" + summary
            + "\n--- output tail ---\n" + proc.stdout[-6000:] + proc.stderr[-2000:]
        )
    assert "# fail 0" in proc.stdout, summary

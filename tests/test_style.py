"""The whole tree is ruff clean under the rule set of pyproject.toml, and every package type
checks under `mypy --strict` (STYLE.md "Tooling"; issue 16)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean():
    exe = shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [exe, "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


PACKAGES = ("sqlbase", "transparency", "witnesses", "draw_engine", "public_portal", "fairdraw")
"""Every package of the distribution, bottom layer first."""


def test_every_package_type_checks_strictly():
    if shutil.which("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    packages = [p for p in PACKAGES if (ROOT / p / "__init__.py").exists()]
    assert "fairdraw" in packages
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *packages], cwd=ROOT, capture_output=True,
        text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

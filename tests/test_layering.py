"""The layering of DESIGN.md §3 holds: import-linter contracts in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [exe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pure_modules_type_check_strictly():
    exe = shutil.which("mypy")
    if exe is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    pure = ["transparency/merkle.py", "transparency/errors.py", "draw_engine/calendar.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *pure], cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

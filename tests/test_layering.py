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
    # The [[tool.mypy.overrides]] strict list of pyproject.toml, as files.
    pure = [
        "transparency/merkle.py", "transparency/note.py", "transparency/note_keys.py",
        "transparency/signature_line.py", "transparency/c2sp_codec.py",
        "transparency/checkpoint.py",
        "transparency/tiles.py", "transparency/proof.py", "transparency/reader.py",
        "transparency/errors.py", "transparency/keyfile.py",
        "witnesses/cosignature.py", "witnesses/state.py", "witnesses/policy.py",
        "draw_engine/canonical.py", "draw_engine/select.py", "draw_engine/snapshot.py",
        "draw_engine/beacon.py",
        "draw_engine/drand.py", "draw_engine/calendar.py",
        "draw_engine/entries.py", "draw_engine/history.py", "draw_engine/registry_diff.py",
        "draw_engine/registry_gaps.py", "draw_engine/registry_sources.py",
        "draw_engine/draw_view.py", "draw_engine/beacon_wait.py",
        "draw_engine/registry_versions.py",
        "draw_engine/schedule.py", "draw_engine/team_load.py", "draw_engine/yearplan.py",
        "draw_engine/stats.py",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *pure], cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

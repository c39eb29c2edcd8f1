"""`fairdraw --help` stays fast (issue 13 point 9): the CLI modules import no heavy module
at import time; the commands import what they use. Timing is benchmarks/cli_help_bench.py's
job (docs/performance.md); this test holds the cause: which modules `--help` loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "requests", "fastapi", "uvicorn", "alembic", "openpyxl", "cryptography",
         "pydantic", "transparency", "witnesses", "draw_engine", "public_portal")
PROBE = """
import json, sys
sys.argv = ["fairdraw", *sys.argv[1:]]
from fairdraw.cli import main
try:
    main()
except SystemExit:
    pass
top = {m.split(".")[0] for m in sys.modules}
fairdraw = sorted(m for m in sys.modules if m.startswith("fairdraw."))
sys.stderr.write("\\n" + json.dumps({"top": sorted(top), "fairdraw": fairdraw}))
"""


def _loaded(*args: str) -> dict[str, list[str]]:
    r = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                       timeout=60, check=False)
    assert "Traceback" not in r.stderr, r.stderr
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_help_imports_no_heavy_module() -> None:
    loaded = _loaded("--help")
    assert sorted(set(HEAVY) & set(loaded["top"])) == []
    # only the CLI modules themselves and the demo's tiny registry generator
    assert all(m.startswith("fairdraw.cli") or m == "fairdraw.demo_registry"
               for m in loaded["fairdraw"]), loaded["fairdraw"]


@pytest.mark.parametrize("command", [
    ["verify", "--help"], ["assignments", "--help"], ["bundle", "--help"], ["audit", "--help"],
    ["log", "append", "--help"], ["log", "fsck", "--help"], ["witness", "serve", "--help"],
    ["recompute", "--help"], ["snapshot", "root", "--help"], ["demo", "--help"],
    ["draw", "announce", "--help"], ["trust", "show", "--help"], ["serve", "--help"],
])
def test_every_command_help_still_works_without_heavy_imports(command: list[str]) -> None:
    loaded = _loaded(*command)
    assert sorted({"sqlalchemy", "requests", "fastapi", "uvicorn", "openpyxl"}
                  & set(loaded["top"])) == []


def test_the_cli_default_database_is_the_logs() -> None:
    from fairdraw.cli.log import DEFAULT_DATABASE_URL
    from transparency.sql import DEFAULT_DATABASE_URL as LOG_DEFAULT

    assert DEFAULT_DATABASE_URL == LOG_DEFAULT


def test_a_command_still_imports_what_it_needs(tmp_path: Path) -> None:
    records = tmp_path / "r.jsonl"
    records.write_text('{"id":"a"}\n{"id":"b"}\n')
    r = subprocess.run([sys.executable, "-c", "from fairdraw.cli import main; main()",
                        "snapshot", "root", str(records)],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    root, count = r.stdout.split()
    assert len(root) == 64
    assert count == "2"

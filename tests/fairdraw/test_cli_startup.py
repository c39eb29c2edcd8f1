"""`fairdraw --help` stays fast (issue 13 point 9, issue 15): it imports no command module
(fairdraw.cli lists the commands from its `COMMANDS` table and builds one only when it is
used) and no heavy module. Timing is benchmarks/cli_help_bench.py's job
(docs/performance.md); this test holds the cause: which modules `--help` loads. It also
holds the table true: every command the modules register is listed, under the opening
words of its own help."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "requests", "fastapi", "uvicorn", "alembic", "openpyxl", "cryptography",
         "pydantic", "transparency", "witnesses", "draw_engine", "public_portal", "markdown_it")
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
    assert loaded["fairdraw"] == ["fairdraw.cli"]  # no command module


def test_a_command_loads_only_its_own_modules() -> None:
    loaded = _loaded("log", "--help")
    assert "fairdraw.cli.log" in loaded["fairdraw"]
    assert not {"fairdraw.cli.demo", "fairdraw.cli.client", "fairdraw.cli.serve"} & set(
        loaded["fairdraw"])


def test_the_command_table_lists_every_registered_command() -> None:
    import typer
    from typer.main import get_group

    from fairdraw.cli import COMMANDS, load_command

    everything = typer.Typer()
    for module in sorted({m for entry in COMMANDS.values() for m in entry.modules}):
        importlib.import_module(f"fairdraw.cli.{module}").register(everything)
    registered = get_group(everything).commands
    assert sorted(registered) == sorted(COMMANDS)
    for name, entry in COMMANDS.items():
        command = load_command(name)
        words = " ".join((command.help or "").split())
        assert words.startswith(entry.summary.rstrip(".")), (name, entry.summary, words)


def test_an_unknown_command_is_refused_with_a_suggestion() -> None:
    r = subprocess.run([sys.executable, "-c", "from fairdraw.cli import main; main()", "lgo"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2
    assert "No such command 'lgo'" in r.stderr
    assert "'log'" in r.stderr


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

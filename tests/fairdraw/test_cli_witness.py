"""`fairdraw witness init / add-log` through the typer app (in-process: fast).

`serve` and `restore` run as real processes in tests/witnesses/test_race_restart.py."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from fairdraw.cli import _register, app
from tests.witnesses.support import MemoryLog
from witnesses.cosignature import parse_cosigner_key

_register()
_runner = CliRunner()


def run_cli(*args: str, check: bool = True) -> SimpleNamespace:
    r = _runner.invoke(app, list(args))
    if check:
        assert r.exit_code == 0, r.output
    return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)


def test_init_prints_a_cosigner_key_and_add_log_validates(tmp_path: Path) -> None:
    d = tmp_path / "w"
    vkey = run_cli("witness", "init", "--dir", str(d), "--name", "witness.example/cli").stdout
    key = parse_cosigner_key(vkey.strip())  # type 0x04 vkey
    assert key.name == "witness.example/cli"
    assert stat.S_IMODE((d / "witness.key").stat().st_mode) == 0o600
    assert "PRIVATE" not in vkey

    again = run_cli("witness", "init", "--dir", str(d), "--name", "x", check=False)
    assert again.returncode == 1
    assert "already holds a witness" in again.stderr

    log = MemoryLog("example.com/cli-log")
    before = (d / "witness.json").read_text()
    for bad_vkey, why in [("nonsense", "invalid log verifier key"),
                          (vkey.strip(), "cosigner (type 0x04) key")]:
        r = run_cli("witness", "add-log", "--dir", str(d), "--origin", log.origin,
                    "--vkey", bad_vkey, check=False)
        assert r.returncode == 1
        assert why in r.stderr
        assert (d / "witness.json").read_text() == before  # bad input changes nothing
    ok = run_cli("witness", "add-log", "--dir", str(d), "--origin", log.origin, "--vkey", log.vkey)
    assert "1 key(s)" in ok.stdout
    assert json.loads((d / "witness.json").read_text())["logs"] == {log.origin: [log.vkey]}

    missing = run_cli("witness", "add-log", "--dir", str(tmp_path / "nope"), "--origin", "o",
                      "--vkey", log.vkey, check=False)
    assert missing.returncode == 1
    assert "run `fairdraw witness init`" in missing.stderr

"""`fairdraw log …` end to end (in-process typer runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fairdraw.cli import log
from transparency.sql import SqlStorage

app = typer.Typer()
log.register(app)
runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


@pytest.fixture
def logdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FAIRDRAW_DATABASE_URL", raising=False)
    monkeypatch.delenv("FAIRDRAW_LOG_KEY", raising=False)
    return tmp_path


def test_init_append_checkpoint_export_fsck(logdir: Path) -> None:
    out = run("log", "init", "--origin", "example.com/cli-test")
    vkey = (logdir / "log.vkey").read_text().strip()
    assert vkey in out.replace("\n", "")
    assert vkey.startswith("example.com/cli-test+")
    assert (logdir / "log.key").stat().st_mode & 0o777 == 0o600
    assert (logdir / "fairdraw.db").exists()  # the default database

    lines = logdir / "batch.jsonl"
    lines.write_text("".join(json.dumps({"type": "t", "v": 1, "n": i}) + "\n" for i in range(500)))
    single = logdir / "one.json"
    single.write_bytes(b'{"type":"t","v":1}')
    assert "indices 0..500" in run("log", "append", str(lines), str(single))
    note = run("log", "checkpoint")
    assert note.startswith("example.com/cli-test\n501\n")

    assert "501" in run("log", "export", "--out", "static")
    assert "ok: example.com/cli-test size 501" in run("log", "fsck", "static", "--vkey", vkey)
    # the vkey may also be given as a file
    run("log", "fsck", "static", "--vkey", str(logdir / "log.vkey"))
    storage = SqlStorage.open(f"sqlite:///{logdir / 'fairdraw.db'}")
    assert storage.read_entries(500, 501) == [b'{"type":"t","v":1}']
    assert storage.read_entries(3, 4) == [b'{"type": "t", "v": 1, "n": 3}']
    storage.close()


def test_append_with_checkpoint_and_db_from_environment(
    logdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIRDRAW_DATABASE_URL", f"sqlite:///{logdir / 'other.db'}")
    run("log", "init", "--origin", "example.com/env", "--dir", "keys")
    monkeypatch.setenv("FAIRDRAW_LOG_KEY", str(logdir / "keys" / "log.key"))
    (logdir / "e").write_bytes(b"x")
    out = run("log", "append", "--checkpoint", "e")
    assert "example.com/env\n1\n" in out
    assert (logdir / "other.db").exists()
    assert not (logdir / "fairdraw.db").exists()


def test_errors_are_one_clear_line_and_exit_1(logdir: Path) -> None:
    assert "key file log.key does not exist" in run("log", "checkpoint", code=1)
    run("log", "init", "--origin", "example.com/e")
    assert "exists already" in run("log", "init", "--origin", "example.com/e", code=1)
    assert "No such file" in run("log", "append", "missing.json", code=1)
    big = logdir / "big.bin"
    big.write_bytes(b"x" * 70_000)
    assert "70000 bytes; entries are at most 65535" in run("log", "append", str(big), code=1)
    assert "no checkpoint to export" in run("log", "export", "--out", "s", code=1)
    assert "is not a directory" in run("log", "fsck", "nowhere", "--vkey", "k+1+A", code=1)


def test_fsck_failure_lists_problems(logdir: Path) -> None:
    run("log", "init", "--origin", "example.com/f")
    (logdir / "e").write_bytes(b"entry")
    run("log", "append", "--checkpoint", "e")
    run("log", "export", "--out", "static")
    tile = logdir / "static/tile/0/000.p/1"
    tile.write_bytes(bytes(32))
    out = run("log", "fsck", "static", "--vkey", "log.vkey", code=1)
    assert "problem: tile/0/000.p/1 hash 0" in out
    assert "fsck failed with 1 problem(s)" in out

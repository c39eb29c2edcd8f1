"""`fairdraw recompute` and `fairdraw snapshot root` as real subprocesses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from draw_engine.canonical import canonical_json
from draw_engine.snapshot import format_records, make_snapshot
from tests.conftest import load_vectors

KNOWN = load_vectors("draw/draw-v1.json")["vectors"]
GENERATED = load_vectors("draw/generated-draws.json")["vectors"]
EXE = shutil.which("fairdraw")
BASE_CMD = [EXE] if EXE else [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def write_vector(vector: dict[str, Any], directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "announce.json").write_text(json.dumps(vector["announce"], indent=2,
                                                        ensure_ascii=False), encoding="utf-8")
    args = ["recompute", "--announce", str(directory / "announce.json"),
            "--randomness", vector["randomness"]]
    for kind in ("units", "inspectors", "experts"):
        if kind in vector["announce"]:
            path = directory / f"{kind}.jsonl"
            path.write_bytes(format_records(make_snapshot("s", kind, vector[kind])))
            args += [f"--{kind}", str(path)]
    return args


@pytest.mark.slow
def test_recompute_every_known_vector_byte_for_byte(tmp_path: Path) -> None:
    vectors = [*KNOWN, GENERATED[-1]]
    procs = [subprocess.Popen([*BASE_CMD, *write_vector(v, tmp_path / str(i))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i, v in enumerate(vectors)]
    for vector, proc in zip(vectors, procs, strict=True):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        assert out == canonical_json(vector["expected"]) + b"\n", vector["desc"]


def run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*BASE_CMD, *args], capture_output=True, timeout=60, check=False)


@pytest.fixture
def hand(tmp_path: Path) -> tuple[list[str], Path]:
    return write_vector(KNOWN[-1], tmp_path), tmp_path


def replace(args: list[str], option: str, value: str) -> list[str]:
    copy = list(args)
    copy[copy.index(option) + 1] = value
    return copy


def test_root_mismatch_is_refused(hand: tuple[list[str], Path]) -> None:
    args, directory = hand
    units = directory / "units.jsonl"
    data = units.read_bytes()
    assert "武宣某商场".encode() in data
    units.write_bytes(data.replace("武宣某商场".encode(), "武宣某商店".encode()))
    result = run(args)
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"units file" in result.stderr
    assert b"snapshot root differs from the announce" in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, d: replace(a, "--randomness", "XYZ"), b"lowercase hex"),
        (lambda a, d: [x for x in a if x not in ("--inspectors", str(d / "inspectors.jsonl"))],
         b"give --inspectors FILE"),
        (lambda a, d: [*a, "--experts", str(d / "units.jsonl")],
         b"announce names no experts snapshot"),
        (lambda a, d: replace(a, "--units", str(d / "missing.jsonl")), b"cannot read units"),
        (lambda a, d: replace(a, "--units", str(d / "inspectors.jsonl")),
         b"snapshot root differs"),
    ],
)
def test_bad_input_exits_non_zero(hand: tuple[list[str], Path], change: Any,
                                  message: bytes) -> None:
    args, directory = hand
    result = run(change(args, directory))
    assert result.returncode != 0
    assert result.stdout == b""
    assert message in result.stderr


def test_bad_announce(hand: tuple[list[str], Path]) -> None:
    args, directory = hand
    announce = json.loads((directory / "announce.json").read_text(encoding="utf-8"))
    announce["strata"][0]["quota"] = {"ratio": "2/1"}
    (directory / "announce.json").write_text(json.dumps(announce), encoding="utf-8")
    result = run(args)
    assert result.returncode == 1
    assert b"strata[0].quota.ratio" in result.stderr
    (directory / "announce.json").write_bytes(b'{"type": "draw.announce", "v": 1.0}')
    result = run(args)
    assert result.returncode == 1
    assert b"floats" in result.stderr


def test_snapshot_root(tmp_path: Path) -> None:
    vector = KNOWN[0]
    path = tmp_path / "units.jsonl"
    path.write_bytes(format_records(make_snapshot("s", "units", vector["units"])))
    result = run(["snapshot", "root", str(path)])
    assert result.returncode == 0, result.stderr
    ref = vector["announce"]["units"]
    assert result.stdout.decode() == f"{ref['root']} {ref['count']}\n"
    assert result.stderr == b""
    path.write_text("".join(json.dumps(u) + "\n" for u in vector["units"]), encoding="utf-8")
    result = run(["snapshot", "root", str(path)])
    assert result.stdout.decode() == f"{ref['root']} {ref['count']}\n"
    assert b"not canonical" in result.stderr
    path.write_bytes(b'{"id":"a"}\n{"id":"a"}\n')
    result = run(["snapshot", "root", str(path)])
    assert result.returncode == 1
    assert b"duplicate id" in result.stderr

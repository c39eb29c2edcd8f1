"""`fairdraw beacon verify`: exit codes, stdout and the reason on stderr.

The main paths run as real subprocesses; the matrix of refusals runs the same
typer app in process (CliRunner) to keep the suite fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from draw_engine.local_beacon import CHAIN_INFO_FILE, load_or_create_local_key
from fairdraw.cli import _register, app
from tests.conftest import load_vectors

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
QUICKNET = load_vectors("drand/quicknet.json")["rounds"]
MAINNET = load_vectors("drand/mainnet.json")["rounds"]


@pytest.fixture(scope="module")
def registered() -> None:
    if not any(group.name == "beacon" for group in app.registered_groups):
        _register()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "beacon", "verify", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_quicknet_round_prints_randomness() -> None:
    r = QUICKNET[4]
    proc = run("--chain", "quicknet", "--round", str(r["round"]), "--signature", r["signature"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == r["randomness"] + "\n"


def test_mainnet_round_prints_randomness() -> None:
    r = MAINNET[3]
    proc = run(
        "--chain", "mainnet", "--round", str(r["round"]), "--signature", r["signature"],
        "--previous-signature", r["previous_signature"], "--randomness", r["randomness"],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == r["randomness"]


@pytest.mark.parametrize(
    ("args", "code", "reason"),
    [
        (["--chain", "quicknet", "--round", str(QUICKNET[0]["round"] + 1),
          "--signature", QUICKNET[0]["signature"]], 1, "does not verify for round 2"),
        (["--chain", "quicknet", "--round", "1", "--signature", QUICKNET[0]["signature"],
          "--randomness", "00" * 32], 1, "is not sha256(signature)"),
        (["--chain", "mainnet", "--round", str(MAINNET[2]["round"]),
          "--signature", MAINNET[2]["signature"],
          "--previous-signature", MAINNET[0]["signature"]], 1, "does not verify"),
        (["--chain", "mainnet", "--round", "2", "--signature", MAINNET[1]["signature"]],
         2, "needs --previous-signature"),
        (["--chain", "quicknet", "--round", "1",
          "--signature", "c0" + "00" * 47], 1, "identity"),
        (["--chain", "quicknet", "--round", "01", "--signature", QUICKNET[0]["signature"]],
         2, "--round must be a decimal"),
        (["--chain", "quicknet", "--round", "1", "--signature", "XYZ"], 2, "lowercase hex"),
        (["--chain", "quicknet", "--round", "1", "--signature", "ab"], 2, "48 bytes"),
        (["--chain", "fastnet", "--round", "1", "--signature", "ab"], 2, "quicknet or mainnet"),
        (["--round", "1", "--signature", "ab"], 2, "exactly one of"),
    ],
)  # fmt: skip
def test_refusals_exit_non_zero_and_say_why(
    registered: None, args: list[str], code: int, reason: str
) -> None:
    result = CliRunner().invoke(app, ["beacon", "verify", *args])
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert reason in result.stderr


def test_refusal_in_a_real_process() -> None:
    r = QUICKNET[0]
    proc = run("--chain", "quicknet", "--round", "2", "--signature", r["signature"])
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "does not verify for round 2" in proc.stderr
    proc = run("--chain", "quicknet", "--round", "x", "--signature", r["signature"])
    assert proc.returncode == 2
    assert "--round must be a decimal" in proc.stderr


def test_local_chain_info_is_accepted_with_a_warning(tmp_path: Path) -> None:
    key = load_or_create_local_key(tmp_path, now=1_700_000_000, period=3)
    beacon = key.sign(7)
    proc = run(
        "--chain-info", str(tmp_path / CHAIN_INFO_FILE),
        "--round", "7", "--signature", beacon.signature.hex(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == beacon.randomness.hex()
    assert "NOT public randomness" in proc.stderr
    # The same signature is not a quicknet beacon.
    proc = run("--chain", "quicknet", "--round", "7", "--signature", beacon.signature.hex())
    assert proc.returncode == 1

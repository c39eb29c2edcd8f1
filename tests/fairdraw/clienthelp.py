"""Running the `fairdraw` client commands as real subprocesses in tests."""

from __future__ import annotations

import shutil
import subprocess
import sys

EXE = shutil.which("fairdraw")
BASE_CMD = [EXE] if EXE else [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def fairdraw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BASE_CMD, *args], capture_output=True, text=True, timeout=120, check=False
    )

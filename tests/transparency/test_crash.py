"""Crash safety: SIGKILL a process appending in a loop; every acknowledged index survives.

The child appends batches of 1..20 entries forever and prints each index only
after `Sequencer.append` returned (i.e. after the commit). The parent kills it
with SIGKILL mid-stream, restarts a sequencer on the same database (SQLite:
the flock died with the process, so the lease is taken over at once;
PostgreSQL: the restart waits until the dead writer's 2 s lease expired),
checks every acknowledged entry byte for byte, signs a checkpoint, exports
the static files and runs fsck on them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transparency.export import DirectorySource, export_log, fsck_log
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage

APPENDER = """
import random, sys
from datetime import timedelta
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
seq = Sequencer(SqlStorage.open(sys.argv[1]), [generate_signer("x")], "x",
                lease_duration=timedelta(seconds=2), acquire_timeout=20)
rng = random.Random(7)
n = seq.tree_size
while True:
    batch = [b"crash-test entry %d" % (n + k) for k in range(rng.randint(1, 20))]
    for index in seq.append(batch):
        sys.stdout.write(f"{index}\\n")
    sys.stdout.flush()
    n += len(batch)
    if rng.random() < 0.2:
        seq.checkpoint()
"""


def expected_entry(index: int) -> bytes:
    return b"crash-test entry %d" % index


def kill_mid_append(url: str, at_least: int) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", APPENDER, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    deadline = time.time() + 60
    try:
        while len(acknowledged) < at_least and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # whatever it had printed before dying was acknowledged too
        rest = proc.stdout.read().decode().split()
        acknowledged.extend(int(x) for x in rest)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= at_least, stderr
    return acknowledged


def check_recovery(url: str, tmp_path: Path) -> None:
    acknowledged = kill_mid_append(url, 400)
    acknowledged += kill_mid_append(url, 200)  # a second crash after a restart
    storage = SqlStorage.open(url)
    signer = generate_signer("example.com/crash")
    with Sequencer(storage, [signer], signer.name, acquire_timeout=20) as seq:
        size = seq.tree_size
        # committed-but-unprinted indices may sit between the runs; never a duplicate
        assert acknowledged == sorted(set(acknowledged))
        assert max(acknowledged) < size
        stored = storage.read_entries(0, size)
        assert stored == [expected_entry(i) for i in range(size)]
        seq.checkpoint()
    export_log(storage, tmp_path / "static")
    report = fsck_log(DirectorySource(tmp_path / "static"), [signer.verifier_key])
    assert report.tree_size == size
    storage.close()


def test_sigkill_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    SqlStorage.open(url).close()
    check_recovery(url, tmp_path)


@pytest.mark.postgres
def test_sigkill_postgres(postgres_schema_url: str, tmp_path: Path) -> None:
    SqlStorage.open(postgres_schema_url).close()
    check_recovery(postgres_schema_url, tmp_path)

"""Atomicity and durability of the witness state, against real witness processes.

* race: many concurrent conflicting add-checkpoint requests, with a stall
  injected between the state check and the write (`--test-stall-ms`), on SQLite
  and PostgreSQL: exactly one is cosigned, so never two roots for one size and
  never a rollback;
* restart keeps state; a lost database makes the witness refuse to start, and
  after `witness restore` it refuses anything below what it had signed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.witnesses.support import MemoryLog, add_checkpoint, run_cli, start_witness
from transparency.checkpoint import parse_checkpoint
from transparency.note import append_signatures, parse_note
from witnesses.cosignature import parse_cosignature_line, verify_cosignature
from witnesses.directory import add_log, init_witness
from witnesses.store import SqlWitnessState

STALL_MS = 300
N = 12


def _race(directory: Path, database_url: str | None) -> None:
    log = MemoryLog("example.com/race")
    init_witness(directory, "witness.example/race", database_url=database_url)
    add_log(directory, log.origin, log.vkey)
    w = start_witness(directory, "--test-stall-ms", str(STALL_MS), "--rate", "1000",
                      "--burst", "1000")
    try:
        log.append(4)
        assert add_checkpoint(w.url, 0, [], log.checkpoint()).status_code == 200
        # Conflicting futures from size 4: the genuine log grows to 6 or 8, a forked
        # history (same key: the log misbehaves) grows to 8 with other leaves.
        genuine6 = log.fork()
        genuine6.append(2)
        genuine8 = log.fork()
        genuine8.append(4)
        forked8 = log.fork()
        forked8.append(4, tag="forged")
        variants = [genuine6, genuine8, forked8]
        jobs = [(variants[i % 3].checkpoint(), variants[i % 3].proof(4, variants[i % 3].size))
                for i in range(N)]
        start = time.monotonic()
        with ThreadPoolExecutor(N) as pool:
            responses = list(pool.map(lambda j: add_checkpoint(w.url, 4, j[1], j[0]), jobs))
        elapsed = time.monotonic() - start
        # The stall really overlapped the requests (serial would take N * stall).
        assert elapsed < N * STALL_MS / 1000 / 2
        winners = [(jobs[i][0], r) for i, r in enumerate(responses) if r.status_code == 200]
        assert len(winners) == 1, [r.status_code for r in responses]
        assert all(r.status_code == 409 for r in responses if r.status_code != 200)
        note, response = winners[0]
        stored = SqlWitnessState.open(
            database_url or f"sqlite:///{directory / 'witness.db'}", migrate=False
        )
        try:
            latest = stored.latest(log.origin)
        finally:
            stored.close()
        assert latest is not None
        assert latest.note == note
        assert latest.root_hash == parse_checkpoint(parse_note(note).text).root_hash
        # every 409 reported the winner's size
        assert {r.text for r in responses if r.status_code == 409} == {f"{latest.tree_size}\n"}
        assert response.text.startswith("— witness.example/race ")
    finally:
        w.stop()


def test_race_sqlite(tmp_path: Path) -> None:
    _race(tmp_path, None)


@pytest.mark.postgres
def test_race_postgres(tmp_path: Path, postgres_schema_url: str) -> None:
    _race(tmp_path, postgres_schema_url)


@pytest.mark.slow
def test_restart_keeps_state_and_lost_database_is_refused(tmp_path: Path) -> None:
    log = MemoryLog("example.com/durable")
    vkey = init_witness(tmp_path, "witness.example/durable").verifier_key
    add_log(tmp_path, log.origin, log.vkey)
    w = start_witness(tmp_path)
    published: list[bytes] = []
    try:
        old = 0
        for grow in (3, 2, 4):
            log.append(grow)
            note = log.checkpoint()
            r = add_checkpoint(w.url, old, log.proof(old, log.size) if old else [], note)
            assert r.status_code == 200, r.text
            cosig = parse_cosignature_line(r.text).to_note_signature()
            published.append(append_signatures(note, [cosig]))
            old = log.size
    finally:
        w.stop()
    assert old == 9
    # restart: same state, so old 0 is a 409 reporting 9, and a fork at 9 is refused
    w = start_witness(tmp_path)
    try:
        r = add_checkpoint(w.url, 0, [], log.checkpoint())
        assert (r.status_code, r.text) == (409, "9\n")
        assert add_checkpoint(w.url, 9, [], log.forged_checkpoint(9)).status_code == 422
    finally:
        w.stop()

    # lose the database: the witness refuses to start at all
    for f in tmp_path.glob("witness.db*"):
        f.unlink()
    result = run_cli("witness", "serve", "--dir", str(tmp_path), "--port", "1", check=False)
    assert result.returncode == 1
    assert "lost or replaced" in result.stderr

    # restore from the log's published history: only a checkpoint we cosigned is accepted
    (tmp_path / "unsigned.txt").write_bytes(log.checkpoint(5))
    bad = run_cli("witness", "restore", "--dir", str(tmp_path), "--checkpoint",
                  str(tmp_path / "unsigned.txt"), check=False)
    assert bad.returncode == 1
    assert "no cosignature by this witness" in bad.stderr
    (tmp_path / "latest.txt").write_bytes(published[-1])
    ok = run_cli("witness", "restore", "--dir", str(tmp_path), "--checkpoint",
                 str(tmp_path / "latest.txt"))
    assert "restored example.com/durable at size 9" in ok.stdout
    w = start_witness(tmp_path)
    try:
        # below what it signed: refused (409 says 9); a fork at 9: refused (422)
        r = add_checkpoint(w.url, 0, [], log.checkpoint(5))
        assert (r.status_code, r.text) == (409, "9\n")
        r = add_checkpoint(w.url, 5, log.proof(5, 9), log.checkpoint(9))
        assert (r.status_code, r.text) == (409, "9\n")
        assert add_checkpoint(w.url, 9, [], log.forged_checkpoint(9)).status_code == 422
        # and it continues the genuine history
        log.append(1)
        r = add_checkpoint(w.url, 9, log.proof(9, 10), log.checkpoint())
        assert r.status_code == 200
        verify_cosignature(vkey, log.checkpoint()[: log.checkpoint().index(b"\n\n") + 1], r.text)
    finally:
        w.stop()


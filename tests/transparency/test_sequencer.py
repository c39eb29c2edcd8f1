"""Sequencer: indices after commit, checkpoints over committed state, one sequencer per log."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from transparency import merkle
from transparency.checkpoint import open_checkpoint
from transparency.errors import FormatError, SequencerBusyError, StorageError
from transparency.merkle import Node
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
from transparency.storage import MemoryStorage

ORIGIN = "example.com/fairdraw/test-log"
SIGNER = generate_signer(ORIGIN)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return T0


def test_append_returns_indices_and_checkpoint_signs_committed_root() -> None:
    storage = MemoryStorage()
    with Sequencer(storage, [SIGNER], ORIGIN, clock=fixed_clock) as seq:
        assert seq.append([b"a", b"b"]) == [0, 1]
        assert seq.append([]) == []
        assert seq.append([b"c"] * 300) == list(range(2, 302))
        note = seq.checkpoint()
    cp, opened = open_checkpoint(note, [SIGNER.verifier_key], origin=ORIGIN)
    leaves = [merkle.leaf_hash(e) for e in [b"a", b"b"] + [b"c"] * 300]
    assert (cp.tree_size, cp.root_hash) == (302, merkle.root_hash(leaves))
    assert [s.name for s in opened.verified] == [ORIGIN]
    stored = storage.latest_checkpoint()
    assert stored is not None
    assert (stored.note, stored.tree_size, stored.created_at, stored.cosigned) == (
        note,
        302,
        T0,
        False,
    )


def test_empty_log_checkpoint() -> None:
    with Sequencer(MemoryStorage(), [SIGNER], ORIGIN) as seq:
        cp, _ = open_checkpoint(seq.checkpoint(), [SIGNER.verifier_key])
    assert (cp.tree_size, cp.root_hash) == (0, merkle.EMPTY_ROOT)


def test_long_append_is_split_into_several_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    import transparency.sequencer as sequencer_module

    monkeypatch.setattr(sequencer_module, "MAX_BATCH", 7)
    calls: list[int] = []

    class Counting(MemoryStorage):
        def append(self, start: int, entries: Sequence[bytes],
                   nodes: Sequence[tuple[Node, bytes]], *, epoch: int | None = None):
            calls.append(len(entries))
            super().append(start, entries, nodes, epoch=epoch)

    with Sequencer(Counting(), [SIGNER], ORIGIN) as seq:
        assert seq.append([b"x"] * 20) == list(range(20))
    assert calls == [7, 7, 6]


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([b"ok", b"x" * 65536], "entry 1 of the batch is 65536 bytes"),
        ([b"ok", "text"], "entry 1 of the batch is str, not bytes"),
    ],
)
def test_bad_entries_reject_the_whole_batch(batch: list, message: str) -> None:
    storage = MemoryStorage()
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        with pytest.raises(FormatError, match=message):
            seq.append(batch)
        assert seq.tree_size == 0
    assert storage.tree_size() == 0


def test_max_size_entry_is_accepted() -> None:
    with Sequencer(MemoryStorage(), [SIGNER], ORIGIN) as seq:
        assert seq.append([b"x" * 65535]) == [0]


def test_failed_commit_hands_out_no_index_and_leaves_state_unchanged() -> None:
    class Failing(MemoryStorage):
        fail = False

        def append(self, start: int, entries: Sequence[bytes],
                   nodes: Sequence[tuple[Node, bytes]], *, epoch: int | None = None):
            if self.fail:
                raise StorageError("disk full (injected)")
            super().append(start, entries, nodes, epoch=epoch)

    storage = Failing()
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        seq.append([b"a"])
        storage.fail = True
        with pytest.raises(StorageError, match="injected"):
            seq.append([b"b", b"c"])
        assert seq.tree_size == 1
        storage.fail = False
        assert seq.append([b"d"]) == [1]
        cp, _ = open_checkpoint(seq.checkpoint(), [SIGNER.verifier_key])
    assert cp.root_hash == merkle.root_hash([merkle.leaf_hash(b"a"), merkle.leaf_hash(b"d")])


def test_restart_continues_and_second_sequencer_is_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    storage = SqlStorage.open(url)
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        seq.append([b"a", b"b"])
        seq.checkpoint()
        other = SqlStorage.open(url)
        with pytest.raises(SequencerBusyError, match=r"sequencer\.lock"):
            Sequencer(other, [SIGNER], ORIGIN)
    with Sequencer(other, [SIGNER], ORIGIN) as seq:
        assert seq.tree_size == 2
        assert seq.append([b"c"]) == [2]
    storage.close()
    other.close()


def test_start_refuses_history_that_does_not_match_stored_nodes() -> None:
    storage = MemoryStorage()
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        seq.append([b"a", b"b"])
    storage.store_checkpoint(2, b"\x07" * 32, b"forged\n", cosigned=False, created_at=T0)
    with pytest.raises(StorageError, match="latest checkpoint signed 0707"):
        Sequencer(storage, [SIGNER], ORIGIN)
    # the failed start released the lock
    storage.acquire_sequencer_lock().release()


def test_needs_a_signer() -> None:
    with pytest.raises(ValueError, match="at least one signer"):
        Sequencer(MemoryStorage(), [], ORIGIN)


# -- two real processes racing for one log ------------------------------------------------

RACER = """
import sys, time
from transparency.errors import SequencerBusyError
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
storage = SqlStorage.open(sys.argv[1])
start_at = float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.001)
try:
    seq = Sequencer(storage, [generate_signer("x")], "x")
except SequencerBusyError as e:
    print("busy", e, flush=True)
    sys.exit(3)
seq.append([b"from %d" % i for i in range(50)])
print("locked", flush=True)
time.sleep(1.0)
seq.close()
"""


def race(url: str) -> list[tuple[int, str]]:
    start_at = time.time() + 1.2  # both are importing by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for p in procs:
        out, errs = p.communicate(timeout=60)
        results.append((p.returncode, out + errs))
    return results


def check_race(url: str) -> None:
    results = race(url)
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], results
    # SQLite: the flock; PostgreSQL: the write lease
    assert any("another sequencer holds" in out or "write lease is held by" in out
               or "took the write lease" in out for _, out in results)
    storage = SqlStorage.open(url)
    assert storage.tree_size() == 50  # exactly one process appended
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:  # and the lock died with it
        assert seq.append([b"after"]) == [50]
    storage.close()


def test_two_processes_race_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    SqlStorage.open(url).close()
    check_race(url)


@pytest.mark.postgres
def test_two_processes_race_postgres(postgres_schema_url: str) -> None:
    SqlStorage.open(postgres_schema_url).close()
    check_race(postgres_schema_url)

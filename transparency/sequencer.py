"""The sequencer: the one writer of a log. Assigns indices, integrates, signs checkpoints.

Rules it enforces (DESIGN §7, issue 2 item 6):
- an append is one durable storage transaction per batch; the indices are
  returned only after that transaction committed, so an acknowledged index
  survives a crash;
- a checkpoint is signed only over committed state (the in-memory size and
  frontier advance only after a commit);
- at most one sequencer per log: the constructor takes the storage's sequencer
  lock (`LogStorage.acquire_sequencer_lock`) and holds it until `close()`;
- it never signs a checkpoint inconsistent with the stored history: on start
  it recomputes the root of the latest stored checkpoint from storage.

Time comes from an injected clock; keys are `note.Signer`s given by the caller
(read from key files by the CLI). Entries are opaque bytes of at most
`tiles.MAX_ENTRY_SIZE` bytes (the tlog-tiles bundle length prefix is uint16).

Left out: a group-commit queue merging concurrent callers' batches, and
checkpoint publication schedules (the witnesses package owns co-signing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType

from transparency.checkpoint import Checkpoint, sign_checkpoint
from transparency.errors import FormatError, StorageError
from transparency.merkle import append_leaves, fold_frontier, frontier_nodes, leaf_hash, tree_root
from transparency.note import Signer
from transparency.storage import LogStorage
from transparency.tiles import MAX_ENTRY_SIZE

MAX_BATCH = 20_000
"""Entries per storage transaction; a longer `append` is split into several commits."""

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def check_entries(entries: Sequence[bytes]) -> None:
    """Reject the whole batch, naming the first bad entry, before anything is written."""
    for k, e in enumerate(entries):
        if not isinstance(e, bytes | bytearray):
            raise FormatError(f"entry {k} of the batch is {type(e).__name__}, not bytes")
        if len(e) > MAX_ENTRY_SIZE:
            # SPEC(tlog-tiles): bundles prefix each entry with a big-endian uint16 length.
            raise FormatError(
                f"entry {k} of the batch is {len(e)} bytes; entries are at most {MAX_ENTRY_SIZE}"
            )


class Sequencer:
    """Appends to one log and signs its checkpoints. Use as a context manager or call close()."""

    def __init__(
        self,
        storage: LogStorage,
        signers: Sequence[Signer],
        origin: str,
        *,
        clock: Clock = system_clock,
    ) -> None:
        if not signers:
            raise ValueError("a sequencer needs at least one signer")
        self._storage = storage
        self._signers = tuple(signers)
        self.origin = origin
        self._clock = clock
        self._mutex = threading.Lock()
        self._lock = storage.acquire_sequencer_lock()
        try:
            self._load()
            self._check_history()
        except BaseException:
            self._lock.release()
            raise

    def _load(self) -> None:
        self._size = self._storage.tree_size()
        self._frontier = self._storage.read_nodes(frontier_nodes(self._size))

    def _check_history(self) -> None:
        latest = self._storage.latest_checkpoint()
        if latest is None:
            return
        if latest.tree_size > self._size:
            raise StorageError(
                f"latest checkpoint has size {latest.tree_size} "
                f"but only {self._size} entries are stored"
            )
        root = tree_root(latest.tree_size, self._storage)
        if root != latest.root_hash:
            raise StorageError(
                f"stored nodes give root {root.hex()} at size {latest.tree_size}, "
                f"but the latest checkpoint signed {latest.root_hash.hex()}"
            )

    @property
    def tree_size(self) -> int:
        return self._size

    @property
    def root_hash(self) -> bytes:
        return fold_frontier(self._frontier)

    def append(self, entries: Sequence[bytes]) -> list[int]:
        """Durably append `entries` in order and return their indices (after the commit)."""
        check_entries(entries)
        out: list[int] = []
        with self._mutex:
            for pos in range(0, len(entries), MAX_BATCH):
                out.extend(self._append_batch(entries[pos : pos + MAX_BATCH]))
        return out

    def _append_batch(self, batch: Sequence[bytes]) -> list[int]:
        start = self._size
        created, frontier = append_leaves(start, self._frontier, [leaf_hash(e) for e in batch])
        try:
            self._storage.append(start, batch, created)
        except BaseException:
            self._load()  # storage is the truth; never continue from a guess
            raise
        self._size = start + len(batch)
        self._frontier = frontier
        return list(range(start, self._size))

    def checkpoint(self) -> bytes:
        """Sign a checkpoint over everything committed so far, store it, return the signed note."""
        with self._mutex:
            size, root = self._size, fold_frontier(self._frontier)
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self._signers)
            self._storage.store_checkpoint(
                size, root, note, cosigned=False, created_at=self._clock()
            )
            return note

    def close(self) -> None:
        self._lock.release()

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""The sequencer: the one writer of a log. Assigns indices, integrates, signs checkpoints.

Rules it enforces (DESIGN §7, issue 2 item 6):
- an append is one durable storage transaction per batch; the indices are
  returned only after that transaction committed, so an acknowledged index
  survives a crash;
- a checkpoint is signed only over committed state (the in-memory size and
  frontier advance only after a commit);
- at most one sequencer per log (DESIGN §7): the right to write is a lease with
  a fencing token. The constructor takes the storage's process lock where one
  exists (`LogStorage.acquire_sequencer_lock`) and then the write lease
  (`acquire_lease`: only when no unexpired lease exists, or at once when the
  process lock proves the previous holder dead); every append and checkpoint
  passes the lease epoch to storage, which refuses it in the same transaction
  if another sequencer took over (`FencedError`). The lease is renewed before a
  write once a third of it has passed, and by `renew()` (the server calls it
  periodically). Once fenced, a sequencer refuses every write for good
  (`lease_lost` says when and why); `close()` ends the lease so a successor
  need not wait for it to expire;
- it never signs a checkpoint inconsistent with the stored history: on start
  it recomputes the root of the latest stored checkpoint from storage.

Time comes from an injected clock; keys are `note.Signer`s given by the caller
(read from key files by the CLI). Entries are opaque bytes of at most
`tiles.MAX_ENTRY_SIZE` bytes (the tlog-tiles bundle length prefix is uint16).

Left out: a group-commit queue merging concurrent callers' batches, and
checkpoint publication schedules (the witnesses package owns co-signing).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TypeVar

from transparency.checkpoint import Checkpoint, sign_checkpoint
from transparency.errors import FencedError, FormatError, SequencerBusyError, StorageError
from transparency.merkle import (
    Node,
    append_leaves,
    fold_frontier,
    frontier_nodes,
    leaf_hash,
    tree_root,
)
from transparency.note_keys import Signer
from transparency.storage import Lease, LogStorage, SequencerLock, StoredCheckpoint
from transparency.tiles import MAX_ENTRY_SIZE

DEFAULT_LEASE = timedelta(seconds=15)
"""How long the write lease lasts without renewal; it is renewed after a third of it."""

MAX_BATCH = 20_000
"""Entries per storage transaction; a longer `append` is split into several commits."""

Clock = Callable[[], datetime]
T = TypeVar("T")


def system_clock() -> datetime:
    return datetime.now(UTC)


def default_holder() -> str:
    """Who holds the lease, as operators see it: host, process id, a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
        lease_duration: timedelta = DEFAULT_LEASE,
        holder: str | None = None,
        acquire_timeout: float = 0.0,
    ) -> None:
        """`acquire_timeout`: seconds to keep retrying while another lease is live
        (e.g. after a crash on PostgreSQL); 0 = SequencerBusyError at once."""
        if not signers:
            raise ValueError("a sequencer needs at least one signer")
        if lease_duration <= timedelta(0):
            raise ValueError(f"lease_duration must be positive, got {lease_duration}")
        self._storage = storage
        self._signers = tuple(signers)
        self.origin = origin
        self._clock = clock
        self._mutex = threading.Lock()
        self._lease_mutex = threading.Lock()
        self.lease_duration = lease_duration
        self.holder = holder or default_holder()
        self._lost: tuple[datetime, str] | None = None
        self._lock: SequencerLock = storage.acquire_sequencer_lock()
        try:
            self._lease = self._acquire(acquire_timeout)
        except BaseException:
            self._lock.release()
            raise
        try:
            self._load()
            self._check_history()
        except BaseException:
            self.close()
            raise

    def _acquire(self, timeout: float) -> Lease:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._storage.acquire_lease(
                    self.holder,
                    now=self._clock(),
                    duration=self.lease_duration,
                    force=self._lock.sole_writer,
                )
            except SequencerBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))

    # -- the lease ---------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """This sequencer's fencing token."""
        return self._lease.epoch

    @property
    def lease(self) -> Lease:
        """The lease as last acquired or renewed by this sequencer."""
        with self._lease_mutex:
            return self._lease

    @property
    def lease_lost(self) -> tuple[datetime, str] | None:
        """(when, why) this sequencer was fenced, or None while it may write."""
        with self._lease_mutex:
            return self._lost

    def renew(self) -> Lease:
        """Extend the lease; FencedError (and fenced for good) if another took it over."""
        with self._lease_mutex:
            self._refuse_if_lost()
            epoch = self._lease.epoch
        try:
            lease = self._storage.renew_lease(
                epoch, now=self._clock(), duration=self.lease_duration
            )
        except FencedError as e:
            self._fence(e)
            raise
        with self._lease_mutex:
            if self._lost is None:
                self._lease = lease
            return lease

    def _fence(self, error: FencedError) -> None:
        with self._lease_mutex:
            if self._lost is None:
                self._lost = (self._clock(), str(error))

    def _refuse_if_lost(self) -> None:
        if self._lost is not None:
            when, why = self._lost
            raise FencedError(
                f"this sequencer lost the log's write lease (epoch {self._lease.epoch}) at "
                f"{when.isoformat()}: {why}",
                epoch=self._lease.epoch,
                current_epoch=None,
            )

    def _write_epoch(self) -> int:
        """The epoch to fence a write with; renews first once a third of the lease passed."""
        with self._lease_mutex:
            self._refuse_if_lost()
            lease = self._lease
        if self._clock() >= lease.expires_at - self.lease_duration * 2 / 3:
            lease = self.renew()
        return lease.epoch

    def fenced(self, write: Callable[[int], T]) -> T:
        """Run a storage write given this sequencer's epoch; a FencedError fences it for good."""
        epoch = self._write_epoch()
        try:
            return write(epoch)
        except FencedError as e:
            self._fence(e)
            raise

    @property
    def storage(self) -> FencedStorage:
        """The log storage as this sequencer's callers should write it: every write fenced."""
        return FencedStorage(self._storage, self)

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
            self.fenced(lambda epoch: self._storage.append(start, batch, created, epoch=epoch))
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
            created = self._clock()
            self.fenced(
                lambda epoch: self._storage.store_checkpoint(
                    size, root, note, cosigned=False, created_at=created, epoch=epoch
                )
            )
            return note

    def close(self) -> None:
        """End the lease (if still ours) and release the process lock. If the storage is
        unreachable that error is raised (the lock is released anyway) and the lease
        expires by itself."""
        lock, self._lock = self._lock, _Released()
        try:
            if self._lost is None and not isinstance(lock, _Released):
                self._storage.release_lease(self._lease.epoch, now=self._clock())
        finally:
            lock.release()

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Released:
    sole_writer = False

    def release(self) -> None:
        return None


class FencedStorage:
    """`LogStorage` whose writes carry a sequencer's epoch (`Sequencer.storage`): what the
    services that store co-signed checkpoints write through, so they are fenced too."""

    def __init__(self, inner: LogStorage, sequencer: Sequencer) -> None:
        self.inner = inner
        self._sequencer = sequencer

    def tree_size(self) -> int:
        return self.inner.tree_size()

    def append(
        self,
        start: int,
        entries: Sequence[bytes],
        nodes: Sequence[tuple[Node, bytes]],
        *,
        epoch: int | None = None,
    ) -> None:
        self._sequencer.fenced(lambda e: self.inner.append(start, entries, nodes, epoch=e))

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        return self.inner.read_nodes(nodes)

    def read_entries(self, start: int, end: int) -> list[bytes]:
        return self.inner.read_entries(start, end)

    def store_checkpoint(
        self,
        tree_size: int,
        root_hash: bytes,
        note: bytes,
        *,
        cosigned: bool,
        created_at: datetime,
        epoch: int | None = None,
    ) -> None:
        self._sequencer.fenced(
            lambda e: self.inner.store_checkpoint(
                tree_size, root_hash, note, cosigned=cosigned, created_at=created_at, epoch=e
            )
        )

    def latest_checkpoint(self, *, cosigned_only: bool = False) -> StoredCheckpoint | None:
        return self.inner.latest_checkpoint(cosigned_only=cosigned_only)

    def first_cosigned_covering(self, index: int) -> StoredCheckpoint | None:
        return self.inner.first_cosigned_covering(index)

    def acquire_sequencer_lock(self) -> SequencerLock:
        return self.inner.acquire_sequencer_lock()

    def current_lease(self) -> Lease | None:
        return self.inner.current_lease()

    def acquire_lease(
        self, holder: str, *, now: datetime, duration: timedelta, force: bool = False
    ) -> Lease:
        return self.inner.acquire_lease(holder, now=now, duration=duration, force=force)

    def renew_lease(self, epoch: int, *, now: datetime, duration: timedelta) -> Lease:
        return self.inner.renew_lease(epoch, now=now, duration=duration)

    def release_lease(self, epoch: int, *, now: datetime) -> None:
        self.inner.release_lease(epoch, now=now)

"""Log storage: the one narrow port through which the log's state is read and written.

What is stored (DESIGN §7):
- entries: leaf index -> entry bytes;
- complete Merkle nodes: (level, index) -> hash, i.e. every node that
  `merkle.append_leaves` reports as created. A tile is a run of stored nodes
  (tile L N hash i = node (8L, 256N + i)), so tiles need no storage of their own;
- signed checkpoints: a history of (tree size, root hash, note bytes,
  cosigned flag, creation time);
- the write lease (DESIGN §7): one record (epoch, holder, expiry). The
  sequencer's right to write is that lease; its epoch is the fencing token.

Fencing: `acquire_lease` succeeds only when no unexpired lease exists (or when
the caller proves it is the only possible writer, `force`) and stores epoch+1;
`renew_lease` extends it while the stored epoch is still the caller's. Every
`append` and `store_checkpoint` given an `epoch` checks, in its own write
transaction, that the stored epoch is still that one; otherwise it raises
`FencedError` and changes nothing. So a writer that lost the lease can never
write again, whatever it believes. Expiry compares the callers' clocks (passed
in as `now`): clock skew between servers only delays or hastens a takeover,
it never lets two epochs write (the epoch check is in the database).
Writes without an epoch are unfenced (tools and tests that own the storage).

Each write method is one atomic unit: it is either entirely durable when it
returns or it raised and changed nothing. The sequencer (the service that owns
the use case) decides what goes into one unit; stores hold no policy.

`MemoryStorage` keeps everything in process memory for tests and tools; the SQL
implementation is `transparency.sql.SqlStorage`. Both pass the same conformance
tests (tests/transparency/test_storage.py).

Left out: pruning (the tlog-tiles minimum index) and deleting anything.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from transparency.errors import FencedError, SequencerBusyError, StorageError
from transparency.merkle import HASH_SIZE, Node

MAX_TREE_SIZE = 1 << 62
"""Node ids (`node_id`) must fit a signed 64-bit SQL integer."""


def node_id(level: int, index: int) -> int:
    """In-order position of node (level, index) in the infinite binary tree over leaves.

    Leaves get even ids (2i); node (l, i) gets i·2^(l+1) + 2^l − 1. One integer
    key keeps SQL lookups to a single indexed column on every database."""
    return (index << (level + 1)) + (1 << level) - 1


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as kept in the history."""

    tree_size: int
    root_hash: bytes
    note: bytes
    cosigned: bool
    created_at: datetime


@dataclass(frozen=True)
class Lease:
    """The write lease as stored: `epoch` is the fencing token every fenced write checks."""

    holder: str
    epoch: int
    expires_at: datetime


class SequencerLock(Protocol):
    """A process-level lock some storages add to the lease; `release()` is idempotent.

    `sole_writer` is True when holding it proves no other process can write this
    log (a kernel flock on a local SQLite file, a flag for an in-process log): the
    sequencer may then take an unexpired lease over at once (`force`), since its
    holder is dead. On PostgreSQL nothing proves that; the lease alone decides."""

    @property
    def sole_writer(self) -> bool: ...

    def release(self) -> None: ...


class LogStorage(Protocol):
    """Durable log state. Reads never see a half-written append."""

    def tree_size(self) -> int:
        """Number of entries durably stored."""
        ...

    def append(
        self,
        start: int,
        entries: Sequence[bytes],
        nodes: Sequence[tuple[Node, bytes]],
        *,
        epoch: int | None = None,
    ) -> None:
        """Atomically store entries start, start+1, … and the Merkle nodes they complete.

        Raises StorageError, changing nothing, unless `start` equals the current
        tree size (a compare-and-swap on the size); FencedError, changing
        nothing, if `epoch` is given and is not the stored lease epoch."""
        ...

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        """Hashes of the given complete nodes, in order; StorageError if one is missing."""
        ...

    def read_entries(self, start: int, end: int) -> list[bytes]:
        """Entries [start, end); StorageError if one is missing."""
        ...

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
        """Append a signed checkpoint to the history (FencedError as for `append`)."""
        ...

    def latest_checkpoint(self, *, cosigned_only: bool = False) -> StoredCheckpoint | None:
        """The most recently stored checkpoint (only co-signed ones if asked), or None."""
        ...

    def first_cosigned_covering(self, index: int) -> StoredCheckpoint | None:
        """The earliest stored co-signed checkpoint whose tree holds entry `index`
        (tree_size > index), or None: when that entry was first publicly committed."""
        ...

    def acquire_sequencer_lock(self) -> SequencerLock:
        """The storage's process-level lock; SequencerBusyError if another holder has it."""
        ...

    def current_lease(self) -> Lease | None:
        """The stored write lease (expired or not), or None if no sequencer ever held one."""
        ...

    def acquire_lease(
        self, holder: str, *, now: datetime, duration: timedelta, force: bool = False
    ) -> Lease:
        """Store and return a lease with epoch+1 expiring at now+duration.

        SequencerBusyError, changing nothing, while another unexpired lease exists
        (unless `force`)."""
        ...

    def renew_lease(self, epoch: int, *, now: datetime, duration: timedelta) -> Lease:
        """Extend the lease to now+duration; FencedError if `epoch` is no longer stored."""
        ...

    def release_lease(self, epoch: int, *, now: datetime) -> None:
        """End the lease now if `epoch` is still stored (a successor need not wait)."""
        ...


def check_append(
    current_size: int, start: int, entries: Sequence[bytes], nodes: Sequence[tuple[Node, bytes]]
) -> list[tuple[int, bytes]]:
    """Argument checks every LogStorage.append implementation performs first.

    Returns the nodes as (node_id, hash) rows, the form every storage keeps them in."""
    if start != current_size:
        raise StorageError(f"append at index {start} but the log holds {current_size} entries")
    end = start + len(entries)
    if end > MAX_TREE_SIZE:
        raise StorageError(f"tree size would exceed the maximum {MAX_TREE_SIZE}")
    # The nodes an append completes are exactly those whose last leaf it adds.
    rows = [
        (node_id(level, index), h)
        for (level, index), h in nodes
        if len(h) == HASH_SIZE and start < (index + 1) << level <= end
    ]
    if len(rows) != len(nodes):
        for (level, index), h in nodes:
            if len(h) != HASH_SIZE:
                raise StorageError(
                    f"node ({level}, {index}) hash is {len(h)} bytes, not {HASH_SIZE}"
                )
            if (index + 1) << level > end:
                raise StorageError(f"node ({level}, {index}) is not complete after this append")
            if (index + 1) << level <= start:
                raise StorageError(f"node ({level}, {index}) was complete before this append")
    return rows


def next_lease(
    current: Lease | None, holder: str, now: datetime, duration: timedelta, force: bool
) -> Lease:
    """The lease `acquire_lease` stores, or SequencerBusyError naming the live holder."""
    if duration <= timedelta(0):
        raise ValueError(f"a lease must last a positive time, got {duration}")
    if current is not None and current.expires_at > now and not force:
        raise SequencerBusyError(
            f"the log's write lease is held by {current.holder} (epoch {current.epoch}) "
            f"until {current.expires_at.isoformat()} (one writer per log)"
        )
    return Lease(holder, 1 if current is None else current.epoch + 1, now + duration)


def check_epoch(epoch: int | None, current: Lease | None) -> None:
    """The fencing check of every write: FencedError unless `epoch` is the stored one."""
    if epoch is None:
        return
    stored = current.epoch if current is not None else None
    if stored != epoch:
        holder = f" (held by {current.holder})" if current is not None else ""
        raise FencedError(
            f"write refused: this writer's lease epoch {epoch} is not the log's current "
            f"epoch {stored}{holder}; another sequencer took over",
            epoch=epoch,
            current_epoch=stored,
        )


def check_checkpoint_args(tree_size: int, root_hash: bytes, stored_size: int) -> None:
    if tree_size < 0 or tree_size > stored_size:
        raise StorageError(
            f"checkpoint for size {tree_size} but the log holds {stored_size} entries"
        )
    if len(root_hash) != HASH_SIZE:
        raise StorageError(f"checkpoint root is {len(root_hash)} bytes, not {HASH_SIZE}")


class _MemoryLock:
    sole_writer = True

    def __init__(self, owner: MemoryStorage) -> None:
        self._owner: MemoryStorage | None = owner

    def release(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            with owner._mutex:
                owner._locked = False


class MemoryStorage:
    """LogStorage in process memory. Thread-safe; nothing survives the process."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._entries: list[bytes] = []
        self._nodes: dict[int, bytes] = {}
        self._checkpoints: list[StoredCheckpoint] = []
        self._locked = False
        self._lease: Lease | None = None

    def tree_size(self) -> int:
        with self._mutex:
            return len(self._entries)

    def append(
        self,
        start: int,
        entries: Sequence[bytes],
        nodes: Sequence[tuple[Node, bytes]],
        *,
        epoch: int | None = None,
    ) -> None:
        with self._mutex:
            check_epoch(epoch, self._lease)
            rows = check_append(len(self._entries), start, entries, nodes)
            self._entries.extend(bytes(e) for e in entries)
            self._nodes.update((i, bytes(h)) for i, h in rows)

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        with self._mutex:
            out = []
            for level, index in nodes:
                h = self._nodes.get(node_id(level, index))
                if h is None:
                    raise StorageError(f"node ({level}, {index}) is not stored")
                out.append(h)
            return out

    def read_entries(self, start: int, end: int) -> list[bytes]:
        with self._mutex:
            if start < 0 or end > len(self._entries) or start > end:
                raise StorageError(
                    f"entries [{start}, {end}) are not stored (log holds {len(self._entries)})"
                )
            return self._entries[start:end]

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
        with self._mutex:
            check_epoch(epoch, self._lease)
            check_checkpoint_args(tree_size, root_hash, len(self._entries))
            self._checkpoints.append(
                StoredCheckpoint(tree_size, bytes(root_hash), bytes(note), cosigned, created_at)
            )

    def latest_checkpoint(self, *, cosigned_only: bool = False) -> StoredCheckpoint | None:
        with self._mutex:
            for cp in reversed(self._checkpoints):
                if cp.cosigned or not cosigned_only:
                    return cp
            return None

    def first_cosigned_covering(self, index: int) -> StoredCheckpoint | None:
        with self._mutex:
            return next(
                (cp for cp in self._checkpoints if cp.cosigned and cp.tree_size > index), None
            )

    def acquire_sequencer_lock(self) -> SequencerLock:
        with self._mutex:
            if self._locked:
                raise SequencerBusyError("another sequencer holds this in-memory log")
            self._locked = True
        return _MemoryLock(self)

    def current_lease(self) -> Lease | None:
        with self._mutex:
            return self._lease

    def acquire_lease(
        self, holder: str, *, now: datetime, duration: timedelta, force: bool = False
    ) -> Lease:
        with self._mutex:
            self._lease = next_lease(self._lease, holder, now, duration, force)
            return self._lease

    def renew_lease(self, epoch: int, *, now: datetime, duration: timedelta) -> Lease:
        with self._mutex:
            check_epoch(epoch, self._lease)
            assert self._lease is not None
            self._lease = Lease(self._lease.holder, epoch, now + duration)
            return self._lease

    def release_lease(self, epoch: int, *, now: datetime) -> None:
        with self._mutex:
            if self._lease is not None and self._lease.epoch == epoch:
                self._lease = Lease(self._lease.holder, epoch, min(now, self._lease.expires_at))

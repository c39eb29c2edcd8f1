"""LogStorage conformance: the same tests on memory, SQLite (file) and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency import merkle
from transparency.errors import FencedError, SequencerBusyError, StorageError
from transparency.sql import SqlStorage
from transparency.storage import LogStorage, MemoryStorage, node_id

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path) -> LogStorage:
    if kind == "memory":
        return MemoryStorage()
    if kind == "sqlite":
        return SqlStorage.open(f"sqlite:///{tmp_path / 'log.db'}")
    return SqlStorage.open(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[LogStorage]:
    s = open_backend(request.param, request, tmp_path)
    yield s
    if isinstance(s, SqlStorage):
        s.close()


def grow(storage: LogStorage, entries: list[bytes]) -> None:
    """Append like the sequencer does: leaf hashes, created nodes, one atomic call."""
    size = storage.tree_size()
    frontier = storage.read_nodes(merkle.frontier_nodes(size))
    created, _ = merkle.append_leaves(size, frontier, [merkle.leaf_hash(e) for e in entries])
    storage.append(size, entries, created)


def test_node_ids_are_distinct_in_order_positions() -> None:
    seen = {node_id(lvl, i) for lvl in range(12) for i in range(300)}
    assert len(seen) == 12 * 300
    assert node_id(0, 5) == 10
    assert node_id(1, 0) == 1
    assert node_id(8, 0) == 255


def test_empty_log(storage: LogStorage) -> None:
    assert storage.tree_size() == 0
    assert storage.latest_checkpoint() is None
    assert storage.read_entries(0, 0) == []
    assert storage.read_nodes([]) == []
    with pytest.raises(StorageError, match="not stored"):
        storage.read_nodes([(0, 0)])


def test_append_and_read_back(storage: LogStorage) -> None:
    entries = [f"entry {i}".encode() for i in range(600)]
    for lo, hi in [(0, 1), (1, 256), (256, 258), (258, 600)]:
        grow(storage, entries[lo:hi])
        assert storage.tree_size() == hi
        leaves = [merkle.leaf_hash(e) for e in entries[:hi]]
        assert merkle.tree_root(hi, storage) == merkle.root_hash(leaves)
    assert storage.read_entries(0, 600) == entries
    assert storage.read_entries(255, 257) == entries[255:257]
    assert storage.read_nodes([(0, 599), (8, 1), (9, 0)]) == [
        merkle.leaf_hash(entries[599]),
        merkle.root_hash([merkle.leaf_hash(e) for e in entries[256:512]]),
        merkle.root_hash([merkle.leaf_hash(e) for e in entries[:512]]),
    ]
    # the in-process cache of upper nodes answers the same thing twice
    assert storage.read_nodes([(9, 0)]) == storage.read_nodes([(9, 0)])
    proof = merkle.prove_inclusion(300, 600, storage)
    merkle.verify_inclusion(
        merkle.leaf_hash(entries[300]), 300, 600, proof, merkle.tree_root(600, storage)
    )


def test_empty_and_binary_entries(storage: LogStorage) -> None:
    entries = [b"", b"\x00\xff" * 10, bytes(range(256))]
    grow(storage, entries)
    assert storage.read_entries(0, 3) == entries


def test_append_at_wrong_index_changes_nothing(storage: LogStorage) -> None:
    grow(storage, [b"a", b"b"])
    created, _ = merkle.append_leaves(0, [], [merkle.leaf_hash(b"x")])
    with pytest.raises(StorageError, match="append at index 0 but the log holds 2"):
        storage.append(0, [b"x"], created)
    with pytest.raises(StorageError, match="append at index 3"):
        storage.append(3, [b"x"], [((0, 3), merkle.leaf_hash(b"x"))])
    assert storage.tree_size() == 2
    assert storage.read_entries(0, 2) == [b"a", b"b"]


def test_append_is_atomic_on_bad_nodes(storage: LogStorage) -> None:
    grow(storage, [b"a"])
    # node (1, 1) would cover leaves 2..3, which this append does not complete
    with pytest.raises(StorageError, match=r"node \(1, 1\) is not complete"):
        storage.append(1, [b"b"], [((0, 1), merkle.leaf_hash(b"b")), ((1, 1), b"\x00" * 32)])
    with pytest.raises(StorageError, match="hash is 31 bytes"):
        storage.append(1, [b"b"], [((0, 1), b"\x00" * 31)])
    assert storage.tree_size() == 1
    with pytest.raises(StorageError):
        storage.read_nodes([(0, 1)])


def test_read_errors(storage: LogStorage) -> None:
    grow(storage, [b"a", b"b", b"c"])
    with pytest.raises(StorageError):
        storage.read_entries(2, 4)
    with pytest.raises(StorageError):
        storage.read_entries(-1, 1)
    with pytest.raises(StorageError):
        storage.read_entries(2, 1)
    with pytest.raises(StorageError, match=r"node \(2, 0\)"):
        storage.read_nodes([(0, 0), (2, 0)])


def test_checkpoint_history(storage: LogStorage) -> None:
    grow(storage, [b"a", b"b"])
    root1 = merkle.tree_root(1, storage)
    root2 = merkle.tree_root(2, storage)
    storage.store_checkpoint(1, root1, b"note-1\n", cosigned=False, created_at=T0)
    storage.store_checkpoint(1, root1, b"note-1 cosigned\n", cosigned=True, created_at=T0)
    later = (T0 + timedelta(seconds=90)).astimezone(timezone(timedelta(hours=8)))
    storage.store_checkpoint(2, root2, b"note-2\n", cosigned=False, created_at=later)
    latest = storage.latest_checkpoint()
    assert latest is not None
    assert (latest.tree_size, latest.root_hash, latest.note, latest.cosigned) == (
        2,
        root2,
        b"note-2\n",
        False,
    )
    assert latest.created_at == T0 + timedelta(seconds=90)
    cosigned = storage.latest_checkpoint(cosigned_only=True)
    assert cosigned is not None
    assert (cosigned.tree_size, cosigned.note, cosigned.cosigned) == (1, b"note-1 cosigned\n", True)


def test_first_cosigned_covering(storage: LogStorage) -> None:
    grow(storage, [b"a", b"b", b"c"])
    root1, root2, root3 = (merkle.tree_root(n, storage) for n in (1, 2, 3))
    assert storage.first_cosigned_covering(0) is None
    storage.store_checkpoint(1, root1, b"note-1\n", cosigned=False, created_at=T0)
    assert storage.first_cosigned_covering(0) is None  # only co-signed checkpoints count
    storage.store_checkpoint(1, root1, b"note-1 cosigned\n", cosigned=True, created_at=T0)
    storage.store_checkpoint(3, root3, b"note-3 cosigned\n", cosigned=True, created_at=T0)
    storage.store_checkpoint(2, root2, b"note-2 cosigned\n", cosigned=True, created_at=T0)
    first = storage.first_cosigned_covering(0)
    assert first is not None
    assert first.note == b"note-1 cosigned\n"
    covering = storage.first_cosigned_covering(1)  # the earliest stored, not the smallest
    assert covering is not None
    assert covering.note == b"note-3 cosigned\n"
    assert storage.first_cosigned_covering(3) is None


def test_checkpoint_bad_arguments_change_nothing(storage: LogStorage) -> None:
    grow(storage, [b"a"])
    with pytest.raises(StorageError, match="size 2 but the log holds 1"):
        storage.store_checkpoint(2, b"\x00" * 32, b"n\n", cosigned=False, created_at=T0)
    with pytest.raises(StorageError, match="root is 3 bytes"):
        storage.store_checkpoint(1, b"abc", b"n\n", cosigned=False, created_at=T0)
    assert storage.latest_checkpoint() is None


def test_sequencer_lock_is_exclusive(storage: LogStorage) -> None:
    lock = storage.acquire_sequencer_lock()
    if not lock.sole_writer:  # PostgreSQL: no process lock, the lease alone decides
        lock.release()
        return
    with pytest.raises(SequencerBusyError):
        storage.acquire_sequencer_lock()
    lock.release()
    lock.release()  # idempotent
    again = storage.acquire_sequencer_lock()
    again.release()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=70), min_size=1, max_size=6))
def test_any_batching_gives_the_same_tree(batches: list[int]) -> None:
    storage = MemoryStorage()
    entries: list[bytes] = []
    for n in batches:
        new = [f"{len(entries) + k}".encode() for k in range(n)]
        grow(storage, new)
        entries += new
    leaves = [merkle.leaf_hash(e) for e in entries]
    size = len(entries)
    assert merkle.tree_root(size, storage) == merkle.root_hash(leaves)
    for m in range(1, size + 1):
        proof = merkle.prove_consistency(m, size, storage)
        merkle.verify_consistency(
            m, size, proof, merkle.root_hash(leaves[:m]), merkle.root_hash(leaves)
        )


# -- SQL specifics -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sql_data_survives_reopen_and_migrations_are_idempotent(
    kind: str, request: pytest.FixtureRequest, tmp_path
) -> None:
    first = open_backend(kind, request, tmp_path)
    assert isinstance(first, SqlStorage)
    grow(first, [b"a", b"b", b"c"])
    url = first.engine.url.render_as_string(hide_password=False)
    first.close()
    second = SqlStorage.open(url)  # runs the migrations again: a no-op
    assert second.tree_size() == 3
    assert second.read_entries(0, 3) == [b"a", b"b", b"c"]
    with second.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version_transparency"))
        assert version.scalar_one() == "0002_log_lease"
    second.close()


def test_append_of_an_earlier_node_changes_nothing(storage: LogStorage) -> None:
    grow(storage, [b"a"])
    # a node that was complete (and stored) before this append is refused, unchanged
    stored = storage.read_nodes([(0, 0)])[0]
    leaf = merkle.leaf_hash(b"b")
    with pytest.raises(StorageError, match=r"node \(0, 0\) was complete before this append"):
        storage.append(1, [b"b"], [((0, 1), leaf), ((0, 0), b"\x01" * 32)])
    assert storage.read_nodes([(0, 0)]) == [stored]
    assert storage.tree_size() == 1
    with pytest.raises(StorageError, match=r"node \(0, 1\) is not stored"):
        storage.read_nodes([(0, 1)])
    grow(storage, [b"b"])  # the storage is still usable
    assert storage.read_entries(0, 2) == [b"a", b"b"]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_held_read_connection_sees_every_later_commit(
    kind: str, request: pytest.FixtureRequest, tmp_path
) -> None:
    writer = open_backend(kind, request, tmp_path)
    assert isinstance(writer, SqlStorage)
    url = writer.engine.url.render_as_string(hide_password=False)
    reader = SqlStorage.open(url, migrate=False)
    entries: list[bytes] = []
    try:
        for n in (1, 5, 300):  # the reader's connection stays open across the writer's commits
            new = [f"{len(entries) + k}".encode() for k in range(n)]
            grow(writer, new)
            entries += new
            size = len(entries)
            leaves = [merkle.leaf_hash(e) for e in entries]
            assert reader.read_nodes([(0, size - 1)]) == [leaves[-1]]
            assert merkle.tree_root(size, reader) == merkle.root_hash(leaves)
    finally:
        reader.close()
        writer.close()


@pytest.mark.postgres
def test_lost_read_connection_is_replaced(postgres_schema_url: str) -> None:
    tag = f"fairdraw_reader_{uuid.uuid4().hex[:8]}"
    storage = SqlStorage.open(f"{postgres_schema_url}&application_name={tag}")
    admin = sa.create_engine(postgres_schema_url)
    try:
        grow(storage, [b"a", b"b", b"c"])
        expected = storage.read_nodes([(1, 0)])
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :tag"), {"tag": tag},
            ).scalar_one()
        assert killed >= 1  # the held read connection (and any pooled one) is gone
        assert storage.read_nodes([(0, 2), (1, 0)]) == [merkle.leaf_hash(b"c"), *expected]
    finally:
        storage.close()
        admin.dispose()


# -- the write lease (DESIGN §7: fencing) -------------------------------------------------

LEASE = timedelta(seconds=15)


def test_lease_epochs_increase_and_takeover_waits_for_expiry(storage: LogStorage) -> None:
    assert storage.current_lease() is None
    a = storage.acquire_lease("server-a", now=T0, duration=LEASE)
    assert (a.holder, a.epoch, a.expires_at) == ("server-a", 1, T0 + LEASE)
    assert storage.current_lease() == a
    # live lease: refused, changing nothing (also just before expiry)
    for t in (T0, T0 + LEASE - timedelta(milliseconds=1)):
        with pytest.raises(SequencerBusyError, match=r"held by server-a \(epoch 1\)"):
            storage.acquire_lease("server-b", now=t, duration=LEASE)
    assert storage.current_lease() == a
    # renewal by the holder moves the expiry
    renewed = storage.renew_lease(1, now=T0 + timedelta(seconds=10), duration=LEASE)
    assert renewed.epoch == 1
    assert renewed.expires_at == T0 + timedelta(seconds=25)
    with pytest.raises(SequencerBusyError):
        storage.acquire_lease("server-b", now=T0 + timedelta(seconds=20), duration=LEASE)
    # expired: taken over with the next epoch
    b = storage.acquire_lease("server-b", now=T0 + timedelta(seconds=25), duration=LEASE)
    assert (b.holder, b.epoch) == ("server-b", 2)
    # the old holder can no longer renew
    with pytest.raises(FencedError) as caught:
        storage.renew_lease(1, now=T0 + timedelta(seconds=26), duration=LEASE)
    assert (caught.value.epoch, caught.value.current_epoch) == (1, 2)
    assert storage.current_lease() == b
    c = storage.acquire_lease("server-c", now=T0 + timedelta(seconds=26), duration=LEASE,
                              force=True)
    assert c.epoch == 3


def test_fenced_writer_is_refused_and_changes_nothing(storage: LogStorage) -> None:
    storage.acquire_lease("server-a", now=T0, duration=LEASE)
    size = storage.tree_size()
    frontier = storage.read_nodes(merkle.frontier_nodes(size))
    created, _ = merkle.append_leaves(size, frontier, [merkle.leaf_hash(b"a")])
    storage.append(0, [b"a"], created, epoch=1)  # the holder writes
    root = merkle.leaf_hash(b"a")
    storage.store_checkpoint(1, root, b"cp1\n", cosigned=False, created_at=T0, epoch=1)
    storage.acquire_lease("server-b", now=T0 + LEASE, duration=LEASE)  # expired: epoch 2
    created2, _ = merkle.append_leaves(1, [root], [merkle.leaf_hash(b"b")])
    with pytest.raises(FencedError, match="epoch 1 is not the log's current epoch 2"):
        storage.append(1, [b"b"], created2, epoch=1)
    with pytest.raises(FencedError):
        storage.store_checkpoint(1, root, b"stale\n", cosigned=True, created_at=T0, epoch=1)
    assert storage.tree_size() == 1
    assert storage.read_entries(0, 1) == [b"a"]
    latest = storage.latest_checkpoint()
    assert latest is not None
    assert latest.note == b"cp1\n"
    assert storage.latest_checkpoint(cosigned_only=True) is None
    with pytest.raises(StorageError):
        storage.read_nodes([(0, 1)])  # the refused append's leaf is not stored
    # the new holder writes at the same index
    storage.append(1, [b"b"], created2, epoch=2)
    assert storage.read_entries(0, 2) == [b"a", b"b"]


def test_fenced_write_without_any_lease_is_refused(storage: LogStorage) -> None:
    with pytest.raises(FencedError, match="current epoch None"):
        storage.append(0, [b"a"], [((0, 0), merkle.leaf_hash(b"a"))], epoch=1)
    assert storage.tree_size() == 0


def test_release_ends_the_lease_only_for_its_holder(storage: LogStorage) -> None:
    storage.acquire_lease("server-a", now=T0, duration=LEASE)
    storage.release_lease(7, now=T0)  # not the holder's epoch: nothing happens
    with pytest.raises(SequencerBusyError):
        storage.acquire_lease("server-b", now=T0 + timedelta(seconds=1), duration=LEASE)
    storage.release_lease(1, now=T0 + timedelta(seconds=1))
    b = storage.acquire_lease("server-b", now=T0 + timedelta(seconds=1), duration=LEASE)
    assert b.epoch == 2

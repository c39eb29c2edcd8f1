"""Static export and fsck: round trip, write-once increments, precise problem reports, interop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_vectors
from transparency import merkle
from transparency.errors import TransparencyError, VerificationError
from transparency.export import DirectorySource, FetchError, FsckError, export_log, fsck_log
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.storage import MemoryStorage

ORIGIN = "example.com/fairdraw/export-test"
SIGNER = generate_signer(ORIGIN)
VKEY = SIGNER.verifier_key


def make_log(size: int) -> tuple[MemoryStorage, Sequencer]:
    storage = MemoryStorage()
    seq = Sequencer(storage, [SIGNER], ORIGIN)
    seq.append([f"entry {i}".encode() for i in range(size)])
    seq.checkpoint()
    return storage, seq


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_export_then_fsck(tmp_path: Path) -> None:
    storage, seq = make_log(70_000)
    report = export_log(storage, tmp_path)
    assert (report.tree_size, report.skipped) == (70_000, 0)
    written = files(tmp_path)
    assert "checkpoint" in written
    assert {"tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"} <= written
    assert "tile/entries/273.p/112" in written
    assert len(written) == report.written + 1
    assert not [f for f in written if ".tmp-" in f]
    result = fsck_log(DirectorySource(tmp_path), [VKEY])
    assert (result.tree_size, result.entries, result.root_hash) == (
        70_000,
        70_000,
        seq.root_hash,
    )
    seq.close()


def test_export_is_incremental_and_write_once(tmp_path: Path) -> None:
    storage, seq = make_log(300)
    export_log(storage, tmp_path)
    full = tmp_path / "tile/0/000"
    before = full.stat().st_mtime_ns, full.stat().st_ino
    seq.append([b"more"] * 300)
    seq.checkpoint()
    report = export_log(storage, tmp_path)
    # new: tile/0/001, 002.p/88, entries likewise, tile/1/000.p/2; kept: tile/0/000, entries/000
    assert (report.tree_size, report.written, report.skipped) == (600, 5, 2)
    assert (full.stat().st_mtime_ns, full.stat().st_ino) == before
    assert (tmp_path / "tile/0/001.p/44").exists()  # the old partial stays (harmless)
    fsck_log(DirectorySource(tmp_path), [VKEY])
    again = export_log(storage, tmp_path)
    assert again.written == 0
    seq.close()


def test_export_needs_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(TransparencyError, match="no checkpoint"):
        export_log(MemoryStorage(), tmp_path)


def test_fsck_rejects_an_unknown_key(tmp_path: Path) -> None:
    storage, seq = make_log(10)
    export_log(storage, tmp_path)
    other = generate_signer(ORIGIN).verifier_key
    with pytest.raises(FsckError, match="checkpoint does not verify") as e:
        fsck_log(DirectorySource(tmp_path), [other])
    assert isinstance(e.value, VerificationError)
    seq.close()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("flip-tile", "tile/0/001 hash 3 (covering entries from 259) is"),
        ("flip-upper", "tile/1/000.p/2 hash 1 (covering entries from 256) is"),
        ("flip-entry", "the entries give root"),
        ("truncate-bundle", "tile/entries/001: entry bundle is truncated"),
        ("drop-bundle", "tile/entries/002.p/88 is missing"),
        ("drop-tile", "tile/0/000 is missing"),
        ("drop-checkpoint", "checkpoint is missing"),
        ("bad-size-tile", "tile/0/002.p/88: tile is 2784 bytes"),
    ],
)
def test_fsck_reports_damage_precisely(tmp_path: Path, damage: str, expected: str) -> None:
    storage, seq = make_log(600)
    export_log(storage, tmp_path)
    seq.close()

    def flip(rel: str, pos: int) -> None:
        p = tmp_path / rel
        data = bytearray(p.read_bytes())
        data[pos] ^= 0x01
        p.write_bytes(bytes(data))

    if damage == "flip-tile":
        flip("tile/0/001", 3 * 32 + 5)
    elif damage == "flip-upper":
        flip("tile/1/000.p/2", 32)
    elif damage == "flip-entry":
        flip("tile/entries/000", 2)
        (tmp_path / "tile/0/000").unlink()  # the tile alone would already disagree
    elif damage == "truncate-bundle":
        p = tmp_path / "tile/entries/001"
        p.write_bytes(p.read_bytes()[:-1])
    elif damage == "drop-bundle":
        (tmp_path / "tile/entries/002.p/88").unlink()
    elif damage == "drop-tile":
        (tmp_path / "tile/0/000").unlink()
    elif damage == "drop-checkpoint":
        (tmp_path / "checkpoint").unlink()
    elif damage == "bad-size-tile":
        p = tmp_path / "tile/0/002.p/88"
        p.write_bytes(p.read_bytes()[:-32])
    with pytest.raises(FsckError) as e:
        fsck_log(DirectorySource(tmp_path), [VKEY])
    assert any(expected in problem for problem in e.value.problems), e.value.problems


def test_fsck_falls_back_to_the_full_tile_when_a_partial_was_deleted(tmp_path: Path) -> None:
    storage, seq = make_log(300)
    export_log(storage, tmp_path)
    checkpoint_300 = (tmp_path / "checkpoint").read_bytes()
    seq.append([b"x"] * 300)
    seq.checkpoint()
    export_log(storage, tmp_path)
    # a static host that garbage-collected partials but still serves the old checkpoint
    (tmp_path / "tile/0/001.p/44").unlink()
    (tmp_path / "checkpoint").write_bytes(checkpoint_300)
    assert fsck_log(DirectorySource(tmp_path), [VKEY]).tree_size == 300
    seq.close()


def test_fsck_missing_directory() -> None:
    with pytest.raises(FetchError, match="not a directory"):
        DirectorySource("/nonexistent/fairdraw")


def test_tessera_log_passes_fsck_and_matches_our_files(tmp_path: Path) -> None:
    """Interop: the real Tessera POSIX testdata log verifies, and our log of the same
    leaves writes byte-identical tiles, bundles and the same root."""
    log = load_vectors("tlog/tiles.json")["tessera_testdata_log"]
    notes = load_vectors("tlog/notes.json")["vectors"]
    vkey = next(c["verifier_keys"][0] for c in notes if c["id"] == "tessera-testdata-checkpoint-0")
    case = log["sizes"][-1]
    size = case["tree_size"]
    (tmp_path / case["tile_path"]).parent.mkdir(parents=True)
    (tmp_path / case["tile_path"]).write_bytes(bytes.fromhex(case["tile_hex"]))
    (tmp_path / case["entries_path"]).parent.mkdir(parents=True)
    (tmp_path / case["entries_path"]).write_bytes(bytes.fromhex(case["entries_hex"]))
    (tmp_path / "checkpoint").write_bytes(case["checkpoint"].encode())
    report = fsck_log(DirectorySource(tmp_path), [vkey])
    assert report.tree_size == size

    ours = tmp_path / "ours"
    storage = MemoryStorage()
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        seq.append([s.encode() for s in log["leaves_ascii"][:size]])
        seq.checkpoint()
        assert seq.root_hash == report.root_hash
    export_log(storage, ours)
    for rel in (case["tile_path"], case["entries_path"]):
        assert (ours / rel).read_bytes() == (tmp_path / rel).read_bytes()
    assert merkle.tree_root(size, storage) == report.root_hash

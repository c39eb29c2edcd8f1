"""Static export of a log as C2SP tlog-tiles files, and `fsck`, which re-verifies such files.

`export_log` writes, under one directory, exactly what the read API serves:
every tile and entry bundle implied by the latest checkpoint, then the
checkpoint itself. Tiles are write-once (lesson 1 of the formats reference):
a file that exists is never rewritten, so a re-export only adds what is new;
every file is written to a temporary name and renamed, so a crash never leaves
a half-written tile; the checkpoint is renamed into place last, after every
tile it implies exists.

`fsck_log` reads a log from a directory or a URL prefix (`TileSource`), checks
the checkpoint's signature against the given verifier keys, parses every entry
bundle, recomputes every leaf hash, every tile of every level and the root,
and reports each difference precisely (which file, which hash, expected vs
found). It raises `FsckError` (a VerificationError carrying the list of
problems) when anything is wrong; it never returns a failure silently. Files
are read through the project's one tile reader (`transparency.reader`), so
a missing partial tile falls back to the full tile, as tlog-tiles allows,
exactly as in the verifying clients.

Left out: gzip-encoded files, pruned logs (a minimum index), and checking
older checkpoints than the one published.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from transparency.checkpoint import open_checkpoint
from transparency.errors import TransparencyError, VerificationError
from transparency.merkle import append_leaves, fold_frontier, leaf_hash
from transparency.note import MAX_NOTE_SIZE
from transparency.note_keys import NoteVerifier
from transparency.reader import TileReader, TileSource
from transparency.storage import LogStorage
from transparency.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    format_bundle,
    tile_nodes,
    tiles_for_size,
)

Progress = Callable[[int, int], None]
"""Called with (done, total) as work advances."""

_TILE_BYTES = TILE_WIDTH * 32
_GROUP = 16  # tiles read from storage per batch


class FetchError(TransparencyError):
    """A log file could not be read (other than "does not exist")."""


class FsckError(VerificationError):
    """The log's files do not verify; `problems` lists every difference found."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))
        self.problems = list(problems)


# -- export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportReport:
    tree_size: int
    written: int
    skipped: int


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, target)


def export_log(
    storage: LogStorage,
    out_dir: str | os.PathLike[str],
    *,
    cosigned_only: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the latest checkpoint and every tile/bundle it implies under `out_dir`."""
    cp = storage.latest_checkpoint(cosigned_only=cosigned_only)
    if cp is None:
        raise TransparencyError("the log has no checkpoint to export")
    out = Path(out_dir)
    refs = tiles_for_size(cp.tree_size)
    # Write-once: an existing file already holds these exact bytes (its path fixes them).
    todo = [r for r in refs if not (out / r.path).exists()]
    done = len(refs) - len(todo)
    if progress:
        progress(done, len(refs))
    by_level: dict[int | None, list[TileRef]] = {}
    for ref in todo:
        by_level.setdefault(ref.level, []).append(ref)
    for level, level_refs in by_level.items():
        for pos in range(0, len(level_refs), _GROUP):
            group = level_refs[pos : pos + _GROUP]
            for ref, data in zip(group, _read_group(storage, level, group), strict=True):
                _write_atomic(out / ref.path, data)
            done += len(group)
            if progress:
                progress(done, len(refs))
    # SPEC(tlog-tiles) + lesson 1: the checkpoint goes last, atomically.
    _write_atomic(out / "checkpoint", cp.note)
    return ExportReport(cp.tree_size, len(todo), len(refs) - len(todo))


def _read_group(storage: LogStorage, level: int | None, group: Sequence[TileRef]) -> list[bytes]:
    if level is None:
        start = group[0].index * TILE_WIDTH
        end = group[-1].index * TILE_WIDTH + group[-1].count
        entries = storage.read_entries(start, end)
        out = []
        for ref in group:
            lo = ref.index * TILE_WIDTH - start
            out.append(format_bundle(entries[lo : lo + ref.count]))
        return out
    nodes = [n for ref in group for n in tile_nodes(level, ref.index, ref.width)]
    hashes = storage.read_nodes(nodes)
    out, pos = [], 0
    for ref in group:
        out.append(b"".join(hashes[pos : pos + ref.count]))
        pos += ref.count
    return out


# -- sources --------------------------------------------------------------------------


class DirectorySource:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FetchError(f"{self.root} is not a directory")

    def read(self, path: str, limit: int) -> bytes | None:
        target = self.root / path
        try:
            with open(target, "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise FetchError(f"cannot read {target}: {e}") from e
        if len(data) > limit:
            raise FetchError(f"{target} is larger than {limit} bytes")
        return data


class HttpSource:
    def __init__(self, prefix: str, *, timeout: float = 30.0) -> None:
        self.prefix = prefix.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def read(self, path: str, limit: int) -> bytes | None:
        url = f"{self.prefix}/{path}"
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as r:
                if r.status_code == 404:
                    return None
                if r.status_code != 200:
                    raise FetchError(f"GET {url}: HTTP {r.status_code}")
                data = r.raw.read(limit + 1, decode_content=True)
        except requests.RequestException as e:
            raise FetchError(f"GET {url}: {e}") from e
        if len(data) > limit:
            raise FetchError(f"GET {url}: more than {limit} bytes")
        return bytes(data)


def open_source(source: str) -> TileSource:
    """A URL prefix (http:// or https://) or a directory."""
    if source.startswith(("http://", "https://")):
        return HttpSource(source)
    return DirectorySource(source)


# -- fsck -----------------------------------------------------------------------------


@dataclass
class FsckReport:
    origin: str
    tree_size: int
    root_hash: bytes
    entries: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def _check_tile(
    reader: TileReader, ref: TileRef, expected: Sequence[bytes], report: FsckReport
) -> None:
    level = ref.level or 0
    try:
        found = reader.tile_hashes(level, ref.index)
    except TransparencyError as e:  # missing, or not a tile of this width: names the file
        report.problems.append(str(e))
        return
    report.files += 1
    per_hash = TILE_WIDTH**level
    for i, (want, got) in enumerate(zip(expected, found, strict=True)):
        if want != got:
            first = (ref.index * TILE_WIDTH + i) * per_hash
            report.problems.append(
                f"{ref.path} hash {i} (covering entries from {first}) is {got.hex()}, "
                f"but the entries give {want.hex()}"
            )


def fsck_log(
    source: TileSource,
    verifier_keys: Sequence[str | NoteVerifier],
    *,
    progress: Progress | None = None,
) -> FsckReport:
    """Verify a published log completely; raise FsckError listing every problem."""
    note = source.read("checkpoint", MAX_NOTE_SIZE)
    if note is None:
        raise FsckError(["checkpoint is missing"])
    try:
        cp, _ = open_checkpoint(note, verifier_keys)
    except TransparencyError as e:
        raise FsckError([f"checkpoint does not verify: {e}"]) from e
    size = cp.tree_size
    report = FsckReport(cp.origin, size, cp.root_hash)
    reader = TileReader(source, size)
    bundles = -(-size // TILE_WIDTH)
    upper: dict[int, list[bytes]] = {}
    total = sum(1 for r in tiles_for_size(size) if r.level != 0)
    frontier: list[bytes] = []
    for b in range(bundles):
        count = min(TILE_WIDTH, size - b * TILE_WIDTH)
        width = None if count == TILE_WIDTH else count
        try:
            entries = reader.bundle(b)
        except TransparencyError as e:
            report.problems.append(f"{e}: cannot recompute the tree past it")
            raise FsckError(report.problems) from e
        report.files += 1
        report.entries += len(entries)
        leaves = [leaf_hash(e) for e in entries]
        created, frontier = append_leaves(b * TILE_WIDTH, frontier, leaves)
        for (level, index), h in created:
            if level and level % TILE_HEIGHT == 0:
                row = upper.setdefault(level // TILE_HEIGHT, [])
                if index != len(row):
                    raise AssertionError("append_leaves created nodes out of order")
                row.append(h)
        _check_tile(reader, TileRef(0, b, width), leaves, report)
        if progress:
            progress(b + 1, total)
    done = bundles
    for level in sorted(upper):
        hashes = upper[level]
        for n in range(-(-len(hashes) // TILE_WIDTH)):
            chunk = hashes[n * TILE_WIDTH : (n + 1) * TILE_WIDTH]
            width = None if len(chunk) == TILE_WIDTH else len(chunk)
            _check_tile(reader, TileRef(level, n, width), chunk, report)
            done += 1
            if progress:
                progress(done, total)
    root = fold_frontier(frontier)
    if root != cp.root_hash:
        report.problems.append(
            f"the entries give root {root.hex()} at size {size}, "
            f"but the checkpoint signs {cp.root_hash.hex()}"
        )
    if report.problems:
        raise FsckError(report.problems)
    return report

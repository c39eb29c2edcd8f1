"""Reading a published log: C2SP tlog-tiles files through any `TileSource`.

`TileReader(source, tree_size, prefix=…)` reads the hash tiles and entry
bundles that one checkpoint's tree size implies (SPEC(tlog-tiles): never a
partial tile the size does not imply), falls back from a deleted partial tile
to the full one, caches what it read, and implements
`transparency.merkle.NodeReader`, so inclusion and consistency proofs are
built from tiles. Every error names the file. It is the one tile reader of
the project: `transparency.export.fsck_log` and every verifying client
(`fairdraw.portal_source`, `fairdraw.verify`, `fairdraw.audit`) use it, the way
sumdb's `tlog.TileReader` serves both.

A `TileSource` is anything with `read(path, limit) -> bytes | None` (None: the
file does not exist; larger than `limit`: an error of the source's own).
Left out: fetching in parallel, gzip, pruned logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from transparency.errors import FormatError, TransparencyError, VerificationError
from transparency.merkle import (
    HASH_SIZE,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    root_hash,
    verify_inclusion,
)
from transparency.tiles import (
    MAX_BUNDLE_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    entries_path,
    node_tile,
    parse_bundle,
    parse_tile,
    tile_path,
)

MAX_TILE_SIZE = TILE_WIDTH * HASH_SIZE


class TileSource(Protocol):
    def read(self, path: str, limit: int) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        ...


class TileReader:
    """The log of one checkpoint's tree size, read from tlog-tiles files under `prefix`.

    Implements `transparency.merkle.NodeReader`; tiles and bundles are cached.
    Only files the tree size implies are fetched (SPEC(tlog-tiles): clients
    MUST NOT fetch partial tiles not implied by the checkpoint)."""

    def __init__(self, source: TileSource, tree_size: int, *, prefix: str = "") -> None:
        if isinstance(tree_size, bool) or not isinstance(tree_size, int) or tree_size < 0:
            raise FormatError(f"tree size {tree_size!r} is not a non-negative integer")
        self.source = source
        self.tree_size = tree_size
        self.prefix = prefix
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._bundles: dict[int, list[bytes]] = {}

    def _width(self, level: int, index: int) -> int:
        hashes = self.tree_size >> (TILE_HEIGHT * level)
        return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))

    def _fetch(self, full: str, partial: str | None, width: int, limit: int) -> tuple[bytes, bool]:
        data = self.source.read(self.prefix + (partial or full), limit)
        if data is not None:
            return data, False
        if partial is not None:
            # SPEC(tlog-tiles): a client MAY fetch the full tile when the partial one is gone.
            data = self.source.read(self.prefix + full, limit)
            if data is not None:
                return data, True
        raise VerificationError(f"{self.prefix}{partial or full} is missing")

    def tile_hashes(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            width = self._width(level, index)
            if width == 0:
                raise FormatError(
                    f"tile {level}/{index} is not implied by tree size {self.tree_size}"
                )
            partial = tile_path(level, index, width) if width < TILE_WIDTH else None
            data, fell_back = self._fetch(tile_path(level, index), partial, width, MAX_TILE_SIZE)
            if fell_back:
                data = data[: width * HASH_SIZE]
            try:
                self._tiles[key] = parse_tile(data, None if width == TILE_WIDTH else width)
            except TransparencyError as e:
                read = tile_path(level, index) if fell_back else partial or tile_path(level, index)
                raise VerificationError(f"{self.prefix}{read}: {e}") from e
        return self._tiles[key]

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree (level, index), recomputed from its tile row."""
        tile_level, tile_index, row, in_row = node_tile(level, index)
        hashes = self.tile_hashes(tile_level, tile_index)
        span = 1 << row
        chunk = hashes[in_row * span : (in_row + 1) * span]
        if len(chunk) != span:
            raise VerificationError(
                f"tile {tile_level}/{tile_index} is too short for node {level}/{index}"
            )
        while len(chunk) > 1:
            chunk = [node_hash(chunk[i], chunk[i + 1]) for i in range(0, len(chunk), 2)]
        return chunk[0]

    def read_nodes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(level, index) for level, index in nodes]

    def bundle(self, n: int) -> list[bytes]:
        if n not in self._bundles:
            width = self._width(0, n)
            if width == 0:
                raise FormatError(f"entry bundle {n} is not implied by tree size {self.tree_size}")
            partial = entries_path(n, width) if width < TILE_WIDTH else None
            data, fell_back = self._fetch(entries_path(n), partial, width, MAX_BUNDLE_SIZE)
            try:
                entries = parse_bundle(data)
            except TransparencyError as e:
                read = entries_path(n) if fell_back else partial or entries_path(n)
                raise VerificationError(f"{self.prefix}{read}: {e}") from e
            if fell_back:
                entries = entries[:width]
            if len(entries) != width:
                raise VerificationError(
                    f"{self.prefix}{partial or entries_path(n)} holds {len(entries)} entries, "
                    f"expected {width}"
                )
            self._bundles[n] = entries
        return self._bundles[n]

    def entry(self, index: int) -> bytes:
        """Entry bytes at `index`, unproven."""
        self._check_index(index)
        return self.bundle(index // TILE_WIDTH)[index % TILE_WIDTH]

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.tree_size:
            raise FormatError(f"index {index!r} is not below tree size {self.tree_size}")

    def proven_entry(self, index: int, root: bytes) -> bytes:
        """The entry at `index`: its leaf hash equals the level-0 tile hash, and an inclusion
        proof built from tiles reaches `root` (from a verified checkpoint of this size)."""
        entry = self.entry(index)
        leaf = leaf_hash(entry)
        tile_leaf = self.node(0, index)
        if leaf != tile_leaf:
            raise VerificationError(
                f"entry {index} hashes to {leaf.hex()}, its level-0 tile hash is {tile_leaf.hex()}"
            )
        verify_inclusion(leaf, index, self.tree_size, self.inclusion_proof(index), root)
        return entry

    def all_entries(self, root: bytes) -> list[bytes]:
        """Every entry, proven by recomputing the root from all bundles."""
        entries: list[bytes] = []
        for n in range(-(-self.tree_size // TILE_WIDTH)):
            entries.extend(self.bundle(n))
        computed = root_hash([leaf_hash(e) for e in entries])
        if computed != root:
            raise VerificationError(
                f"the entry bundles hash to {computed.hex()}, the checkpoint signs {root.hex()}"
            )
        return entries

    def inclusion_proof(self, index: int) -> list[bytes]:
        return prove_inclusion(index, self.tree_size, self)

    def consistency_proof(self, size1: int) -> list[bytes]:
        return prove_consistency(size1, self.tree_size, self)

"""C2SP tlog-tiles: tile and entry-bundle paths, which tiles a tree size implies, contents.

Implements c2sp.org/tlog-tiles as of C2SP commit 5ba5ee83 (v0.1.0 plus the
pruning text), cross-checked against transparency-dev/tessera 1811ae1a:

* `tile/<L>/<N>[.p/<W>]`: L in 0..63, canonical decimal; N split into 3-digit
  zero-padded groups, every group but the last prefixed "x"; W in 1..255 for
  partial tiles only. `tile/entries/<N>[.p/<W>]` for entry bundles.
* Tile L, index N, hash i is the Merkle node (8·L, N·256 + i): level-0 hashes
  are RFC 9162 leaf hashes, level-L hashes roots of full level-(L-1) tiles.
* A tree of size s implies, at every level l, floor(s / 256^(l+1)) full tiles
  and a partial tile of width floor(s / 256^l) mod 256 when that is non-zero;
  empty tiles are never served; entry bundles follow level 0.
* An entry bundle is the concatenation of uint16 big-endian length || entry,
  so an entry is at most 65 535 bytes.

Parsing is strict: `format(parse(p)) == p` (no "x000/067" for 67, no "0.p/256"),
index below 2^64. Left out: the sumdb layout with an explicit height
(`tile/8/...`, `tile/8/data/...`), gzip (an HTTP concern) and pruning.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from transparency.errors import FormatError
from transparency.merkle import HASH_SIZE, Node

TILE_HEIGHT = 8
TILE_WIDTH = 256
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 65535
MAX_INDEX = (1 << 64) - 1
MAX_BUNDLE_SIZE = TILE_WIDTH * (2 + MAX_ENTRY_SIZE)

_LEVEL_RE = re.compile(r"0|[1-9][0-9]?")
_INDEX_RE = re.compile(r"(?:x[0-9]{3}/)*[0-9]{3}")
_WIDTH_RE = re.compile(r"[1-9][0-9]{0,2}")


@dataclass(frozen=True)
class TileRef:
    """A tile (level 0..63) or an entry bundle (level None); width None = full (256)."""

    level: int | None
    index: int
    width: int | None = None

    def __post_init__(self) -> None:
        if self.level is not None:
            _check_int("tile level", self.level, MAX_TILE_LEVEL)
        _check_int("tile index", self.index, MAX_INDEX)
        if self.width is not None:
            _check_int("tile width", self.width, TILE_WIDTH - 1)
            if self.width == 0:
                raise FormatError("a partial tile has width 1..255, not 0")

    @property
    def is_entries(self) -> bool:
        return self.level is None

    @property
    def count(self) -> int:
        """How many hashes (or entries) the tile holds."""
        return TILE_WIDTH if self.width is None else self.width

    @property
    def path(self) -> str:
        if self.level is None:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


def _check_int(what: str, value: int, maximum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise FormatError(f"{what} {value!r} is not an integer in [0, {maximum}]")


def format_tile_index(index: int) -> str:
    """SPEC(tlog-tiles): 1234067 -> "x001/x234/067"; 0 -> "000"."""
    _check_int("tile index", index, MAX_INDEX)
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def _suffix(index: int, width: int | None) -> str:
    ref = TileRef(0, index, width)  # validates index and width
    base = format_tile_index(ref.index)
    return base if width is None else f"{base}.p/{width}"


def tile_path(level: int, index: int, width: int | None = None) -> str:
    """ "tile/<L>/<N>[.p/<W>]" (no prefix, no leading slash)."""
    _check_int("tile level", level, MAX_TILE_LEVEL)
    return f"tile/{level}/{_suffix(index, width)}"


def entries_path(index: int, width: int | None = None) -> str:
    """ "tile/entries/<N>[.p/<W>]"."""
    return f"tile/entries/{_suffix(index, width)}"


def parse_tile_index(text: str) -> tuple[int, int | None]:
    """Parse "<N>[.p/<W>]" strictly; returns (index, width or None)."""
    if len(text) > 64:
        raise FormatError(f"tile index {text[:64]!r}... is too long")
    base, sep, width_text = text.partition(".p/")
    if not _INDEX_RE.fullmatch(base):
        raise FormatError(f"tile index {base!r} is not x-prefixed 3-digit groups")
    index = int(base.replace("x", "").replace("/", ""))
    if index > MAX_INDEX:
        raise FormatError(f"tile index {index} does not fit 64 bits")
    if format_tile_index(index) != base:
        raise FormatError(f"tile index {base!r} is not canonical (leading zero group)")
    width: int | None = None
    if sep:
        if not _WIDTH_RE.fullmatch(width_text) or int(width_text) >= TILE_WIDTH:
            raise FormatError(f"partial tile width {width_text!r} is not in 1..255")
        width = int(width_text)
    return index, width


def parse_tile_path(path: str) -> TileRef:
    """Parse "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" strictly."""
    if not isinstance(path, str) or len(path) > 100:
        raise FormatError("tile path is not a string of at most 100 characters")
    head, sep, rest = path.partition("/")
    level_text, sep2, index_text = rest.partition("/")
    if head != "tile" or not sep or not sep2:
        raise FormatError(f"{path!r} is not a tile path")
    if level_text == "entries":
        return TileRef(None, *parse_tile_index(index_text))
    if not _LEVEL_RE.fullmatch(level_text) or int(level_text) > MAX_TILE_LEVEL:
        raise FormatError(f"tile level {level_text!r} is not a canonical decimal in 0..63")
    return TileRef(int(level_text), *parse_tile_index(index_text))


# -- which tiles a tree implies ---------------------------------------------------------


def _check_size(tree_size: int) -> None:
    _check_int("tree size", tree_size, (1 << 63) - 1)


def level_tiles(level: int, tree_size: int) -> tuple[int, int]:
    """(number of full tiles, width of the partial tile or 0) at `level` for `tree_size`."""
    _check_size(tree_size)
    hashes = tree_size >> (TILE_HEIGHT * level)  # level-l hashes = full level-(l-1) tiles
    return hashes // TILE_WIDTH, hashes % TILE_WIDTH


def tiles_for_size(tree_size: int) -> list[TileRef]:
    """Every tile and entry bundle, full or partial, implied by a checkpoint of this size.

    Entry bundles first, then levels 0, 1, ... each in index order. O(size / 256)."""
    return tiles_for_growth(0, tree_size)


def tiles_for_growth(old_size: int, new_size: int) -> list[TileRef]:
    """The tiles and bundles a tree of new_size implies that one of old_size does not.

    Full tiles completed by the growth and the new partial tiles (each level at
    most one); a partial tile of old_size is *replaced*, not listed again."""
    _check_size(old_size)
    _check_size(new_size)
    if old_size > new_size:
        raise FormatError(f"old size {old_size} is larger than new size {new_size}")
    out: list[TileRef] = []
    levels: list[int | None] = [None]
    level = 0
    while new_size >> (TILE_HEIGHT * level):
        levels.append(level)
        level += 1
    for lvl in levels:
        shift = TILE_HEIGHT * (lvl or 0)
        old_hashes, new_hashes = old_size >> shift, new_size >> shift
        if old_hashes == new_hashes:
            continue
        for index in range(old_hashes // TILE_WIDTH, new_hashes // TILE_WIDTH):
            out.append(TileRef(lvl, index))
        if new_hashes % TILE_WIDTH:
            out.append(TileRef(lvl, new_hashes // TILE_WIDTH, new_hashes % TILE_WIDTH))
    return out


def tile_nodes(level: int, index: int, width: int | None = None) -> list[Node]:
    """The Merkle nodes whose hashes make the tile: hash i = node (8·level, index·256 + i)."""
    ref = TileRef(level, index, width)
    base = index * TILE_WIDTH
    return [(TILE_HEIGHT * level, base + i) for i in range(ref.count)]


def node_tile(level: int, index: int) -> tuple[int, int, int, int]:
    """Where Merkle node (level, index) sits: (tile level, tile index, level in tile, index in
    that row of the tile). Only row 0 of a tile is stored; higher rows are recomputed."""
    _check_int("node level", level, 63)
    _check_int("node index", index, MAX_INDEX)
    tile_level, row = divmod(level, TILE_HEIGHT)
    per_tile = TILE_WIDTH >> row
    return tile_level, index // per_tile, row, index % per_tile


def entries_tile_for_index(leaf_index: int, tree_size: int) -> TileRef:
    """The entry bundle holding `leaf_index` as published for `tree_size`."""
    _check_size(tree_size)
    if not 0 <= leaf_index < tree_size:
        raise FormatError(f"leaf index {leaf_index} is not below tree size {tree_size}")
    index = leaf_index // TILE_WIDTH
    full, partial = divmod(tree_size, TILE_WIDTH)
    return TileRef(None, index, None if index < full else partial)


# -- contents ---------------------------------------------------------------------------


def format_tile(hashes: Sequence[bytes]) -> bytes:
    """A tile's bytes: 1..256 concatenated 32-byte hashes."""
    if not 1 <= len(hashes) <= TILE_WIDTH:
        raise FormatError(f"a tile holds 1..{TILE_WIDTH} hashes, got {len(hashes)}")
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise FormatError(f"tile hash is {len(h)} bytes, not {HASH_SIZE}")
    return b"".join(hashes)


def parse_tile(data: bytes, width: int | None = None) -> list[bytes]:
    """Split a tile into its hashes; it must hold exactly `width` (default 256) of them."""
    want = TILE_WIDTH if width is None else TileRef(0, 0, width).count
    if len(data) != want * HASH_SIZE:
        raise FormatError(f"tile is {len(data)} bytes, expected {want} hashes = {want * 32}")
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


def format_bundle(entries: Sequence[bytes]) -> bytes:
    """SPEC(tlog-tiles): concatenation of uint16 big-endian length || entry, 1..256 entries."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise FormatError(f"an entry bundle holds 1..{TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise FormatError(f"entry {i} is {len(entry)} bytes, more than {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_bundle(data: bytes, count: int | None = None) -> list[bytes]:
    """Split an entry bundle; rejects truncation, trailing bytes, > 256 entries, or a
    different number of entries than `count` when given."""
    if len(data) > MAX_BUNDLE_SIZE:
        raise FormatError(f"entry bundle is {len(data)} bytes, more than {MAX_BUNDLE_SIZE}")
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if len(entries) == TILE_WIDTH:
            raise FormatError(f"entry bundle has bytes after {TILE_WIDTH} entries")
        if pos + 2 > len(data):
            raise FormatError(f"entry bundle is truncated in the length of entry {len(entries)}")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + length > len(data):
            raise FormatError(
                f"entry bundle is truncated: entry {len(entries)} needs {length} bytes, "
                f"{len(data) - pos - 2} left"
            )
        entries.append(bytes(data[pos + 2 : pos + 2 + length]))
        pos += 2 + length
    if not entries:
        raise FormatError("entry bundle is empty")
    if count is not None and len(entries) != count:
        raise FormatError(f"entry bundle holds {len(entries)} entries, expected {count}")
    return entries

"""transparency.tiles (C2SP tlog-tiles) against the shared vectors, the Tessera test log,
and properties."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vectors
from tests.transparency.test_merkle import DictReader
from transparency.checkpoint import open_checkpoint
from transparency.errors import FormatError
from transparency.merkle import frontier_nodes, leaf_hash, node_hash, root_hash
from transparency.tiles import (
    MAX_ENTRY_SIZE,
    TILE_WIDTH,
    TileRef,
    entries_path,
    entries_tile_for_index,
    format_bundle,
    format_tile,
    format_tile_index,
    level_tiles,
    node_tile,
    parse_bundle,
    parse_tile,
    parse_tile_index,
    parse_tile_path,
    tile_nodes,
    tile_path,
    tiles_for_growth,
    tiles_for_size,
)

T = load_vectors("tlog/tiles.json")
NOTES = load_vectors("tlog/notes.json")


@pytest.mark.parametrize(
    "case", T["path_vectors"], ids=lambda c: str(c.get("path", c.get("path_suffix")))
)
def test_path_vectors(case: dict) -> None:
    kind = case["kind"]
    if kind == "tile":
        assert tile_path(case["level"], case["index"], case["width"]) == case["path"]
        assert parse_tile_path(case["path"]) == TileRef(case["level"], case["index"], case["width"])
    elif kind == "entries":
        assert entries_path(case["index"], case["width"]) == case["path"]
        assert parse_tile_path(case["path"]) == TileRef(None, case["index"], case["width"])
    elif kind == "entries_for_log_index":
        ref = entries_tile_for_index(case["log_index"], case["tree_size"])
        assert ref.path == case["path"]
    elif kind == "n_with_suffix":
        path = tile_path(case["level"], case["index"], case["width"])
        assert path == f"tile/{case['level']}/{case['path_suffix']}"
    else:
        assert kind == "index_encoding"
        assert format_tile_index(case["index"]) == case["path_suffix"]
        assert parse_tile_index(case["path_suffix"]) == (case["index"], None)


@pytest.mark.parametrize(
    "case", T["parse_vectors"], ids=lambda c: f"{c['path_level']}/{c['path_index']}"
)
def test_parse_vectors(case: dict) -> None:
    path = f"tile/{case['path_level']}/{case['path_index']}"
    if case["want_error"]:
        with pytest.raises(FormatError):
            parse_tile_path(path)
        return
    ref = parse_tile_path(path)
    assert (ref.level, ref.index, ref.width or 0) == (
        case["want_level"],
        case["want_index"],
        case["want_width"],
    )
    assert ref.path == path


@pytest.mark.parametrize("case", T["tree_size_to_tiles"], ids=lambda c: str(c["tree_size"]))
def test_tree_size_to_tiles(case: dict) -> None:
    size = case["tree_size"]
    per_level = [
        {"level": lvl, "full_tiles": full, "partial_width": partial}
        for lvl in range(8)
        for full, partial in [level_tiles(lvl, size)]
        if full or partial
    ]
    assert per_level == case["tiles_per_level_COMPUTED"]
    if size <= 70000:
        refs = tiles_for_size(size)
        hash_tiles = [r for r in refs if not r.is_entries]
        assert [r.path for r in hash_tiles if r.width] == case["partial_tile_paths_COMPUTED"]
        assert len(hash_tiles) == sum(
            lv["full_tiles"] + bool(lv["partial_width"]) for lv in per_level
        )
        bundles = [r for r in refs if r.is_entries]
        assert sum(r.count for r in bundles) == size


@pytest.mark.parametrize("case", T["node_to_tile_coordinates"], ids=lambda c: str(c["tree_index"]))
def test_node_to_tile_coordinates(case: dict) -> None:
    assert node_tile(case["tree_level"], case["tree_index"]) == (
        case["tile_level"],
        case["tile_index"],
        case["node_level_in_tile"],
        case["node_index_in_tile"],
    )


@pytest.mark.parametrize("case", T["sumdb_tile_paths_for_contrast"], ids=lambda c: c["path"])
def test_sumdb_paths_are_not_c2sp_paths(case: dict) -> None:
    """Go sumdb paths carry the height (tile/8/0/001, tile/8/data/000): never C2SP paths,
    so a client confusing the layouts gets an error, not another tile."""
    with pytest.raises(FormatError):
        parse_tile_path(case["path"])


def test_tessera_testdata_log() -> None:
    """Real tiles, bundles and checkpoints written by Tessera's POSIX driver."""
    log = T["tessera_testdata_log"]
    leaves = [s.encode() for s in log["leaves_ascii"]]
    vkey = next(
        c["verifier_keys"][0]
        for c in NOTES["vectors"]
        if c["id"] == "tessera-testdata-checkpoint-0"
    )
    for case in log["sizes"]:
        size = case["tree_size"]
        assert tiles_for_size(size) == [TileRef(None, 0, size), TileRef(0, 0, size)]
        tile = bytes.fromhex(case["tile_hex"])
        bundle = bytes.fromhex(case["entries_hex"])
        assert parse_tile_path(case["tile_path"]) == TileRef(0, 0, size)
        assert parse_tile_path(case["entries_path"]) == TileRef(None, 0, size)
        assert parse_bundle(bundle, size) == leaves[:size]
        assert format_bundle(leaves[:size]) == bundle
        hashes = parse_tile(tile, size)
        assert hashes == [leaf_hash(d) for d in leaves[:size]]
        assert format_tile(hashes) == tile
        cp, _ = open_checkpoint(
            case["checkpoint"].encode(), [vkey], origin="example.com/log/testdata"
        )
        assert cp.tree_size == size
        assert root_hash(hashes) == cp.root_hash


def test_tile_nodes_are_merkle_nodes() -> None:
    """Tile L index N hash i == node (8L, 256N + i), for a tree spanning two levels."""
    size = 256 * 256 + 5 * 256 + 7  # 66823 leaves: full and partial level-1, a level-2 tile
    leaves = [i.to_bytes(4, "big") for i in range(size)]
    reader = DictReader(leaves)
    tiles: dict[tuple[int | None, int], list[bytes]] = {}
    for ref in tiles_for_size(size):
        if ref.is_entries:
            continue
        nodes = tile_nodes(ref.level, ref.index, ref.width)  # type: ignore[arg-type]
        assert len(nodes) == ref.count
        tiles[(ref.level, ref.index)] = reader.read_nodes(nodes)
    # level-1 hash i = root of full level-0 tile i; level-2 likewise from level 1
    for (level, index), hashes in tiles.items():
        if level == 0:
            continue
        for i, h in enumerate(hashes):
            assert h == root_hash(tiles[(level - 1, index * TILE_WIDTH + i)])
    assert (2, 0) in tiles
    assert len(tiles[(2, 0)]) == 1
    assert len(tiles[(1, 1)]) == 5

    # the tree root is computable from tiles alone: node (l, i) is the root of 2^(l mod 8)
    # consecutive hashes in the bottom row of tile level l // 8
    def node_from_tiles(level: int, index: int) -> bytes:
        tile_level, _row, _, _ = node_tile(level, index)
        span = 1 << (level % 8)
        first = index * span  # position in the bottom row of that tile level
        row_hashes = tiles[(tile_level, first // TILE_WIDTH)]
        return root_hash(row_hashes[first % TILE_WIDTH : first % TILE_WIDTH + span])

    frontier = [node_from_tiles(lvl, idx) for lvl, idx in frontier_nodes(size)]
    assert frontier == reader.read_nodes(frontier_nodes(size))
    assert node_hash(tiles[(0, 0)][0], tiles[(0, 0)][1]) == reader.nodes[(1, 0)]


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/0/000.p/+7",
        "tile/0/000.p/ 7",
        "tile/0/x000/067",  # leading zero group
        "tile/0/67",
        "tile/0/0067",
        "tile/0/x01/067",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/+1/000",
        "tile/ 1/000",
        "tile/1_0/000",
        "tile/0/x1_0/000",
        "tile/0/000/",
        "/tile/0/000",
        "tile/0/",
        "tile/entries",
        "tile/entries/",
        "tile/data/000",
        "tile/8/data/000",
        "tiles/0/000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",  # 2^64
        "tile/٠/000",
    ],
)
def test_parse_tile_path_rejects(path: str) -> None:
    with pytest.raises(FormatError):
        parse_tile_path(path)


def test_index_bounds() -> None:
    top = (1 << 64) - 1
    assert parse_tile_path(tile_path(63, top, 255)) == TileRef(63, top, 255)
    for bad in (
        lambda: tile_path(64, 0),
        lambda: tile_path(0, -1),
        lambda: tile_path(0, 1 << 64),
        lambda: tile_path(0, 0, 0),
        lambda: tile_path(0, 0, 256),
        lambda: entries_path(0, -1),
    ):
        with pytest.raises(FormatError):
            bad()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"\x00", "truncated in the length"),
        (b"\x00\x03on", "truncated"),
        (b"\x00\x03one\x00", "truncated in the length"),
        (b"\x00\x03one\x00\x05tw", "truncated"),
        (b"\x00\x00" * 257, "after 256"),
    ],
)
def test_parse_bundle_rejects(data: bytes, why: str) -> None:
    with pytest.raises(FormatError, match=why):
        parse_bundle(data)


def test_bundle_limits() -> None:
    big = b"x" * MAX_ENTRY_SIZE
    assert parse_bundle(format_bundle([big, b""])) == [big, b""]
    with pytest.raises(FormatError, match="more than 65535"):
        format_bundle([big + b"x"])
    with pytest.raises(FormatError):
        format_bundle([])
    with pytest.raises(FormatError):
        format_bundle([b""] * 257)
    with pytest.raises(FormatError, match="expected 2"):
        parse_bundle(format_bundle([b"a"]), 2)
    with pytest.raises(FormatError):
        parse_tile(b"\x00" * 33, 1)
    with pytest.raises(FormatError):
        parse_tile(b"\x00" * 32 * 255)  # a full tile has 256 hashes


def test_growth() -> None:
    assert tiles_for_growth(5, 5) == []
    assert tiles_for_growth(5, 7) == [TileRef(None, 0, 7), TileRef(0, 0, 7)]
    assert tiles_for_growth(255, 257) == [
        TileRef(None, 0), TileRef(None, 1, 1), TileRef(0, 0), TileRef(0, 1, 1), TileRef(1, 0, 1)
    ]  # fmt: skip
    with pytest.raises(FormatError):
        tiles_for_growth(7, 5)


# -- properties -------------------------------------------------------------------------

REFS = st.builds(
    TileRef,
    st.one_of(st.none(), st.integers(0, 63)),
    st.integers(0, (1 << 64) - 1),
    st.one_of(st.none(), st.integers(1, 255)),
)


@settings(max_examples=300)
@given(REFS)
def test_tile_path_round_trip(ref: TileRef) -> None:
    assert parse_tile_path(ref.path) == ref
    assert parse_tile_path(ref.path).path == ref.path


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_bundle_round_trip(entries: list[bytes]) -> None:
    data = format_bundle(entries)
    assert parse_bundle(data, len(entries)) == entries
    if len(data) > 1:
        with pytest.raises(FormatError):
            parse_bundle(data[:-1])
    with pytest.raises(FormatError):
        parse_bundle(data + b"\x00")


@settings(max_examples=200)
@given(
    st.integers(0, 1 << 20) | st.integers(0, 20000), st.integers(0, 1 << 20) | st.integers(0, 20000)
)
def test_growth_is_the_difference_of_implied_sets(a: int, b: int) -> None:
    old, new = min(a, b), max(a, b)
    grown = tiles_for_growth(old, new)
    assert len(set(grown)) == len(grown)
    if new <= 20000:
        assert set(grown) == set(tiles_for_size(new)) - set(tiles_for_size(old))
    for ref in grown:  # every listed tile is implied by the new size, with its exact width
        level = 0 if ref.level is None else ref.level
        full, partial = level_tiles(level, new)
        assert ref.index < full or (ref.index == full and ref.width == partial)


def test_tile_base64_vector_root() -> None:
    """tlog-tiles vectors agree with the merkle vectors about the testdata log roots."""
    merkle = load_vectors("tlog/merkle.json")["tessera_testdata_log"]["root_b64_by_tree_size"]
    for case in T["tessera_testdata_log"]["sizes"]:
        hashes = parse_tile(bytes.fromhex(case["tile_hex"]), case["tree_size"])
        assert base64.b64encode(root_hash(hashes)).decode() == merkle[case["tree_size"]]


@settings(max_examples=300)
@given(st.binary(max_size=600), st.text(max_size=60))
def test_parsers_raise_only_format_errors(data: bytes, text: str) -> None:
    for call in (lambda: parse_bundle(data), lambda: parse_tile_path(text),
                 lambda: parse_tile_path("tile/0/" + text), lambda: parse_tile(data)):  # fmt: skip
        with contextlib.suppress(FormatError):
            call()

"""Whole-list fast paths of canonical.py, snapshot.py and select.py equal the plain ones.

Each is checked against the plain reading it replaces, on inputs built to hit
both the fast path and each reason it must give up: `snapshot_fast.tree_root` against
`merkle.root_hash`; `_parse_canonical_file` (via `parse_records`) against
parsing every line on its own, for canonical files and files with a long
digit run, a character outside the BMP, a non-NFC string, a duplicate key,
unsorted or duplicate ids; `_canonical_fresh_records` against
`canonical_records`; `_ranked` against a full sort; `_split_by_match`
against `_matches` per unit; the encoder against `rfc8785` for non-ASCII BMP keys.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine import canonical, select, snapshot, snapshot_fast
from draw_engine.canonical import canonical_json, encode_ascii_keys, str_ids_are_identifiers
from draw_engine.errors import DrawInputError, SnapshotFormatError
from draw_engine.snapshot import canonical_records, make_snapshot, parse_records
from tests.draw_engine.test_canonical import canonical_ok, json_values
from tests.draw_engine.test_fast_paths import _line_by_line
from transparency.merkle import leaf_hash, root_hash


@pytest.mark.parametrize("count", [*range(40), 63, 64, 65, 127, 128, 129, 1000])
def test_tree_root_equals_root_hash(count: int) -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(count)]
    assert snapshot_fast.tree_root(leaves) == root_hash(leaves)


def _file(records: list[dict[str, object]]) -> bytes:
    return b"".join(canonical_json(r) + b"\n" for r in sorted(records, key=lambda r: str(r["id"])))


def _outcome(data: bytes, fast: bool) -> object:
    try:
        if fast:
            parsed = parse_records(data, max_size=len(data) + 1)
            return parsed.records, parsed.lines, parsed.canonical
        return _line_by_line(data)
    except SnapshotFormatError as exc:
        return ("error", str(exc), exc.line)


BASE = [{"id": f"U{i}", "name": f"单位{i}", "n": i, "tags": ["a"], "ok": i % 2 == 0}
        for i in range(5)]
CASES = {
    "canonical": _file(BASE),
    "16-digit integer": _file(BASE) + b'{"id":"U9","n":9007199254740992}\n',
    "16-digit integer in range": _file([*BASE, {"id": "U9", "n": 9007199254740991}]),
    "15-digit integer": _file([*BASE, {"id": "U9", "n": 900719925474099}]),
    "16 digits in a string": _file([*BASE, {"id": "U9", "phone": "1234567890123456"}]),
    "astral character": _file([*BASE, {"id": "U9", "name": "𝒳"}]),
    "astral key": _file([*BASE, {"id": "U9", "𝒳": 1, "\ue000": 2}]),
    "BMP non-ASCII keys": _file([*BASE, {"id": "U9", "名称": 1, "ä": 2}]),
    "not NFC": _file(BASE) + b'{"id":"V1","x":"e\\u0301"}\n',
    "raw not NFC": _file(BASE) + '{"id":"V1","x":"e\u0301"}\n'.encode(),
    "duplicate key": _file(BASE) + b'{"id":"V1","id":"V1"}\n',
    "unsorted": _file(BASE[2:]) + _file(BASE[:2]),
    "duplicate id": _file(BASE) + _file(BASE[:1]),
    "float": _file(BASE) + b'{"id":"V1","x":1.5}\n',
    "NaN": _file(BASE) + b'{"id":"V1","x":NaN}\n',
    "no final newline": _file(BASE)[:-1],
    "just a newline": b"\n",
    "empty": b"",
    "array line": _file(BASE) + b"[1]\n",
    "bad id": _file(BASE) + b'{"id":"a b"}\n',
    "no id": _file(BASE) + b'{"x":1}\n',
    "split object": _file(BASE) + b'{"id":"V1","x":[1\n2]}\n',
    "two objects on a line": _file(BASE) + b'{"id":"V1"},{"id":"V2"}\n',
    "escaped control": _file([*BASE, {"id": "U9", "x": "a\bb\u0001\"\\"}]),
    "lone surrogate escape": _file(BASE) + b'{"id":"V1","x":"\\ud800"}\n',
    "BOM": b"\xef\xbb\xbf" + _file(BASE),
    "CRLF": _file(BASE).replace(b"\n", b"\r\n"),
    "not UTF-8": _file(BASE) + b'{"id":"V1","x":"\xff"}\n',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_records_fast_path_equals_line_by_line(name: str) -> None:
    data = CASES[name]
    assert _outcome(data, fast=True) == _outcome(data, fast=False)


def test_fast_path_is_taken_for_canonical_files_only() -> None:
    assert snapshot._parse_canonical_file(CASES["canonical"]) is not None
    assert snapshot._parse_canonical_file(CASES["BMP non-ASCII keys"]) is not None
    for name in ("16-digit integer", "astral key", "not NFC", "raw not NFC", "duplicate key",
                 "unsorted", "duplicate id", "float", "split object", "two objects on a line",
                 "just a newline", "lone surrogate escape", "BOM", "CRLF"):
        assert snapshot._parse_canonical_file(CASES[name]) is None, name


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=4).filter(canonical_ok), json_values(
    st.text(max_size=4).filter(canonical_ok)), max_size=4))
def test_encoder_equals_rfc8785_without_astral_characters(value: dict[str, object]) -> None:
    # The fast path accepts non-ASCII keys only when no character lies outside the BMP,
    # where code-point order (Python) and UTF-16 order (JCS) agree.
    encoded = encode_ascii_keys(value)
    if any(byte >= 0xF0 for byte in encoded):
        return
    assert encoded == rfc8785.dumps(value)


@settings(max_examples=100)
@given(st.lists(st.fixed_dictionaries(
    {"id": st.from_regex(r"[A-Za-z0-9]{1,4}", fullmatch=True)},
    optional={"name": st.text(max_size=4), "n": st.integers(-10, 10), "k": st.booleans(),
              "phone": st.just("138"), "private_note": st.just("x"),
              "v": st.floats(allow_nan=False) | st.none()}),
    max_size=8))
def test_make_snapshot_bulk_equals_record_by_record(records: list[dict[str, object]]) -> None:
    def plain() -> object:
        try:
            return canonical_records([snapshot.public_record(r) for r in records])
        except SnapshotFormatError as exc:
            return str(exc)

    def fast() -> object:
        try:
            snap = make_snapshot("s", "units", records)
        except SnapshotFormatError as exc:
            return str(exc)
        return list(snap.records), list(snap.lines)

    assert fast() == plain()


@pytest.mark.parametrize("count", [0, 1, 3, 10, 12, 13, 100, 400])
def test_ranked_equals_full_sort(count: int) -> None:
    seed = hashlib.sha256(b"seed").digest()
    ids = [f"U{i}" for i in range(400)]
    random.Random(count).shuffle(ids)
    expected = sorted((select.ticket(seed, "target", i), i.encode(), i) for i in ids)[:count]
    assert select._ranked(select._ticket_hasher(seed, "target"), ids, count) == expected


def test_ranked_keeps_equal_tickets_in_id_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal tickets never happen with SHA-256: make every ticket equal to test the tie rule.
    class Constant:
        def copy(self) -> Constant:
            return self

        def update(self, _data: bytes) -> None:
            pass

        def digest(self) -> bytes:
            return b"\x00" * 32

    ids = [f"U{i}" for i in range(100)]
    ranked = select._ranked(Constant(), list(reversed(ids)), 5)
    assert [uid for _t, _b, uid in ranked] == sorted(ids)[:5]


@settings(max_examples=200)
@given(st.lists(st.fixed_dictionaries({}, optional={
    "risk": st.sampled_from(["high", "low", 1, True, None, ["high"], ["x", "low"], {"a": 1}]),
    "flag": st.sampled_from([True, False, 1, 0, "true"]),
}), max_size=12), st.sampled_from([
    {}, {"risk": ["high"]}, {"flag": [True]}, {"risk": ["low", 1]}, {"risk": [None]},
    {"risk": ["high"], "flag": [False, 0]},
]))
def test_split_by_match_equals_matches(units: list[dict[str, object]],
                                       match: dict[str, list[object]]) -> None:
    pairs = [(f"U{i}", unit) for i, unit in enumerate(units)]
    match_items = tuple((k, tuple(v)) for k, v in match.items())
    match_set = tuple((k, frozenset(select._value_key(v) for v in allowed))
                      for k, allowed in match_items)
    chosen, rest = select._split_by_match(pairs, match_items)
    assert chosen == [uid for uid, unit in pairs if select._matches(unit, match_set)]
    assert rest == [(uid, unit) for uid, unit in pairs if not select._matches(unit, match_set)]


@pytest.mark.parametrize(("values", "expected"), [
    ([], True), (["a", "B.c:d-9_"], True), (["a", "a b"], False), (["a\nb"], False),
    (["a", 1], False), (["x" * 65], False), ([""], False), (["é"], False),
])
def test_str_ids_are_identifiers(values: list[object], expected: bool) -> None:
    assert str_ids_are_identifiers(values) is expected
    assert expected is all(canonical.is_identifier(v) for v in values)


def test_unit_id_with_a_newline_is_refused() -> None:
    # The joined-ids check must not take "U1\nU2" for two identifiers.
    with pytest.raises(DrawInputError, match="not an ASCII identifier"):
        select._index_records([{"id": "U0"}, {"id": "U1\nU2"}], "units")


def _split_cases() -> dict[str, bytes]:
    records = [{"id": f"U{i:03d}", "name": f"单位{i}", "n": i} for i in range(40)]
    good = _file(records)
    lines = good.splitlines(keepends=True)
    return {
        "canonical": good,
        "canonical, 33 lines": b"".join(lines[:33]),
        "canonical, 32 lines": b"".join(lines[:32]),
        "bad line in the left half": b"".join([*lines[:3], b'{"id":"U003","x":1.5}\n', *lines[4:]]),
        "bad line in the right half": b"".join([*lines[:35], b"{\n", *lines[36:]]),
        "duplicate across the split": b"".join([*lines[:32], lines[31], *lines[33:]]),
        "unsorted across the split": b"".join([*lines[:31], lines[32], lines[31], *lines[33:]]),
        "not canonical on the right": good.replace(b'"n":39', b'"n": 39'),
    }


@pytest.mark.parametrize("name", sorted(_split_cases()))
def test_two_process_root_equals_parse_records(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_fast, "PARALLEL_MIN_LINES", 10)
    data = _split_cases()[name]

    def outcome(processes: int) -> object:
        try:
            return snapshot.records_file_root(data, max_size=len(data) + 1, processes=processes)
        except SnapshotFormatError as exc:
            return ("error", str(exc), exc.line)

    try:
        parsed = parse_records(data, max_size=len(data) + 1)
        expected: object = (parsed.root(), parsed.count, parsed.canonical)
    except SnapshotFormatError as exc:
        expected = ("error", str(exc), exc.line)
    assert outcome(2) == expected
    assert outcome(1) == expected
    if name.startswith("canonical"):
        assert snapshot_fast.two_process_root(data) == expected  # the fork path really ran


def test_records_file_root_size_bound() -> None:
    with pytest.raises(SnapshotFormatError, match="more than the limit 3"):
        snapshot.records_file_root(b'{"id":"A"}\n', max_size=3, processes=2)


@pytest.mark.parametrize("name", sorted(_split_cases()))
def test_two_process_parse_equals_parse_records(name: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_fast, "PARALLEL_MIN_LINES", 10)
    data = _split_cases()[name]

    def outcome(processes: int) -> object:
        try:
            parsed = parse_records(data, max_size=len(data) + 1, processes=processes)
        except SnapshotFormatError as exc:
            return ("error", str(exc), exc.line)
        return parsed.records, parsed.lines, parsed.canonical, parsed.root()

    assert outcome(2) == outcome(1)
    two = snapshot._two_process_parse(data)
    if name.startswith("canonical"):
        assert two is not None  # the fork path really ran
        assert two.known_root is not None
        assert two.known_root == snapshot.records_root(two.lines)
    else:
        assert two is None


LINE_MANGLES = [
    lambda line: line,
    lambda line: b" " + line,
    lambda line: line + b" ",
    lambda line: b"",
    lambda line: line + b"\r",
    lambda line: line[:-1],
    lambda line: b'{"a":1.5}',
    lambda line: b'{"a":NaN}',
    lambda line: b'{"a":1,"a":2}',
    lambda line: b'{"a":9007199254740992}',
    lambda line: b'{"a":"e\\u0301"}',
    lambda line: b'{"a":"\\ud800"}',
    lambda line: b"1 2",
    lambda line: b"\xef\xbb\xbf" + line,
    lambda line: b"\xff",
    lambda line: b"[" * 5000 + b"]" * 5000,
]


@settings(max_examples=300)
@given(st.lists(json_values(st.text(max_size=4).filter(canonical_ok)), max_size=6),
       st.lists(st.tuples(st.integers(0, 5), st.integers(0, len(LINE_MANGLES) - 1)),
                max_size=2),
       st.booleans())
def test_parse_json_lines_equals_parse_json_per_line(
    values: list[object], changes: list[tuple[int, int]], final_newline: bool
) -> None:
    lines = [canonical_json(v) for v in values]
    for index, how in changes:
        if index < len(lines):
            lines[index] = LINE_MANGLES[how](lines[index])
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")

    def outcome(bulk: bool) -> object:
        try:
            if bulk:
                got = canonical.parse_json_lines(data)
            else:
                got = [canonical.parse_json(line) for line in data.splitlines()]
        except canonical.CanonicalError as exc:
            return ("error", str(exc))
        except RecursionError:  # parse_json lets it through; so must the bulk reading
            return ("recursion",)
        return [json.dumps(v) for v in got]  # same JSON types, not just == (True == 1)

    assert outcome(bulk=True) == outcome(bulk=False)

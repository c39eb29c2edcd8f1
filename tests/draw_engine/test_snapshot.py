"""Registry snapshots (DESIGN §4): public projection, root, JSON Lines, diff, entry."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine import snapshot
from draw_engine.canonical import check_value, is_identifier, parse_json
from draw_engine.errors import CanonicalError, SnapshotFormatError, SnapshotMismatchError
from draw_engine.registry_diff import diff_records
from draw_engine.snapshot import (
    check_snapshot,
    format_records,
    make_snapshot,
    parse_records,
    public_record,
    records_file_root,
    records_root,
    snapshot_entry,
)
from tests.conftest import load_vectors
from transparency.merkle import leaf_hash, root_hash

KNOWN = load_vectors("draw/draw-v1.json")["vectors"]


@pytest.mark.parametrize("kind", ["units", "inspectors", "experts"])
def test_vector_roots(kind: str) -> None:
    checked = 0
    for vector in KNOWN:
        ref = vector["announce"].get(kind)
        if ref is None:
            continue
        snap = make_snapshot(ref["snapshot"], kind, vector[kind])
        assert (snap.root_hex, snap.count) == (ref["root"], ref["count"])
        check_snapshot(kind, root=ref["root"], count=ref["count"], records=vector[kind])
        checked += 1
    assert checked >= 1


def test_root_is_rfc9162_over_canonical_lines() -> None:
    records = [{"id": "b", "name": "乙"}, {"id": "a", "name": "甲"}]
    snap = make_snapshot("s", "units", records)
    leaves = [hashlib.sha256(b"\x00" + line).digest() for line in
              (b'{"id":"a","name":"\xe7\x94\xb2"}', b'{"id":"b","name":"\xe4\xb9\x99"}')]
    assert snap.root == hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    assert format_records(snap) == '{"id":"a","name":"甲"}\n{"id":"b","name":"乙"}\n'.encode()
    assert make_snapshot("e", "units", []).root == hashlib.sha256(b"").digest()


def test_private_fields_never_enter_a_snapshot() -> None:
    record = {"id": "U1", "name": "x", "phone": "13800000000", "private_contact": "张三",
              "recusal_reason": "亲属", "email": "a@b", "brigade": "hq"}
    assert public_record(record) == {"id": "U1", "name": "x", "brigade": "hq"}
    snap = make_snapshot("s", "units", [record])
    text = format_records(snap)
    assert b"1380" not in text
    assert "张三".encode() not in text


def test_duplicate_ids_refused() -> None:
    with pytest.raises(SnapshotFormatError, match="duplicate id 'U1'"):
        make_snapshot("s", "units", [{"id": "U1"}, {"id": "U2"}, {"id": "U1", "x": 1}])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"id":"a"}\n{"id":"a"}\n', "duplicate id"),
        (b'{"id":"a"}\n\n{"id":"b"}\n', "line 2: empty line"),
        (b'{"id":"a"}\n[1]\n', "line 2: a record must be a JSON object"),
        (b'{"id":"a"}\n{"id":1.5}\n', "line 2"),
        (b'{"id":"a"}\n{"name":"x"}\n', "line 2: id None"),
        (b'{"id":"\xc3\xa9"}\n', "not an ASCII identifier"),
        (b'{"id":"a"\n', "line 1: .*not JSON"),
    ],
)
def test_parse_records_refuses(data: bytes, message: str) -> None:
    with pytest.raises(SnapshotFormatError, match=message):
        parse_records(data)


def test_parse_records_size_bound() -> None:
    with pytest.raises(SnapshotFormatError, match="limit"):
        parse_records(b'{"id":"a"}\n' * 10, max_size=20)


def test_non_canonical_file_gives_same_root_and_says_so() -> None:
    snap = make_snapshot("s", "units", KNOWN[0]["units"])
    canonical = parse_records(format_records(snap))
    assert canonical.canonical
    assert canonical.root() == snap.root
    messy = "".join(json.dumps(r, ensure_ascii=True, indent=None) + "\n"
                    for r in reversed(KNOWN[0]["units"])).encode()
    parsed = parse_records(messy)
    assert not parsed.canonical
    assert parsed.root() == snap.root


@settings(max_examples=50)
@given(st.randoms(use_true_random=False))
def test_format_parse_round_trip_and_order_invariance(rnd: random.Random) -> None:
    records = [dict(r) for r in KNOWN[3]["units"]]
    rnd.shuffle(records)
    snap = make_snapshot("s", "units", records)
    data = format_records(snap)
    parsed = parse_records(data)
    assert format_records(make_snapshot("s", "units", parsed.records)) == data
    assert parsed.root() == snap.root == make_snapshot("s", "units", KNOWN[3]["units"]).root


def test_diff_and_entry() -> None:
    v1 = make_snapshot("units-2026q3", "units", [
        {"id": "U1", "status": "active"}, {"id": "U2", "status": "active"},
        {"id": "U3", "status": "active"}])
    v2 = make_snapshot("units-2026q4", "units", [
        {"id": "U1", "status": "active"}, {"id": "U2", "status": "defunct"},
        {"id": "U4", "status": "active"}, {"id": "U5", "status": "active"}])
    assert diff_records(v1.records, v2.records).counts() == {
        "added": 2, "removed": 1, "changed": 1}
    entry = snapshot_entry(v2, previous=v1, publish="after_inspection")
    assert entry == {"type": "registry.snapshot", "v": 1, "snapshot": "units-2026q4",
                     "kind": "units", "root": v2.root_hex, "count": 4, "prev": "units-2026q3",
                     "diff": {"added": 2, "removed": 1, "changed": 1, "ids": {
                         "added": ["U4", "U5"], "removed": ["U3"],
                         "changed": [{"id": "U2", "fields": ["status"]}],
                         "retired": ["U2"], "reactivated": []}},
                     "publish": "after_inspection"}
    first = snapshot_entry(v1, previous=None)
    assert first["prev"] is None
    assert first["diff"] == {"added": 3, "removed": 0, "changed": 0}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_snapshot("bad name", "units", []), "snapshot name"),
        (lambda: make_snapshot("s", "people", []), "kind"),
        (lambda: snapshot_entry(make_snapshot("s", "units", []), previous=None, publish="now"),
         "publish"),
        (lambda: snapshot_entry(make_snapshot("s", "units", []),
                                previous=make_snapshot("p", "experts", [])), "kind experts"),
    ],
)
def test_bad_arguments(call: Any, message: str) -> None:
    with pytest.raises(SnapshotFormatError, match=message):
        call()


def test_mismatch_carries_evidence() -> None:
    vector = KNOWN[0]
    ref = vector["announce"]["units"]
    with pytest.raises(SnapshotMismatchError) as info:
        check_snapshot("units", root=ref["root"], count=ref["count"] - 1, records=vector["units"])
    assert (info.value.expected, info.value.computed) == (ref["count"] - 1, ref["count"])
    tampered = [dict(r) for r in vector["units"]]
    tampered[0]["name"] = "改"
    with pytest.raises(SnapshotMismatchError, match="root differs") as info:
        check_snapshot("units", root=ref["root"], count=ref["count"], records=tampered)
    assert info.value.expected == ref["root"]
    assert info.value.computed != ref["root"]


# -- one reading for every records file, checked against a naive reader ----------------------


def _naive_reading(data: bytes) -> object:
    """The spec read plainly: each line alone by `parse_json`, JCS by `rfc8785`, then sorted."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    keyed = []
    try:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                raise SnapshotFormatError("empty line", line=number)
            try:
                value = parse_json(raw)
            except CanonicalError as exc:
                raise SnapshotFormatError(str(exc), line=number) from exc
            if not isinstance(value, dict):
                raise SnapshotFormatError("a record must be a JSON object", line=number)
            if not is_identifier(value.get("id")):
                raise SnapshotFormatError(
                    f"line {number}: id {value.get('id')!r} is not an ASCII identifier")
            keyed.append((value["id"], value, rfc8785.dumps(value)))
        keyed.sort(key=lambda item: item[0])
        for before, after in itertools.pairwise(keyed):
            if before[0] == after[0]:
                raise SnapshotFormatError(f"duplicate id {before[0]!r}")
    except SnapshotFormatError as exc:
        return ("error", str(exc), exc.line)
    records, canonical = [k[1] for k in keyed], [k[2] for k in keyed]
    return records, canonical, b"".join(line + b"\n" for line in canonical) == data


def _reading(data: bytes) -> object:
    try:
        parsed = parse_records(data)
    except SnapshotFormatError as exc:
        error = ("error", str(exc), exc.line)
    else:
        error = None
    if error is not None:
        with pytest.raises(SnapshotFormatError) as again:
            records_file_root(data)
        assert ("error", str(again.value), again.value.line) == error
        return error
    assert parsed.root() == root_hash([leaf_hash(line) for line in parsed.lines])
    assert records_file_root(data) == (parsed.root(), parsed.count, parsed.canonical)
    return parsed.records, parsed.lines, parsed.canonical


def _file(records: list[dict[str, object]]) -> bytes:
    return b"".join(rfc8785.dumps(r) + b"\n" for r in sorted(records, key=lambda r: str(r["id"])))


def _nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


BASE = [{"id": f"U{i}", "name": f"单位{i}", "n": i, "tags": ["a"], "ok": i % 2 == 0}
        for i in range(5)]
CASES = {
    "canonical": _file(BASE),
    "integer beyond 2^53": _file(BASE) + b'{"id":"U9","n":9007199254740992}\n',
    "integer beyond 2^64": _file(BASE) + b'{"id":"U9","n":18446744073709551616}\n',
    "largest safe integer": _file([*BASE, {"id": "U9", "n": 9007199254740991}]),
    "float-like strings": _file([*BASE, {"id": "U9", "a": "1.5", "b": "2e3", "c": "3E"}]),
    "float": _file(BASE) + b'{"id":"V1","x":1.5}\n',
    "float with exponent": _file(BASE) + b'{"id":"V1","x":1e5}\n',
    "NaN": _file(BASE) + b'{"id":"V1","x":NaN}\n',
    "astral character": _file([*BASE, {"id": "U9", "name": "𝒳"}]),
    "astral keys": _file([*BASE, {"id": "U9", "𝒳": 1, "\ue000": 2}]),
    "astral keys, code-point order": _file(BASE) + '{"id":"V1","\ue000":2,"𝒳":1}\n'.encode(),
    "BMP non-ASCII keys": _file([*BASE, {"id": "U9", "名称": 1, "ä": 2}]),
    "not NFC, escaped": _file(BASE) + b'{"id":"V1","x":"e\\u0301"}\n',
    "not NFC, raw": _file(BASE) + '{"id":"V1","x":"e\u0301"}\n'.encode(),
    "not NFC key": _file(BASE) + '{"e\u0301":1,"id":"V1"}\n'.encode(),
    "duplicate key": _file(BASE) + b'{"id":"V1","id":"V1"}\n',
    "nested 64 deep": _file([*BASE, {"id": "U9", "x": _nested(62)}]),
    "nested 65 deep": _file([*BASE, {"id": "U9", "x": _nested(63)}]),
    "nested objects": _file([*BASE, {"id": "U9", "x": {"y": [{"z": [1, [2]]}]}}]),
    "unsorted": _file(BASE[2:]) + _file(BASE[:2]),
    "duplicate id": _file(BASE) + _file(BASE[:1]),
    "no final newline": _file(BASE)[:-1],
    "just a newline": b"\n",
    "empty": b"",
    "array line": _file(BASE) + b"[1]\n",
    "bad id": _file(BASE) + b'{"id":"a b"}\n',
    "bad id first": b'{"id":"a b"}\n' + _file(BASE),
    "no id": _file(BASE) + b'{"x":1}\n',
    "split object": _file(BASE) + b'{"id":"V1","x":[1\n2]}\n',
    "two objects on a line": _file(BASE) + b'{"id":"V1"},{"id":"V2"}\n',
    "escaped control": _file([*BASE, {"id": "U9", "x": "a\bb\u0001\"\\\u007f\u2028"}]),
    "lone surrogate escape": _file(BASE) + b'{"id":"V1","x":"\\ud800"}\n',
    "BOM": b"\xef\xbb\xbf" + _file(BASE),
    "CRLF": _file(BASE).replace(b"\n", b"\r\n"),
    "not UTF-8": _file(BASE) + b'{"id":"V1","x":"\xff"}\n',
    "spaces": _file(BASE).replace(b":", b": "),
    "ASCII escapes": b"".join(json.dumps(r).encode() + b"\n" for r in BASE),
    "minus zero": _file(BASE) + b'{"id":"V1","x":-0}\n',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_records_equals_the_naive_reading(name: str) -> None:
    data = CASES[name]
    got, want = _reading(data), _naive_reading(data)
    assert got == want
    if want[0] != "error":
        assert json.dumps(got[0]) == json.dumps(want[0])  # same JSON types (True is not 1)


MANGLED = [
    lambda line: line,
    lambda line: line.replace(b":", b": ", 1),
    lambda line: line + b" ",
    lambda line: b"",
    lambda line: line[:-1],
    lambda line: line[:-1] + b',"x":1.5}',
    lambda line: line[:-1] + b',"x":"1.5"}',
    lambda line: b'{"id":"bad id"}',
    lambda line: b"[1]",
    lambda line: line[:-1] + b',"id":"dup"}',
    lambda line: line[:-1] + b',"big":9007199254740992}',
    lambda line: b'{"id":"A","x":"e\\u0301"}',
    lambda line: b'{"id":"A"},{"id":"B"}',
    lambda line: b'{"id":"A","x":[1',
    lambda line: b"2]}",
    lambda line: b"\xff",
    lambda line: line[:-1] + b',"z":[[[1]]]}',
]


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=8), st.lists(
    st.tuples(st.integers(min_value=0, max_value=7),
              st.integers(min_value=0, max_value=len(MANGLED) - 1)),
    max_size=3), st.booleans(), st.integers(min_value=0, max_value=2**32))
def test_parse_records_equals_the_naive_reading_on_mangled_files(
    count: int, changes: list[tuple[int, int]], shuffle: bool, seed: int
) -> None:
    rng = random.Random(seed)
    records = [{"id": f"U{i:03d}", "name": f"单位{i}", "n": rng.randrange(-5, 5),
                "tags": rng.sample(["a", "b", "c"], rng.randrange(3)), "ok": rng.random() < 0.5}
               for i in range(count)]
    lines = [rfc8785.dumps(r) for r in records]
    if shuffle:
        rng.shuffle(lines)
    for index, how in changes:
        if index < len(lines):
            lines[index] = MANGLED[how](lines[index])
    data = b"".join(line + b"\n" for line in lines)
    chunk = snapshot.CHUNK_LINES
    snapshot.CHUNK_LINES = rng.choice([1, 2, 3, chunk])  # chunk edges anywhere
    try:
        assert _reading(data) == _naive_reading(data)
    finally:
        snapshot.CHUNK_LINES = chunk


@pytest.mark.parametrize("count", [*range(20), 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000])
def test_records_root_equals_merkle_root_hash(count: int) -> None:
    lines = [str(i).encode() for i in range(count)]
    assert records_root(lines) == root_hash([leaf_hash(line) for line in lines])


@settings(max_examples=100)
@given(st.lists(st.fixed_dictionaries(
    {"id": st.from_regex(r"[A-Za-z0-9]{1,4}", fullmatch=True)},
    optional={"name": st.text(max_size=4), "n": st.integers(-10, 10), "k": st.booleans(),
              "phone": st.just("138"), "private_note": st.just("x"),
              "v": st.floats(allow_nan=False) | st.none()}),
    max_size=8))
def test_make_snapshot_equals_the_naive_projection(records: list[dict[str, object]]) -> None:
    def naive() -> object:
        public = [{k: v for k, v in r.items() if k != "phone" and not k.startswith("private_")}
                  for r in records]
        try:
            for r in public:
                check_value(r)
        except CanonicalError:
            return "refused"
        ids = [r["id"] for r in public]
        if len(set(ids)) != len(ids):
            return "refused"
        ordered = sorted(public, key=lambda r: str(r["id"]))
        return ordered, [rfc8785.dumps(r) for r in ordered]

    try:
        snap = make_snapshot("s", "units", records)
    except SnapshotFormatError:
        assert naive() == "refused"
        return
    assert naive() == (list(snap.records), list(snap.lines))

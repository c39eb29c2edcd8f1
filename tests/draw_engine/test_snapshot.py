"""Registry snapshots (DESIGN §4): public projection, root, JSON Lines, diff, entry."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine.errors import SnapshotFormatError, SnapshotMismatchError
from draw_engine.registry_diff import diff_records
from draw_engine.snapshot import (
    check_snapshot,
    format_records,
    make_snapshot,
    parse_records,
    public_record,
    snapshot_entry,
)
from tests.conftest import load_vectors

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

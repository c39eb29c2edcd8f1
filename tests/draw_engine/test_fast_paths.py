"""The speed-only paths of canonical.py, select.py and snapshot.py give what the plain ones give.

Each fast path is checked against the straightforward reading of the spec:
`ticket` against SHA-256(seed || JCS([parts…])) with the `rfc8785` encoder,
`check_value`'s quick pass against the path-reporting pass, the one-pass JSONL
parser against parsing every line on its own, and the heap ranking against a
full sort.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine import canonical, snapshot
from draw_engine.canonical import CanonicalError, check_value
from draw_engine.select import _first, ticket
from draw_engine.snapshot import SnapshotFormatError, canonical_records, parse_records
from tests.draw_engine.test_canonical import any_keys, json_values


@settings(max_examples=300)
@given(st.binary(min_size=32, max_size=32),
       st.lists(st.text(max_size=12) | st.from_regex(r"[ -~]{0,12}", fullmatch=True),
                min_size=1, max_size=4))
def test_ticket_equals_sha256_of_rfc8785(seed: bytes, parts: list[str]) -> None:
    try:
        canonical.check_value(parts)
    except CanonicalError:
        return  # not a JSON string array in our subset: ticket refuses it like JCS does
    expected = hashlib.sha256(seed + rfc8785.dumps(parts)).digest()
    assert ticket(seed, *parts) == expected


@settings(max_examples=300)
@given(json_values(any_keys) | st.recursive(
    st.floats() | st.integers() | st.text() | st.none() | st.tuples(st.integers()),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=3) | st.integers(), children, max_size=3),
    max_leaves=10,
))
def test_quick_check_agrees_with_the_path_check(value: object) -> None:
    try:
        expected: bool | str = canonical._check_value_with_paths(value, "$")
    except CanonicalError as exc:
        expected = str(exc)
    try:
        got: bool | str = check_value(value)
    except CanonicalError as exc:
        got = str(exc)
    assert got == expected
    quick = canonical._quick_check(value)
    assert quick is None or quick == expected


def _record(i: int, rng: random.Random) -> dict[str, object]:
    return {"id": f"U{i:03d}", "name": f"单位{i}", "n": rng.randrange(-5, 5),
            "tags": rng.sample(["a", "b", "c"], rng.randrange(3)), "ok": rng.random() < 0.5}


def _line_by_line(data: bytes) -> tuple[list[dict[str, object]], list[bytes], bool]:
    """The plain reading: every line parsed on its own (what parse_records did before)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    records = []
    for number, raw in enumerate(lines, start=1):
        records.append(snapshot._parse_line(raw, number, len(data) + 1))
    sorted_records, canonical_lines = canonical_records(records)
    joined = b"".join(line + b"\n" for line in canonical_lines)
    return sorted_records, canonical_lines, joined == data


MANGLED = [
    lambda line: line,
    lambda line: line.replace(b":", b": ", 1),  # not canonical, still valid
    lambda line: line + b" ",
    lambda line: b"",  # empty line
    lambda line: line[:-1],  # broken JSON
    lambda line: line[:-1] + b",\"x\":1.5}",  # float
    lambda line: b'{"id":"bad id"}',
    lambda line: b"[1]",
    lambda line: line[:-1] + b",\"id\":\"dup\"}",  # duplicate key
    lambda line: line[:-1] + b",\"big\":9007199254740992}",  # integer out of range
    lambda line: b'{"id":"A","x":"e\\u0301"}',  # not NFC
    lambda line: b'{"id":"A"},{"id":"B"}',  # two objects on one line
    lambda line: b'{"id":"A","x":[1',  # only valid together with the next line
    lambda line: b"2]}",
    lambda line: b"\xff",
]


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=8), st.lists(
    st.tuples(st.integers(min_value=0, max_value=7),
              st.integers(min_value=0, max_value=len(MANGLED) - 1)),
    max_size=3), st.booleans(), st.integers(min_value=0, max_value=2**32))
def test_parse_records_equals_parsing_each_line(
    count: int, changes: list[tuple[int, int]], shuffle: bool, seed: int
) -> None:
    rng = random.Random(seed)
    records = [_record(i, rng) for i in range(count)]
    lines = [canonical.canonical_json(r) for r in sorted(records, key=lambda r: str(r["id"]))]
    if shuffle:
        rng.shuffle(lines)
    for index, how in changes:
        if index < len(lines):
            lines[index] = MANGLED[how](lines[index])
    data = b"".join(line + b"\n" for line in lines)

    def outcome(fn: object) -> object:
        try:
            return fn(data)  # type: ignore[operator]
        except SnapshotFormatError as exc:
            return ("error", str(exc), exc.line)

    def fast_reading(d: bytes) -> tuple[list[dict[str, object]], list[bytes], bool]:
        parsed = parse_records(d, max_size=len(d) + 1)
        return parsed.records, parsed.lines, parsed.canonical

    plain = outcome(_line_by_line)
    fast = outcome(fast_reading)
    assert fast == plain
    if not isinstance(plain, tuple) or plain[0] != "error":
        for a, b in zip(fast[0], plain[0], strict=True):  # type: ignore[index]
            assert json.dumps(a) == json.dumps(b)  # same JSON types, not just == (True == 1)


@pytest.mark.parametrize("count", [0, 1, 5, 10, 50, 100])
def test_first_is_a_prefix_of_the_sorted_members(count: int) -> None:
    rng = random.Random(count)
    members = [(rng.randbytes(2), f"U{i}".encode(), f"U{i}") for i in range(100)]
    expected = sorted(members)[:count]
    assert _first(list(members), count) == expected


def test_gc_paused_restores_the_collector() -> None:
    import gc

    def fail_inside() -> None:
        with canonical.gc_paused():
            assert not gc.isenabled()
            raise ValueError("x")

    assert gc.isenabled()
    with pytest.raises(ValueError, match="x"):
        fail_inside()
    assert gc.isenabled()

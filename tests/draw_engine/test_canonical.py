"""Canonical JSON (DESIGN §4): the subset checks, JCS bytes, the strict parser.

`canonical_json` (orjson) is proved equal to the reference `rfc8785` with
Hypothesis over the subset (ASCII, BMP and astral keys) and over every value
in the subset found in the JSON vector files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    ORJSON_MAX_DEPTH,
    all_identifiers,
    canonical_json,
    canonical_lines,
    check_identifier,
    check_value,
    is_identifier,
    parse_json,
    parse_json_lines,
)
from draw_engine.errors import CanonicalError


def test_known_bytes() -> None:
    value = {"b": [1, True, None], "a": "单位 \"Q\"\\\n\x01", "é": -5, "A": {}}
    expected = '{"A":{},"a":"单位 \\"Q\\"\\\\\\n\\u0001","b":[1,true,null],"é":-5}'
    assert canonical_json(value) == expected.encode("utf-8")
    assert canonical_json(value) == rfc8785.dumps(value)


def test_key_order_is_utf16_for_non_ascii_keys() -> None:
    # U+FF61 sorts after U+1F600 in code points but before it in UTF-16 code units.
    value = {"\U0001f600": 1, "\uff61": 2}
    assert canonical_json(value) == '{"\U0001f600":1,"\uff61":2}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.0, "floats"),
        ({"a": [0.5]}, "floats"),
        (2**53, "outside"),
        (-(2**53), "outside"),
        ("e\u0301", "NFC"),
        ({"e\u0301": 1}, "NFC"),
        ("\ud800", "surrogate"),
        ({1: "x"}, "not a string"),
        ((1, 2), "not a JSON value"),
        ({"s": {1}}, "not a JSON value"),
        (b"x", "not a JSON value"),
    ],
)
def test_subset_refused(value: object, message: str) -> None:
    with pytest.raises(CanonicalError, match=message):
        canonical_json(value)


def test_error_names_path() -> None:
    with pytest.raises(CanonicalError) as info:
        check_value({"strata": [{"quota": {"ratio": 0.1}}]})
    assert info.value.path == "$.strata[0].quota.ratio"


def test_safe_integer_bounds_accepted() -> None:
    assert canonical_json([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == (
        b"[9007199254740991,-9007199254740991]"
    )


@pytest.mark.parametrize("good", ["a", "U-1", "x" * 64, "A.b:c_d-9"])
def test_identifiers_accepted(good: str) -> None:
    assert is_identifier(good)
    assert check_identifier(good) == good


@pytest.mark.parametrize("bad", ["", "x" * 65, "é", "a b", "a\n", "单位", "a/b", "ａ"])
def test_identifiers_refused(bad: str) -> None:
    assert not is_identifier(bad)
    with pytest.raises(CanonicalError, match="identifier"):
        check_identifier(bad)


def test_identifier_must_be_string() -> None:
    with pytest.raises(CanonicalError, match="string"):
        check_identifier(5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate"),
        (b"[1.0]", "floats"),
        (b"[1e3]", "floats"),
        (b"[NaN]", "not JSON"),
        (b"[Infinity]", "not JSON"),
        (b"[9007199254740992]", "outside"),
        (b'["e\xcc\x81"]', "NFC"),
        (b"\xff", "UTF-8"),
        (b"[1,]", "not JSON"),
        (b"", "not JSON"),
    ],
)
def test_parse_json_refuses(text: bytes, message: str) -> None:
    with pytest.raises(CanonicalError, match=message):
        parse_json(text)


def test_parse_json_size_bound_before_parsing() -> None:
    with pytest.raises(CanonicalError, match="limit"):
        parse_json(b"[" + b"1," * 100 + b"1]", max_size=50)


def canonical_ok(s: str) -> bool:
    try:
        check_value(s)
    except CanonicalError:
        return False
    return True


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text().filter(canonical_ok)
)


ascii_keys = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
any_keys = st.text(max_size=6).filter(canonical_ok)


def json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        json_scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=20,
    )


@settings(max_examples=400)
@given(json_values(ascii_keys))
def test_orjson_equals_rfc8785_for_ascii_keys(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=400)
@given(json_values(any_keys))
def test_orjson_equals_rfc8785_for_any_keys(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


astral_keys = st.text(alphabet=st.sampled_from(["a", "é", "\uff61", "\ue000", "\U0001f600",
                                                "\U00020000", "\x7f"]), max_size=4)


@settings(max_examples=300)
@given(st.dictionaries(astral_keys, json_values(astral_keys), max_size=6))
def test_keys_outside_the_bmp_sort_by_utf16_like_rfc8785(value: dict[str, Any]) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_lines([value, value]) == [rfc8785.dumps(value)] * 2


@settings(max_examples=200)
@given(st.lists(json_values(any_keys), max_size=5))
def test_canonical_lines_equals_canonical_json_each(values: list[object]) -> None:
    assert canonical_lines(values) == [rfc8785.dumps(v) for v in values]


def _subvalues(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _subvalues(child)
    elif isinstance(value, list):
        for child in value:
            yield from _subvalues(child)


VECTOR_FILES = sorted((Path(__file__).parents[1] / "vectors").rglob("*.json"))


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.name)
def test_orjson_equals_rfc8785_over_the_vectors(path: Path) -> None:
    compared = 0
    for value in _subvalues(json.loads(path.read_text(encoding="utf-8"))):
        try:
            check_value(value)
        except CanonicalError:
            continue  # outside the subset (floats in beacon data, say): refused by both paths
        assert canonical_json(value) == rfc8785.dumps(value)
        compared += 1
    assert compared > 0


def test_astral_key_order_differs_from_code_point_order() -> None:
    value = {"\U0001f600": 1, "\uff61": 2, "a": {"\U0001f600": [], "\ue000": None}}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("\U0001f600".encode()) < canonical_json(value).index(
        "\uff61".encode())


@pytest.mark.parametrize("levels", [ORJSON_MAX_DEPTH + 1, 200_000])
def test_depth_is_bounded_whatever_the_recursion_limit(levels: int) -> None:
    # py_ecc raises the recursion limit to 100,000; orjson's own bound does not depend on it.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(CanonicalError, match=f"nested more than {MAX_DEPTH} levels"):
            parse_json("[" * levels + "]" * levels)
    finally:
        sys.setrecursionlimit(old)


def test_orjson_refuses_nesting_beyond_its_bound_by_itself() -> None:
    import orjson

    orjson.loads("[" * ORJSON_MAX_DEPTH + "]" * ORJSON_MAX_DEPTH)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads("[" * (ORJSON_MAX_DEPTH + 1) + "]" * (ORJSON_MAX_DEPTH + 1))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"a":1,"a":2}', "a"),
        ('{"t":"12:00","t":"13:00"}', "t"),
        ('{"x":{"a:b":1,"a:b":2}}', "a:b"),
        ('{"\\u003a":1,":":2}', ":"),
        ('[{"k":"\\"","k":0}]', "k"),
    ],
)
def test_duplicate_keys_found_with_colons_in_strings(text: str, key: str) -> None:
    with pytest.raises(CanonicalError, match=f"duplicate object key {key!r}"):
        parse_json(text)


@pytest.mark.parametrize(
    "text",
    ['{"t":"12:00","u":"a:b:c"}', '{"\\u003a":":","a":{":":"::"}}', '[{"a":1},{"a":1}]',
     '{"a":"\\":"}'],
)
def test_colons_in_strings_are_not_duplicates(text: str) -> None:
    assert parse_json(text) == json.loads(text)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], True), (["a", "B-1"], True), (["a", "a\nb"], False), (["a", ""], False),
     (["a", 1], False), (["é"], False), (["x" * 65], False)],
)
def test_all_identifiers(values: list[object], expected: bool) -> None:
    assert all_identifiers(values) is expected
    assert all(is_identifier(v) for v in values) is expected


@settings(max_examples=200)
@given(json_values(any_keys))
def test_parse_format_round_trip(value: object) -> None:
    encoded = canonical_json(value)
    assert parse_json(encoded) == value
    assert canonical_json(parse_json(encoded)) == encoded
    assert json.loads(encoded) == value


# Flat records (a dict of scalars and lists of scalars) are proven in the subset by C-level
# censuses in `canonical_lines` and `parse_json_lines`; hostile members must be refused
# exactly as the per-value `_scan` and the per-line `parse_json` refuse them.
class _Text(str):
    pass


hostile_scalars = (
    json_scalars
    | st.sampled_from([1.5, 2**53, -(2**53), 2**64, "e\u0301", "\ud800", (1,), _Text("x"),
                       True, "\U0001f600", "a:b", 0])
)
flat_records = st.dictionaries(
    st.sampled_from(["id", "a", "b", "é", "e\u0301", "\U0001f600", "\uff61"]),
    hostile_scalars | st.lists(hostile_scalars, max_size=3), max_size=5)


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> object:
    try:
        return fn(*args, **kwargs)
    except CanonicalError as exc:
        return ("error", str(exc), exc.path)


@settings(max_examples=400)
@given(st.lists(flat_records, max_size=6))
def test_canonical_lines_of_flat_records_equal_the_per_value_check(values: list[Any]) -> None:
    expected = _outcome(check_value, values, max_depth=MAX_DEPTH + 1)
    if expected is None:
        expected = [rfc8785.dumps(v) for v in values]
    assert _outcome(canonical_lines, values) == expected


def test_canonical_lines_in_many_chunks_names_the_bad_value_by_its_index() -> None:
    values: list[Any] = [{"id": f"U{i}", "n": i, "t": ["x"]} for i in range(3000)]
    values[2500] = {"id": "bad", "n": 2**53}
    with pytest.raises(CanonicalError, match="outside") as caught:
        canonical_lines(values)
    assert caught.value.path == "$[2500].n"
    values[2500] = {"id": "ok", "\U0001f600": 1, "\uff61": 2}
    assert canonical_lines(values) == [rfc8785.dumps(v) for v in values]


def _line_text(record: dict[str, Any]) -> bytes:
    """A raw (not canonical) JSON line: ASCII escapes, spaces, keys unsorted."""
    return json.dumps(record, ensure_ascii=True).encode()


raw_lines = st.one_of(
    flat_records.filter(lambda r: _outcome(check_value, r) is None).map(_line_text),
    st.sampled_from([b'{"a":1,"a":2}', b'{"a":"x:y","b":1}', b'{"a":"x:y","a":1}',
                     b'{"a":1.0}', b'{"a":9007199254740992}', b'{"a":18446744073709551616}',
                     b'{"a":"e\\u0301"}', b'{"e\\u0301":1}', b'{"a":"\\ud800"}', b'[1',
                     b'2]', b'3,4', b'{"a":[[1]]}', b'{"a":{"b":1}}', b'', b'  {"a" : 1 }',
                     b'null', b'{"a":NaN}', b'{"a":"\xff"}']),
)


@settings(max_examples=400)
@given(st.lists(raw_lines, max_size=8))
def test_parse_json_lines_equals_parse_json_per_line(lines: list[bytes]) -> None:
    expected: object = []
    for number, line in enumerate(lines, start=1):
        got = _outcome(parse_json, line)
        if isinstance(got, tuple) and got[:1] == ("error",):
            expected = ("error", f"line {number}: {got[1]}", f"line {number}: {got[2]}")
            break
        assert isinstance(expected, list)
        expected.append(got)
    assert _outcome(parse_json_lines, lines) == expected


def test_parse_json_lines_lines_that_only_parse_together_are_refused() -> None:
    # '[1' '2]' '3,4' parse as one array of three values, but not line by line.
    with pytest.raises(CanonicalError, match=r"line 1: \$: not JSON"):
        parse_json_lines([b"[1", b"2]", b"3,4"])


def test_parse_json_lines_names_a_duplicate_key_in_a_later_chunk() -> None:
    lines = [b'{"id":"U%d","n":%d}' % (i, i) for i in range(5000)]
    lines[4500] = b'{"id":"U4500","n":1,"n":2}'
    with pytest.raises(CanonicalError, match=r"line 4501: \$: duplicate object key 'n'"):
        parse_json_lines(lines)
    lines[4500] = b'{"id":"U4500","n":"a:b"}'
    assert parse_json_lines(lines)[4500] == {"id": "U4500", "n": "a:b"}

"""Canonical JSON (DESIGN §4): the subset checks, JCS bytes, the strict parser."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine.canonical import (
    MAX_SAFE_INTEGER,
    canonical_json,
    canonical_json_reference,
    check_identifier,
    check_value,
    encode_ascii_keys,
    is_identifier,
    parse_json,
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


@settings(max_examples=300)
@given(json_values(ascii_keys))
def test_fast_encoder_equals_rfc8785_for_ascii_keys(value: object) -> None:
    assert encode_ascii_keys(value) == rfc8785.dumps(value)


@settings(max_examples=200)
@given(json_values(any_keys))
def test_canonical_json_equals_reference(value: object) -> None:
    assert canonical_json(value) == canonical_json_reference(value)


@settings(max_examples=200)
@given(json_values(any_keys))
def test_parse_format_round_trip(value: object) -> None:
    encoded = canonical_json(value)
    assert parse_json(encoded) == value
    assert canonical_json(parse_json(encoded)) == encoded
    assert json.loads(encoded) == value

"""Canonical JSON for fairdraw (DESIGN §4): RFC 8785 (JCS) over a restricted subset.

Our schemas use only objects, arrays, NFC strings, integers with |n| < 2^53,
booleans and null. No floats: ratios are strings "p/q". `check_value`
enforces the subset, `canonical_json` encodes it, and `parse_json` is the
strict reader (size bound first, then depth, duplicate keys, floats, NaN and
non-NFC strings refused).

One encoder and one reader: orjson. For values in the subset,
`orjson.dumps(value, option=OPT_SORT_KEYS | OPT_STRICT_INTEGER)` is JCS byte
for byte: no whitespace; the same escapes (`\\b \\t \\n \\f \\r \\" \\\\`,
other control characters as lowercase `\\u00xx`, nothing else escaped, UTF-8
out); integers only (`OPT_STRICT_INTEGER` refuses |n| ≥ 2^53); keys sorted by
code point, which is JCS's UTF-16 order unless a key holds a character outside
the BMP: those objects (never seen in our records) are put in UTF-16 order
first and encoded unsorted. `rfc8785` is the reference in the tests only:
tests/draw_engine/test_canonical.py proves the two equal with Hypothesis over
the subset and over every JSON file in tests/vectors/.

Reading: `orjson.loads` refuses NaN/Infinity, a BOM, invalid UTF-8 and lone
surrogates, and bounds nesting at 1,024 levels on its own, whatever the
interpreter's recursion limit (py_ecc raises it to 100,000, so a parser bound
only by it could overflow the C stack); `check_value` then bounds nesting at
`MAX_DEPTH` without recursion. orjson keeps the last of duplicate keys, so
`parse_json` counts them: each object member has exactly one ":" outside
strings, so the members in the parsed value equal the name separators in the
text unless a key was repeated.

Left out: floats (JCS number serialisation) altogether.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import orjson

from draw_engine.errors import CanonicalError

MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (our schemas need fewer than 8)."""

ORJSON_MAX_DEPTH = 1024
"""orjson.loads refuses deeper nesting by itself (tests pin it)."""

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER

# SPEC(DESIGN §4): identifiers are ASCII [A-Za-z0-9._:-]{1,64}.
_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# Identifiers joined by newlines: one regex call checks a whole list of ids.
_IDENTIFIER_LINES = re.compile(r"[A-Za-z0-9._:-]{1,64}(?:\n[A-Za-z0-9._:-]{1,64})*", re.ASCII)


def is_identifier(value: object) -> bool:
    """True when `value` is a str matching `[A-Za-z0-9._:-]{1,64}` exactly."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def all_identifiers(values: list[Any]) -> bool:
    """`all(is_identifier(v) for v in values)`, with one regex over the joined list.

    Exact: the joined text has one newline per separator only when no item has
    its own, and then it matches only when every item does. Empty: True.
    """
    if not values:
        return True
    try:
        joined = "\n".join(values)
    except TypeError:  # not all str
        return False
    return (joined.count("\n") == len(values) - 1
            and _IDENTIFIER_LINES.fullmatch(joined) is not None)


def check_identifier(value: object, *, path: str = "$") -> str:
    """Return `value` if it is an identifier, else raise `CanonicalError` naming why."""
    if not isinstance(value, str):
        raise CanonicalError(f"identifier must be a string, got {_type_name(value)}", path=path)
    if not is_identifier(value):
        raise CanonicalError(
            f"identifier {value!r} is not ASCII [A-Za-z0-9._:-]{{1,64}}", path=path
        )
    return value


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "float"
    return type(value).__name__


def check_string(value: str, *, path: str = "$") -> None:
    """SPEC(DESIGN §4): strings are valid Unicode (no lone surrogates) in NFC."""
    if value.isascii():  # ASCII is NFC and has no surrogates
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError("string contains a lone surrogate", path=path) from exc
    if not unicodedata.is_normalized("NFC", value):
        raise CanonicalError(f"string {value!r} is not in Unicode NFC", path=path)


def _check_scalar(item: object, where: str) -> None:
    """Raise for a value that is not an allowed scalar (containers are handled by `_scan`)."""
    if item is None or isinstance(item, bool):
        return
    if isinstance(item, int):
        # SPEC(DESIGN §4): integers with |n| < 2^53.
        if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            raise CanonicalError(f"integer {item} is outside |n| < 2^53", path=where)
    elif isinstance(item, str):
        check_string(item, path=where)
    elif isinstance(item, float):
        raise CanonicalError(
            "floats are not allowed (write ratios as \"p/q\"; a float here may also be an "
            "integer beyond 2^64 in the input)", path=where)
    else:
        raise CanonicalError(f"{_type_name(item)} is not a JSON value", path=where)


def _scan(value: object, max_depth: int, path: str) -> tuple[int, bool]:
    """Check the subset and the depth; (object members in all, some key outside the BMP).

    Iterative, so a hostile value cannot exhaust the interpreter's stack. Error
    paths are built only for containers and errors, not for every scalar.
    """
    members = 0
    astral_keys = False
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= max_depth:
                raise CanonicalError(f"nested more than {max_depth} levels deep", path=where)
            members += len(item)
            for key, child in item.items():
                if type(key) is not str and not isinstance(key, str):
                    raise CanonicalError(f"object key {key!r} is not a string", path=where)
                if not key.isascii():
                    check_string(key, path=f"{where}.{key}")
                    astral_keys = astral_keys or max(key) > "\uffff"
                kind = type(child)
                if kind is str:
                    if not child.isascii():
                        check_string(child, path=f"{where}.{key}")
                elif kind is dict or kind is list:
                    stack.append((child, f"{where}.{key}", depth + 1))
                elif kind is not bool and child is not None:
                    if isinstance(child, dict | list):
                        stack.append((child, f"{where}.{key}", depth + 1))
                    else:
                        _check_scalar(child, f"{where}.{key}")
        elif isinstance(item, list):
            if depth >= max_depth:
                raise CanonicalError(f"nested more than {max_depth} levels deep", path=where)
            for i, child in enumerate(item):
                if isinstance(child, dict | list):
                    stack.append((child, f"{where}[{i}]", depth + 1))
                elif type(child) is not str or not child.isascii():
                    _check_scalar(child, f"{where}[{i}]")
        else:
            _check_scalar(item, where)
    return members, astral_keys


def check_value(value: object, *, path: str = "$", max_depth: int = MAX_DEPTH) -> None:
    """Check that `value` lies in the canonical JSON subset; raise `CanonicalError` if not."""
    _scan(value, max_depth, path)


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of `value`, after checking the subset."""
    _members, astral_keys = _scan(value, MAX_DEPTH, "$")
    if astral_keys:
        return orjson.dumps(_utf16_ordered(value), option=orjson.OPT_STRICT_INTEGER)
    return orjson.dumps(value, option=_OPTIONS)


def canonical_lines(values: list[Any]) -> list[bytes]:
    """`[canonical_json(v) for v in values]`, the subset checked for all at once.

    Chunk by chunk: a chunk of flat records (see `_flat_members`) is proven in
    the subset by C-level passes over it (type census, then orjson's own
    refusals of big integers and lone surrogates, then one NFC check of the
    encoded text); any other chunk is checked by `_scan`. A `CanonicalError`
    names the value by its index: path "$[i]…", the same error as one `_scan`
    over all values.
    """
    lines: list[bytes] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        encoded = _encode_flat(chunk)
        if encoded is None:
            try:
                _members, astral_keys = _scan(chunk, MAX_DEPTH + 1, "$")
            except CanonicalError:
                _scan(values, MAX_DEPTH + 1, "$")  # the same error, indexed in all values
                raise
            encoded = ([canonical_json(value) for value in chunk] if astral_keys
                       else encode_many(chunk))
        lines += encoded
    return lines


CHUNK = 256
"""Values checked together: small enough that the lists made for a chunk are freed
before the collector's young threshold (700 containers); 200,000 raw records committed
in 3.86 CPU-s with 256, 4.73 with 4,096."""

_SCALAR_TYPES = frozenset({str, int, bool, type(None)})
_FLAT_TYPES = _SCALAR_TYPES | {list}


def _flat_members(values: list[Any], *, keys_known_str: bool = False,
                  ) -> tuple[list[str], list[Any], list[type]] | None:
    """(keys, members and list items, their types) when every value is a flat record,
    else None.

    A flat record is a dict (exactly) whose keys are str and whose values are
    str, int, bool, None or a list of those (exact types: no subclass, no float,
    nothing nested deeper). Decided by type censuses run in C, no Python frame
    per member. `keys_known_str`: the values come from `orjson.loads`.
    """
    if not values or set(map(type, values)) != {dict}:
        return None
    keys = list(itertools.chain.from_iterable(values))
    if not keys_known_str and set(map(type, keys)) - {str}:
        return None
    members = list(itertools.chain.from_iterable(map(dict.values, values)))
    kinds = list(map(type, members))
    found = set(kinds)
    if not found <= _FLAT_TYPES:
        return None
    if list in found:
        items = list(itertools.chain.from_iterable(_of_type(members, kinds, list)))
        item_kinds = list(map(type, items))
        if set(item_kinds) - _SCALAR_TYPES:
            return None
        members += items
        kinds += item_kinds
    return keys, members, kinds


def _of_type(values: list[Any], kinds: list[type], kind: type) -> Iterator[Any]:
    """The items of `values` whose type (in `kinds`) is exactly `kind`, filtered in C."""
    return itertools.compress(values, map(operator.is_, kinds, itertools.repeat(kind)))


def _astral(text: bytes) -> bool:
    """True when UTF-8 `text` holds a character outside the BMP (lead bytes F0-F4)."""
    return any(lead in text for lead in _ASTRAL_LEADS)


_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def _encode_flat(values: list[Any]) -> list[bytes] | None:
    """The JCS of each value when all are flat records proven in the subset, else None.

    orjson refuses integers outside |n| < 2^53 (`OPT_STRICT_INTEGER`) and lone
    surrogates itself; flat records hold no float and nest two levels at most.
    NFC: canonical JSON escapes only '"', '\\' and control characters, none of
    which composes with anything, so the encoded text is NFC exactly when every
    string in it is. A key outside the BMP (JCS sorts those by UTF-16 units) or
    anything else unproven: None, and `_scan` decides.
    """
    if _flat_members(values) is None:
        return None
    try:
        encoded = list(map(_dumps_canonical, values))
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 2^53, a lone surrogate
        return None
    text = b"\n".join(encoded)
    if not text.isascii() and (_astral(text)
                               or not unicodedata.is_normalized("NFC", text.decode("utf-8"))):
        return None
    return encoded


_dumps_canonical = functools.partial(orjson.dumps, option=orjson.OPT_SORT_KEYS
                                     | orjson.OPT_STRICT_INTEGER)


def parse_json_lines(lines: list[bytes], *, max_size: int = DEFAULT_MAX_SIZE,
                     max_depth: int = MAX_DEPTH) -> list[Any]:
    """`[parse_json(line, max_size=max_size, max_depth=max_depth) for line in lines]`.

    The first bad line raises its `parse_json` error, its path prefixed "line N: "
    (N from 1), so that it reads "line N: $…: what is wrong".
    Chunk by chunk, the lines are parsed by a C `map` of `orjson.loads`; a chunk
    of flat records (`_flat_members`) is then proven strict without a Python
    frame per line: integers in range (min/max), no duplicate key (each member
    has one ":" outside strings, so a chunk with as many ":" as members repeats
    no key), every string NFC (one check over them all; orjson already refused
    lone surrogates, NaN and bad UTF-8). Any other chunk, or one where a proof
    does not hold, is read line by line by `parse_json`.
    """
    values: list[Any] = []
    for start in range(0, len(lines), CHUNK):
        chunk = lines[start:start + CHUNK]
        parsed = _parse_flat(chunk, max_size, max_depth)
        if parsed is None:
            parsed = []
            for number, line in enumerate(chunk, start=start + 1):
                try:
                    parsed.append(parse_json(line, max_size=max_size, max_depth=max_depth))
                except CanonicalError as exc:
                    raise CanonicalError(exc.args[0], path=f"line {number}: {exc.path}") from exc
        values += parsed
    return values


def _parse_flat(chunk: list[bytes], max_size: int, max_depth: int) -> list[Any] | None:
    """The values of `chunk`'s lines when all are flat records proven strict, else None."""
    if not chunk or max_depth < 2 or max(map(len, chunk)) > max_size:
        return None
    try:
        values = list(map(orjson.loads, chunk))
    except orjson.JSONDecodeError:
        return None
    flat = _flat_members(values, keys_known_str=True)
    if flat is None:
        return None
    keys, scalars, kinds = flat
    if sum(map(bytes.count, chunk, itertools.repeat(b":"))) != len(keys):
        return None
    if int in kinds:
        ints = list(_of_type(scalars, kinds, int))
        if max(ints) > MAX_SAFE_INTEGER or min(ints) < -MAX_SAFE_INTEGER:
            return None
    text = "\n".join(itertools.chain(keys, _of_type(scalars, kinds, str)))
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return None
    return values


def encode_many(values: list[Any]) -> list[bytes]:
    """`[canonical_json(v) for v in values]` for values ALREADY known to be in the subset
    with every key inside the BMP (no check here: `snapshot.parse_records` proves that
    for a whole file at once). Raises TypeError for an integer outside |n| < 2^53."""
    dumps, options = orjson.dumps, _OPTIONS
    return [dumps(value, option=options) for value in values]


def _utf16_ordered(value: object) -> object:
    """A copy of a checked value with every object's keys in JCS order (UTF-16 code units)."""
    if isinstance(value, dict):
        return {key: _utf16_ordered(value[key])
                for key in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    if isinstance(value, list):
        return [_utf16_ordered(item) for item in value]
    return value


def parse_json(data: bytes | str, *, max_size: int = DEFAULT_MAX_SIZE,
               max_depth: int = MAX_DEPTH) -> Any:
    """Strictly parse one JSON value in our subset (not necessarily canonical bytes).

    The size bound is checked before parsing; orjson bounds the nesting at
    1,024 levels while parsing, `max_depth` is checked after. Raises `CanonicalError`.
    """
    if len(data) > max_size:
        raise CanonicalError(f"input is {len(data)} bytes, more than the limit {max_size}")
    value = loads_bounded(data, max_depth)
    members, _astral = _scan(value, max_depth, "$")
    if members:
        _check_no_duplicate_keys(data, members)
    return value


def loads_bounded(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`orjson.loads` with its errors as `CanonicalError`; NOT checked against the subset."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in exc.msg:
            raise CanonicalError(f"nested more than {max_depth} levels deep") from exc
        if isinstance(data, bytes) and "UTF-8" in exc.msg:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise CanonicalError(f"not UTF-8: {bad.reason} at byte {bad.start}") from exc
        raise CanonicalError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


# A JSON string literal (unrolled loop: no backtracking).
_STRING_LITERAL = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _check_no_duplicate_keys(data: bytes | str, members: int) -> None:
    """Raise `CanonicalError` if the JSON text `data`, which parsed to a value with
    `members` object members, repeats a key in some object.

    Every member has one ":" outside strings and nothing else has, so the text
    has as many name separators as members unless a key was repeated (orjson
    then kept one member). All ":" in the text are outside strings when there
    are exactly `members` of them (there cannot be fewer): then no regex runs.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    if raw.count(b":") == members:
        return
    if _STRING_LITERAL.sub(b"", raw).count(b":") == members:
        return
    raise CanonicalError(f"duplicate object key {_repeated_key(raw)!r}")


_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:]', re.DOTALL)


def _repeated_key(raw: bytes) -> str:
    """The first key repeated in one object of the JSON text `raw` (which has one)."""
    objects: list[set[str] | None] = []  # None for an array
    previous: bytes = b""
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token == b":" and previous.startswith(b'"'):
            key = orjson.loads(previous)
            keys = objects[-1]
            if keys is not None:
                if key in keys:
                    return str(key)
                keys.add(key)
        elif token in (b"{", b"["):
            objects.append(set() if token == b"{" else None)
        elif token in (b"}", b"]"):
            objects.pop()
        previous = token
    return "?"  # unreachable when the counts differ


def check_depth(value: object, max_depth: int = MAX_DEPTH) -> None:
    """Raise `CanonicalError` naming the path when arrays/objects nest deeper than `max_depth`.

    Iterative, so a hostile value cannot exhaust the interpreter's stack."""
    stack: list[tuple[object, int, str]] = [(value, 0, "$")]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise CanonicalError(f"nested more than {max_depth} levels deep", path=where)
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(child, dict | list):
                    step = f"{where}.{key}" if isinstance(item, dict) else f"{where}[{key}]"
                    stack.append((child, depth + 1, step))

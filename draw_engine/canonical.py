"""Canonical JSON for fairdraw (DESIGN §4): RFC 8785 (JCS) over a restricted subset.

Our schemas use only objects, arrays, NFC strings, integers with |n| < 2^53,
booleans and null. No floats: ratios are strings "p/q". `check_value`
enforces the subset, `canonical_json` encodes with JCS, and `parse_json`
is the strict reader (size bound first, duplicate keys, floats, NaN and
non-NFC strings refused).

Encoding: `rfc8785.dumps` is the reference. For values whose object keys are
all ASCII (every record and entry we produce), `json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` is byte-identical (same key order,
same escapes, integers only) and far faster, so `canonical_json` uses it on
that subset; tests/draw_engine/test_canonical.py proves the equivalence with
a property test.

Left out: floats (JCS number serialisation) altogether.
"""

from __future__ import annotations

import gc
import json
import json.encoder
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import rfc8785

from draw_engine.errors import CanonicalError

MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
MAX_DEPTH = 64
"""Deepest nesting of arrays and objects `parse_json` accepts (our schemas need fewer than 8)."""

# SPEC(DESIGN §4): identifiers are ASCII [A-Za-z0-9._:-]{1,64}.
_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# Identifiers joined by newlines: one regex call checks a whole list (speed only).
_IDENTIFIER_LINES = re.compile(r"[A-Za-z0-9._:-]{1,64}(?:\n[A-Za-z0-9._:-]{1,64})*", re.ASCII)


def is_identifier(value: object) -> bool:
    """True when `value` is a str matching `[A-Za-z0-9._:-]{1,64}` exactly."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def str_ids_are_identifiers(values: list[Any]) -> bool:
    """`all(is_identifier(v) for v in values)` with one regex over the joined list (speed only).

    Exact: when the joined text has exactly one newline per separator (no
    item has its own), it matches the pattern only when every item does; an
    empty list is all identifiers.
    """
    if not values:
        return True
    try:
        joined = "\n".join(values)
    except TypeError:  # not all str
        return all(is_identifier(value) for value in values)
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
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError("string contains a lone surrogate", path=path) from exc
    if not unicodedata.is_normalized("NFC", value):
        raise CanonicalError(f"string {value!r} is not in Unicode NFC", path=path)


def check_value(value: object, *, path: str = "$") -> bool:
    """Check that `value` lies in the canonical JSON subset; raise `CanonicalError` if not.

    Returns True when every object key is ASCII (then the fast encoder is exact).
    """
    ascii_keys = _quick_check(value)
    if ascii_keys is None:
        ascii_keys = _check_value_with_paths(value, path)
    return ascii_keys


def _string_ok(text: str) -> bool:
    # ASCII text is always NFC and has no surrogates: only other text needs the full check.
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return unicodedata.is_normalized("NFC", text)


def _quick_check(value: object) -> bool | None:
    """`check_value` without error paths (speed only): whether every key is ASCII, or None.

    None means "not certainly in the subset" (an error, or a subclass of dict,
    list, str or int): `_check_value_with_paths` then decides and names the path.
    """
    ascii_keys = True
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        children: Iterable[Any]
        if kind is dict:
            try:
                keys_ascii = "".join(item).isascii()  # TypeError unless every key is a str
            except TypeError:
                return None
            if not keys_ascii:
                if not all(type(key) is str and _string_ok(key) for key in item):
                    return None
                ascii_keys = False
            children = item.values()
        elif kind is list:
            children = item
        else:
            children = (item,)
        for child in children:
            child_kind = type(child)
            if child_kind is str:
                if not child.isascii() and not _string_ok(child):
                    return None
            elif child_kind is int:
                if not -MAX_SAFE_INTEGER <= child <= MAX_SAFE_INTEGER:
                    return None
            elif child_kind is dict or child_kind is list:
                stack.append(child)
            elif child is not None and child_kind is not bool:
                return None
    return ascii_keys


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic records (speed only).

    Parsed JSON records hold no reference cycles, so nothing is missed; without
    the pause, the collector rescans every live record again and again while a
    million of them are built (about 40% of the time). It is re-enabled after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_value_with_paths(value: object, path: str) -> bool:
    ascii_keys = True
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            # SPEC(DESIGN §4): integers with |n| < 2^53.
            if abs(item) > MAX_SAFE_INTEGER:
                raise CanonicalError(f"integer {item} is outside |n| < 2^53", path=where)
        elif isinstance(item, str):
            check_string(item, path=where)
        elif isinstance(item, float):
            raise CanonicalError("floats are not allowed (write ratios as \"p/q\")", path=where)
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise CanonicalError(f"object key {key!r} is not a string", path=where)
                check_string(key, path=f"{where}.{key}")
                if not key.isascii():
                    ascii_keys = False
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        else:
            raise CanonicalError(f"{_type_name(item)} is not a JSON value", path=where)
    return ascii_keys


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of `value`, after checking the subset."""
    if check_value(value):
        return encode_ascii_keys(value)
    return rfc8785.dumps(value)  # type: ignore[arg-type]


def encode_ascii_keys(value: object) -> bytes:
    """JCS for already-checked values whose object keys are all ASCII (no validation).

    Exactly `json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`, through one C encoder built once (json.dumps builds a
    new one per call) and without its circular-reference bookkeeping: checked
    values are trees.
    """
    return _encode(value).encode("utf-8")


def _make_encoder() -> Callable[[object], str]:
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the documented call, slower
        return lambda value: json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    # Arguments as json.JSONEncoder.iterencode passes them, markers=None (no cycle check).
    encoder = make(None, json.JSONEncoder().default, json.encoder.encode_basestring, None,
                   ":", ",", True, False, True)
    return lambda value: "".join(encoder(value, 0))


_encode = _make_encoder()


def canonical_json_reference(value: object) -> bytes:
    """The reference encoder (`rfc8785`), after checking the subset."""
    check_value(value)
    return rfc8785.dumps(value)  # type: ignore[arg-type]


def _reject_float(text: str) -> Any:
    raise CanonicalError(f"number {text} is not an integer (floats are not allowed)")


def _reject_constant(text: str) -> Any:
    raise CanonicalError(f"{text} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _item in pairs:
        if key in seen:
            raise CanonicalError(f"duplicate object key {key!r}")
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict has a repeated key")


# One strict decoder for every call: `json.loads(text, **hooks)` would build a new one each time.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates,
    parse_float=_reject_float,
    parse_constant=_reject_constant,
)


def _decode(text: str) -> Any:
    if text.startswith("\ufeff"):  # what json.loads refuses before decoding
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


def parse_json(data: bytes | str, *, max_size: int = DEFAULT_MAX_SIZE,
               max_depth: int = MAX_DEPTH) -> Any:
    """Strictly parse one JSON value in our subset (not necessarily canonical bytes).

    The size bound is checked before parsing, the depth bound (`max_depth` nested
    arrays/objects) while and after parsing. Raises `CanonicalError`.
    """
    if len(data) > max_size:
        raise CanonicalError(f"input is {len(data)} bytes, more than the limit {max_size}")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    else:
        text = data
    # Fewer brackets than the bound cannot nest deeper than it (two C counts, no scan).
    # Otherwise the depth is measured on the text BEFORE the C scanner runs: its only
    # bound is the interpreter's recursion limit, which a library may raise far enough
    # (py_ecc sets 100,000) for deep nesting to overflow the C stack.
    if text.count("[") + text.count("{") > max_depth and _text_depth(text) > max_depth:
        raise CanonicalError(f"nested more than {max_depth} levels deep")
    try:
        value = _decode(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise CanonicalError(f"not JSON: {exc.msg} at {where}") from exc
    except RecursionError as exc:  # the C scanner's own bound
        raise CanonicalError(f"nested more than {max_depth} levels deep") from exc
    check_value(value)
    return value


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _text_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in JSON text (brackets inside strings skipped).
    Text that is not JSON may measure deeper than it is; it is refused either way."""
    depth = deepest = 0
    for m in _STRUCTURE.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


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


class _RefusedError(Exception):
    """A float or NaN met by `parse_trusted_array` (the caller falls back, no message)."""


def _refuse(_text: str) -> Any:
    raise _RefusedError


# No hooks on objects or integers, so the C scanner builds them without calling Python;
# floats and NaN/Infinity call `_refuse` (rare: they are never in our subset).
_BULK_DECODER = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)


def parse_trusted_array(text: str) -> list[Any] | None:
    """Parse a JSON array in one C pass WITHOUT the strict checks; None if it is not one.

    Duplicate keys silently keep the last value here, and strings and
    integers are not checked: the caller must prove the values are in our
    subset some other way (`snapshot._parse_canonical_file` re-encodes them
    and compares with the input bytes). Floats and NaN give None.
    """
    try:
        values = _BULK_DECODER.decode(text)
    except (ValueError, _RefusedError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    return values if isinstance(values, list) else None


def encode_many(values: list[Any]) -> bytes | None:
    """The JCS lines of `values`, each followed by "\n", WITHOUT checking the subset.

    Exactly `b"".join(encode_ascii_keys(v) + b"\n" for v in values)`, in one
    join (speed only). None when a value cannot be encoded (a lone surrogate,
    nesting too deep) or the list is empty.
    """
    if not values:
        return None
    try:
        return ("\n".join([_encode(value) for value in values]) + "\n").encode("utf-8")
    except (UnicodeEncodeError, RecursionError, TypeError, ValueError):
        return None


def parse_json_lines(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> list[Any]:
    """`[parse_json(line, max_size=max_size) for line in data.splitlines()]`, same errors.

    With the cyclic GC paused while the values are built (speed only, see
    `gc_paused`): for a million records that is most of the time.
    """
    with gc_paused():
        return [parse_json(line, max_size=max_size) for line in data.splitlines()]


def parse_json_texts(texts: list[str]) -> list[Any] | None:
    """Parse many JSON texts in one decoder pass, for speed; values are NOT checked.

    Returns one value per text, or None when that cannot be had this way (any
    text is malformed, or the texts only parse together, like '[1' and '2]');
    callers then parse each text with `parse_json` for an exact error. A value
    is only known to be what its text alone would give once the caller has
    compared the text with the value's canonical JSON.
    """
    try:
        values = _decode("[" + ",".join(texts) + "]")
    except (json.JSONDecodeError, CanonicalError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(texts):
        return None
    return values

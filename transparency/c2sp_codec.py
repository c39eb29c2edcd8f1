"""The canonical text encodings the C2SP formats share: base64, decimals, key names, text.

Signed notes (`transparency.note`), their keys (`transparency.note_keys`),
checkpoints, tiles and cosignatures all spell values the same way; this module
is that one spelling, strict on purpose: base64 must be canonical padded
RFC 4648 §4 (re-encodes identically), decimals have no sign, space or leading
zero, key names refuse U+FEFF as well as spaces and '+', and DEL (0x7f) counts
as a control character. Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import re

from transparency.errors import FormatError

_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")


def encode_base64(data: bytes) -> str:
    """RFC 4648 §4 standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: str, what: str) -> bytes:
    """Strict RFC 4648 §4 base64: standard alphabet, padding, and it must re-encode identically."""
    if not _B64_RE.fullmatch(text):
        raise FormatError(f"{what} is not padded standard base64: {text[:80]!r}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise FormatError(f"{what} is not valid base64: {text[:80]!r}") from e
    if encode_base64(data) != text:
        # SPEC(project): non-zero padding bits would give two spellings of one value.
        raise FormatError(f"{what} is not canonical base64 (non-zero padding bits): {text[:80]!r}")
    return data


def parse_decimal(text: str, what: str, limit: int = 1 << 63) -> int:
    """A canonical ASCII decimal below `limit`: no sign, space, underscore or leading zero."""
    if not _DECIMAL_RE.fullmatch(text) or len(text) > 20:
        raise FormatError(f"{what} is not a canonical decimal: {text[:40]!r}")
    value = int(text)
    if value >= limit:
        raise FormatError(f"{what} {value} is not below {limit}")
    return value


def check_key_name(name: str) -> None:
    r"""SPEC(signed-note): key names are non-empty, have no Unicode spaces and no '+'.

    Stricter, on purpose: U+FEFF (an invisible "zero width no-break space", not
    White_Space) is refused too, so "w1" and "w1\ufeff" can never both be names
    (the browser's `\s` class refuses it as well)."""
    if not isinstance(name, str) or not name:
        raise FormatError("key name is empty")
    if "+" in name or any(c.isspace() or c == "\ufeff" for c in name):
        raise FormatError(f"key name {name!r} contains '+', a space or U+FEFF")
    check_text_chars(name, "key name")


def check_text_chars(text: str, what: str) -> None:
    """SPEC(signed-note): no ASCII control characters other than newline (nor DEL)."""
    for c in text:
        if (c < " " and c != "\n") or c == "\x7f":
            raise FormatError(f"{what} contains control character {c!r}")


def decode_utf8(data: bytes, what: str) -> str:
    """Strict UTF-8; FormatError naming the first bad byte."""
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise FormatError(f"{what} is not valid UTF-8 (byte {e.start})") from e

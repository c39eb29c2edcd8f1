"""Speed-only readings of snapshot records files (docs/spec/draw-v1.md, Performance).

Everything here gives what the plain readings in `draw_engine.snapshot` give,
or None ("not sure"), after which the plain reading decides with its exact
errors; tests/draw_engine/test_bulk_paths.py checks each against it:
- `lines_root`, `tree_root`: the RFC 9162 root, level by level;
- `read_canonical_file`: a canonical, sorted file checked with whole-file
  operations in C;
- `two_process_root`, `two_process_read`: the same work split between a
  forked child and this process, for big files, when no other thread runs.

Pure apart from `os.fork` and a pipe (no clock, no environment).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from draw_engine.canonical import encode_many, parse_trusted_array, str_ids_are_identifiers
from transparency.merkle import root_hash

_T = TypeVar("_T")


def lines_root(lines: Iterable[bytes]) -> bytes:
    """RFC 9162 root with leaves SHA-256(0x00 || line)."""
    sha256 = hashlib.sha256
    return tree_root([sha256(b"\x00" + line).digest() for line in lines])


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 MTH over leaf hashes, level by level (same value as `merkle.root_hash`).

    MTH splits n leaves at the largest power of two below n, so pairing
    neighbours level by level and carrying an odd last node up unchanged gives
    the same tree. One list comprehension per level is about twice as fast as
    the generic stack loop for a million leaves (speed only; equality with
    `root_hash` is tested).
    """
    if len(leaf_hashes) <= 1:
        return root_hash(list(leaf_hashes))
    sha256 = hashlib.sha256
    level = list(leaf_hashes)
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        left, right = level[0:len(level) - 1:2], level[1::2]
        level = [sha256(b"\x01" + a + b).digest() for a, b in zip(left, right, strict=True)]
        if odd is not None:
            level.append(odd)
    return level[0]


# Bytes that make the bulk check of `read_canonical_file` give up (then the line-by-line
# reading decides): digits ('d': a run of 16 could be an integer beyond 2^53) and the lead
# bytes of UTF-8 characters outside the BMP ('a': where Python's key order, by code point,
# and JCS's, by UTF-16 unit, can differ).
_SUSPECT_BYTES = bytes(
    ord("d") if 0x30 <= b <= 0x39 else ord("a") if b >= 0xF0 else ord(".") for b in range(256)
)


def read_canonical_file(data: bytes) -> tuple[list[Any], list[bytes]] | None:
    """(records, lines) of a file that is certainly canonical, sorted and unique; else None.

    Speed only: a published snapshot file is exactly `format_records` of its
    records, and this checks that with whole-file operations in C instead of a
    Python step per line. None means "not sure", and the line-by-line reading
    then decides (same records, same errors). It accepts a file only when
    - no run of 16 digits and no character outside the BMP occurs anywhere
      (so no integer reaches 2^53, and code-point key order is JCS order);
    - the text is UTF-8 and in NFC as a whole: canonical JSON escapes only
      '"', '\\' and control characters, none of which composes with anything,
      so every string in it is then in NFC;
    - all lines, joined as one JSON array, parse without floats or NaN;
    - re-encoding every value and joining with "\n" gives the file back byte
      for byte: canonical lines contain no raw "\n", so line i is exactly the
      canonical JSON of value i, parses alone to it, and has no duplicate key;
    - every value is an object whose id is an identifier, in strictly
      increasing byte order (sorted, no duplicates).
    The Merkle leaves are then the raw lines themselves.
    """
    if not data.endswith(b"\n"):
        return None
    suspect = data.translate(_SUSPECT_BYTES)
    if b"a" in suspect or b"d" * 16 in suspect:
        return None
    try:
        # "[" line1 "," line2 … "]": one C-level parse for the whole file.
        array_text = (b"[" + data[:-1].replace(b"\n", b",") + b"]").decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not unicodedata.is_normalized("NFC", array_text):
        return None
    values = parse_trusted_array(array_text)
    del array_text
    if values is None:
        return None
    encoded = encode_many(values)
    if encoded is None or encoded != data:
        return None
    try:
        ids = [value["id"] for value in values]
    except (TypeError, KeyError, IndexError):
        return None  # a value that is not an object, or has no id
    if not str_ids_are_identifiers(ids) or not all(a < b for a, b in itertools.pairwise(ids)):
        return None  # (ids are ASCII here, so str order is byte order)
    lines = data.split(b"\n")
    lines.pop()  # after the final "\n"
    return values, lines


# Below this many lines a second process costs more than it saves.
PARALLEL_MIN_LINES = 50_000


def _split_point(data: bytes) -> tuple[int, int, int] | None:
    """(lines, k, byte offset after line k) for a file worth two processes, else None.

    k is where RFC 9162 splits the tree: the largest power of two below the count.
    """
    count = data.count(b"\n")
    # fork is only safe with one thread (another could hold a lock the child needs).
    if (count < PARALLEL_MIN_LINES or not data.endswith(b"\n") or not hasattr(os, "fork")
            or threading.active_count() != 1):
        return None
    left_count = 1 << ((count - 1).bit_length() - 1)
    return count, left_count, len(data) - len(data.split(b"\n", left_count)[-1])


def _in_child(child_work: Callable[[], bytes], own_work: Callable[[], _T]) -> tuple[bytes, _T]:
    """Run `child_work` in a forked child and `own_work` here; (child's bytes, own result).

    The child's bytes are empty if it failed in any way: callers then fall back.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's cleanup
        try:
            os.close(read_end)
            message = child_work()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(message)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        own = own_work()
    finally:
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read()
        os.waitpid(pid, 0)
    return message, own


def _summary_message(summary: tuple[bytes, str, str] | None, extra: bytes = b"") -> bytes:
    """32-byte root, then "first\nlast" ids, then `extra` after a newline; empty for None."""
    if summary is None:
        return b""
    root, first, last = summary
    return root + f"{first}\n{last}\n".encode("ascii") + extra


def two_process_root(data: bytes) -> tuple[bytes, int, bool] | None:
    """(root, count, True) of a big canonical file (see snapshot.records_file_root)."""
    split = _split_point(data)
    if split is None:
        return None
    count, _left_count, split_at = split
    message, mine = _in_child(lambda: _summary_message(_half_summary(data[:split_at])),
                              lambda: _half_summary(data[split_at:]))
    if mine is None or len(message) < 32:
        return None
    left_root, left_last = message[:32], message[32:].decode("ascii").split("\n")[1]
    right_root, right_first, _last = mine
    if not left_last < right_first:  # SPEC(DESIGN §4): sorted by id, no duplicates
        return None
    return hashlib.sha256(b"\x01" + left_root + right_root).digest(), count, True


def two_process_read(data: bytes) -> tuple[list[Any], list[bytes], bytes] | None:
    """(records, lines, root) of a big canonical file, checked in two processes, else None.

    This process needs every record, the child only a verdict: the child checks
    lines [0, k) (see `records_file_root`) and hashes both subtrees; this process
    parses lines [0, k) without checks (the child checks those very bytes) and
    parses and checks lines [k, n). Balanced, so both finish at about the same time.
    """
    split = _split_point(data)
    if split is None:
        return None
    _count, _left_count, split_at = split

    def child() -> bytes:
        right_lines = data[split_at:].split(b"\n")
        right_lines.pop()
        return _summary_message(_half_summary(data[:split_at]), lines_root(right_lines))

    def own() -> tuple[list[Any] | None, tuple[list[Any], list[bytes]] | None]:
        left = parse_trusted_array(
            (b"[" + data[:split_at - 1].replace(b"\n", b",") + b"]").decode("utf-8", "replace"))
        return left, read_canonical_file(data[split_at:])

    message, (left_values, right) = _in_child(child, own)
    if left_values is None or right is None or len(message) < 32 + 32:
        return None
    right_values, right_lines = right
    left_root, right_root = message[:32], message[-32:]
    _first, left_last, _rest = message[32:-32].decode("ascii").split("\n", 2)
    if not left_last < right_values[0]["id"]:  # SPEC(DESIGN §4): sorted, no duplicates
        return None
    left_lines = data[:split_at].split(b"\n")
    left_lines.pop()
    if len(left_values) != len(left_lines):  # (cannot differ once the child agreed)
        return None
    return (left_values + right_values, left_lines + right_lines,
            hashlib.sha256(b"\x01" + left_root + right_root).digest())


def _half_summary(chunk: bytes) -> tuple[bytes, str, str] | None:
    """(subtree root, first id, last id) of a run of whole lines that is certainly canonical."""
    found = read_canonical_file(chunk)
    if found is None:
        return None
    values, lines = found
    return lines_root(lines), values[0]["id"], values[-1]["id"]

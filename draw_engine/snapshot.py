"""Registry snapshots (DESIGN §4 Snapshots): public records, root, JSON Lines, diff.

A snapshot is the list of public records of one kind (`units`, `inspectors`,
`experts`) sorted by `id` in byte order, with no duplicate ids. Its root is the
RFC 9162 Merkle root (`transparency.merkle`) over the canonical JSON (RFC 8785)
of each record. The records file is JSON Lines: one canonical record per line,
each line ending in "\\n", in root order, so line i is leaf i byte for byte.

Private fields (`PRIVATE_FIELDS`, and any field whose name starts with
`private_`) are dropped by `public_record` and never enter a snapshot.

Reading a records file (`parse_records`) is one path for every file, sized
for a province's million records: all lines are parsed by one orjson call,
every record is encoded again (`canonical.encode_many`) and compared with its
line, and the few things that comparison cannot see are found with
whole-file byte searches (see `_lines_to_check`); a line that is not
certainly canonical is read on its own by the strict `parse_json`, with its
exact error. The ids are checked with one regex over all of them, and each
record then holds a valid identifier: `draw_engine.select` does not check
ids again.

Pure: building the `registry.snapshot` log entry is here (its diff is
`draw_engine.registry_diff`), appending it to a log and storing registry
versions is the lifecycle's and storage's job.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import operator
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from draw_engine.canonical import (
    DEFAULT_MAX_SIZE,
    MAX_DEPTH,
    all_identifiers,
    canonical_json,
    canonical_lines,
    encode_many,
    is_identifier,
    loads_bounded,
    parse_json,
)
from draw_engine.errors import CanonicalError, SnapshotFormatError, SnapshotMismatchError
from draw_engine.registry_diff import diff_lines, entry_diff, first_entry_diff
from transparency.merkle import EMPTY_ROOT

KINDS = ("units", "inspectors", "experts")
PUBLISH_MODES = ("at_announce", "after_inspection")
# SPEC(DESIGN §4): private data (phone numbers, recusal reasons) never enters a public record.
PRIVATE_FIELDS = frozenset({
    "phone", "mobile", "contact_phone", "telephone", "email", "id_number", "id_card",
    "home_address", "recusal_reason", "recusal_reasons", "note_private",
})
PRIVATE_PREFIX = "private_"


def is_private_field(name: str) -> bool:
    return name in PRIVATE_FIELDS or name.startswith(PRIVATE_PREFIX)


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The public projection of a registry record: private fields dropped."""
    return {key: value for key, value in record.items() if not is_private_field(key)}


@dataclass(frozen=True)
class Snapshot:
    """One snapshot: its name, kind, sorted public records and their canonical lines."""

    name: str
    kind: str
    records: tuple[dict[str, Any], ...]
    lines: tuple[bytes, ...]
    root: bytes

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def root_hex(self) -> str:
        return self.root.hex()


def _record_id(record: Mapping[str, Any], where: str) -> str:
    record_id = record.get("id")
    if not isinstance(record_id, str) or not is_identifier(record_id):
        raise SnapshotFormatError(f"{where}: id {record_id!r} is not an ASCII identifier")
    return record_id


def canonical_records(
    records: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Sort records by id (byte order), refuse duplicates, return them with their JCS bytes.

    Records that are not plain dicts are copied into dicts; plain dicts are kept.
    """
    listed: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        if type(record) is dict:
            listed.append(record)
        elif isinstance(record, Mapping):
            listed.append(dict(record))
        else:
            raise SnapshotFormatError(f"record {i} is not an object")
    ids: list[Any] = [record.get("id") for record in listed]
    if not all_identifiers(ids):
        for i, record in enumerate(listed):
            _record_id(record, f"record {i}")
    try:
        lines = canonical_lines(listed)
    except CanonicalError as exc:
        # The path is "$[i]…": name the record by its id.
        index = int(exc.path[2:].split("]", 1)[0])
        inner = CanonicalError(exc.args[0], path="$" + exc.path.split("]", 1)[1])
        raise SnapshotFormatError(f"record {ids[index]}: {inner}") from exc
    return _sorted_unique(ids, listed, lines)


def _sorted_unique(
    ids: list[str], records: list[dict[str, Any]], lines: list[bytes],
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Records and lines in id order (ids are ASCII, so str order is byte order)."""
    if not all(map(operator.lt, ids, itertools.islice(ids, 1, None))):
        order = sorted(range(len(ids)), key=ids.__getitem__)
        ids = list(map(ids.__getitem__, order))
        if not all(map(operator.lt, ids, itertools.islice(ids, 1, None))):
            for before, after in itertools.pairwise(ids):
                if before == after:
                    # SPEC(DESIGN §4): no duplicate ids.
                    raise SnapshotFormatError(f"duplicate id {before!r}")
        records = list(map(records.__getitem__, order)) if records else records
        lines = list(map(lines.__getitem__, order))
    return records, lines


def records_root(lines: Sequence[bytes]) -> bytes:
    """SPEC(DESIGN §4): RFC 9162 root over the canonical JSON of each record, in id order.

    Leaves SHA-256(0x00 || line), then MTH level by level: RFC 9162 splits n
    leaves at the largest power of two below n, which is the same tree as
    pairing neighbours level by level and carrying an odd last node up
    unchanged (tests check it against `transparency.merkle.root_hash`).
    """
    sha256 = hashlib.sha256
    level = [sha256(b"\x00" + line).digest() for line in lines]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [sha256(b"\x01" + left + right).digest()
                 for left, right in zip(level[0::2], level[1::2], strict=False)]
        if odd is not None:
            level.append(odd)
    return level[0]


def make_snapshot(name: str, kind: str, records: Iterable[Mapping[str, Any]]) -> Snapshot:
    """Project records to public, sort, check and hash them."""
    if not is_identifier(name):
        raise SnapshotFormatError(f"snapshot name {name!r} is not an ASCII identifier")
    if kind not in KINDS:
        raise SnapshotFormatError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    sorted_records, lines = canonical_records(_public_records(records))
    return Snapshot(name=name, kind=kind, records=tuple(sorted_records), lines=tuple(lines),
                    root=records_root(lines))


def _public_records(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`[public_record(r) for r in records]`, deciding which keys are private once per
    distinct key tuple (records of one registry share their keys): a C copy, then `del`."""
    private_by_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
    public: list[dict[str, Any]] = []
    for record in records:
        if type(record) is not dict:
            public.append(public_record(record))
            continue
        keys = tuple(record)
        private = private_by_keys.get(keys)
        if private is None:
            private = private_by_keys[keys] = tuple(k for k in keys if is_private_field(k))
        copy = dict(record)
        for key in private:
            del copy[key]
        public.append(copy)
    return public


def format_records(snapshot: Snapshot) -> bytes:
    """The JSON Lines records file: one canonical record per line, "\\n" after each."""
    if not snapshot.lines:
        return b""
    return b"\n".join(snapshot.lines) + b"\n"


@dataclass(frozen=True)
class ParsedRecords:
    records: list[dict[str, Any]]
    """Sorted by id; every id is an identifier (empty for `records_file_root`)."""
    lines: list[bytes]
    """Canonical JSON of each record, in the same order: the Merkle leaves."""
    canonical: bool
    """True when the file is exactly `format_records` of its records (sorted, canonical)."""

    @property
    def count(self) -> int:
        return len(self.lines)

    def root(self) -> bytes:
        return records_root(self.lines)


CHUNK_LINES = 256
"""Lines parsed per orjson call. A chunk's values (about 2 containers a line) are freed
before the next chunk is read, so the collector's young-generation count stays under
its threshold of 700 and, for a root alone, nothing is ever promoted to the old
generation: a 200,000-line root took 1.83 CPU-s in 4,096-line chunks (full collections
rescanning everything alive), 0.78 CPU-s in 256-line chunks."""


def parse_records(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> ParsedRecords:
    """Read a JSON Lines records file. Each non-empty line is one JSON object.

    Order and per-line formatting are not required to be canonical (the root
    is computed over canonical records anyway); `ParsedRecords.canonical` says
    whether they were. Duplicate ids are refused; errors name the first bad line.
    """
    return _read_file(data, max_size, keep_records=True)


def records_file_root(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> tuple[bytes, int, bool]:
    """(root, record count, canonical) of a records file: what `parse_records` gives,
    with the same checks and errors, without keeping the records."""
    parsed = _read_file(data, max_size, keep_records=False)
    return parsed.root(), parsed.count, parsed.canonical


def _read_file(data: bytes, max_size: int, *, keep_records: bool) -> ParsedRecords:
    if len(data) > max_size:
        raise SnapshotFormatError(f"file is {len(data)} bytes, more than the limit {max_size}")
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    records: list[dict[str, Any]] = []
    lines: list[bytes] = []
    ids: list[Any] = []
    for start in range(0, len(raw_lines), CHUNK_LINES):
        chunk = raw_lines[start:start + CHUNK_LINES]
        chunk_records, chunk_lines = _read_chunk(chunk, start)
        chunk_ids = [record.get("id") for record in chunk_records]
        if not all_identifiers(chunk_ids):
            for number, record in enumerate(chunk_records, start=start + 1):
                _record_id(record, f"line {number}")
        ids += chunk_ids
        lines += chunk_lines
        if keep_records:
            records += chunk_records
    sorted_records, sorted_lines = _sorted_unique(ids, records, lines)
    canonical = (sorted_lines is lines and lines == raw_lines
                 and data.endswith(b"\n") == bool(data))
    return ParsedRecords(records=sorted_records, lines=sorted_lines, canonical=canonical)


def _read_chunk(chunk: list[bytes], start: int) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Records and canonical lines of lines [start, start + len(chunk)) of a file."""
    values = _parse_together(chunk)
    if values is None:
        return _parse_each(chunk, start, None, None, set())
    encoded = _encode_each(values)
    check = _lines_to_check(chunk)
    if encoded == chunk and not check:
        # Every line is exactly the canonical JSON of the value it parsed to, so it
        # parses alone to that value and has no duplicate key, and (nothing to check,
        # see `_lines_to_check`) lies in the subset. Only the ids are left.
        return values, chunk
    return _parse_each(chunk, start, values, encoded, check)


def _parse_together(raw_lines: list[bytes]) -> list[Any] | None:
    """All lines parsed by one orjson call as one array, or None (then each line decides).

    Not checked against the subset; a value is only known to be what its line
    alone gives once the line is compared with the value's canonical JSON.
    """
    try:
        values = loads_bounded(b"[" + b",".join(raw_lines) + b"]", MAX_DEPTH)
    except CanonicalError:
        return None
    if not isinstance(values, list) or len(values) != len(raw_lines):
        return None  # e.g. '[1' and '2]' only parse together
    if set(map(type, values)) - {dict}:
        return None  # a line that is not an object: each line decides
    return values


def _encode_each(values: list[Any]) -> list[bytes | None]:
    """The JCS of each value (see `encode_many`); None where it cannot be encoded."""
    try:
        return list(encode_many(values))
    except TypeError:  # an integer beyond 2^53: find which, the others still count
        encoded: list[bytes | None] = []
        for value in values:
            try:
                encoded.append(encode_many([value])[0])
            except TypeError:
                encoded.append(None)
        return encoded


# Byte classes of a line whose canonical re-encoding does not prove it in the subset:
# "df": a digit then ".", "e" or "E" (a float); "a": the lead byte of a character
# outside the BMP (key order by code point is not JCS's UTF-16 order there); "oo",
# "ob" ("[" or "," then "[" or "{") and "cb" (":" then "{"): a container inside an
# array or an object value, so nesting deeper than a flat record (the depth bound).
_CLASSES = bytes(
    ord("d") if 0x30 <= b <= 0x39 else ord("f") if b in b".eE" else ord("a") if b >= 0xF0
    else ord("o") if b in b"[," else ord("b") if b == ord("{") else ord("c") if b == ord(":")
    else ord("_") for b in range(256)
)
_SUSPECT = (b"df", b"a", b"oo", b"ob", b"cb")


def _lines_to_check(chunk: list[bytes]) -> set[int]:
    """Indexes of lines that must be read on their own although they re-encode to themselves.

    Found with byte searches in C over the chunk. A canonical line is outside
    the subset only by holding a float, a key outside the BMP, nesting deeper
    than `MAX_DEPTH`, or a string not in NFC (integers beyond 2^53 do not
    re-encode). Any line where one of the `_SUSPECT` byte classes occurs (in a
    string too: it is only a suspicion) is checked. NFC: canonical JSON escapes
    only '"', '\\' and control characters, none of which composes with
    anything, so when the whole text is NFC every string in it is; otherwise
    every non-ASCII line is checked.
    """
    data = b"\n".join(chunk)
    classes = data.translate(_CLASSES)
    starts: list[int] | None = None
    found: set[int] = set()
    for pattern in _SUSPECT:
        at = classes.find(pattern)
        while at != -1:
            if starts is None:
                starts = list(itertools.accumulate((len(line) + 1 for line in chunk), initial=0))
            line = bisect.bisect_right(starts, at) - 1
            found.add(line)
            at = classes.find(pattern, starts[line + 1])
    if not data.isascii():
        try:
            normal = _is_nfc(data.decode("utf-8"))
        except UnicodeDecodeError:
            normal = False
        if not normal:
            found.update(i for i, line in enumerate(chunk) if not line.isascii())
    return found


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def _parse_each(
    raw_lines: list[bytes], start: int, values: list[Any] | None,
    encoded: list[bytes | None] | None, check: set[int],
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Records and canonical lines; each line not certainly canonical is read on its own
    (in line order, so the first bad line is the one named)."""
    records: list[dict[str, Any]] = []
    lines: list[bytes] = []
    for index, raw in enumerate(raw_lines):
        number = start + index + 1
        if values is not None and encoded is not None and encoded[index] == raw \
                and index not in check:
            record: dict[str, Any] = values[index]
            _record_id(record, f"line {number}")
            line = raw
        else:
            record = _parse_line(raw, number)
            line = canonical_json(record)
        records.append(record)
        lines.append(line)
    return records, lines


def _parse_line(raw: bytes, number: int) -> dict[str, Any]:
    if not raw.strip():
        raise SnapshotFormatError("empty line", line=number)
    try:
        value = parse_json(raw, max_size=len(raw))
    except CanonicalError as exc:
        raise SnapshotFormatError(str(exc), line=number) from exc
    if not isinstance(value, dict):
        raise SnapshotFormatError("a record must be a JSON object", line=number)
    _record_id(value, f"line {number}")
    return value


def snapshot_entry(
    snapshot: Snapshot, *, previous: Snapshot | None, publish: str = "at_announce"
) -> dict[str, Any]:
    """The `registry.snapshot` log entry (DESIGN §4 Entries) for `snapshot`."""
    if publish not in PUBLISH_MODES:
        raise SnapshotFormatError(f"publish must be one of {', '.join(PUBLISH_MODES)}")
    if previous is not None and previous.kind != snapshot.kind:
        raise SnapshotFormatError(
            f"previous snapshot {previous.name} is of kind {previous.kind}, not {snapshot.kind}"
        )
    diff = (first_entry_diff(snapshot.count) if previous is None
            else entry_diff(diff_lines(_id_lines(previous), _id_lines(snapshot))))
    return {
        "type": "registry.snapshot",
        "v": 1,
        "snapshot": snapshot.name,
        "kind": snapshot.kind,
        "root": snapshot.root_hex,
        "count": snapshot.count,
        "prev": previous.name if previous else None,
        "diff": diff,
        "publish": publish,
    }


def _id_lines(snapshot: Snapshot) -> tuple[list[str], tuple[bytes, ...]]:
    """(ids, canonical lines) of a snapshot: its lines are not encoded again."""
    return [r["id"] for r in snapshot.records], snapshot.lines


def check_snapshot(
    kind: str, *, root: str, count: int, records: Iterable[Mapping[str, Any]]
) -> None:
    """Raise `SnapshotMismatchError` unless `records` have exactly this root and count."""
    _sorted, lines = canonical_records(records)
    check_root(kind, root=root, count=count, lines=lines)


def check_root(kind: str, *, root: str, count: int, lines: list[bytes]) -> None:
    """Like `check_snapshot`, for records already in canonical, sorted form."""
    check_parsed(kind, root=root, count=count,
                 parsed=ParsedRecords(records=[], lines=lines, canonical=True))


def check_parsed(kind: str, *, root: str, count: int, parsed: ParsedRecords) -> None:
    """Like `check_root`, for a `parse_records` result (its root may be known already)."""
    if len(parsed.lines) != count:
        raise SnapshotMismatchError("record count differs from the announce", kind=kind,
                                    expected=count, computed=len(parsed.lines))
    computed = parsed.root().hex()
    if computed != root:
        raise SnapshotMismatchError("snapshot root differs from the announce", kind=kind,
                                    expected=root, computed=computed)

"""Registry snapshots (DESIGN §4 Snapshots): public records, root, JSON Lines, diff.

A snapshot is the list of public records of one kind (`units`, `inspectors`,
`experts`) sorted by `id` in byte order, with no duplicate ids. Its root is the
RFC 9162 Merkle root (`transparency.merkle`) over the canonical JSON (RFC 8785)
of each record. The records file is JSON Lines: one canonical record per line,
each line ending in "\\n", in root order, so line i is leaf i byte for byte.

Private fields (`PRIVATE_FIELDS`, and any field whose name starts with
`private_`) are dropped by `public_record` and never enter a snapshot.

Pure: building the `registry.snapshot` log entry is here (its diff is
`draw_engine.registry_diff`), appending it to a log and storing registry
versions is the lifecycle's and storage's job.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from draw_engine.canonical import (
    DEFAULT_MAX_SIZE,
    canonical_json,
    check_value,
    encode_ascii_keys,
    gc_paused,
    is_identifier,
    parse_json,
    parse_json_texts,
    str_ids_are_identifiers,
)
from draw_engine.errors import CanonicalError, SnapshotFormatError, SnapshotMismatchError
from draw_engine.registry_diff import diff_lines, entry_diff, first_entry_diff
from draw_engine.snapshot_fast import (
    lines_root,
    read_canonical_file,
    two_process_read,
    two_process_root,
)

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
    # Same test as `is_private_field`, inlined: this runs once per field of every record.
    return {key: value for key, value in record.items()
            if key not in PRIVATE_FIELDS and not key.startswith(PRIVATE_PREFIX)}


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
    """Sort records by id (byte order), refuse duplicates, return them with their JCS bytes."""
    keyed: list[tuple[bytes, dict[str, Any], bytes]] = []
    with gc_paused():
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise SnapshotFormatError(f"record {i} is not an object")
            record_id = _record_id(record, f"record {i}")
            copy = dict(record)
            try:
                line = canonical_json(copy)
            except CanonicalError as exc:
                raise SnapshotFormatError(f"record {record_id}: {exc}") from exc
            keyed.append((record_id.encode("ascii"), copy, line))
    return _sorted_unique(keyed)


def _sorted_unique(
    keyed: list[tuple[bytes, dict[str, Any], bytes]],
) -> tuple[list[dict[str, Any]], list[bytes]]:
    keyed.sort(key=lambda item: item[0])
    for before, after in itertools.pairwise(keyed):
        if before[0] == after[0]:
            # SPEC(DESIGN §4): no duplicate ids.
            raise SnapshotFormatError(f"duplicate id {before[0].decode()!r}")
    return [item[1] for item in keyed], [item[2] for item in keyed]


def records_root(lines: Iterable[bytes]) -> bytes:
    """SPEC(DESIGN §4): RFC 9162 root over the canonical JSON of each record, in id order."""
    return lines_root(lines)


def make_snapshot(name: str, kind: str, records: Iterable[Mapping[str, Any]]) -> Snapshot:
    """Project records to public, sort, check and hash them."""
    if not is_identifier(name):
        raise SnapshotFormatError(f"snapshot name {name!r} is not an ASCII identifier")
    if kind not in KINDS:
        raise SnapshotFormatError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    with gc_paused():
        public = _public_records(records)
        bulk = _canonical_fresh_records(public)
        sorted_records, lines = bulk if bulk is not None else canonical_records(public)
    return Snapshot(name=name, kind=kind, records=tuple(sorted_records), lines=tuple(lines),
                    root=records_root(lines))


def _public_records(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`[public_record(r) for r in records]`, testing each distinct key list only once.

    Speed only: records of one registry mostly share their keys, so which keys
    are private is remembered per key tuple; a record is then copied in C and
    its private keys deleted, which leaves the same dict, in the same order.
    """
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


def _canonical_fresh_records(
    public: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[bytes]] | None:
    """`canonical_records(public)` for fresh dicts in the common case, else None.

    Speed only: one `check_value` over the whole list and one id check for all
    records instead of a few calls per record, and no copy (the public records
    are new dicts already). None (then `canonical_records` runs and names the
    first bad record exactly) when any record is not a plain dict with an
    identifier id, or any value is outside the subset or has a non-ASCII key.
    """
    try:
        if set(map(type, public)) - {dict} or not check_value(public):
            return None
    except CanonicalError:
        return None
    ids: list[Any] = [record.get("id") for record in public]
    if not str_ids_are_identifiers(ids):
        return None
    lines = [encode_ascii_keys(record) for record in public]
    keyed = list(zip([i.encode("ascii") for i in ids], public, lines, strict=True))
    return _sorted_unique(keyed)


def format_records(snapshot: Snapshot) -> bytes:
    """The JSON Lines records file: one canonical record per line, "\\n" after each."""
    if not snapshot.lines:
        return b""
    return b"\n".join(snapshot.lines) + b"\n"  # (one join: no copy of each line)


@dataclass(frozen=True)
class ParsedRecords:
    records: list[dict[str, Any]]
    """Sorted by id."""
    lines: list[bytes]
    """Canonical JSON of each record, in the same order: the Merkle leaves."""
    canonical: bool
    """True when the file is exactly `format_records` of its records (sorted, canonical)."""
    known_root: bytes | None = field(default=None, compare=False, repr=False)
    """`records_root(lines)` when already computed (by the two-process reading)."""

    @property
    def count(self) -> int:
        return len(self.records)

    def root(self) -> bytes:
        return self.known_root if self.known_root is not None else records_root(self.lines)


def parse_records(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, processes: int = 1
) -> ParsedRecords:
    """Read a JSON Lines records file. Each non-empty line is one JSON object.

    Order and per-line formatting are not required to be canonical (the root
    is computed over canonical records anyway); `ParsedRecords.canonical` says
    whether they were. Duplicate ids are refused.

    `processes=2` (speed only, what the CLI passes): a big canonical file is
    checked in two processes, see `_two_process_parse`; same result.
    """
    if len(data) > max_size:
        raise SnapshotFormatError(f"file is {len(data)} bytes, more than the limit {max_size}")
    with gc_paused():
        if processes > 1:
            parsed = _two_process_parse(data)
            if parsed is not None:
                return parsed
        return _parse_records(data, max_size)


def _parse_records(data: bytes, max_size: int) -> ParsedRecords:
    fast = _parse_canonical_file(data)
    if fast is not None:
        return fast
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    # Speed only: parse all lines in one pass, then accept a value only where its line is
    # exactly its canonical JSON (so that line alone parses to it); every other line is
    # parsed on its own below, which gives the same records and the same errors.
    values = _parse_all(data, len(raw_lines)) or [None] * len(raw_lines)
    keyed: list[tuple[bytes, dict[str, Any], bytes]] = []
    for number, (raw, parsed) in enumerate(zip(raw_lines, values, strict=True), start=1):
        line = _canonical_line(parsed)
        if line is not None and line == raw:
            record: dict[str, Any] = parsed
        else:
            record = _parse_line(raw, number, max_size)
            line = canonical_json(record)
        keyed.append((_record_id(record, f"line {number}").encode("ascii"), record, line))
    sorted_records, lines = _sorted_unique(keyed)
    canonical = (b"\n".join(lines) + b"\n" if lines else b"") == data
    return ParsedRecords(records=sorted_records, lines=lines, canonical=canonical)


def records_file_root(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, processes: int = 1
) -> tuple[bytes, int, bool]:
    """(root, record count, canonical) of a records file: what `parse_records` gives.

    With `processes=2` (the CLI passes it) a canonical file of at least
    `PARALLEL_MIN_LINES` lines is checked and hashed in two processes (speed
    only): RFC 9162 splits n leaves at k, the largest power of two below n, so
    a forked child checks lines [0, k) and computes their subtree root while
    this process does lines [k, n); then root = SHA-256(0x01 || left || right),
    once the child's last id sorts before this half's first id. Anything else
    (a half that is not certainly canonical, no fork, other threads running,
    the child failing) falls back to `parse_records` in this process, which
    gives the same answer or the same error. Deterministic: the root does not
    depend on how the work was split.
    """
    if len(data) > max_size:
        raise SnapshotFormatError(f"file is {len(data)} bytes, more than the limit {max_size}")
    if processes > 1:
        found = two_process_root(data)
        if found is not None:
            return found
    parsed = parse_records(data, max_size=max_size)
    return parsed.root(), parsed.count, parsed.canonical


def _parse_canonical_file(data: bytes) -> ParsedRecords | None:
    """`read_canonical_file` as `ParsedRecords` (speed only; see snapshot_fast)."""
    found = read_canonical_file(data)
    if found is None:
        return None
    return ParsedRecords(records=found[0], lines=found[1], canonical=True)


def _two_process_parse(data: bytes) -> ParsedRecords | None:
    found = two_process_read(data)
    if found is None:
        return None
    records, lines, root = found
    return ParsedRecords(records=records, lines=lines, canonical=True, known_root=root)


def _parse_all(data: bytes, count: int) -> list[Any] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    texts = text.split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    values = parse_json_texts(texts)
    return values if values is not None and len(values) == count else None


def _canonical_line(value: object) -> bytes | None:
    """The canonical JSON of a record that is fit for a snapshot, else None."""
    if not isinstance(value, dict) or not is_identifier(value.get("id")):
        return None
    try:
        return canonical_json(value)
    except CanonicalError:
        return None


def _parse_line(raw: bytes, number: int, max_size: int) -> dict[str, Any]:
    if not raw.strip():
        raise SnapshotFormatError("empty line", line=number)
    try:
        value = parse_json(raw, max_size=max_size)
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

"""The log's entries, one typed model for every reader (DESIGN §4 "Log", "Entries").

Every leaf of the log is the canonical JSON (RFC 8785) of an object with
`"type"` and `"v": 1`. `parse_entry` is the one parser (strict: our JSON
subset, canonical bytes), `entry_type` the one classifier, and the small
frozen views below (`AnnounceRef`, `ClosingRef`, `OutcomeRef`, `SnapshotRef`,
`SnapshotDiffRef`) are what the lifecycle's log index, the portal builder and the verifiers read
from an entry. The browser twin of this module is
`public_portal/static/js/entries.js` (same names, same messages).

Deliberately left out: the full structural check of an announce (that is
`draw_engine.announce.parse_announce`) and of a result (a verifier rebuilds the
expected result entry and compares bytes). The views check only the fields
they expose, each refusal an `EntryError` naming the field. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from draw_engine.canonical import canonical_json, parse_json
from draw_engine.errors import EntryError

SNAPSHOT = "registry.snapshot"
ANNOUNCE = "draw.announce"
RESULT = "draw.result"
CANCEL = "draw.cancel"
OUTCOME = "inspection.outcome"
ENTRY_TYPES = (SNAPSHOT, ANNOUNCE, RESULT, CANCEL, OUTCOME)
"""SPEC(DESIGN §4): the entry types of the log, in lifecycle order."""

_RFC3339_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_entry(data: bytes) -> dict[str, Any]:
    """SPEC(DESIGN §4): an entry is the canonical JSON of an object with "type" and "v": 1."""
    try:
        value = parse_json(data, max_size=len(data) + 1)
    except ValueError as e:
        raise EntryError(f"log entry is not JSON in our subset: {e}") from e
    if not isinstance(value, dict) or not isinstance(value.get("type"), str) or value.get("v") != 1:
        raise EntryError('log entry is not an object with "type" and "v": 1')
    if canonical_json(value) != data:
        raise EntryError("log entry is not canonical JSON (RFC 8785)")
    return value


def entry_type(entry: bytes | Mapping[str, Any] | None) -> str | None:
    """The type of an entry (one of ENTRY_TYPES), or None for anything else.

    Bytes are parsed with `parse_entry` first: bytes it refuses, objects whose
    type is not one of ENTRY_TYPES and objects without `"v": 1` are None.
    """
    if isinstance(entry, bytes | bytearray):
        try:
            entry = parse_entry(bytes(entry))
        except EntryError:
            return None
    if not isinstance(entry, Mapping) or entry.get("v") != 1:
        return None
    kind = entry.get("type")
    return kind if isinstance(kind, str) and kind in ENTRY_TYPES else None


def quote(value: object) -> str:
    """A value as JSON text, the way errors quote it (same as JSON.stringify in the JS)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_utc_seconds(text: object, *, field: str | None = None) -> int:
    """RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" -> POSIX seconds (the only form our entries use).

    Strict: exactly that form, a real calendar time (no leap second, no 02-30)."""
    if isinstance(text, str) and _RFC3339_UTC.fullmatch(text):
        y, mo, d, h, mi, s = (int(text[a:b]) for a, b in _FIELDS)
        try:  # the regex fixes the width of every field, datetime checks the calendar
            parsed = dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.UTC)
        except ValueError:
            pass
        else:
            return int((parsed - _EPOCH).total_seconds())
    raise EntryError(f"{quote(text)} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)", field=field)


def format_utc(seconds: int) -> str:
    """POSIX seconds -> "YYYY-MM-DDTHH:MM:SSZ" (the inverse of parse_utc_seconds)."""
    t = _EPOCH + dt.timedelta(seconds=seconds)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def is_index(value: object) -> bool:
    """A leaf index: a non-negative int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- typed views ---------------------------------------------------------------------------


def _field(entry: Mapping[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise EntryError(f"{entry.get('type')} entry has no {path}", field=path)
        value = value[part]
    return value


def _text(entry: Mapping[str, Any], path: str) -> str:
    value = _field(entry, path)
    if not isinstance(value, str):
        raise EntryError(f"{entry.get('type')} entry: {path} must be a string", field=path)
    return value


def _count(entry: Mapping[str, Any], path: str) -> int:
    value = _field(entry, path)
    if not is_index(value):
        raise EntryError(f"{entry.get('type')} entry: {path} must be an integer >= 0", field=path)
    return int(value)


def _expect(entry: Mapping[str, Any], *kinds: str) -> None:
    if entry_type(entry) not in kinds:
        raise EntryError(f"entry is a {quote(entry.get('type'))}, not a {' or '.join(kinds)}")


def announce_round_time(entry: Mapping[str, Any]) -> int:
    """The announce's `beacon.round_time` in POSIX seconds (strict RFC 3339 UTC)."""
    return parse_utc_seconds(_field(entry, "beacon.round_time"), field="beacon.round_time")


@dataclass(frozen=True)
class AnnounceRef:
    """What readers other than draw-v1 need from a `draw.announce`."""

    draw_id: str
    kind: str
    beacon_round: int
    round_time: int
    supersedes: str | None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> AnnounceRef:
        _expect(entry, ANNOUNCE)
        supersedes = entry.get("supersedes")
        if supersedes is not None and not isinstance(supersedes, str):
            raise EntryError("draw.announce entry: supersedes must be a draw id or null",
                             field="supersedes")
        return cls(_text(entry, "draw_id"), _text(entry, "kind"),
                   _count(entry, "beacon.round"), announce_round_time(entry), supersedes)


@dataclass(frozen=True)
class ClosingRef:
    """A `draw.result` or `draw.cancel`: the entry that closes one announce."""

    type: str
    draw_id: str
    announce_index: int

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> ClosingRef:
        _expect(entry, RESULT, CANCEL)
        return cls(str(entry["type"]), _text(entry, "draw_id"), _count(entry, "announce_index"))


@dataclass(frozen=True)
class OutcomeRef:
    """An `inspection.outcome`: one unit's inspection result for a draw. `supersedes` is the
    leaf index of the earlier outcome this one corrects (absent: not a correction)."""

    draw_id: str
    unit_id: str
    date: str
    result: str
    supersedes: int | None = None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> OutcomeRef:
        _expect(entry, OUTCOME)
        supersedes = entry.get("supersedes")
        if supersedes is not None and not is_index(supersedes):
            raise EntryError("inspection.outcome entry: supersedes must be the leaf index of "
                             "an earlier outcome", field="supersedes")
        return cls(_text(entry, "draw_id"), _text(entry, "unit_id"), _text(entry, "date"),
                   _text(entry, "result"), supersedes)


@dataclass(frozen=True)
class SnapshotRef:
    """A `registry.snapshot`: the name, kind, root and size of a logged snapshot."""

    snapshot: str
    kind: str
    root: str
    count: int

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> SnapshotRef:
        _expect(entry, SNAPSHOT)
        return cls(_text(entry, "snapshot"), _text(entry, "kind"), _text(entry, "root"),
                   _count(entry, "count"))


# -- registry.snapshot diff (docs/spec/registry-diff.md) -----------------------------------

_SHA256_HEX = re.compile(r"[0-9a-f]{64}", re.ASCII)
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
DIFF_ID_LISTS = ("added", "removed", "retired", "reactivated")


@dataclass(frozen=True)
class DiffIds:
    """The ids document of a snapshot diff: inline `diff.ids`, or the `<name>.diff.json` file."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]
    """(id, changed attribute names) per changed record."""
    retired: tuple[str, ...]
    reactivated: tuple[str, ...]

    def left_pool(self) -> tuple[str, ...]:
        """Removed or retired ids, sorted: the records that left the pool."""
        return tuple(sorted({*self.removed, *self.retired}))


def _id_list(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise EntryError(f"diff ids: {path} must be a list", field=path)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _ID.fullmatch(item):
            raise EntryError(f"diff ids: {path}[{i}] {quote(item)} is not an identifier",
                             field=path)
        if i and value[i - 1] >= item:
            raise EntryError(f"diff ids: {path} is not sorted by id without repeats "
                             f"({quote(value[i - 1])} then {quote(item)})", field=path)
    return tuple(value)


def parse_diff_ids(value: object, counts: Mapping[str, int] | None = None) -> DiffIds:
    """Check an ids document; with `counts`, its list lengths must equal them."""
    names = {"added", "removed", "changed", "retired", "reactivated"}
    if not isinstance(value, Mapping) or set(value) != names:
        raise EntryError("diff ids must be an object with exactly added, removed, changed, "
                         "retired, reactivated", field="diff.ids")
    lists = {name: _id_list(value[name], f"diff.ids.{name}") for name in DIFF_ID_LISTS}
    raw = value["changed"]
    if not isinstance(raw, list):
        raise EntryError("diff ids: diff.ids.changed must be a list", field="diff.ids.changed")
    changed: list[tuple[str, tuple[str, ...]]] = []
    for i, item in enumerate(raw):
        where = f"diff.ids.changed[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"id", "fields"}:
            raise EntryError(f"diff ids: {where} must be an object with exactly id, fields",
                             field="diff.ids.changed")
        fields = item["fields"]
        if (not isinstance(fields, list) or not fields
                or not all(isinstance(f, str) and f for f in fields)
                or any(a >= b for a, b in itertools.pairwise(fields))):
            raise EntryError(f"diff ids: {where}.fields must be a non-empty sorted list of "
                             "attribute names without repeats", field="diff.ids.changed")
        changed.append((item["id"], tuple(fields)))
    _id_list([c[0] for c in changed], "diff.ids.changed")
    changed_ids = {c[0] for c in changed}
    for name in ("retired", "reactivated"):
        stray = [i for i in lists[name] if i not in changed_ids]
        if stray:
            raise EntryError(f"diff ids: {name} id {quote(stray[0])} is not a changed id",
                             field=f"diff.ids.{name}")
    both = set(lists["retired"]) & set(lists["reactivated"])
    if both:
        raise EntryError(f"diff ids: {quote(min(both))} is both retired and reactivated",
                         field="diff.ids.retired")
    if counts is not None:
        for name, length in (("added", len(lists["added"])), ("removed", len(lists["removed"])),
                             ("changed", len(changed))):
            if counts[name] != length:
                raise EntryError(f"diff ids: {length} {name} ids, but diff.{name} is "
                                 f"{counts[name]}", field=f"diff.{name}")
    return DiffIds(lists["added"], lists["removed"], tuple(changed), lists["retired"],
                   lists["reactivated"])


@dataclass(frozen=True)
class SnapshotDiffRef:
    """The `diff` of a `registry.snapshot`: counts, and the ids inline or by their hash.

    Entries written before issue 18 carry the counts only: `ids` and `ids_sha256` None.
    """

    added: int
    removed: int
    changed: int
    ids: DiffIds | None
    ids_sha256: str | None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> SnapshotDiffRef:
        _expect(entry, SNAPSHOT)
        diff = _field(entry, "diff")
        if not isinstance(diff, Mapping):
            raise EntryError("registry.snapshot entry: diff must be an object", field="diff")
        extra = set(diff) - {"added", "removed", "changed", "ids", "ids_sha256"}
        if extra:
            raise EntryError(f"registry.snapshot entry: unknown diff field "
                             f"{quote(min(extra))}", field="diff")
        counts = {name: _count(entry, f"diff.{name}") for name in ("added", "removed", "changed")}
        if "ids" in diff and "ids_sha256" in diff:
            raise EntryError("registry.snapshot entry: diff has both ids and ids_sha256",
                             field="diff")
        ids = parse_diff_ids(diff["ids"], counts) if "ids" in diff else None
        digest = diff.get("ids_sha256")
        if "ids_sha256" in diff and (not isinstance(digest, str)
                                     or not _SHA256_HEX.fullmatch(digest)):
            raise EntryError("registry.snapshot entry: diff.ids_sha256 must be 64 lowercase "
                             "hex digits", field="diff.ids_sha256")
        return cls(counts["added"], counts["removed"], counts["changed"], ids, digest)

    def check_ids_file(self, data: bytes) -> DiffIds:
        """The published ids document of an entry with `ids_sha256`, checked against it."""
        if self.ids_sha256 is None:
            raise EntryError("this diff has no ids_sha256: its ids are inline or not logged")
        computed = hashlib.sha256(data).hexdigest()
        if computed != self.ids_sha256:
            raise EntryError(f"diff ids file has SHA-256 {computed}, the entry says "
                             f"{self.ids_sha256}", field="diff.ids_sha256")
        try:
            value = parse_json(data, max_size=len(data) + 1)
        except ValueError as e:
            raise EntryError(f"diff ids file is not JSON in our subset: {e}") from e
        if canonical_json(value) != data:
            raise EntryError("diff ids file is not canonical JSON (RFC 8785)")
        return parse_diff_ids(value, {"added": self.added, "removed": self.removed,
                                      "changed": self.changed})

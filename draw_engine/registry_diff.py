"""The diff between two registry snapshots (DESIGN §4 Entries, `registry.snapshot`).

Pure: no I/O. A diff compares two snapshots of one kind by record id: ids
only in the newer one are *added*, ids only in the older one are *removed*,
ids in both whose canonical JSON (RFC 8785) differs are *changed*, each with
the names of the attributes whose values differ. Two subsets of the changed
ids say who left or re-entered the pool while staying listed: *retired*
(`status` was `active`, is no longer) and *reactivated* (the reverse). A
unit leaves the pool when it is removed or retired; that is where a draw
could be steered without touching the randomness (issue 18.3), so the ids
are published, not only the counts (docs/spec/registry-diff.md).

One code path: `diff_lines` compares canonical lines keyed by id;
`diff_records` canonicalises records and calls it; the `registry.snapshot`
entry (`draw_engine.snapshot.snapshot_entry`) passes the lines its snapshots
already hold and puts `entry_diff` in the entry.

Size: a log entry holds at most 65,535 bytes (tlog-tiles), a 1M-unit
registry can change by far more ids than that holds. `entry_diff` puts the
ids in the entry (`ids`) while their canonical JSON is at most
`INLINE_IDS_LIMIT` bytes, else only its SHA-256 (`ids_sha256`); the ids
document itself is then published beside the snapshot files
(`data/snapshots/<name>.diff.json`) and checked against that hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from draw_engine.canonical import canonical_json, parse_json

INLINE_IDS_LIMIT = 49_152
"""Bytes of canonical ids JSON that stay in the entry (the entry's other fields are < 1 KiB)."""
ACTIVE = "active"


@dataclass(frozen=True)
class ChangedRecord:
    id: str
    fields: tuple[str, ...]
    """Attribute names whose values differ (present in one record only counts), sorted."""


@dataclass(frozen=True)
class SnapshotDiff:
    """Ids of a diff, each list sorted by id (byte order)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ChangedRecord, ...]
    retired: tuple[str, ...]
    """Changed ids whose `status` was "active" and is not any more."""
    reactivated: tuple[str, ...]
    """Changed ids whose `status` is "active" again."""

    def counts(self) -> dict[str, int]:
        """The counts of the diff (the v1 `diff` fields every entry has)."""
        return {"added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed)}

    def ids_json(self) -> dict[str, Any]:
        """The ids document: inline as `diff.ids`, or the file whose hash is `ids_sha256`."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [{"id": c.id, "fields": list(c.fields)} for c in self.changed],
            "retired": list(self.retired),
            "reactivated": list(self.reactivated),
        }

    def left_pool(self) -> tuple[str, ...]:
        """Ids that left the pool of active records: removed or retired, sorted."""
        return tuple(sorted({*self.removed, *self.retired}, key=_id_key))


def _id_key(record_id: str) -> bytes:
    return record_id.encode("ascii")


def diff_lines(
    previous: tuple[Sequence[str], Sequence[bytes]] | None,
    current: tuple[Sequence[str], Sequence[bytes]],
) -> SnapshotDiff:
    """The diff of two snapshots given as (ids, canonical lines), line i the record of id i.

    `previous` None is the first snapshot of a kind: every record is added.
    Only the lines of changed ids are parsed again (to name their changed fields).
    """
    before = dict(zip(previous[0], previous[1], strict=True)) if previous is not None else {}
    after = dict(zip(current[0], current[1], strict=True))
    added = sorted((i for i in after if i not in before), key=_id_key)
    removed = sorted((i for i in before if i not in after), key=_id_key)
    changed: list[ChangedRecord] = []
    retired: list[str] = []
    reactivated: list[str] = []
    for record_id in sorted((i for i in after if i in before and before[i] != after[i]),
                            key=_id_key):
        old, new = parse_json(before[record_id]), parse_json(after[record_id])
        if not isinstance(old, dict) or not isinstance(new, dict):
            raise ValueError(f"record {record_id!r}: a snapshot line is not a JSON object")
        fields = sorted(k for k in {*old, *new} if k not in old or k not in new
                        or canonical_json(old[k]) != canonical_json(new[k]))
        changed.append(ChangedRecord(record_id, tuple(fields)))
        was, now = old.get("status") == ACTIVE, new.get("status") == ACTIVE
        if was and not now:
            retired.append(record_id)
        elif now and not was:
            reactivated.append(record_id)
    return SnapshotDiff(tuple(added), tuple(removed), tuple(changed), tuple(retired),
                        tuple(reactivated))


def diff_records(
    previous: Iterable[Mapping[str, Any]], current: Iterable[Mapping[str, Any]]
) -> SnapshotDiff:
    """`diff_lines` of two lists of records (canonicalised here)."""
    def keyed(records: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[bytes]]:
        pairs = [(str(r["id"]), canonical_json(dict(r))) for r in records]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return diff_lines(keyed(previous), keyed(current))


def format_ids(diff: SnapshotDiff) -> bytes:
    """The ids document as published (`<name>.diff.json`): its canonical JSON."""
    return canonical_json(diff.ids_json())


def entry_diff(diff: SnapshotDiff, *, inline_limit: int | None = None) -> dict[str, Any]:
    """The `diff` field of a `registry.snapshot` entry with a `prev` (docs/spec/registry-diff.md).

    The counts, then `ids` (the ids document) when its canonical JSON is at most
    `inline_limit` (default `INLINE_IDS_LIMIT`) bytes, else `ids_sha256` (lowercase
    hex SHA-256 of `format_ids`).
    """
    document = format_ids(diff)
    out: dict[str, Any] = diff.counts()
    if len(document) <= (INLINE_IDS_LIMIT if inline_limit is None else inline_limit):
        out["ids"] = diff.ids_json()
    else:
        out["ids_sha256"] = hashlib.sha256(document).hexdigest()
    return out


def first_entry_diff(count: int) -> dict[str, Any]:
    """The `diff` of the first snapshot of a kind (`prev` null): the counts only.

    Every record is added and its records file is the list; an `after_inspection`
    snapshot's ids must not be published before its records.
    """
    return {"added": count, "removed": 0, "changed": 0}


def logged_diff_differences(
    computed: SnapshotDiff, counts: Mapping[str, int], ids: Mapping[str, Any] | None
) -> list[str]:
    """How a logged diff (its counts, and its ids document when logged) differs from the
    diff recomputed from the two snapshots' records; [] when it says exactly that.

    `ids` is the ids document as JSON (`SnapshotDiff.ids_json` shape), None for an entry
    with counts only."""
    out = [f"{name}: logged {counts.get(name)}, recomputed {n}"
           for name, n in computed.counts().items() if counts.get(name) != n]
    if ids is not None:
        want = computed.ids_json()
        for name in ("added", "removed", "changed", "retired", "reactivated"):
            if ids.get(name) != want[name]:
                out.append(f"{name} ids differ from the records: logged {len(ids.get(name) or [])}"
                           f", recomputed {len(want[name])}")
    return out

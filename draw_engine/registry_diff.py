"""The diff between two registry snapshots (DESIGN §4 Entries, `registry.snapshot`).

Pure: no I/O. A diff compares two snapshots of one kind by record id: ids
only in the newer one are added, ids only in the older one are removed, ids
in both whose canonical JSON (RFC 8785) differs are changed.

One code path: `diff_lines` compares canonical lines keyed by id;
`diff_records` canonicalises records and calls it; the `registry.snapshot`
entry (`draw_engine.snapshot.snapshot_entry`) passes the lines its snapshots
already hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from draw_engine.canonical import canonical_json


@dataclass(frozen=True)
class SnapshotDiff:
    added: int
    removed: int
    changed: int

    def as_json(self) -> dict[str, int]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def diff_lines(
    previous: tuple[Sequence[str], Sequence[bytes]] | None,
    current: tuple[Sequence[str], Sequence[bytes]],
) -> SnapshotDiff:
    """The diff of two snapshots given as (ids, canonical lines), line i the record of id i.

    `previous` None is the first snapshot of a kind: every record is added.
    """
    if previous is None:
        return SnapshotDiff(added=len(current[0]), removed=0, changed=0)
    before = dict(zip(previous[0], previous[1], strict=True))
    after = dict(zip(current[0], current[1], strict=True))
    return SnapshotDiff(
        added=sum(1 for i in after if i not in before),
        removed=sum(1 for i in before if i not in after),
        changed=sum(1 for i in after if i in before and before[i] != after[i]),
    )


def diff_records(
    previous: Iterable[Mapping[str, Any]], current: Iterable[Mapping[str, Any]]
) -> SnapshotDiff:
    """`diff_lines` of two lists of records (canonicalised here)."""
    def keyed(records: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[bytes]]:
        pairs = [(str(r["id"]), canonical_json(dict(r))) for r in records]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return diff_lines(keyed(previous), keyed(current))

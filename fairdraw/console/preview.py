"""What importing a registry file would change, before anything is written (issue 17).

`preview_import(service, kind, data, fmt=…)` runs the import's own steps
(`draw_engine.registry.import_registry` for parsing and every row check,
`next_version` for carrying absent records forward as retired) against the
latest stored version of `kind`, and answers what the commit
(`POST /api/registries/{kind}/import`, then `POST /api/snapshots`) would do:

- `added`: ids the registry did not have;
- `removed`: ids that were active and would not be any more (absent from the
  file, so carried forward as defunct/inactive, or marked so in it);
- `changed`: ids in both whose record differs otherwise, with the changed
  field names (private fields such as phone numbers count: the operator sees
  them, the snapshot diff in the log does not);
- the mass-removal guard, as the import itself judges it
  (`draw_engine.registry_versions.check_removal`, same rule and setting): whether
  the commit needs `allow_mass_removal`.

A file with row errors raises the import's `ValidationError` (every problem by
row and column); the router answers it 400 like the import does. Nothing is
written either way. Left out: merging several files (issue 18).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import MassRemovalError
from draw_engine.registry import RegistryVersion, import_registry, next_version
from draw_engine.registry_versions import check_removal, read_jsonl

LIST_LIMIT = 1000
"""Ids listed per category; the totals are always exact."""


@dataclass(frozen=True)
class ImportPreview:
    kind: str
    version: int
    count: int
    source_sha256: str
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]
    totals: dict[str, int]
    mass_removal: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "count": self.count,
                "source_sha256": self.source_sha256, "added": self.added,
                "removed": self.removed, "changed": self.changed, "totals": self.totals,
                "list_limit": LIST_LIMIT, "mass_removal": self.mass_removal}


def _active(record: Mapping[str, Any]) -> bool:
    return record.get("status") == "active"


def _named(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": str(record["id"]), "name": str(record.get("name", ""))}


def preview_import(service: DrawService, kind: str, data: bytes, *, fmt: str) -> ImportPreview:
    """The preview of importing `data` as the next version of `kind` (see the module doc)."""
    imported = import_registry(data, kind=kind, fmt=fmt)  # raises ValidationError
    with service.store.transaction() as tx:
        stored = tx.latest_version(kind)
    prev = None
    if stored is not None:
        prev = RegistryVersion(kind, stored.version, tuple(read_jsonl(stored.records)))
    version = next_version(prev, imported, kind=kind)
    before = {str(r["id"]): r for r in prev.records} if prev is not None else {}
    added, removed, changed = [], [], []
    for record in version.records:
        rid = str(record["id"])
        old = before.get(rid)
        if old is None:
            added.append(_named(record))
        elif _active(old) and not _active(record):
            removed.append({**_named(record), "status": record.get("status")})
        elif old != record:
            fields = sorted(k for k in {*old, *record} if old.get(k) != record.get(k))
            changed.append({**_named(record), "fields": fields})
    listed = {str(r["id"]) for r in imported}
    for item in removed:  # absent from the file (carried forward retired) or marked so in it
        item["absent"] = item["id"] not in listed
    limit = service.settings.mass_removal_percent
    active = sum(1 for r in before.values() if _active(r))
    guard: dict[str, Any] = {"limit_percent": limit, "active": active,
                             "retired": len(removed), "exceeded": False}
    if prev is not None:
        try:
            check_removal(prev, version, limit)
        except MassRemovalError as e:
            guard.update(exceeded=True, active=e.active, retired=e.retired, message=str(e))
    return ImportPreview(
        kind=kind, version=version.version, count=len(version.records),
        source_sha256=hashlib.sha256(data).hexdigest(),
        added=added[:LIST_LIMIT], removed=removed[:LIST_LIMIT], changed=changed[:LIST_LIMIT],
        totals={"added": len(added), "removed": len(removed), "changed": len(changed),
                "unchanged": len(version.records) - len(added) - len(removed) - len(changed)},
        mass_removal=guard)

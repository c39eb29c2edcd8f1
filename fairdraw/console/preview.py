"""What importing a registry file would change, before anything is written (issue 17).

`preview_registry_import(service, kind, data, fmt=…, source_name=…)` is the use
case behind `POST /api/registries/{kind}/preview`: it reads the latest stored
version of `kind` and asks `draw_engine.registry_sources.preview_import` (the
import's own parsing, merging and `next_version`, issue 18) what the commit
(`POST /api/registries/{kind}/import`, then `POST /api/snapshots`) would do:
added, removed (dropped from the file), changed (with the changed field
names) and retired (leaving the pool: removed ones and those the file marks
defunct/inactive) ids with names, and every row error (then nothing else).
Added here: the file's SHA-256, and the mass-removal guard as the import
judges it (`draw_engine.registry_versions.check_removal`, same rule, same
setting): whether the commit needs `allow_mass_removal`.

Nothing is written. Left out: several files and mapping files at once (the
console sends one file; `fairdraw registry import` takes several).
"""

from __future__ import annotations

import hashlib
from typing import Any

from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import MassRemovalError
from draw_engine.registry import RegistryVersion
from draw_engine.registry_sources import ImportSource, next_version_from_sources, preview_import
from draw_engine.registry_versions import check_removal, read_jsonl


def preview_registry_import(service: DrawService, kind: str, data: bytes, *, fmt: str,
                            source_name: str = "upload") -> dict[str, Any]:
    """The preview as JSON (see the module docstring)."""
    with service.store.transaction() as tx:
        stored = tx.latest_version(kind)
    prev = (RegistryVersion(kind, stored.version, tuple(read_jsonl(stored.records)))
            if stored is not None else None)
    sources = [ImportSource(source_name, data, fmt)]
    preview = preview_import(kind, sources, previous=prev)
    out = preview.to_json()
    out["source_sha256"] = hashlib.sha256(data).hexdigest()
    limit = service.settings.mass_removal_percent
    active = sum(1 for r in prev.records if r.get("status") == "active") if prev else 0
    guard: dict[str, Any] = {"limit_percent": limit, "active": active,
                             "retired": len(preview.retired), "exceeded": False}
    if prev is not None and not preview.errors:
        version, _merged = next_version_from_sources(kind, sources, None, prev)
        try:
            check_removal(prev, version, limit)
        except MassRemovalError as e:
            guard.update(exceeded=True, active=e.active, retired=e.retired, message=str(e))
    out["mass_removal"] = guard
    return out

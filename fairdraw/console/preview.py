"""What importing registry files would change, before anything is written (issue 17).

`preview_registry_import(service, kind, sources, mapping=…)` is the use case behind
`POST /api/registries/{kind}/preview`: it asks `DrawService.preview_sources`
(draw_engine.registry_sources.preview_import: the import's own parsing, merging and
`next_version`, issue 18) what the commit would do, for one file (the commit is
`POST /api/registries/{kind}/import`) or several departments' files merged with an
optional mapping file (the commit is `POST /api/registries/{kind}/import-sources`, the
same files and mapping): added, removed (dropped from the files), changed (with the
changed field names) and retired (leaving the pool: removed ones and those the files
mark defunct/inactive) ids with names, the merge decisions (which row won and why),
and every row error (then nothing else). Added here: the files' SHA-256 (as the
version will record it, `registry_sources.sources_sha256`), and the mass-removal
guard as the import judges it (`draw_engine.registry_versions.check_removal`, same
rule, same setting): whether the commit needs `allow_mass_removal`.

Nothing is written. A mapping file for another kind is refused (`MappingError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import MassRemovalError
from draw_engine.registry import ImportMapping, RegistryVersion
from draw_engine.registry_sources import (
    ImportSource,
    MappingError,
    next_version_from_sources,
    sources_sha256,
)
from draw_engine.registry_versions import check_removal, read_jsonl


def preview_registry_import(service: DrawService, kind: str, sources: Sequence[ImportSource],
                            *, mapping: ImportMapping | None = None) -> dict[str, Any]:
    """The preview as JSON (see the module docstring)."""
    if mapping is not None and mapping.kind != kind:
        raise MappingError(f"the mapping file is for {mapping.kind}, not {kind}", field="kind")
    preview = service.preview_sources(kind, sources, mapping=mapping)
    out = preview.to_json()
    out["source_sha256"] = sources_sha256(sources)
    out["sources"] = [s.name for s in sources]
    out["mapping"] = mapping is not None
    with service.store.transaction() as tx:
        stored = tx.latest_version(kind)
    prev = (RegistryVersion(kind, stored.version, tuple(read_jsonl(stored.records)))
            if stored is not None else None)
    limit = service.settings.mass_removal_percent
    active = sum(1 for r in prev.records if r.get("status") == "active") if prev else 0
    guard: dict[str, Any] = {"limit_percent": limit, "active": active,
                             "retired": len(preview.retired), "exceeded": False}
    if prev is not None and not preview.errors:
        version, _merged = next_version_from_sources(kind, sources, mapping, prev)
        try:
            check_removal(prev, version, limit)
        except MassRemovalError as e:
            guard.update(exceeded=True, active=e.active, retired=e.retired, message=str(e))
    out["mass_removal"] = guard
    return out

"""The registry page: every logged snapshot and its diff with ids (issue 18.3).

`registry_files` makes the data the page reads (docs/spec/portal-data.md §Registry):

* `data/registry.json`: one row per `registry.snapshot` entry in log order, with
  its leaf index, kind, `prev`, publish mode, the published records file (or
  null), and the path of its ids document when the entry logs the diff by
  `ids_sha256` (a big diff, docs/spec/registry-diff.md);
* `data/snapshots/<name>.diff.json` (write-once) for such entries: recomputed
  here from the stored records of the snapshot and of its `prev`, and refused
  unless it hashes to the entry's `ids_sha256`. It holds ids and attribute
  names only, so it is published at once whatever the publish mode.

The page (registry.html, assets/app-registry.js) proves each entry against the
co-signed checkpoint and shows the ids; names come from the published records
files, checked against the entry's root first. Nothing here is trusted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from draw_engine.entries import SnapshotDiffRef, parse_entry
from draw_engine.errors import DrawEngineError, EntryError
from draw_engine.registry_diff import diff_lines, format_ids
from draw_engine.snapshot import parse_records
from public_portal.errors import PortalError
from public_portal.index import LogIndex
from transparency.storage import LogStorage


class RegistryPageError(PortalError):
    """A snapshot's diff cannot be published as logged (records missing or other bytes)."""


def _ids_document(name: str, prev: str, records: Mapping[str, bytes]) -> bytes:
    def id_lines(snapshot: str) -> tuple[list[str], list[bytes]]:
        data = records.get(snapshot)
        if data is None:
            raise RegistryPageError(f"the records of snapshot {snapshot} are not stored: the "
                                    f"diff ids of {name} cannot be published")
        parsed = parse_records(data)
        return [str(r["id"]) for r in parsed.records], list(parsed.lines)

    return format_ids(diff_lines(id_lines(prev), id_lines(name)))


def registry_files(storage: LogStorage, index: LogIndex, records: Mapping[str, bytes],
                   published: Mapping[str, str]) -> tuple[dict[str, bytes], bytes]:
    """(write-once ids documents by path, data/registry.json) for the logged snapshots."""
    documents: dict[str, bytes] = {}
    rows: list[dict[str, Any]] = []
    for info in sorted(index.snapshots.values(), key=lambda s: s.index):
        entry = parse_entry(storage.read_entries(info.index, info.index + 1)[0])
        prev = entry.get("prev") if isinstance(entry.get("prev"), str) else None
        diff_path = None
        try:
            ref = SnapshotDiffRef.of(entry)
        except EntryError:
            ref = None  # the verifiers report it; the page shows the entry as malformed
        if ref is not None and ref.ids_sha256 is not None and prev is not None:
            try:
                document = _ids_document(info.name, prev, records)
            except DrawEngineError as exc:
                raise RegistryPageError(f"snapshot {info.name}: {exc}") from exc
            if hashlib.sha256(document).hexdigest() != ref.ids_sha256:
                raise RegistryPageError(f"snapshot {info.name}: the diff of the stored records "
                                        f"does not hash to the logged ids_sha256")
            diff_path = f"data/snapshots/{info.name}.diff.json"
            documents[diff_path] = document
        rows.append({"name": info.name, "kind": info.kind, "index": info.index, "prev": prev,
                     "publish": info.publish, "records": published.get(info.name),
                     "diff_ids": diff_path})
    listing = {"log_size": index.size, "snapshots": rows}
    text = json.dumps(listing, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return documents, text.encode()

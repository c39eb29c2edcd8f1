"""The portal's navigation files against the proven entries (issue 12 point 8).

`data/draws.json` and `data/draws/<id>.json` are hints for speed: no verifier
takes a fact from them. But a portal whose hints say something the log does
not (another round, status, title or result index) is lying to everyone who
reads the index page, so every verifier reports it: `audit` as its `index`
finding, `fairdraw verify` / `assignments` / `bundle` and the browser's draw
page as the `index` check after the twelve of docs/spec/verification.md.

`proven_row(history)` is what data/draws.json must say of a draw
(docs/spec/portal-data.md); `index_differences` lists each field a hint gets
wrong. Reading the files is the callers' (`fairdraw.portal_inputs.index_check`,
`fairdraw.audit`). Left out: fields the proven entries do not determine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from draw_engine.history import DrawHistory

ROW_FIELDS = ("title", "kind", "authority", "period", "status", "announce_index", "result_index",
              "cancel_index", "result_indices", "superseded_by", "supersedes", "round",
              "round_time", "local")
NAV_FIELDS = ("announce_index", "result_index", "cancel_index", "result_indices")


def proven_row(h: DrawHistory) -> dict[str, Any]:
    """What data/draws.json must say about a draw with one announce (portal-data.md)."""
    if h.announce_index is None:
        raise ValueError(f"draw {h.draw_id} has no single announce")
    ann = h.entries[h.announce_index]
    beacon = ann["beacon"] if isinstance(ann.get("beacon"), Mapping) else {}
    succ = h.superseded_by[0] if h.superseded_by else None
    status = ("superseded" if succ is not None else "cancelled" if h.cancels
              else "drawn" if h.results else "announced")
    return {
        "draw_id": h.draw_id,
        "title": ann.get("title"),
        "kind": ann.get("kind"),
        "authority": ann.get("authority"),
        "period": ann.get("period"),
        "status": status,
        "announce_index": h.announce_index,
        "result_index": h.results[0] if h.results else None,
        "cancel_index": h.cancels[0] if h.cancels else None,
        "result_indices": list(h.results),
        "superseded_by": h.entries[succ].get("draw_id") if succ is not None else None,
        "supersedes": h.supersedes,
        "round": beacon.get("round"),
        "round_time": beacon.get("round_time"),
        "local": bool(beacon.get("local", False)),
    }


def index_differences(
    where: str, given: Mapping[str, Any], proven: Mapping[str, Any], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One {where, field, expected, got} per field `given` states differently from `proven`."""
    return [{"where": where, "field": k, "expected": proven.get(k), "got": given[k]}
            for k in fields if k in given and given[k] != proven.get(k)]

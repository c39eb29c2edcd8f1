"""One draw's verification inputs, read from a portal (docs/spec/portal-data.md).

`portal_draw_inputs` turns data/draws/<id>.json (navigation only: leaf indices,
commitment checkpoint paths, snapshot paths) and the files it names into the
`DrawInputs` of `fairdraw.verify`; the checks themselves trust none of it
beyond where to look. Every read is size-bounded by the `PortalSource` limits.
Left out: which portal to read and caching across draws (give `readers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fairdraw.report import DrawReport
from fairdraw.source import (
    MAX_CHECKPOINT_SIZE,
    MAX_SNAPSHOT_SIZE,
    PortalSource,
    SourceError,
    TileReader,
    read_json,
    read_required,
)
from fairdraw.trust import Trust
from fairdraw.verify import DrawInputs, verify_draw


def _index(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceError(f"{what} is not a leaf index: {value!r}")
    return value


def portal_draw_inputs(
    source: PortalSource,
    draw_id: str,
    *,
    checkpoint: bytes | None = None,
    readers: dict[int, TileReader] | None = None,
) -> DrawInputs:
    """DrawInputs for `draw_id` from a portal laid out per docs/spec/portal-data.md."""
    nav = read_json(source, f"data/draws/{draw_id}.json")
    if not isinstance(nav, Mapping):
        raise SourceError(f"data/draws/{draw_id}.json is not an object")
    note = (
        checkpoint
        if checkpoint is not None
        else read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    )
    result_indices = nav.get("result_indices")
    if result_indices is not None and (
        not isinstance(result_indices, list)
        or not all(_index(i, "result_indices[]") is not None for i in result_indices)
    ):
        raise SourceError("result_indices must be a list of leaf indices")
    commitments = []
    for path in nav.get("commitment_checkpoints") or []:
        if not isinstance(path, str):
            raise SourceError("commitment_checkpoints must list portal paths")
        data = source.read(path, MAX_CHECKPOINT_SIZE)
        if data is not None:
            commitments.append(data)
    snapshots: dict[str, bytes | None] = {}
    for kind, ref in (nav.get("snapshots") or {}).items():
        path = ref.get("path") if isinstance(ref, Mapping) else None
        snapshots[kind] = source.read(path, MAX_SNAPSHOT_SIZE) if isinstance(path, str) else None
    cache = readers if readers is not None else {}

    def reader_for(size: int) -> TileReader:
        if size not in cache:
            cache[size] = TileReader(source, size)
        return cache[size]

    return DrawInputs(
        checkpoint=note,
        reader_for=reader_for,
        announce_index=_index(nav.get("announce_index"), "announce_index") or 0,
        result_index=_index(nav.get("result_index"), "result_index", optional=True),
        result_indices=result_indices,
        commitment_checkpoints=commitments,
        snapshots=snapshots,
        draw_id=draw_id,
    )


def verify_portal_draw(source: PortalSource, trust: Trust, draw_id: str, **kw: Any) -> DrawReport:
    return verify_draw(trust, portal_draw_inputs(source, draw_id, **kw))


def draw_ids(source: PortalSource) -> list[str]:
    """Draw ids listed in data/draws.json (navigation only: the log is what is verified)."""
    index = read_json(source, "data/draws.json")
    draws = index.get("draws") if isinstance(index, Mapping) else None
    if not isinstance(draws, list):
        raise SourceError("data/draws.json has no 'draws' list")
    out = []
    for d in draws:
        if not isinstance(d, Mapping) or not isinstance(d.get("draw_id"), str):
            raise SourceError("data/draws.json: every draw needs a draw_id")
        out.append(d["draw_id"])
    return out

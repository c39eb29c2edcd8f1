"""The public JSON views of a draw and of a cancel: what the status endpoint and the CLI show.

Pure: reads a `DrawRecord` (and a `CancelReport`), writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from draw_engine.cancel import CancelReport, cancel_proof_view, cancel_warning
from draw_engine.store import DrawRecord


def draw_view(draw: DrawRecord) -> dict[str, Any]:
    """The public JSON view of a draw (status endpoint, CLI)."""
    announce = json.loads(draw.announce)
    return {
        "draw_id": draw.draw_id, "kind": draw.kind, "status": draw.status,
        "title": announce.get("title"), "announce_index": draw.announce_index,
        "result_index": draw.result_index, "cancel_index": draw.cancel_index,
        "beacon": announce["beacon"], "supersedes": draw.supersedes,
        "superseded_by": draw.superseded_by,
        "commitment": None if draw.commitment_note is None else {
            "tree_size": draw.commitment_size, "checkpoint": draw.commitment_note.decode()},
    }


def cancel_view(report: CancelReport) -> dict[str, Any]:
    """The JSON answer to a cancel: the draw, `cancel_proof` and, when the cancel of a
    committed draw is not proven in time, `warning`."""
    view = {**draw_view(report.draw), "cancel_proof": cancel_proof_view(report)}
    warning = cancel_warning(report)
    if warning is not None:
        view["warning"] = warning
    return view

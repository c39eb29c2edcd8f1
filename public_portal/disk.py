"""Disk files: what a draw page opened from a directory (file://) verifies (issue 13).

A page opened from disk cannot fetch the portal's files (Chromium refuses
`fetch` and XHR on file:// URLs) but may load classic scripts. So the
builder writes, per draw, `data/disk/<draw_id>.js`: one classic script that
registers the draw's offline bundle (docs/spec/portal-data.md §Offline
bundles, the same object `fairdraw bundle` writes, without `created_at` so
that an unchanged portal rebuilds to the same bytes):

    (globalThis.FairdrawDisk = globalThis.FairdrawDisk || {})["<id>"] = {"draw_id": …, "files": …};

assets/app-draw.js loads it and verifies it like an offline bundle (freshness
exempt, as the check says). Nothing in it is trusted more than the files it
copies: every byte is verified against the checkpoint and trust.json.

The bundle holds a superset of what one verification reads: trust.json, the
checkpoint, the navigation files, every published checkpoint and every tile
and entry bundle under log/tile/, and the draw's published snapshot files. A
draw whose files exceed `MAX_DISK_BUNDLE` gets no disk file (the page then
says to use offline.html with a bundle). Left out: sharing the log's files
between the draws of one portal (each disk file stands alone).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from pathlib import Path

MAX_DISK_BUNDLE = 64 * 1024 * 1024
"""Raw bytes of the files in one disk bundle (base64 adds a third)."""

BUNDLE_FORMAT = "fairdraw-bundle/v1"


def disk_path(draw_id: str) -> str:
    return f"data/disk/{draw_id}.js"


def disk_files(out: Path, draw_id: str, snapshot_paths: Iterable[str]) -> list[str]:
    """Portal paths a disk bundle of `draw_id` carries (those that exist under `out`)."""
    fixed = ["trust.json", "log/checkpoint", "data/log.json", "data/draws.json",
             f"data/draws/{draw_id}.json", *snapshot_paths]
    paths = [p for p in fixed if (out / p).is_file()]
    for folder in ("log/checkpoints", "log/tile"):
        root = out / folder
        if root.is_dir():
            paths += sorted(p.relative_to(out).as_posix() for p in root.rglob("*")
                            if p.is_file() and not p.name.startswith("."))
    return paths


def format_disk_bundle(draw_id: str, files: dict[str, bytes]) -> bytes:
    """The classic script registering the bundle of `files` (portal path -> bytes)."""
    bundle = {
        "draw_id": draw_id,
        "files": {p: base64.b64encode(files[p]).decode("ascii") for p in sorted(files)},
        "format": BUNDLE_FORMAT,
        "source": "portal directory (data/disk)",
    }
    body = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    key = json.dumps(draw_id)
    return (f"/* fairdraw offline bundle of draw {draw_id} for pages opened from disk "
            "(public_portal/disk.py): verified like any bundle, trusted for nothing. */\n"
            f"(globalThis.FairdrawDisk = globalThis.FairdrawDisk || {{}})[{key}] = {body};\n"
            ).encode()


def write_disk_bundle(out: Path, draw_id: str, snapshot_paths: Iterable[str],
                      write: Callable[[str, bytes], None]) -> bool:
    """Write data/disk/<draw_id>.js through `write(rel, data)`; False when too large."""
    paths = disk_files(out, draw_id, snapshot_paths)
    total = 0
    files: dict[str, bytes] = {}
    for p in paths:
        data = (out / p).read_bytes()
        total += len(data)
        if total > MAX_DISK_BUNDLE:
            return False
        files[p] = data
    write(disk_path(draw_id), format_disk_bundle(draw_id, files))
    return True

"""Disk files: what a draw page opened from a directory (file://) verifies (issue 13).

A page opened from disk cannot fetch the portal's files (Chromium refuses
`fetch` and XHR on file:// URLs) but may load classic scripts. So the
builder writes every file a draw's verification reads as a classic script
named by its content, and per draw a manifest naming them:

    data/disk/f/<sha256>.js  (globalThis.FairdrawDiskFiles ||= {})["<sha256>"] = "<base64>";
    data/disk/<draw_id>.js   (globalThis.FairdrawDisk ||= {})["<id>"] =
                             {"draw_id", "format": "fairdraw-disk/v1", "files": {path: sha256}};

Content names make the files write-once and shared: the draws of one
portal read the same snapshot and log files, stored once. assets/app-draw.js
loads the manifest and the files, turns them into an offline bundle
(docs/spec/portal-data.md §Offline bundles) and verifies it like one
(freshness exempt, as the check says). Nothing here is trusted more than
the files it copies: every byte is verified against the checkpoint and
trust.json.

The statistics page (stats.html, docs/spec/stats.md) reads the same way from disk:
data/disk/stats.js registers one manifest, `globalThis.FairdrawDiskStats`, naming every
file that page reads (`stats_files`: trust.json, the checkpoint, the navigation files
data/log.json, data/registry.json and data/draws/*.json, every published snapshot and
diff ids document under data/snapshots/, every published checkpoint, tile and entry
bundle), over the same content-named files. assets/app-stats.js then reads its files
from them instead of fetching, and runs the one verification it runs when served.
When those files exceed `MAX_DISK_BUNDLE` the manifest names no file and says why
(`"files": null, "refused": "…"`), so no manifest of an earlier build stays behind.

A draw's manifest names a superset of what one verification reads:
trust.json, the checkpoint, the navigation files, every published checkpoint,
every tile and entry bundle under log/tile/, and the draw's published
snapshot files. A draw whose files exceed `MAX_DISK_BUNDLE` gets no manifest
(the page then says to use offline.html with a bundle).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

MAX_DISK_BUNDLE = 64 * 1024 * 1024
"""Raw bytes of the files in one disk bundle (base64 adds a third)."""

DISK_FORMAT = "fairdraw-disk/v1"


def disk_path(draw_id: str) -> str:
    return f"data/disk/{draw_id}.js"


def log_files(out: Path) -> list[str]:
    """Every published checkpoint, tile and entry bundle under `out` (shared by all draws)."""
    paths: list[str] = []
    for folder in ("log/checkpoints", "log/tile"):
        root = out / folder
        if root.is_dir():
            paths += sorted(p.relative_to(out).as_posix() for p in root.rglob("*")
                            if p.is_file() and not p.name.startswith("."))
    return paths


def disk_files(out: Path, draw_id: str, snapshot_paths: Iterable[str],
               logged: Iterable[str]) -> list[str]:
    """Portal paths a disk bundle of `draw_id` carries (those that exist under `out`);
    `logged` is `log_files(out)`."""
    fixed = ["trust.json", "log/checkpoint", "data/log.json", "data/draws.json",
             f"data/draws/{draw_id}.json", *snapshot_paths]
    return [p for p in fixed if (out / p).is_file()] + list(logged)


STATS_DISK_PATH = "data/disk/stats.js"


def stats_files(out: Path, logged: Iterable[str]) -> list[str]:
    """Portal paths the statistics page reads from disk (those that exist under `out`);
    `logged` is `log_files(out)`."""
    fixed = ["trust.json", "log/checkpoint", "data/log.json", "data/registry.json"]
    paths = [p for p in fixed if (out / p).is_file()]
    for folder in ("data/draws", "data/snapshots"):
        root = out / folder
        if root.is_dir():
            paths += sorted(p.relative_to(out).as_posix() for p in root.iterdir()
                            if p.is_file() and p.suffix in (".json", ".jsonl"))
    return paths + list(logged)


def disk_file_path(digest: str) -> str:
    return f"data/disk/f/{digest}.js"


def format_disk_file(digest: str, data: bytes) -> bytes:
    """The classic script registering one file's bytes under its SHA-256."""
    text = base64.b64encode(data).decode("ascii")
    return (f"(globalThis.FairdrawDiskFiles = globalThis.FairdrawDiskFiles || {{}})"
            f'["{digest}"] = "{text}";\n').encode()


def format_disk_manifest(draw_id: str, files: dict[str, str]) -> bytes:
    """The classic script registering a draw's manifest (portal path -> SHA-256)."""
    manifest = {"draw_id": draw_id, "files": dict(sorted(files.items())), "format": DISK_FORMAT}
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return (f"/* fairdraw: the files draw {draw_id} is verified from when its page is opened "
            "from disk (public_portal/disk.py): verified like any bundle, trusted for nothing. */\n"
            f"(globalThis.FairdrawDisk = globalThis.FairdrawDisk || {{}})[{json.dumps(draw_id)}]"
            f" = {body};\n").encode()


def format_stats_manifest(files: dict[str, str] | None) -> bytes:
    """The classic script registering the statistics page's manifest (portal path -> SHA-256);
    `None` when the files exceed MAX_DISK_BUNDLE: the manifest then names no file but says why
    (so no manifest of an earlier build stays behind)."""
    manifest: dict[str, object]
    if files is None:
        manifest = {"files": None, "format": DISK_FORMAT, "refused": (
            f"the portal's files exceed {MAX_DISK_BUNDLE // (1024 * 1024)} MiB, too many to open "
            "from disk: serve the portal directory, or use fairdraw stats")}
    else:
        manifest = {"files": dict(sorted(files.items())), "format": DISK_FORMAT}
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return ("/* fairdraw: the files the statistics page is verified from when opened from disk "
            "(public_portal/disk.py): verified like any bundle, trusted for nothing. */\n"
            f"globalThis.FairdrawDiskStats = {body};\n").encode()


def write_disk_bundles(out: Path, draws: Mapping[str, Iterable[str]],
                       write: Callable[[str, bytes], None],
                       write_once: Callable[[str, bytes], bool]) -> list[str]:
    """For each draw id -> its published snapshot paths, write the manifest (through `write`)
    and the content-named files (through `write_once`, each file once for all draws); a draw
    whose files exceed MAX_DISK_BUNDLE gets nothing; then the statistics page's manifest
    (STATS_DISK_PATH) the same way, one naming no file when they exceed it. Returns the draw
    ids left without one ("stats" for that page)."""
    logged = log_files(out)
    digests: dict[str, str] = {}  # portal path -> SHA-256, each file read and written once

    def store(paths: list[str]) -> dict[str, str] | None:
        if sum((out / p).stat().st_size for p in paths) > MAX_DISK_BUNDLE:
            return None
        for p in paths:
            if p not in digests:
                data = (out / p).read_bytes()
                digests[p] = hashlib.sha256(data).hexdigest()
                write_once(disk_file_path(digests[p]), format_disk_file(digests[p], data))
        return {p: digests[p] for p in paths}

    skipped: list[str] = []
    for draw_id, snapshot_paths in draws.items():
        files = store(disk_files(out, draw_id, snapshot_paths, logged))
        if files is None:
            skipped.append(draw_id)
        else:
            write(disk_path(draw_id), format_disk_manifest(draw_id, files))
    stats = store(stats_files(out, logged))
    if stats is None:
        skipped.append("stats")
    write(STATS_DISK_PATH, format_stats_manifest(stats))
    return skipped

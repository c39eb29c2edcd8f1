"""Offline bundles: one JSON file holding every portal file one draw's verification reads.

Format (docs/spec/portal-data.md "Offline bundles"), canonical JSON:

    {"format": "fairdraw-bundle/v1", "draw_id": "LB-2026-12",
     "source": "https://portal.example", "created_at": 1767225600,
     "files": {"trust.json": "<base64>", "log/checkpoint": "<base64>",
               "log/tile/0/000.p/4": "<base64>", "data/draws/LB-2026-12.json": "…", …}}

Files are keyed by their portal path, so a bundle is a small portal: the same
verifier runs on it (`MemorySource`). Which files go in is decided by running
the verification through a `RecordingSource`: exactly the checkpoint(s),
tiles, entry bundles (all of them: the draw's history is derived from every
entry, docs/spec/verification.md), snapshot records and navigation files the
checks read, plus trust.json (informational: a verifier should pin its own
trust file). Nothing in a bundle is trusted; everything is re-verified on
reading, except checkpoint-freshness: an offline bundle passes it with the
reason "offline bundle: freshness not checked".
Left out: compression, bundles of several draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from draw_engine.canonical import canonical_json, parse_json
from fairdraw.portal_inputs import verify_portal_draw
from fairdraw.portal_source import (
    MemorySource,
    PortalSource,
    RecordingSource,
    SourceError,
    check_portal_path,
)
from fairdraw.report import DrawReport
from fairdraw.trust import Trust
from transparency.c2sp_codec import decode_base64, encode_base64
from transparency.errors import FormatError

BUNDLE_FORMAT = "fairdraw-bundle/v1"
MAX_BUNDLE_FILE_SIZE = 1024 * 1024 * 1024
MAX_BUNDLE_FILES = 100_000


class BundleError(SourceError):
    """A bundle file is malformed."""


def make_bundle(
    source: PortalSource, trust: Trust, draw_id: str, *, now: int
) -> tuple[dict[str, Any], DrawReport]:
    """Verify `draw_id` from `source` while recording what is read; return (bundle, report).

    The bundle is written whatever the verdict: a failing draw's files are evidence."""
    recorder = RecordingSource(source)
    recorder.read("trust.json", 1 << 20)
    report = verify_portal_draw(recorder, trust, draw_id, now=now)
    bundle = {
        "format": BUNDLE_FORMAT,
        "draw_id": draw_id,
        "source": source.description,
        "created_at": now,
        "files": {p: encode_base64(b) for p, b in sorted(recorder.files.items())},
    }
    return bundle, report


def format_bundle_file(bundle: Mapping[str, Any]) -> bytes:
    return canonical_json(bundle)


def read_bundle(data: bytes, description: str = "bundle") -> tuple[dict[str, Any], MemorySource]:
    """Parse a bundle strictly; return its manifest (without files) and its files as a source."""
    if len(data) > MAX_BUNDLE_FILE_SIZE:
        raise BundleError(f"bundle is {len(data)} bytes, more than {MAX_BUNDLE_FILE_SIZE}")
    try:
        obj = parse_json(data, max_size=MAX_BUNDLE_FILE_SIZE)
    except ValueError as e:
        raise BundleError(f"bundle is not JSON: {e}") from e
    if not isinstance(obj, dict) or obj.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"not a {BUNDLE_FORMAT} file")
    files = obj.get("files")
    if not isinstance(obj.get("draw_id"), str) or not isinstance(files, dict):
        raise BundleError("bundle needs 'draw_id' and a 'files' object")
    if len(files) > MAX_BUNDLE_FILES:
        raise BundleError(f"bundle holds more than {MAX_BUNDLE_FILES} files")
    decoded: dict[str, bytes] = {}
    for path, b64 in files.items():
        try:
            check_portal_path(path)
        except SourceError as e:
            raise BundleError(f"bundle file path: {e}") from e
        if not isinstance(b64, str):
            raise BundleError(f"bundle file {path}: not a base64 string")
        try:
            decoded[path] = decode_base64(b64, f"bundle file {path}")
        except FormatError as e:
            raise BundleError(str(e)) from e
    manifest = {k: v for k, v in obj.items() if k != "files"}
    return manifest, MemorySource(decoded, f"{description} ({obj['draw_id']})")

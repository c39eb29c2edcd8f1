"""One draw's verification inputs, read from a portal (docs/spec/portal-data.md).

Nothing read here is evidence (docs/spec/verification.md): the draw's entries
come from the log itself (every bundle, proven to the checkpoint), so
`portal_draw_inputs` only gathers where to look:

* `log/checkpoint`, the current co-signed checkpoint;
* every co-signed checkpoint the portal publishes, for the timing rules:
  `log/checkpoints/*` as listed by `data/log.json` and by the draw's
  navigation file `data/draws/<id>.json` (both optional hints), plus the
  directory listing when the source is a directory. Each is verified by the
  checks; listing fewer only loses the operator evidence;
* the snapshot records files, by the names the proven announce gives
  (`data/snapshots/<name>.jsonl`).

Every read is size-bounded by the `PortalSource` limits. An offline bundle
(`MemorySource`) is marked `offline`: its freshness is not checked.
Left out: which portal to read and caching across draws (give `readers`/`cache`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from draw_engine.canonical import parse_json
from fairdraw.navigation import NAV_FIELDS, ROW_FIELDS, index_differences, proven_row
from fairdraw.portal_source import (
    MAX_CHECKPOINT_SIZE,
    MAX_JSON_SIZE,
    MAX_SNAPSHOT_SIZE,
    DirectorySource,
    MemorySource,
    PortalSource,
    SourceError,
    TileReader,
    read_json,
    read_required,
)
from fairdraw.report import FAIL, PASS, Check, DrawReport
from fairdraw.trust import Trust
from fairdraw.verify import DrawInputs, verify_draw

CHECKPOINTS_DIR = "log/checkpoints"
_CHECKPOINT_NAME = re.compile(r"[0-9]+(-[0-9a-f]{16})?")


def read_optional_json(source: PortalSource, path: str) -> Any:
    """A navigation file, or None when it does not exist (hints are optional)."""
    data = source.read(path, MAX_JSON_SIZE)
    if data is None:
        return None
    try:
        return parse_json(data, max_size=MAX_JSON_SIZE)
    except ValueError as e:
        raise SourceError(f"{source.description}: {path} is not valid JSON: {e}") from e


def listed_checkpoints(log_json: Any, navs: Iterable[Any] = ()) -> list[str]:
    """Checkpoint paths named by data/log.json `checkpoints` and by draw files'
    `commitment_checkpoints` (navigation hints; malformed entries are ignored)."""
    paths: set[str] = set()
    lists = [log_json.get("checkpoints") if isinstance(log_json, Mapping) else None]
    lists += [n.get("commitment_checkpoints") if isinstance(n, Mapping) else None for n in navs]
    for names in lists:
        if isinstance(names, list):
            paths |= {p for p in names if isinstance(p, str)}
    return sorted(paths, key=lambda p: (len(p), p))


def directory_checkpoints(source: PortalSource) -> list[str]:
    """log/checkpoints/<size>[-<h16>] files of a portal directory (empty for other sources)."""
    if not isinstance(source, DirectorySource):
        return []
    d = source.root / CHECKPOINTS_DIR
    if not d.is_dir():
        return []
    return sorted(
        f"{CHECKPOINTS_DIR}/{f.name}" for f in d.iterdir() if _CHECKPOINT_NAME.fullmatch(f.name)
    )


def read_checkpoints(source: PortalSource, paths: Iterable[str]) -> list[bytes]:
    """The notes at `paths` that exist (a missing one is simply not evidence)."""
    out = []
    for path in dict.fromkeys(paths):
        data = source.read(path, MAX_CHECKPOINT_SIZE)
        if data is not None:
            out.append(data)
    return out


def portal_draw_inputs(
    source: PortalSource,
    draw_id: str,
    *,
    checkpoint: bytes | None = None,
    readers: dict[int, TileReader] | None = None,
    max_age: int | None = None,
    cache: dict[Any, Any] | None = None,
    checkpoints: list[bytes] | None = None,
    remembered: Sequence[bytes] = (),
) -> DrawInputs:
    """DrawInputs for `draw_id` from a portal laid out per docs/spec/portal-data.md.

    `checkpoints` replaces the published checkpoints read here (the audit reads them once);
    `remembered` adds the ones this client verified before (its state file)."""
    note = (
        checkpoint
        if checkpoint is not None
        else read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    )
    if checkpoints is None:
        nav = read_optional_json(source, f"data/draws/{draw_id}.json")
        log_json = read_optional_json(source, "data/log.json")
        paths = listed_checkpoints(log_json, [nav]) + directory_checkpoints(source)
        checkpoints = read_checkpoints(source, paths)
    reader_cache = readers if readers is not None else {}

    def reader_for(size: int) -> TileReader:
        if size not in reader_cache:
            reader_cache[size] = TileReader(source, size)
        return reader_cache[size]

    def snapshot_for(name: str) -> bytes | None:
        return source.read(f"data/snapshots/{name}.jsonl", MAX_SNAPSHOT_SIZE)

    return DrawInputs(
        checkpoint=note,
        reader_for=reader_for,
        draw_id=draw_id,
        snapshot_for=snapshot_for,
        checkpoints=[*checkpoints, *remembered],
        offline=isinstance(source, MemorySource),
        max_age=max_age,
        cache=cache if cache is not None else {},
    )


def verify_portal_draw(
    source: PortalSource, trust: Trust, draw_id: str, *, now: int | None = None, **kw: Any
) -> DrawReport:
    """Verify one draw of a portal; `now` defaults to the clock (freshness, due commitments)."""
    inputs = portal_draw_inputs(source, draw_id, **kw)
    report = verify_draw(trust, inputs, now=int(time.time()) if now is None else now)
    check = index_check(source, draw_id, report)
    if check is not None:  # after the twelve checks, as on the draw page
        report.checks.append(check)
        if check.status == FAIL:
            report.verdict = FAIL
    return report


def index_check(source: PortalSource, draw_id: str, report: DrawReport) -> Check | None:
    """The `index` check (fairdraw.navigation): data/draws.json and data/draws/<id>.json, where
    present, say what the proven entries say; None when the draw has no single announce."""
    h = report.history
    if h is None or h.announce_index is None:
        return None
    proven = proven_row(h)
    diffs: list[dict[str, Any]] = []
    try:
        index = read_optional_json(source, "data/draws.json")
        nav = read_optional_json(source, f"data/draws/{draw_id}.json")
    except SourceError as e:
        return Check("index", FAIL, f"the portal's index cannot be read: {e}")
    if isinstance(index, Mapping):
        rows = [r for r in index.get("draws") or [] if isinstance(r, Mapping)
                and r.get("draw_id") == draw_id]
        if not rows:
            diffs.append({"where": "data/draws.json", "field": "draw_id", "expected": draw_id,
                          "got": None})
        for row in rows:
            diffs += index_differences("data/draws.json", row, proven, ROW_FIELDS)
    if isinstance(nav, Mapping):
        diffs += index_differences(f"data/draws/{draw_id}.json", nav, proven, NAV_FIELDS)
    if not diffs:
        return Check("index", PASS, "the portal's index agrees with the proven entries")
    said = "; ".join(f"{d['where']} says {d['field']} {d['got']!r}, the log {d['expected']!r}"
                     for d in diffs)
    return Check("index", FAIL, f"the portal's index differs from the log: {said}",
                 {"differences": diffs})


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

"""`fairdraw stats`: fairness over many draws, from a verified portal (issue 19).

Reads a portal (directory, URL or offline bundle) like the other verifying clients
and believes only what they believe (docs/spec/verification.md):

1. the current checkpoint opens with trust.json's log key; every entry bundle is
   proven to its root (`fairdraw.verify.prove_log`), and the draw ids are taken
   from those proven entries (never from data/draws.json);
2. every draw runs the whole draw checklist of `fairdraw.verify` (history rules,
   snapshot roots, beacon, commitment, recompute…), sharing one proven log;
3. the statistics (`draw_engine.stats.compute_stats`, docs/spec/stats.md) are
   computed from the proven entries and the snapshot records whose roots matched
   (a snapshot published only after the inspections leaves its draw `pending`);
   big registry diffs are read from `data/snapshots/<name>.diff.json`, located by
   the hint data/registry.json and checked against the entry's `ids_sha256`.

The figures are the same, digit for digit, as those the portal's stats.html embeds
in `<script type="application/json" id="stats-data">`. `format_report_html` writes
them as a standalone page drawn by the portal's own plotting script
(public_portal/static/assets/stats-plots.js). Left out: rollback memory (`verify`
and `audit --state` keep it), plots on a terminal.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from draw_engine.errors import DrawEngineError
from draw_engine.history import draw_histories
from draw_engine.stats import compute_stats
from fairdraw.portal_inputs import read_optional_json, verify_portal_draw
from fairdraw.portal_source import (
    MAX_CHECKPOINT_SIZE,
    MAX_JSON_SIZE,
    PortalSource,
    TileReader,
    read_required,
)
from fairdraw.report import CHECK_ERRORS, FAIL, PASS, PENDING, DrawReport
from fairdraw.trust import Trust, open_log_checkpoint
from fairdraw.verify import prove_log
from public_portal.builder import STATIC

PLOTS = STATIC / "assets" / "stats-plots.js"


@dataclass
class StatsReport:
    source: str
    tree_size: int | None = None
    draws: list[DrawReport] = field(default_factory=list)
    stats: dict[str, Any] | None = None
    failure: str | None = None
    """Why nothing could be computed (the log or the statistics did not verify)."""
    entries: list[dict[str, Any] | None] = field(default_factory=list)
    """The proven entries, by leaf index."""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Snapshot name -> records whose root a draw's snapshot-roots check matched."""

    @property
    def verdict(self) -> str:
        if self.failure is not None or any(r.verdict == FAIL for r in self.draws):
            return FAIL
        return PASS if all(settled(r) for r in self.draws) else PENDING


def settled(report: DrawReport) -> bool:
    """Verified, or cancelled in time (no check failed; a cancel and no result: none will
    follow, so its skipped result checks leave nothing pending)."""
    h = report.history
    cancelled = h is not None and bool(h.cancels) and not h.results
    return report.verdict == PASS or (report.verdict == PENDING and cancelled)


def _documents(source: PortalSource) -> dict[str, bytes]:
    """Snapshot name -> its published diff ids document (hint: data/registry.json)."""
    listing = read_optional_json(source, "data/registry.json")
    rows = listing.get("snapshots") if isinstance(listing, Mapping) else None
    out: dict[str, bytes] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and isinstance(row.get("diff_ids"), str) \
                and isinstance(row.get("name"), str):
            data = source.read(row["diff_ids"], MAX_JSON_SIZE)
            if data is not None:
                out[row["name"]] = data
    return out


def _records(reports: Sequence[DrawReport]) -> dict[str, list[dict[str, Any]]]:
    """Snapshot name -> records, for every snapshot whose root a draw's check matched."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in reports:
        for kind, records in r.records.items():
            ref = (r.announce or {}).get(kind)
            if isinstance(ref, Mapping) and isinstance(ref.get("snapshot"), str):
                out[ref["snapshot"]] = records
    return out


def portal_stats(source: PortalSource, trust: Trust, *, now: int, max_age: int | None = None,
                 remembered: Sequence[bytes] = ()) -> StatsReport:
    """Verify every draw of the proven log, then compute the statistics."""
    report = StatsReport(source.description)
    note = read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    try:
        cp, _ = open_log_checkpoint(note, trust)
        trust.policy.check(note)
        reader = TileReader(source, cp.tree_size)
        log = prove_log(reader, cp.root_hash)
    except CHECK_ERRORS as e:
        report.failure = f"the log does not verify: {e}"
        return report
    report.tree_size = cp.tree_size
    if log.bad:
        index, why = min(log.bad.items())
        report.failure = f"entry-format: entry {index}: {why}"
        return report
    readers = {cp.tree_size: reader}
    cache: dict[Any, Any] = {}
    for draw_id in draw_histories(list(log.entries)):
        report.draws.append(verify_portal_draw(
            source, trust, draw_id, now=now, checkpoint=note, readers=readers,
            max_age=max_age, cache=cache, remembered=remembered))
    if any(r.verdict == FAIL for r in report.draws):
        return report
    report.entries, report.records = list(log.entries), _records(report.draws)
    try:
        report.stats = compute_stats(report.entries, report.records, _documents(source),
                                     tree_size=cp.tree_size)
    except DrawEngineError as e:
        report.failure = f"stats: {e}"
    return report


def format_stats_json(stats: Mapping[str, Any]) -> str:
    """What `--json` prints and the page embeds as #stats-data (same shape)."""
    return json.dumps(stats, ensure_ascii=False, indent=1, sort_keys=True)


def format_report_html(stats: Mapping[str, Any], *, source: str) -> str:
    """A standalone page: the figures as #stats-data and the portal's plotting script."""
    script = PLOTS.read_text(encoding="utf-8").replace("export function ", "function ")
    data = format_stats_json(stats).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>公平性统计 Fairness statistics · fairdraw</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:72em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} .flag{{background:#fdd}}
.gap{{background:#fdd}} svg text{{font-size:11px}} h2{{margin-top:1.5em}}</style></head>
<body>
<h1>公平性统计 · Fairness statistics</h1>
<p>来源 source: <code>{html.escape(source)}</code> · 由 fairdraw stats 生成，每个抽取已逐项验证 /
written by fairdraw stats after every draw verified.</p>
<div id="stats"></div>
<script type="application/json" id="stats-data">{data}</script>
<script>{script}
const figures = JSON.parse(document.getElementById('stats-data').textContent);
renderStats(figures, document.getElementById('stats'));
</script>
</body>
</html>
"""

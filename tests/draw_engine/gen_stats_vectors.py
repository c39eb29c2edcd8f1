"""Write tests/vectors/stats/*.json: statistics cases for both twins (docs/spec/stats.md).

`python -m tests.draw_engine.gen_stats_vectors` (`--check` compares with the files).
Each case holds the proven entries (a real log made by tests/fairdraw/portal_fixture:
snapshots, draw-v1 results of the local beacon), the records of the snapshots it
publishes, the diff ids documents, and the figures draw_engine.stats computes, plus
`unit_history` for a few units. tests/draw_engine/test_stats.py and
tests/public_portal/js/stats.test.mjs recompute every case and compare.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from draw_engine import registry_diff
from draw_engine.snapshot import parse_records
from draw_engine.stats import compute_stats, unit_history
from tests.fairdraw.portal_fixture import PortalLog

OUT = Path(__file__).resolve().parents[1] / "vectors" / "stats"
NOW = 1_796_000_000


def _ids_document(p: PortalLog, prev: str, name: str) -> bytes:
    def lines(snapshot: str) -> tuple[list[str], list[bytes]]:
        parsed = parse_records(p.snapshot_files[snapshot])
        return [str(r["id"]) for r in parsed.records], list(parsed.lines)

    return registry_diff.format_ids(registry_diff.diff_lines(lines(prev), lines(name)))


def _case(name: str, why: str, p: PortalLog, published: list[str],
          documents: dict[str, bytes], units: list[str]) -> dict[str, Any]:
    records = {s: parse_records(p.snapshot_files[s]).records for s in published}
    docs = {k: v.decode() for k, v in documents.items()}
    expect = compute_stats(p.entries, records, documents, tree_size=len(p.entries))
    return {"name": name, "why": why, "entries": p.entries, "records": records,
            "documents": docs, "tree_size": len(p.entries), "expect": expect,
            "unit_history": {u: unit_history(p.entries, records, u) for u in units}}


def year_with_gap() -> dict[str, Any]:
    """Six monthly draws; a unit retired before the fourth and reactivated after it."""
    p = PortalLog(Path("/nonexistent"), NOW, units=90)
    p.add_snapshots("2026-01")
    active = [r for r in p.unit_records if r["status"] == "active"]
    gap_unit = active[4]
    published = []
    documents: dict[str, bytes] = {}
    for month in range(1, 7):
        if month == 4:
            gap_unit["status"] = "defunct"
            p.add_snapshots(f"2026-0{month}")
        if month == 5:
            gap_unit["status"] = "active"
            limit = registry_diff.INLINE_IDS_LIMIT
            registry_diff.INLINE_IDS_LIMIT = 10  # this diff is logged by its hash
            try:
                p.add_snapshots(f"2026-0{month}")
            finally:
                registry_diff.INLINE_IDS_LIMIT = limit
            documents["units-2026-05"] = _ids_document(p, "units-2026-04", "units-2026-05")
        ai = p.announce(f"Y-2026-{month:02d}", p.round_at(NOW - 86400 * (10 - month)))
        p.result(ai)
    published = sorted(p.snapshot_files)
    first = p.entries[-1]["selected"][0]["unit_id"]
    return _case("year-with-gap", "six draws, one registry gap, one diff by hash", p, published,
                 documents, [first, gap_unit["id"], "U-NOT-THERE"])


def unpublished() -> dict[str, Any]:
    """Two draws; the second draw's units snapshot is published only after the inspections."""
    p = PortalLog(Path("/nonexistent"), NOW, units=50)
    p.add_snapshots("2026-07")
    p.result(p.announce("P-1", p.round_at(NOW - 7200)))
    p.unit_records[0]["name"] = "renamed"
    p.add_snapshots("2026-08", publish="after_inspection")
    p.result(p.announce("P-2", p.round_at(NOW - 3600)))
    published = [s for s, mode in p.publish_modes.items() if mode == "at_announce"]
    return _case("unpublished", "a draw whose units are not published: pending, out of the "
                 "brigade and unit tables", p, published, {},
                 [p.entries[-1]["selected"][0]["unit_id"]])


CASES = {"year-with-gap.json": year_with_gap, "unpublished.json": unpublished}


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for file, make in CASES.items():
        text = json.dumps(make(), ensure_ascii=False, indent=None, sort_keys=True) + "\n"
        target = OUT / file
        if "--check" in argv:
            if not target.exists() or target.read_text() != text:
                stale.append(file)
        else:
            target.write_text(text)
    if stale:
        print(f"stale: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""A year of simulated draws for the statistics tests (issue 19), on the real pieces.

tests/fairdraw/portal_fixture.PortalLog (a real Sequencer, witness cosignatures, the local
development beacon, draw-v1) with the demo's plan shape: each month one batch per
collaboration zone (the routine strata restricted to the zone's brigades, teams drawn in
the zone), a new snapshot every quarter, some units closing and opening, and one unit
retired just before a batch and reactivated just after it (a registry gap). Every
announce is covered by a co-signed checkpoint a day before its round.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from draw_engine.beacon import round_time
from fairdraw.demo_registry import ZONES, routine_strata, routine_teams
from public_portal.builder import PortalInputs, build_portal
from tests.fairdraw.portal_fixture import PortalLog
from transparency.checkpoint import parse_checkpoint
from transparency.note import parse_note

MONTHS = 12


def _store(p: PortalLog, note: bytes) -> None:
    cp = parse_checkpoint(parse_note(note).text)
    p.storage.store_checkpoint(cp.tree_size, cp.root_hash, note, cosigned=True,
                               created_at=datetime.now(UTC))


def _announce(p: PortalLog, draw_id: str, zone: str, month: int, rnd: int) -> int:
    u, i = p.snapshots["units"], p.snapshots["inspectors"]
    brigades = ZONES[zone]
    last = 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31
    rt = datetime.fromtimestamp(round_time(p.chain, rnd), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return p.append({
        "type": "draw.announce", "v": 1, "draw_id": draw_id,
        "title": f"2026年{month}月 双随机抽查 {zone}", "authority": "来宾市消防救援支队（测试）",
        "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": f"2026-{month:02d}-01", "to": f"2026-{month:02d}-{last}"},
        "units": {"snapshot": u.name, "root": u.root_hex, "count": u.count},
        "inspectors": {"snapshot": i.name, "root": i.root_hex, "count": i.count},
        "strata": [{**s, "match": {**s["match"], "brigade": list(brigades)}}
                   for s in routine_strata()],
        "exclusions": [], "zones": ZONES, "teams": routine_teams(), "recusals": [],
        "beacon": {"scheme": p.chain.scheme, "chain_hash": p.chain.chain_hash.hex(),
                   "round": rnd, "round_time": rt, "local": True},
        "supersedes": None})


def build_year(directory: Path, now: int, *, units: int = 600) -> tuple[Path, dict[str, Any]]:
    p = PortalLog(directory / "fixture", now, units=units)
    for r in p.inspector_records:  # certificates valid for the whole year
        r["cert_valid_until"] = "2027-12-31"
    active = [r for r in p.unit_records if r["status"] == "active"]
    gap_unit = next(r for r in active[40:] if r["brigade"] in ZONES["zone-2"])
    p.add_snapshots("2026-01")
    step = (now - 3600 - p.genesis) // (MONTHS * 3 + 2)
    t = p.genesis + step
    for month in range(1, MONTHS + 1):
        if month in (4, 7, 10):
            active[month]["status"] = "defunct"  # a closure
            p.unit_records.append({**active[month + 20], "id": f"U-NEW-{month:02d}",
                                   "name": f"新开业单位 {month}"})
            if month == 7:
                gap_unit["status"] = "defunct"  # out just before July's batches
            p.add_snapshots(f"2026-{month:02d}")
        if month == 8:
            gap_unit["status"] = "active"  # and back after them
            p.add_snapshots(f"2026-{month:02d}")
        for zone in ZONES:
            t += step
            rnd = p.round_at(t)
            ai = _announce(p, f"Y-2026-{month:02d}-{zone}", zone, month, rnd)
            _store(p, p.cosign(round_time(p.chain, rnd) - 600))
            p.result(ai)
    _store(p, p.cosign(now - 60))
    out = directory / "site"
    build_portal(out, PortalInputs(p.storage, p.trust(), dict(p.snapshot_files), {}))
    return out, {"log": p, "gap_unit": gap_unit["id"]}

"""`fairdraw audit` flags a unit taken out of the pool just for one draw (registry-gap)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from draw_engine import registry_diff
from draw_engine.beacon import round_time
from draw_engine.registry_diff import diff_records, format_ids
from fairdraw.audit import audit_portal
from fairdraw.portal_source import DirectorySource
from fairdraw.trust import load_trust
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog
from tests.fairdraw.test_verify import DRAW, NOW


def _set_status(p: PortalLog, unit_id: str, status: str) -> None:
    for record in p.unit_records:
        if record["id"] == unit_id:
            record["status"] = status
            return
    raise AssertionError(f"no unit {unit_id}")


def _gap_portal(tmp_path: Path, *, back: bool) -> tuple[PortalLog, str]:
    """Snapshot, unit out (defunct) in the draw's snapshot, draw, then (if `back`) unit back."""
    p = PortalLog(tmp_path / "portal", NOW, units=60)
    unit = next(r["id"] for r in p.unit_records if r["status"] == "active")
    p.add_snapshots("2026-10")
    _set_status(p, unit, "defunct")
    p.add_snapshots("2026-11")
    rnd = p.round_at(NOW - 3600)
    rt = round_time(p.chain, rnd)
    ai = p.announce(DRAW, rnd)
    p.cosign(rt - 86400)
    p.result(ai)
    if back:
        _set_status(p, unit, "active")
    p.add_snapshots("2026-12")
    p.cosign(rt + 30)
    p.write()
    return p, unit


def _audit(p: PortalLog):
    return audit_portal(DirectorySource(p.out), load_trust(json.dumps(p.trust()).encode()),
                        now=NOW)


def _gaps(rep) -> list:
    return [f for f in rep.findings if f.check == "registry-gap"]


def test_unit_out_for_the_draw_and_back_after_is_flagged(tmp_path: Path) -> None:
    p, unit = _gap_portal(tmp_path, back=True)
    rep = _audit(p)
    gaps = _gaps(rep)
    assert [f.status for f in gaps] == ["fail"]
    assert gaps[0].subject == f"draw {DRAW}"
    assert gaps[0].evidence["unit_id"] == unit
    assert gaps[0].evidence["left_in"] == "units-2026-11"
    assert gaps[0].evidence["left_how"] == "retired"
    assert gaps[0].evidence["back_in"] == "units-2026-12"
    assert gaps[0].evidence["back_how"] == "reactivated"
    assert not rep.ok
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    r = fairdraw("audit", str(p.out), "--trust", str(tmp_path / "trust.json"))
    assert r.returncode == 1
    assert "registry-gap" in r.stdout
    assert unit in r.stdout


def test_unit_that_stays_out_is_not_flagged(tmp_path: Path) -> None:
    p, _unit = _gap_portal(tmp_path, back=False)
    rep = _audit(p)
    assert [f.status for f in _gaps(rep)] == ["pass"]
    assert rep.ok, [f.to_json() for f in rep.failures]


def test_a_big_diff_is_read_from_its_published_ids_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_diff, "INLINE_IDS_LIMIT", 10)  # every diff goes by hash
    p, unit = _gap_portal(tmp_path, back=True)
    assert "ids_sha256" in p.entries[-1]["diff"]
    # Not published: the draw cannot be checked, it is pending (never a silent pass).
    assert [f.status for f in _gaps(_audit(p))] == ["pending"]
    names = ["units-2026-10", "units-2026-11", "units-2026-12"]
    records = {n: [json.loads(line) for line in p.snapshot_files[n].splitlines()] for n in names}
    for before, after in itertools.pairwise(names):
        (p.out / "data" / "snapshots" / f"{after}.diff.json").write_bytes(
            format_ids(diff_records(records[before], records[after])))
    gaps = _gaps(_audit(p))
    assert [(f.status, f.evidence.get("unit_id")) for f in gaps] == [("fail", unit)]
    # A document with other bytes than the logged hash is not believed.
    (p.out / "data" / "snapshots" / "units-2026-12.diff.json").write_bytes(b"{}")
    gaps = _gaps(_audit(p))
    assert [f.status for f in gaps] == ["pending"]
    assert "SHA-256" in gaps[0].reason


def test_a_logged_diff_that_hides_a_removal_fails_snapshot_diff(tmp_path: Path) -> None:
    from draw_engine.snapshot import format_records, make_snapshot, snapshot_entry

    p, unit = _gap_portal(tmp_path, back=True)
    assert {f.status for f in _audit(p).findings if f.check == "snapshot-diff"} == {"pass"}
    # A units snapshot whose entry says nothing left the pool while a unit was dropped.
    previous = p.snapshots["units"]
    records = [r for r in p.unit_records if r["id"] != unit]
    snap = make_snapshot("units-2027-01", "units", records)
    entry = snapshot_entry(snap, previous=previous)
    assert entry["diff"]["ids"]["removed"] == [unit]
    entry["diff"] = {"added": 0, "removed": 0, "changed": 0,
                     "ids": {"added": [], "removed": [], "changed": [], "retired": [],
                             "reactivated": []}}
    p.append(entry)
    p.snapshots["units"] = snap
    p.snapshot_files[snap.name] = format_records(snap)
    p.publish_modes[snap.name] = "at_announce"
    p.cosign(NOW - 30)
    p.write()
    bad = [f for f in _audit(p).findings if f.check == "snapshot-diff" and f.status == "fail"]
    assert [f.subject for f in bad] == [f"snapshot units-2027-01 (entry {len(p.entries) - 1})"]
    assert "removed: logged 0, recomputed 1" in bad[0].reason

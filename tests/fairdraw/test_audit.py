"""`fairdraw audit`: a clean log passes; each kind of misbehaviour is flagged."""

from __future__ import annotations

import json
from pathlib import Path

from draw_engine.beacon import round_time
from fairdraw.audit import audit_portal
from fairdraw.portal_source import DirectorySource
from fairdraw.trust import load_trust
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog, honest_portal
from tests.fairdraw.test_verify import DRAW, NOW, _swap_member


def audit(p: PortalLog):
    return audit_portal(DirectorySource(p.out), load_trust(json.dumps(p.trust()).encode()), now=NOW)


def failed(rep) -> set[str]:
    return {f.check for f in rep.failures}


def base(tmp_path: Path) -> tuple[PortalLog, int]:
    p = PortalLog(tmp_path / "portal", NOW)
    p.add_snapshots()
    rnd = p.round_at(NOW - 3600)
    return p, rnd


def test_clean_log_passes_and_cli_exits_0(tmp_path: Path) -> None:
    p = honest_portal(tmp_path / "portal", NOW)
    # plus a pending draw whose round is tomorrow, already committed
    rnd = p.round_at(NOW + 86400)
    p.announce("LB-2027-01", rnd)
    p.cosign(NOW - 60)
    p.write()
    rep = audit(p)
    assert rep.ok, [f.to_json() for f in rep.failures]
    assert rep.draws == {DRAW: "pass", "LB-2027-01": "pending"}
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    r = fairdraw("audit", str(p.out), "--trust", str(tmp_path / "trust.json"), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True


def test_announce_never_drawn_after_its_round_is_flagged(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    p.announce(DRAW, rnd)
    p.cosign(round_time(p.chain, rnd) - 86400)
    p.write()
    rep = audit(p)
    assert "draw-status" in failed(rep)
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    r = fairdraw("audit", str(p.out), "--trust", str(tmp_path / "trust.json"))
    assert r.returncode == 1
    assert "✗ draw-status" in r.stdout


def test_cancelled_draw_is_not_flagged(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    ai = p.announce(DRAW, rnd)
    p.cosign(round_time(p.chain, rnd) - 86400)
    p.cancel(ai)
    p.cosign(round_time(p.chain, rnd) - 86400 + 600)  # cancelled well before the round
    p.append({"type": "inspection.outcome", "v": 1, "draw_id": "OLD", "unit_id": "U1",
              "date": "2026-01-01", "result": "compliant", "note": "", "evidence_sha256": []})
    p.cosign(NOW - 60)
    p.write()
    rep = audit(p)
    assert rep.ok, [f.to_json() for f in rep.failures]


def test_second_announce_without_supersedes_is_flagged(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    rt = round_time(p.chain, rnd)
    first = p.announce(DRAW, rnd)
    p.cosign(rt - 86400)
    p.result(first)
    again = p.announce(DRAW, rnd + 100)
    p.cosign(rt - 3000)
    p.result(again)
    p.cosign(rt + 600)
    p.write()
    rep = audit(p)
    assert failed(rep) == {"draw:announce-inclusion"}
    f = next(f for f in rep.failures if f.check == "draw:announce-inclusion")
    assert f.reason.startswith("announce-twice: ")


def test_redraw_with_supersedes_is_linked(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    rt = round_time(p.chain, rnd)
    first = p.announce(DRAW, rnd)
    p.cosign(rt - 86400)
    p.cancel(first)
    p.announce("LB-2026-12b", rnd + 100, supersedes=DRAW)
    p.cosign(rt - 3000)
    p.result(4)
    p.cosign(rt + 600)
    p.write()
    rep = audit(p)
    assert rep.ok, [f.to_json() for f in rep.failures]
    assert rep.draws == {DRAW: "cancelled", "LB-2026-12b": "pass"}
    # a supersedes naming a draw that never existed is flagged
    q, rnd = base(tmp_path / "q")
    ai = q.announce(DRAW, rnd, supersedes="GHOST")
    q.cosign(rt - 86400)
    q.result(ai)
    q.cosign(rt + 30)
    q.write()
    rep = audit(q)
    assert "draw:draw-history" in failed(rep)
    f = next(f for f in rep.failures if f.check == "draw:draw-history")
    assert f.reason.startswith("supersede-unknown: ")


def test_result_that_does_not_recompute_is_flagged(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    ai = p.announce(DRAW, rnd)
    p.cosign(round_time(p.chain, rnd) - 86400)
    p.result(ai, tamper=_swap_member)
    p.cosign(round_time(p.chain, rnd) + 30)
    p.write()
    rep = audit(p)
    assert failed(rep) == {"draw:recompute"}
    assert rep.draws[DRAW] == "fail"


def test_commitment_cosigned_too_late_and_hidden_draw_are_flagged(tmp_path: Path) -> None:
    p, rnd = base(tmp_path)
    ai = p.announce(DRAW, rnd)
    p.cosign(round_time(p.chain, rnd) - 10)
    p.result(ai)
    p.cosign(round_time(p.chain, rnd) + 30)
    p.write()
    idx = p.out / "data" / "draws.json"
    idx.write_text(json.dumps({"log_size": 4, "draws": []}))
    rep = audit(p)
    assert {"index"} <= failed(rep)
    # with the index restored, the late commitment is what fails
    p.write()
    assert failed(audit(p)) == {"draw:commitment-timing"}


def test_tampered_snapshot_file_and_tile_are_flagged(tmp_path: Path) -> None:
    p = honest_portal(tmp_path / "portal", NOW)
    f = p.out / "data" / "snapshots" / "inspectors-2026-11.jsonl"
    f.write_text(f.read_text().replace("I001", "I0X1", 1))
    assert "snapshot-roots" in failed(audit(p))
    p.write()
    t = p.out / "log" / "tile" / "0" / "000.p" / "4"
    data = bytearray(t.read_bytes())
    data[5] ^= 1
    t.write_bytes(bytes(data))
    assert failed(audit(p)) == {"log-tiles"}

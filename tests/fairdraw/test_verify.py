"""The Python draw checklist on a real portal: honest, tampered (portal-js tamper list),
over real HTTP, and rollback/fork caught by the client state."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fairdraw.clientstate import ClientState, RollbackOrForkError
from fairdraw.portal_inputs import verify_portal_draw
from fairdraw.portal_source import DirectorySource, HttpSource, SourceError, TileReader
from fairdraw.trust import load_trust
from fairdraw.verify import CHECKS
from tests.fairdraw.portal_fixture import ORIGIN, PortalLog, honest_portal
from transparency.checkpoint import open_checkpoint
from witnesses.cosignature import Cosigner

DRAW = "LB-2026-12"
NOW = int(time.time())  # the CLI reads the real clock


@pytest.fixture
def portal(tmp_path: Path) -> PortalLog:
    return honest_portal(tmp_path / "portal", NOW)


def run(p: PortalLog, trust: dict | None = None):
    t = load_trust(json.dumps(trust or p.trust()).encode())
    return verify_portal_draw(DirectorySource(p.out), t, DRAW, now=NOW)


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_honest_draw_passes_every_check(portal: PortalLog) -> None:
    r = run(portal)
    assert [c.name for c in r.checks] == [*CHECKS, "index"]  # index: the portal's hints agree
    assert all(c.status == "pass" for c in r.checks), r.to_json()
    assert r.verdict == "pass"
    assert r.local
    assert r.computed is not None
    assert r.computed["selected"]


def _flip_checkpoint_sig(p: PortalLog) -> None:
    cp = p.out / "log" / "checkpoint"
    lines = cp.read_text().split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(f"— {ORIGIN} "))
    raw = bytearray(base64.b64decode(lines[i].split(" ")[2]))
    raw[9] ^= 1
    lines[i] = f"— {ORIGIN} {base64.b64encode(bytes(raw)).decode()}"
    cp.write_text("\n".join(lines))


def _edit_snapshot(p: PortalLog) -> None:
    f = p.out / "data" / "snapshots" / "units-2026-11.jsonl"
    text = f.read_text()
    assert '"risk_level":"high"' in text
    f.write_text(text.replace('"risk_level":"high"', '"risk_level":"low"', 1))


def _flip_bundle(p: PortalLog) -> None:
    """One byte of the announce inside the entry bundle: the bundles no longer hash to the
    checkpoint root (a hash tile is not evidence here: every entry is proven from its bundle;
    `fairdraw audit` checks the tiles)."""
    f = p.out / "log" / "tile" / "entries" / "000.p" / "4"
    data = f.read_bytes()
    i = data.index(b'"draw.announce"')
    f.write_bytes(data[:i] + b'"draw.announcE"' + data[i + 15 :])


def _rebuild(p: PortalLog, *, cosigners=(0, 1, 2), early=-86400, tamper=None, extra=False):
    q = PortalLog(p.out, NOW, units=p.units)
    q.add_snapshots()
    rnd = p.entries[2]["beacon"]["round"]
    from draw_engine.beacon import round_time

    rt = round_time(q.chain, rnd)
    ai = q.announce(DRAW, rnd)
    q.cosign(rt + early, list(cosigners))
    ri = q.result(ai, tamper=tamper)
    if extra:
        e = dict(q.entries[ri], spec_hash="0" * 64)
        q.append(e)
    q.cosign(rt + 30, list(cosigners))
    q.write()
    return q


def _swap_member(entry: dict) -> None:
    sel = next(s for s in entry["selected"] if s.get("team") and s["team"]["members"])
    m = sel["team"]["members"][0]
    m["person_id"] = "I002" if m["person_id"] != "I002" else "I001"


def _flip_beacon(entry: dict) -> None:
    s = entry["beacon"]["signature"]
    entry["beacon"]["signature"] = s[:10] + ("b" if s[10] == "a" else "a") + s[11:]


TAMPERS = [
    ("unit attribute in the snapshot file", _edit_snapshot, "snapshot-roots"),
    (
        "one assignment in the result entry (re-signed log)",
        lambda p: _rebuild(p, tamper=_swap_member),
        "recompute",
    ),
    (
        "a beacon signature byte (re-signed log)",
        lambda p: _rebuild(p, tamper=_flip_beacon),
        "beacon-signature",
    ),
    (
        "a dropped cosignature (policy unmet)",
        lambda p: _rebuild(p, cosigners=(0,)),
        "witness-cosignatures",
    ),
    ("a checkpoint signature byte", _flip_checkpoint_sig, "checkpoint-signature"),
    ("an entry bundle byte", _flip_bundle, "announce-inclusion"),
    (
        "cosignatures only after the round time minus the margin",
        lambda p: _rebuild(p, early=-30),
        "commitment-timing",
    ),
    ("two results for one draw", lambda p: _rebuild(p, extra=True), "single-result"),
]


@pytest.mark.parametrize(("what", "tamper", "check"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tamper_is_refused_naming_the_check(portal: PortalLog, what, tamper, check) -> None:
    tamper(portal)
    r = run(portal)
    assert r.verdict == "fail"
    st = statuses(r)
    assert st[check] == "fail", r.to_json()
    assert len(r.check(check).reason) > 10


def test_trust_with_other_witness_keys_fails_cosignatures(portal: PortalLog) -> None:
    t = portal.trust()
    t["witness_policy"]["witnesses"][1]["vkey"] = Cosigner("w2.test", b"\x09" * 32).verifier_key
    t["witness_policy"]["witnesses"][2]["vkey"] = Cosigner("w3.test", b"\x0a" * 32).verifier_key
    r = run(portal, t)
    assert r.verdict == "fail"
    assert statuses(r)["witness-cosignatures"] == "fail"


def test_snapshot_after_inspection_leaves_verdict_pending(portal: PortalLog) -> None:
    (portal.out / "data" / "snapshots" / "units-2026-11.jsonl").unlink()
    r = run(portal)
    assert r.verdict == "pending"
    assert statuses(r)["snapshot-roots"] == "skipped"
    assert statuses(r)["recompute"] == "skipped"


def test_partial_tile_falls_back_to_full_tile(tmp_path: Path) -> None:
    # 300 entries: tile 0/000 is full; delete the partial copies an older export would leave.
    p = PortalLog(tmp_path / "big", NOW, units=40)
    p.add_snapshots()
    for n in range(254):
        p.append(
            {
                "type": "inspection.outcome",
                "v": 1,
                "draw_id": "OLD",
                "unit_id": f"U{n}",
                "date": "2026-01-01",
                "result": "compliant",
                "note": "",
                "evidence_sha256": [],
            }
        )
    from draw_engine.beacon import round_time

    rnd = p.round_at(NOW - 3600)
    ai = p.announce(DRAW, rnd)
    p.cosign(round_time(p.chain, rnd) - 86400)
    p.result(ai)
    p.cosign(round_time(p.chain, rnd) + 30)
    p.write()
    src = DirectorySource(p.out)
    r = verify_portal_draw(src, load_trust(json.dumps(p.trust()).encode()), DRAW, now=NOW)
    assert r.verdict == "pass", r.to_json()
    # a reader of the older size 257 must fall back to the full tiles
    reader = TileReader(src, 257)
    assert not (p.out / "log/tile/0/001.p/1").exists()
    (p.out / "log/tile/0/001.p/1").parent.mkdir(parents=True, exist_ok=True)
    full = (p.out / "log/tile/0/001.p/2").read_bytes()
    (p.out / "log/tile/0/001").write_bytes(full + b"\x00" * (8192 - len(full)))
    assert reader.tile_hashes(0, 1) == [full[:32]]


def test_paths_outside_the_portal_are_refused(portal: PortalLog) -> None:
    src = DirectorySource(portal.out)
    for bad in ("../x", "/etc/passwd", "a//b", "data/./x", ""):
        with pytest.raises(SourceError):
            src.read(bad, 10)
    with pytest.raises(SourceError, match="limit"):
        src.read("trust.json", 10)


# -- rollback / fork ---------------------------------------------------------------------


def _state_check(p: PortalLog, state: ClientState) -> None:
    note = (p.out / "log" / "checkpoint").read_bytes()
    cp, _ = open_checkpoint(note, [p.log_key.verifier_key], origin=ORIGIN)
    state.check(note, cp, TileReader(DirectorySource(p.out), cp.tree_size))
    state.remember(note, now=NOW)


def test_rollback_and_fork_are_caught_with_both_checkpoints(tmp_path: Path) -> None:
    old = honest_portal(tmp_path / "old", NOW)
    saved = tmp_path / "old-copy"
    shutil.copytree(old.out, saved)
    # the log grows: one more entry, a newer checkpoint
    old.append({"type": "draw.cancel", "v": 1, "draw_id": "X", "announce_index": 2, "reason": "r"})
    old.cosign(NOW)
    old.write()
    state = ClientState.load(tmp_path / "state.json")
    _state_check(old, state)
    assert ClientState.load(tmp_path / "state.json").records[0]["tree_size"] == 5
    # rollback: serve the older portal to the client that saw size 5
    old_view = PortalLog(saved, NOW)
    old_view.out = saved
    with pytest.raises(RollbackOrForkError, match="rolled back") as e:
        _state_check(old_view, ClientState.load(tmp_path / "state.json"))
    assert b"\n5\n" in e.value.previous_note
    assert b"\n4\n" in e.value.current_note
    # fork: a different log of the same origin and key, larger
    fork = PortalLog(tmp_path / "fork", NOW)
    fork.add_snapshots(suffix="other")
    for n in range(4):
        fork.append(
            {
                "type": "draw.cancel",
                "v": 1,
                "draw_id": f"F{n}",
                "announce_index": 0,
                "reason": "fork",
            }
        )
    fork.cosign(NOW)
    fork.write()
    with pytest.raises(RollbackOrForkError, match="forked") as e:
        _state_check(fork, ClientState.load(tmp_path / "state.json"))
    ev = e.value.evidence()
    assert ev["previous_checkpoint"] != ev["current_checkpoint"]


def test_malformed_state_file_is_refused(tmp_path: Path) -> None:
    from fairdraw.clientstate import StateFileError

    f = tmp_path / "s.json"
    f.write_text('{"version": 1, "logs": {"x": {"checkpoint": "nope"}}}')
    with pytest.raises(StateFileError):
        ClientState.load(f)


# -- real HTTP ---------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_portal(portal: PortalLog):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(portal.out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 10
    import requests

    while True:
        try:
            requests.get(url + "/trust.json", timeout=1)
            break
        except requests.RequestException:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    yield portal, url
    proc.terminate()
    proc.wait(5)


def test_verify_over_real_http(http_portal) -> None:
    portal, url = http_portal
    t = load_trust(json.dumps(portal.trust()).encode())
    r = verify_portal_draw(HttpSource(url), t, DRAW, now=NOW)
    assert r.verdict == "pass", r.to_json()
    assert HttpSource(url).read("log/nothing-here", 100) is None
    _edit_snapshot(portal)
    r = verify_portal_draw(HttpSource(url), t, DRAW, now=NOW)
    assert statuses(r)["snapshot-roots"] == "fail"

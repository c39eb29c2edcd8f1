"""The portal builder (docs/spec/portal-data.md, docs/spec/portal.md): layout, incrementality,
publish modes, bad input, the CLI. The browser side is in test_browser_e2e.py."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from draw_engine.snapshot import parse_records
from public_portal.builder import PortalBuildError, PortalInputs, build_portal
from public_portal.index import scan_log, snapshot_available
from public_portal.site import render_index
from tests.public_portal.conftest import DemoLog
from transparency.errors import TransparencyError
from transparency.export import DirectorySource, fsck_log
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
from transparency.storage import MemoryStorage

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


@pytest.mark.slow  # the session's demo log: beacon + two witness processes
def test_layout_of_a_built_portal(built_portal: Path, demo_log: DemoLog) -> None:
    site = built_portal
    for rel in ("index.html", "log.html", "offline.html", "trust.json", "log/checkpoint",
                "assets/style.css", "assets/verify-worker.js", "assets/js/verify-draw.js",
                "assets/js/vendor/noble-curves.min.js", "data/draws.json", "data/log.json"):
        assert (site / rel).is_file(), rel
    fsck_log(DirectorySource(site / "log"), [demo_log.trust["log"]["vkey"]])
    index = read_json(site / "data/draws.json")
    by_id = {d["draw_id"]: d for d in index["draws"]}
    assert {k: v["status"] for k, v in by_id.items()} == {
        "D-ROUTINE": "drawn", "D-CANCEL": "superseded", "D-REDRAW": "drawn"}
    assert by_id["D-CANCEL"]["superseded_by"] == "D-REDRAW"
    assert by_id["D-REDRAW"]["supersedes"] == "D-CANCEL"
    assert all(d["local"] for d in index["draws"])
    html = (site / "index.html").read_text(encoding="utf-8")
    for draw_id in by_id:
        assert f'<a href="draw/{draw_id}.html"' in html
        assert f'data-draw-id="{draw_id}"' in (site / "draw" / f"{draw_id}.html").read_text()
        nav = read_json(site / "data/draws" / f"{draw_id}.json")
        stored = demo_log.draws[draw_id]
        assert nav["announce_index"] == stored.announce_index
        assert nav["result_index"] == stored.result_index
        assert nav["cancel_index"] == stored.cancel_index
        published = [(site / rel).read_bytes() for rel in nav["commitment_checkpoints"]]
        if stored.commitment_note is not None:
            assert published[0] == stored.commitment_note
        # ...then the first co-signed checkpoint covering the announce and the cancel.
        storage = SqlStorage.open(demo_log.database_url, migrate=False)
        try:
            for leaf in (stored.announce_index, stored.cancel_index):
                if leaf is not None:
                    first = storage.first_cosigned_covering(leaf)
                    assert first is not None
                    assert first.note in published
        finally:
            storage.close()
        for ref in nav["snapshots"].values():
            records = parse_records((site / ref["path"]).read_bytes())
            assert records.canonical
            assert ref["publish"] == "at_announce"
    routine = read_json(site / "data/draws/D-ROUTINE.json")
    assert routine["result_indices"] == [demo_log.draws["D-ROUTINE"].result_index]
    assert len(routine["outcome_indices"]) == 3  # two outcomes and a correction
    assert read_json(site / "data/draws/D-CANCEL.json")["result_indices"] == []


@pytest.mark.slow  # the session's demo log: beacon + two witness processes
def test_rebuild_writes_nothing_when_nothing_changed(built_portal: Path,
                                                    demo_log: DemoLog) -> None:
    from tests.public_portal.conftest import build

    report = build(demo_log, built_portal)
    assert report.files_written == []
    assert report.tiles_written == 0


def _entries(start: int, count: int) -> list[bytes]:
    return [rfc8785.dumps({"type": "demo.sample", "v": 1, "seq": start + k})
            for k in range(count)]


def _cosigned_log(storage: MemoryStorage, seq: Sequencer) -> None:
    note = seq.checkpoint()
    cp = storage.latest_checkpoint()
    assert cp is not None
    storage.store_checkpoint(cp.tree_size, cp.root_hash, note, cosigned=True,
                             created_at=datetime.now(UTC))


TRUST = {"log": {"origin": "x", "vkey": "x+00000000+AA"}, "witness_policy": {}}


def test_full_tiles_are_never_rewritten(tmp_path: Path) -> None:
    storage = MemoryStorage()
    signer = generate_signer("example.org/portal-incremental")
    out = tmp_path / "site"
    with Sequencer(storage, [signer], signer.name) as seq:
        seq.append(_entries(0, 300))
        _cosigned_log(storage, seq)
        first = build_portal(out, PortalInputs(storage, TRUST))
        full = [out / "log/tile/0/000", out / "log/tile/entries/000"]
        stamps = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in full]
        seq.append(_entries(300, 300))
        _cosigned_log(storage, seq)
        second = build_portal(out, PortalInputs(storage, TRUST))
    assert first.tiles_written > 0
    assert second.tiles_written > 0
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in full] == stamps
    assert (out / "log/tile/0/001").is_file()
    assert (out / "log/checkpoints/300").is_file()
    assert (out / "log/checkpoints/600").is_file()
    assert read_json(out / "data/draws.json") == {"log_size": 600, "draws": []}
    fsck_log(DirectorySource(out / "log"), [signer.verifier_key])


def test_bad_input_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    storage = MemoryStorage()
    out = tmp_path / "site"
    with pytest.raises(PortalBuildError, match="witness_policy"):
        build_portal(out, PortalInputs(storage, {"log": {}}))
    assert not out.exists()
    with pytest.raises(TransparencyError, match="no checkpoint"):
        build_portal(out, PortalInputs(storage, TRUST))


@pytest.mark.slow  # the session's demo log: beacon + two witness processes
def test_snapshot_file_with_other_bytes_is_refused(fresh_copy: Path, demo_log: DemoLog) -> None:
    from tests.public_portal.conftest import build

    path = fresh_copy / "data/snapshots/units-2026-11.jsonl"
    path.write_bytes(path.read_bytes()[:-1] + b" \n")
    with pytest.raises(PortalBuildError, match="units-2026-11"):
        build(demo_log, fresh_copy)


def _entry(**fields: Any) -> bytes:
    return rfc8785.dumps({"v": 1, **fields})


def test_after_inspection_snapshot_waits_for_every_outcome() -> None:
    snap = _entry(type="registry.snapshot", snapshot="u1", kind="units", root="00" * 32,
                  count=3, prev=None, diff={}, publish="after_inspection")
    early = _entry(type="registry.snapshot", snapshot="i1", kind="inspectors", root="00" * 32,
                   count=1, prev=None, diff={}, publish="at_announce")
    announce = _entry(type="draw.announce", draw_id="d1", units={"snapshot": "u1"},
                      beacon={"round": 5, "round_time": "2026-01-01T00:00:00Z"})
    result = _entry(type="draw.result", draw_id="d1", announce_index=2,
                    selected=[{"unit_id": "A"}, {"unit_id": "B"}])
    outcome_a = _entry(type="inspection.outcome", draw_id="d1", unit_id="A")
    outcome_b = _entry(type="inspection.outcome", draw_id="d1", unit_id="B")
    log = [snap, early, announce, result, outcome_a, outcome_b]
    for upto, available in ((3, False), (4, False), (5, False), (6, True)):
        index = scan_log(enumerate(log[:upto]))
        assert snapshot_available(index, "u1") is available, upto
        assert snapshot_available(index, "i1")
    assert not snapshot_available(scan_log(enumerate(log)), "nope")
    cancelled = scan_log(enumerate([snap, early, announce,
                                    _entry(type="draw.cancel", draw_id="d1", reason="x")]))
    assert cancelled.draws["d1"].status == "cancelled"
    assert snapshot_available(cancelled, "u1")


def test_scan_log_statuses_and_odd_entries() -> None:
    log = [b"not json", _entry(type="draw.announce", draw_id="a"),
           _entry(type="draw.announce", draw_id="a", title="second announce ignored"),
           _entry(type="draw.result", draw_id="a"), _entry(type="draw.result", draw_id="a"),
           _entry(type="draw.result", draw_id="unknown")]
    index = scan_log(enumerate(log))
    assert index.size == 6
    assert index.draws["a"].announce_index == 1
    assert index.draws["a"].result_indices == [3, 4]  # the page's single-result check fails
    assert index.draws["a"].status == "drawn"


def test_index_page_escapes_titles() -> None:
    html = render_index([{"draw_id": "d1", "title": "<script>alert(1)</script>",
                          "kind": "routine", "status": "drawn", "round": 1,
                          "round_time": "2026-01-01T00:00:00Z", "local": False}], 3)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.slow  # the session's demo log: beacon + two witness processes
def test_cli_portal_build(demo_log: DemoLog, tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(demo_log.trust))
    out = tmp_path / "site"
    run = subprocess.run([*CLI, "portal", "build", "--out", str(out), "--db",
                          demo_log.database_url, "--trust", str(trust)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "3 draw(s)" in run.stdout
    assert read_json(out / "trust.json") == demo_log.trust
    again = subprocess.run([*CLI, "portal", "build", "--out", str(out), "--db",
                            demo_log.database_url, "--trust", str(trust)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert "0 tile(s) written" in again.stdout
    assert "0 file(s) written" in again.stdout
    bad = subprocess.run([*CLI, "portal", "build", "--out", str(tmp_path / "x"), "--db",
                          demo_log.database_url, "--trust", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 1
    assert "missing.json" in bad.stderr
    assert not (tmp_path / "x").exists()

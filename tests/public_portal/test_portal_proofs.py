"""The portal's tlog-proof files (docs/spec/portal-data.md "Proof files"): one per
draw.announce/result/cancel, against the published checkpoint, listed in the draw's
navigation file; checked by our verifier and by Go's sumdb (tests/interop)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdraw.proofs import check_proof
from fairdraw.trust import parse_trust
from tests.interop.test_go_interop import logcheck, run  # noqa: F401 (fixture)
from tests.public_portal.conftest import DemoLog
from transparency.proof import parse_proof


@pytest.mark.slow  # the session's demo log: beacon + two witness processes
def test_every_draw_entry_has_a_proof_listed_in_its_navigation_file(
        built_portal: Path, demo_log: DemoLog) -> None:
    trust = parse_trust(demo_log.trust)
    note = (built_portal / "log/checkpoint").read_bytes()
    listed = set()
    for draw_id, stored in demo_log.draws.items():
        nav = json.loads((built_portal / f"data/draws/{draw_id}.json").read_bytes())
        expect = {"announce": stored.announce_index, "result": stored.result_index,
                  "cancel": stored.cancel_index}
        assert set(nav["proofs"]) == set(expect)
        for kind, index in expect.items():
            rel = nav["proofs"][kind]
            if index is None:
                assert rel is None
                continue
            assert rel == f"data/proofs/{index}.tlog-proof"
            data = (built_portal / rel).read_bytes()
            assert parse_proof(data).checkpoint == note
            report = check_proof(data, trust)
            assert (report.leaf_index, report.draw_id) == (index, draw_id)
            assert report.entry_type == f"draw.{kind}"
            listed.add(rel)
    on_disk = {f"data/proofs/{p.name}" for p in (built_portal / "data/proofs").iterdir()}
    assert listed <= on_disk
    for rel in on_disk - listed:  # e.g. a cancel of a superseded draw: still a draw entry
        assert check_proof((built_portal / rel).read_bytes(), trust).entry_type.startswith(
            "draw.")


def _go_keys(trust: dict) -> list[str]:  # type: ignore[type-arg]
    args = ["-vkey", trust["log"]["vkey"], "-origin", trust["log"]["origin"]]
    for w in trust["witness_policy"]["witnesses"]:
        args += ["-witness", w["vkey"]]
    return args


@pytest.mark.slow
def test_go_verifies_the_demo_portal_log_and_its_proofs(
        built_portal: Path, demo_log: DemoLog, logcheck: Path) -> None:  # noqa: F811
    """The demo's published log, every commitment checkpoint it extends, every proof file."""
    log_json = json.loads((built_portal / "data/log.json").read_bytes())
    olds = [a for rel in log_json["checkpoints"] for a in ("-old", str(built_portal / rel))]
    keys = _go_keys(demo_log.trust)
    proc = run(logcheck, "log", "-dir", str(built_portal / "log"), *keys, "-quorum", "2", *olds)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("consistency: size") == len(log_json["checkpoints"])
    proofs = sorted(str(p) for p in (built_portal / "data/proofs").iterdir())
    assert proofs
    proc = run(logcheck, "proof", *keys, "-quorum", "2", *proofs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == len(proofs)
    assert "(type draw.result, draw D-ROUTINE)" in proc.stdout

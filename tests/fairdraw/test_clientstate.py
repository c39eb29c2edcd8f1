"""Client state per (origin, log key) with the trust fingerprint (issue 12 point 6, issue 13
point 2): shared vectors, migration, and the CLI (`verify`, `audit --state`, `state list|forget`,
`trust show`) on real portal directories."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from draw_engine.canonical import parse_json
from fairdraw.clientstate import (
    ClientState,
    RollbackOrForkError,
    StateFileError,
    TrustChangedError,
    compare_memory,
    key_id_of,
)
from fairdraw.portal_source import DirectorySource, TileReader
from fairdraw.trust import TrustError, load_trust, trust_fingerprint
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import ORIGIN, PortalLog, honest_portal
from transparency.checkpoint import open_checkpoint
from transparency.note_keys import Signer

DRAW = "LB-2026-12"
NOW = int(time.time())  # the CLI reads the real clock (checkpoint-freshness)
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "trust"


def _vectors(name: str) -> list[dict[str, Any]]:
    data = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


# -- shared vectors (the node test trustroot.test.mjs reads the same files) ----------------


@pytest.mark.parametrize("v", _vectors("fingerprint.json"), ids=lambda v: v["name"])
def test_fingerprint_vectors(v: dict[str, Any]) -> None:
    if "error" in v:
        with pytest.raises((TrustError, ValueError)):
            trust_fingerprint(parse_json(v["text"]))
        return
    fp = trust_fingerprint(parse_json(v["text"]))
    assert (fp.full, fp.short) == (v["full"], v["short"])
    assert load_trust(v["text"].encode()).fingerprint == fp


def test_fingerprint_changes_with_any_value() -> None:
    base = _vectors("fingerprint.json")[0]
    trust = json.loads(base["text"])
    trust["witness_policy"]["groups"][0]["k"] = 3
    assert trust_fingerprint(trust).full != base["full"]
    assert str(trust_fingerprint(json.loads(base["text"]))) == base["short"]
    for bad in ({**trust, "margin_seconds": 60.5}, {**trust, "margin_seconds": 2**53}):
        with pytest.raises(TrustError, match="no canonical form"):
            trust_fingerprint(bad)


@pytest.mark.parametrize("v", _vectors("memory.json"), ids=lambda v: v["name"])
def test_memory_vectors(v: dict[str, Any]) -> None:
    got = compare_memory(v["previous"], v["current"])
    assert got.status == v["status"]
    assert got.reason.startswith(f"{v['status']}: ")
    assert got.red == (v["status"] in ("trust-changed", "rollback", "fork"))


def test_memory_of_another_log_is_refused() -> None:
    v = next(v for v in _vectors("memory.json") if v["status"] == "fork")
    with pytest.raises(ValueError, match="different logs"):
        compare_memory(v["previous"], {**v["current"], "key_id": "ffffffff"})


# -- the state file ----------------------------------------------------------------------


def _view(p: PortalLog) -> tuple[bytes, Any, TileReader, str]:
    note = (p.out / "log" / "checkpoint").read_bytes()
    cp, _ = open_checkpoint(note, [p.log_key.verifier_key], origin=ORIGIN)
    return note, cp, TileReader(DirectorySource(p.out), cp.tree_size), p.log_key.verifier_key


def _seen(p: PortalLog, state: ClientState, fp: str) -> None:
    note, cp, reader, vkey = _view(p)
    state.check(note, cp, reader, key_id=key_id_of(vkey), trust_fingerprint=fp)
    state.remember(note, now=NOW, log_key=vkey, trust_fingerprint=fp)


def test_two_logs_under_one_origin_with_two_keys_are_two_records(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    b = PortalLog(tmp_path / "b", NOW, units=60, log_key=Signer(ORIGIN, bytes([8]) * 32))
    b.add_snapshots(suffix="other")
    b.cosign(NOW)
    b.write()
    state = ClientState.load(tmp_path / "s.json")
    _seen(a, state, "a" * 64)
    _seen(b, state, "b" * 64)  # no fork: another key is another log
    again = ClientState.load(tmp_path / "s.json")
    assert sorted((r["key_id"], r["tree_size"]) for r in again.records) == sorted(
        [(key_id_of(a.log_key.verifier_key), 4), (key_id_of(b.log_key.verifier_key), 2)]
    )
    kid_a = key_id_of(a.log_key.verifier_key)
    assert [r["key_id"] for r in again.others(ORIGIN, kid_a)] == [
        key_id_of(b.log_key.verifier_key)
    ]
    # the same log under a changed trust.json is refused, with both fingerprints
    note, cp, reader, vkey = _view(a)
    with pytest.raises(TrustChangedError, match=r"trust\.json changed") as e:
        again.check(note, cp, reader, key_id=kid_a, trust_fingerprint="c" * 64)
    assert e.value.evidence()["previous_trust_fingerprint"] == "a" * 64
    assert f"fairdraw state forget {ORIGIN} --key {kid_a}" in str(e.value)
    assert again.forget(ORIGIN, vkey)[0]["key_id"] == kid_a
    assert [r["key_id"] for r in ClientState.load(tmp_path / "s.json").records] == [
        key_id_of(b.log_key.verifier_key)
    ]


def test_fork_message_shows_both_checkpoints_and_how_to_forget(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    fork = PortalLog(tmp_path / "fork", NOW, units=60)  # same origin AND key, other entries
    fork.add_snapshots(suffix="other")
    for n in range(2):
        fork.append({"type": "draw.cancel", "v": 1, "draw_id": f"F{n}", "announce_index": 0,
                     "reason": "fork"})
    fork.cosign(NOW)
    fork.write()
    state = ClientState.load(tmp_path / "s.json")
    _seen(a, state, "a" * 64)
    note, cp, reader, vkey = _view(fork)
    old = open_checkpoint((a.out / "log" / "checkpoint").read_bytes(), [vkey])[0]
    assert cp.tree_size == old.tree_size
    with pytest.raises(RollbackOrForkError, match="forked") as e:
        state.check(note, cp, reader, key_id=key_id_of(vkey), trust_fingerprint="a" * 64)
    text = str(e.value)
    for part in (f"size {old.tree_size} root {old.root_hash.hex()}",
                 f"size {cp.tree_size} root {cp.root_hash.hex()}",
                 f"fairdraw state forget {ORIGIN} --key {key_id_of(vkey)}"):
        assert part in text


def test_version_1_state_is_migrated_and_rewritten(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    note, cp, reader, vkey = _view(a)
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"version": 1, "logs": {ORIGIN: {
        "checkpoint": note.decode(), "tree_size": cp.tree_size, "seen_at": 5}}}))
    state = ClientState.load(path)
    assert state.migrated_from == 1
    [rec] = state.records
    assert (rec["key_id"], rec["trust_fingerprint"], rec["log_key"]) == (key_id_of(vkey), None,
                                                                           None)
    # no fingerprint yet: adopted; the checkpoint is still compared
    assert state.check(note, cp, reader, key_id=key_id_of(vkey),
                       trust_fingerprint="d" * 64).status == "same"
    state.remember(note, now=NOW, log_key=vkey, trust_fingerprint="d" * 64)
    saved = json.loads(path.read_text())
    assert saved["version"] == 2
    assert saved["logs"][0]["trust_fingerprint"] == "d" * 64
    assert saved["logs"][0]["log_key"] == vkey


@pytest.mark.parametrize("content", [
    '{"version": 3, "logs": []}',
    '{"version": 2, "logs": {}}',
    '{"version": 2, "logs": [{"origin": "x", "key_id": "XYZ", "checkpoint": ""}]}',
    '[]',
    'not json',
])
def test_malformed_or_unknown_state_is_refused_with_advice(tmp_path: Path, content: str) -> None:
    f = tmp_path / "s.json"
    f.write_text(content)
    with pytest.raises(StateFileError, match="Move it away"):
        ClientState.load(f)


def test_a_record_whose_checkpoint_is_not_signed_by_its_key_is_refused(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    state = ClientState.load(tmp_path / "s.json")
    _seen(a, state, "a" * 64)
    data = json.loads((tmp_path / "s.json").read_text())
    data["logs"][0]["key_id"] = "00000000"
    data["logs"][0]["log_key"] = None
    (tmp_path / "s.json").write_text(json.dumps(data))
    with pytest.raises(StateFileError, match="not signed by that log key"):
        ClientState.load(tmp_path / "s.json")


# -- the CLI ---------------------------------------------------------------------------------


def _trust_file(p: PortalLog, path: Path, **changes: Any) -> Path:
    path.write_text(json.dumps({**p.trust(), **changes}))
    return path


def test_cli_prints_the_trust_root_and_shares_state_between_verify_and_audit(
    tmp_path: Path,
) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    saved = tmp_path / "a-old"
    shutil.copytree(a.out, saved)
    a.announce("LB-2027-01", a.round_at(NOW + 86400))  # the log grows by a pending draw
    a.cosign(NOW)
    a.write()
    trust = _trust_file(a, tmp_path / "trust.json")
    fp = trust_fingerprint(a.trust())
    state = tmp_path / "state.json"

    shown = fairdraw("trust", "show", "--trust", str(trust))
    assert shown.returncode == 0, shown.stderr
    assert fp.short in shown.stdout
    assert fp.full in shown.stdout
    assert a.log_key.verifier_key in shown.stdout
    assert all(w.verifier_key in shown.stdout for w in a.witnesses)
    assert a.chain.chain_hash.hex() in shown.stdout
    assert "LOCAL" in shown.stdout

    r = fairdraw("verify", str(a.out), "--trust", str(trust), "--state", str(state), "--draw",
                 DRAW)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0].endswith(fp.short)  # the trust root comes first
    # audit --state with the same file sees the rollback to the saved (smaller) view
    r = fairdraw("audit", str(saved), "--trust", str(trust), "--state", str(state))
    assert r.returncode == 4, r.stdout + r.stderr
    assert "rolled back" in r.stderr
    assert "fairdraw state forget" in r.stderr
    # audit without --state keeps no memory and passes the older view
    assert fairdraw("audit", str(saved), "--trust", str(trust)).returncode == 0

    listed = fairdraw("state", "list", "--state", str(state))
    assert listed.returncode == 0
    kid = key_id_of(a.log_key.verifier_key)
    assert f"{ORIGIN}  key {kid}  size 5" in listed.stdout
    assert fp.full[:16] in listed.stdout

    # another trust.json for the same log and key: refused (exit 4), both fingerprints
    other = _trust_file(a, tmp_path / "trust2.json", margin_seconds=59)
    r = fairdraw("verify", str(a.out), "--trust", str(other), "--state", str(state))
    assert r.returncode == 4, r.stdout + r.stderr
    assert "trust.json changed" in r.stderr
    assert fp.full in r.stderr

    forgot = fairdraw("state", "forget", ORIGIN, "--key", kid, "--state", str(state))
    assert forgot.returncode == 0
    assert f"forgot {ORIGIN} key {kid}" in forgot.stdout
    r = fairdraw("audit", str(saved), "--trust", str(other), "--state", str(state))
    assert r.returncode == 0, r.stdout + r.stderr
    listed = fairdraw("state", "list", "--state", str(state))
    assert f"key {kid}  size 4" in listed.stdout  # audit remembered the view it checked
    missing = fairdraw("state", "forget", "nope/log", "--state", str(state))
    assert missing.returncode == 2
    assert "known:" in missing.stderr


def test_cli_json_output_stays_json(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    trust = _trust_file(a, tmp_path / "trust.json")
    r = fairdraw("verify", str(a.out), "--trust", str(trust), "--state",
                 str(tmp_path / "s.json"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["verdict"] == "pass"
    assert trust_fingerprint(a.trust()).short in r.stderr


def test_trust_show_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text('{"log": {}}')
    r = fairdraw("trust", "show", "--trust", str(bad))
    assert r.returncode == 2
    assert "log.origin" in r.stderr


def test_cli_warns_when_a_known_origin_comes_with_another_log_key(tmp_path: Path) -> None:
    a = honest_portal(tmp_path / "a", NOW, units=60)
    b = PortalLog(tmp_path / "b", NOW, units=60, log_key=Signer(ORIGIN, bytes([8]) * 32))
    b.add_snapshots(suffix="other")
    b.cosign(NOW)
    b.write()
    state = str(tmp_path / "s.json")
    first = fairdraw("verify", str(a.out), "--trust", str(_trust_file(a, tmp_path / "ta.json")),
                     "--state", state)
    assert first.returncode == 0, first.stderr
    assert "ANOTHER log key" not in first.stderr
    second = fairdraw("verify", str(b.out), "--trust", str(_trust_file(b, tmp_path / "tb.json")),
                      "--state", state)
    assert second.returncode == 0, second.stdout + second.stderr  # a new log, not a fork
    assert "ANOTHER log key" in second.stderr
    assert key_id_of(a.log_key.verifier_key) in second.stderr

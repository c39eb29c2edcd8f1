"""`fairdraw bundle --proofs DIR` and `fairdraw verify --proof FILE`: a draw's entries as
C2SP tlog-proof@v1 files, round trip through the real CLI, and tampered files refused
with the check that failed."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from draw_engine.canonical import canonical_json
from fairdraw.proofs import ProofCheckError, check_proof, draw_entry_indices
from fairdraw.trust import parse_trust
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import ORIGIN, PortalLog
from transparency.note import parse_note
from transparency.note_keys import Signer
from transparency.proof import format_proof, parse_proof

NOW = int(time.time())  # live portal: the co-signatures must be fresh
DRAW, OLD = "LB-2026-12", "LB-2026-11"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> PortalLog:
    """OLD announced and cancelled long before its round; DRAW announced and drawn."""
    tmp_path = tmp_path_factory.mktemp("proofs")
    p = PortalLog(tmp_path / "portal", NOW, units=60)
    p.add_snapshots()
    rt = NOW - 3600
    old = p.announce(OLD, p.round_at(rt + 86400))
    p.cancel(old)
    ai = p.announce(DRAW, p.round_at(rt))
    p.cosign(rt - 86400)
    p.result(ai)
    p.cosign(rt + 30)
    p.write()
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    return p


_BUNDLED: dict[tuple[Path, str], tuple[Path, list[Path]]] = {}


def _bundle(p: PortalLog, draw: str) -> tuple[Path, list[Path]]:
    """`fairdraw bundle --proofs`, run once per draw for the module's portal."""
    if (p.out, draw) in _BUNDLED:
        return _BUNDLED[(p.out, draw)]
    out = p.out.parent / f"proofs-{draw}"
    r = fairdraw("bundle", draw, "--source", str(p.out), "--out", str(p.out.parent / "b.json"),
                 "--trust", str(p.out.parent / "trust.json"), "--proofs", str(out))
    assert r.returncode in (0, 3), r.stdout + r.stderr  # 3: a cancelled draw is pending
    assert "tlog-proof file(s) written" in r.stderr, r.stderr
    _BUNDLED[(p.out, draw)] = (out, sorted(out.glob(f"{draw}-*.tlog-proof")))
    return _BUNDLED[(p.out, draw)]


def _verify(p: PortalLog, *files: Path, trust: Path | None = None):
    return fairdraw("verify", "--trust", str(trust or p.out.parent / "trust.json"),
                    *[a for f in files for a in ("--proof", str(f))])


def test_bundle_writes_one_proof_per_entry_and_verify_accepts_them(portal: PortalLog) -> None:
    _, files = _bundle(portal, DRAW)
    assert [f.name for f in files] == [f"{DRAW}-announce-4.tlog-proof",
                                       f"{DRAW}-result-5.tlog-proof"]
    r = _verify(portal, *files)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"draw.announce of draw {DRAW} (leaf 4)" in r.stdout
    assert f"draw.result of draw {DRAW} (leaf 5)" in r.stdout
    assert "✓ witness-cosignatures: policy 'quorum' met by w1, w2, w3" in r.stdout
    assert "offline proof: freshness not checked" in r.stdout
    proof = parse_proof(files[1].read_bytes())
    assert proof.checkpoint == (portal.out / "log" / "checkpoint").read_bytes()
    assert proof.extra == canonical_json(portal.entries[5])


def test_cancelled_draw_gets_its_cancel_proof_and_json_output(portal: PortalLog) -> None:
    _, files = _bundle(portal, OLD)
    assert [f.name for f in files] == [f"{OLD}-announce-2.tlog-proof",
                                       f"{OLD}-cancel-3.tlog-proof"]
    r = fairdraw("verify", "--json", "--trust", str(portal.out.parent / "trust.json"),
                 "--proof", str(files[1]))
    assert r.returncode == 0, r.stderr
    [res] = json.loads(r.stdout)
    assert (res["verdict"], res["entry_type"], res["draw_id"]) == ("pass", "draw.cancel", OLD)
    assert [c["name"] for c in res["checks"]] == [
        "tlog-proof", "checkpoint-signature", "witness-cosignatures", "entry-inclusion", "entry"]


def _tampered(files: list[Path], how: str) -> Path:
    data = files[0].read_bytes()
    proof = parse_proof(data)
    if how == "hash":
        line = base64.b64encode(proof.inclusion_proof[0]).decode()
        other = base64.b64encode(bytes(32)).decode()
        data = data.replace(line.encode(), other.encode(), 1)
    elif how == "entry":
        assert proof.extra is not None
        forged = proof.extra.replace(b"LB-2026-12", b"LB-2026-13")
        data = data.replace(base64.b64encode(proof.extra), base64.b64encode(forged), 1)
    elif how == "index":
        data = data.replace(f"index {proof.leaf_index}\n".encode(), b"index 1\n", 1)
    elif how == "checkpoint":
        size = f"\n{proof.body.tree_size}\n".encode()
        data = data.replace(size, f"\n{proof.body.tree_size + 1}\n".encode(), 1)
    elif how == "cosignatures":
        note = parse_note(proof.checkpoint)
        log_only = note.text + b"\n" + note.signatures[0].format_line().encode()
        data = data.replace(proof.checkpoint, log_only)
    elif how == "header":
        data = data.replace(b"tlog-proof@v1", b"tlog-proof@v2", 1)
    elif how == "junk":
        data += b"junk\n"
    out = files[0].with_name(f"tampered-{how}.tlog-proof")
    out.write_bytes(data)
    return out


@pytest.mark.parametrize(("how", "check"), [
    ("hash", "entry-inclusion"),
    ("entry", "entry-inclusion"),
    ("index", "entry-inclusion"),
    ("checkpoint", "checkpoint-signature"),
    ("cosignatures", "witness-cosignatures"),
    ("header", "tlog-proof"),
    ("junk", "tlog-proof"),
])
def test_tampered_proof_is_refused_naming_the_check(portal: PortalLog, how: str,
                                                    check: str) -> None:
    _, files = _bundle(portal, DRAW)
    r = _verify(portal, files[1], _tampered(files, how))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "-result-5.tlog-proof: pass" in r.stdout
    assert f"tampered-{how}.tlog-proof: FAIL\n  ✗ {check}: " in r.stdout


def test_a_proof_under_another_log_key_is_refused(portal: PortalLog) -> None:
    _, files = _bundle(portal, DRAW)
    other = portal.trust()
    other["log"]["vkey"] = Signer(ORIGIN, bytes([99]) * 32).verifier_key
    trust = parse_trust(other)
    with pytest.raises(ProofCheckError) as e:
        check_proof(files[0].read_bytes(), trust)
    assert e.value.check == "checkpoint-signature"


def test_proof_of_a_non_draw_entry_is_refused(portal: PortalLog) -> None:
    from transparency.proof import prove_entry

    note = (portal.out / "log" / "checkpoint").read_bytes()
    snap = canonical_json(portal.entries[0])
    proof = format_proof(prove_entry(note, 0, portal.storage, extra=snap))
    with pytest.raises(ProofCheckError, match=r"^entry: the proven entry is .registry\.snapshot."):
        check_proof(proof, parse_trust(portal.trust()))


def test_verify_proof_needs_a_trust_file() -> None:
    r = fairdraw("verify", "--proof", "x.tlog-proof")
    assert r.returncode == 2
    assert "--proof needs --trust" in r.stderr


def test_entries_attached_by_announce_index_are_included() -> None:
    def e(**kw: object) -> bytes:
        return json.dumps(kw).encode()

    entries = [e(type="draw.announce", draw_id="A"), e(type="draw.announce", draw_id="B"),
               e(type="draw.result", draw_id="B", announce_index=0),  # names A's announce
               e(type="draw.cancel", draw_id="A", announce_index=1), b"not json",
               e(type="inspection.outcome", draw_id="A")]
    assert draw_entry_indices(entries, "A") == [(0, "announce"), (2, "result"), (3, "cancel")]

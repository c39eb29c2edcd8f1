"""Messages that say what is wrong and what to do (issue 13 point 10): a trust.json of
another log or key, an address that is not a portal, a portal that cannot be reached, times
as RFC 3339 UTC instead of POSIX seconds, and no doubled "at at"."""

from __future__ import annotations

import ast
import json
import re
import socket
from pathlib import Path

import pytest
import requests

from draw_engine.beacon_errors import RoundNotYetAvailableError
from fairdraw.portal_source import HttpSource, SourceError
from fairdraw.trust import LogKeyMismatchError, load_trust, open_log_checkpoint
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog, honest_portal
from tests.fairdraw.test_verify import DRAW, NOW, http_portal
from transparency.errors import SignatureError
from transparency.note_keys import generate_signer
from witnesses.cosignature import Cosigner
from witnesses.errors import CosignatureVerificationError

__all__ = ["http_portal"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def portal(tmp_path: Path) -> PortalLog:
    p = honest_portal(tmp_path / "portal", NOW)
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    return p


def _other_key_trust(p: PortalLog, origin: str | None = None) -> dict:
    trust = p.trust()
    signer = generate_signer(origin or trust["log"]["origin"])
    trust["log"] = {"origin": signer.name, "vkey": signer.verifier_key}
    return trust


def _key_name(vkey: str) -> str:
    name, key_id, _ = vkey.split("+", 2)  # names hold no "+", base64 may
    return f"{name}+{key_id}"


@pytest.mark.parametrize("other_origin", [None, "example.org/another/log"])
def test_wrong_trust_key_names_both_keys(portal: PortalLog, tmp_path: Path,
                                         other_origin: str | None) -> None:
    trust = _other_key_trust(portal, other_origin)
    path = tmp_path / "other-trust.json"
    path.write_text(json.dumps(trust))
    r = fairdraw("verify", str(portal.out), "--trust", str(path), "--draw", DRAW,
                 "--state", str(tmp_path / "state.json"))
    assert r.returncode == 1, r.stderr
    line = next(x for x in r.stdout.splitlines() if "checkpoint-signature" in x)
    assert "trust.json does not match this log" in line
    assert f"expects the log key {_key_name(trust['log']['vkey'])}" in line
    assert _key_name(portal.trust()["log"]["vkey"]) in line  # the key that did sign
    assert "no verifiable signatures" not in line
    if other_origin:
        assert f"(log {other_origin})" in line

    audit = fairdraw("audit", str(portal.out), "--trust", str(path))
    assert audit.returncode == 1
    assert "trust.json does not match this log" in audit.stdout


def test_mismatch_carries_evidence_and_a_bad_signature_stays_tampering(
        portal: PortalLog) -> None:
    note = (portal.out / "log" / "checkpoint").read_bytes()
    other = load_trust(json.dumps(_other_key_trust(portal)).encode())
    with pytest.raises(LogKeyMismatchError) as e:
        open_log_checkpoint(note, other)
    assert e.value.expected == [_key_name(other.log_vkeys[0])]
    assert _key_name(portal.trust()["log"]["vkey"]) in e.value.found
    assert isinstance(e.value, SignatureError)  # callers catching TransparencyError still do

    honest = load_trust(json.dumps(portal.trust()).encode())
    body, sigs = note.split(b"\n\n", 1)
    forged = body.replace(b"\n", b"\n", 1) + b"\n\n" + sigs
    lines = forged.split(b"\n")
    lines[1] = str(int(lines[1]) + 1).encode()  # another tree size under the same signature
    with pytest.raises(SignatureError) as bad:
        open_log_checkpoint(b"\n".join(lines), honest)
    assert not isinstance(bad.value, LogKeyMismatchError)
    cp, _ = open_log_checkpoint(note, honest)
    assert cp.origin == honest.origin


def test_an_address_that_is_not_a_portal(portal: PortalLog,
                                         http_portal: tuple[PortalLog, str],
                                         tmp_path: Path) -> None:
    trust = str(portal.out.parent / "trust.json")
    for location, says in ((http_portal[1] + "/nope/", "answers HTTP 404 (not found)"),
                           (str(tmp_path), "does not exist")):
        for args in (("verify", location, "--trust", trust),
                     ("audit", location),
                     ("assignments", "--source", location, "--brigade", "xingbin"),
                     ("bundle", DRAW, "--source", location, "--out", str(tmp_path / "b.json"))):
            r = fairdraw(*args, "--state", str(tmp_path / "s.json")) if args[0] in (
                "verify", "assignments") else fairdraw(*args)
            assert r.returncode == 2, (args, r.stderr)
            assert "is not a fairdraw portal" in r.stderr
            assert says in r.stderr
            assert "Check the address" in r.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_portal_is_one_line_without_python_internals(tmp_path: Path,
                                                                    portal: PortalLog) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/portal"
    r = fairdraw("verify", base + "/", "--trust", str(portal.out.parent / "trust.json"),
                 "--state", str(tmp_path / "s.json"))
    assert r.returncode == 2
    assert f"error: cannot reach {base}: connection refused" in r.stderr
    for internal in ("Traceback", "HTTPConnectionPool", "NewConnectionError", "Errno"):
        assert internal not in r.stderr
    with pytest.raises(SourceError, match=r"cannot reach http://host\.invalid: unknown host"):
        HttpSource("http://host.invalid", timeout=5).read("log/checkpoint", 100)


def test_unreachable_describes_timeouts() -> None:
    from fairdraw.portal_source import unreachable

    text = unreachable("http://x", "http://x/log/checkpoint", requests.ReadTimeout("boom"))
    assert text == "cannot reach http://x: no answer in time (timed out) (GET http://x/log/checkpoint)"


def test_times_are_rfc3339_not_posix_seconds(portal: PortalLog) -> None:
    r = fairdraw("trust", "show", "--trust", str(portal.out.parent / "trust.json"))
    assert r.returncode == 0, r.stderr
    genesis = next(x for x in r.stdout.splitlines() if "genesis" in x)
    assert re.search(r"genesis \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,", genesis), genesis
    assert str(portal.chain.genesis_time) not in genesis

    msg = str(RoundNotYetAvailableError(round=5, round_time=1_796_607_909))
    assert msg == "round 5 is not available yet (round time 2026-12-07T01:45:09Z)"

    cosigner = Cosigner.from_signer(generate_signer("w.example/witness"))
    body = b"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    sig = cosigner.cosign(body, timestamp=1_796_607_909)
    with pytest.raises(CosignatureVerificationError, match=r"\(2026-12-07T01:45:09Z\)"):
        cosigner.key.check(body.replace(b"\n1\n", b"\n2\n"), sig)


# "at at": every string constant of the packages and every line of the portal's scripts.
PACKAGES = ("transparency", "witnesses", "draw_engine", "public_portal", "fairdraw")
DOUBLED = re.compile(r"\b(at|the|a|to|of|is) \1\b")


def _python_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, str)]
    # f-strings: join the literal parts with a placeholder word between them
    for n in ast.walk(tree):
        if isinstance(n, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "X"
                                 for v in n.values))
    return found


def test_no_doubled_words_in_messages() -> None:
    problems = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            problems += [f"{path.relative_to(ROOT)}: {s!r}" for s in _python_strings(path)
                         if DOUBLED.search(s)]
    for path in sorted((ROOT / "public_portal" / "static").rglob("*.js")):
        if "vendor" in path.parts:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if DOUBLED.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()[:120]}")
    assert problems == []

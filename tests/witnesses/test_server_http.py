"""Every tlog-witness status rule, through real HTTP against a witness process."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.witnesses.support import (
    MemoryLog,
    WitnessProcess,
    add_checkpoint,
    start_witness,
)
from transparency.checkpoint import Checkpoint, sign_checkpoint
from transparency.merkle import EMPTY_ROOT
from transparency.note_keys import generate_signer
from witnesses.cosignature import parse_cosigner_key, verify_cosignature
from witnesses.directory import add_log, init_witness

N_LOGS = 16


@pytest.fixture(scope="module")
def logs() -> list[MemoryLog]:
    return [MemoryLog(f"example.com/log{i}") for i in range(N_LOGS)]


@pytest.fixture(scope="module")
def witness(tmp_path_factory: pytest.TempPathFactory, logs: list[MemoryLog]) -> Iterator[
    tuple[WitnessProcess, str]
]:
    d = tmp_path_factory.mktemp("witness")
    cosigner = init_witness(d, "witness.example/w1")
    for log in logs:
        add_log(d, log.origin, log.vkey)
    w = start_witness(d, "--rate", "1000", "--burst", "1000", "--max-request-size", "16384")
    yield w, cosigner.verifier_key
    w.stop()


_next_log = itertools.count()


@pytest.fixture
def log(logs: list[MemoryLog]) -> MemoryLog:
    # each test gets its own origin on the shared witness, so tests do not share state
    return logs[next(_next_log)]


def body(note: bytes) -> bytes:
    return note[: note.index(b"\n\n") + 1]


def test_200_first_checkpoint_cosigned_and_verifies(witness: tuple[WitnessProcess, str],
                                                    log: MemoryLog) -> None:
    w, vkey = witness
    log.append(3)
    note = log.checkpoint()
    r = add_checkpoint(w.url, 0, [], note)
    assert r.status_code == 200, r.text
    assert r.text.startswith("— witness.example/w1 ")
    ts = verify_cosignature(vkey, body(note), r.text)
    assert ts > 1_700_000_000
    assert parse_cosigner_key(vkey).name == "witness.example/w1"
    # and then a consistent extension
    log.append(4)
    r2 = add_checkpoint(w.url, 3, log.proof(3, 7), log.checkpoint())
    assert r2.status_code == 200, r2.text


def test_404_unknown_origin(witness: tuple[WitnessProcess, str]) -> None:
    w, _ = witness
    stranger = MemoryLog("example.com/not-configured")
    stranger.append(1)
    r = add_checkpoint(w.url, 0, [], stranger.checkpoint())
    assert r.status_code == 404
    assert "unknown log origin" in r.text


def test_403_wrong_key_and_bad_signature(witness: tuple[WitnessProcess, str],
                                         log: MemoryLog) -> None:
    w, _ = witness
    log.append(2)
    impostor = generate_signer(log.origin)  # same name, other key: unknown key, ignored
    r = add_checkpoint(w.url, 0, [], log.checkpoint(signer=impostor))
    assert r.status_code == 403
    good = log.checkpoint()
    # flip one bit of the trusted key's signature (keeping canonical base64)
    text, sig = good[:-1].rsplit(b" ", 1)
    import base64
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    bad = text + b" " + base64.b64encode(bytes(raw)) + b"\n"
    r = add_checkpoint(w.url, 0, [], bad)
    assert r.status_code == 403
    assert "invalid signature" in r.text


def test_400_old_larger_than_size_and_malformed(witness: tuple[WitnessProcess, str],
                                               log: MemoryLog) -> None:
    w, _ = witness
    log.append(2)
    r = add_checkpoint(w.url, 5, [], log.checkpoint())
    assert r.status_code == 400
    assert "larger than the checkpoint size" in r.text
    for junk in (b"old 01\n\n" + log.checkpoint(), b"old 1", b"new 0\n\n" + log.checkpoint(),
                 b"old 0\nnot-base64\n\n" + log.checkpoint(), b"old 0\n\nnot a note\n"):
        import requests

        r = requests.post(f"{w.url}/add-checkpoint", data=junk, timeout=10)
        assert r.status_code == 400, junk


def test_409_reports_latest_size(witness: tuple[WitnessProcess, str], log: MemoryLog) -> None:
    w, _ = witness
    log.append(5)
    assert add_checkpoint(w.url, 0, [], log.checkpoint()).status_code == 200
    size = log.size
    log.append(3)
    r = add_checkpoint(w.url, 0, [], log.checkpoint())
    assert r.status_code == 409
    assert r.headers["content-type"] == "text/x.tlog.size"
    assert r.text == f"{size}\n"
    r = add_checkpoint(w.url, 1, log.proof(1, log.size), log.checkpoint())
    assert r.status_code == 409
    assert r.text == f"{size}\n"
    r = add_checkpoint(w.url, size, log.proof(size, log.size), log.checkpoint())
    assert r.status_code == 200


def test_422_bad_proof_and_nonempty_proof_at_zero(witness: tuple[WitnessProcess, str],
                                                 log: MemoryLog) -> None:
    w, _ = witness
    log.append(3)
    r = add_checkpoint(w.url, 0, [b"\x00" * 32], log.checkpoint())
    assert r.status_code == 422
    assert add_checkpoint(w.url, 0, [], log.checkpoint()).status_code == 200
    log.append(2)
    proof = log.proof(3, 5)
    broken = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    r = add_checkpoint(w.url, 3, broken, log.checkpoint())
    assert r.status_code == 422
    assert "consistency proof" in r.text
    r = add_checkpoint(w.url, 3, [], log.checkpoint())
    assert r.status_code == 422


def test_422_size_zero_with_wrong_root(witness: tuple[WitnessProcess, str], log: MemoryLog) -> None:
    w, _ = witness
    bad = sign_checkpoint(Checkpoint(log.origin, 0, b"\x01" * 32), [log.signer])
    assert add_checkpoint(w.url, 0, [], bad).status_code == 422
    good = sign_checkpoint(Checkpoint(log.origin, 0, EMPTY_ROOT), [log.signer])
    assert add_checkpoint(w.url, 0, [], good).status_code == 200


def test_fork_same_size_never_both_cosigned(witness: tuple[WitnessProcess, str],
                                            log: MemoryLog) -> None:
    w, _ = witness
    log.append(6)
    assert add_checkpoint(w.url, 0, [], log.checkpoint()).status_code == 200
    fork = log.forged_checkpoint(6)
    r = add_checkpoint(w.url, 6, [], fork)
    # pinned: tlog-witness HEAD, same size different root -> 422 (v1.0.0: 409)
    assert r.status_code == 422
    assert "was cosigned with root" in r.text
    # re-sending the genuine one is fine (same size, same root)
    assert add_checkpoint(w.url, 6, [], log.checkpoint()).status_code == 200


def test_fork_smaller_after_larger_refused(witness: tuple[WitnessProcess, str],
                                          log: MemoryLog) -> None:
    w, _ = witness
    log.append(8)
    assert add_checkpoint(w.url, 0, [], log.checkpoint(8)).status_code == 200
    for old in (0, 4, 8):
        r = add_checkpoint(w.url, old, [], log.checkpoint(4))
        assert r.status_code in (400, 409), (old, r.status_code)
        assert r.status_code != 200


def test_413_request_too_large(witness: tuple[WitnessProcess, str], log: MemoryLog) -> None:
    import requests

    w, _ = witness
    r = requests.post(f"{w.url}/add-checkpoint", data=b"old 0\n" + b"A" * 20000, timeout=10)
    assert r.status_code == 413


def test_monitoring_endpoint_returns_stored_note(witness: tuple[WitnessProcess, str],
                                                 log: MemoryLog) -> None:
    import hashlib

    import requests

    w, _ = witness
    log.append(1)
    note = log.checkpoint()
    assert add_checkpoint(w.url, 0, [], note).status_code == 200
    h = hashlib.sha256(log.origin.encode()).hexdigest()
    assert requests.get(f"{w.url}/{h}/checkpoint", timeout=10).content == note
    assert requests.get(f"{w.url}/{'0' * 64}/checkpoint", timeout=10).status_code == 404


def test_429_rate_limit_per_origin(tmp_path: Path) -> None:
    log_a, log_b = MemoryLog("example.com/a"), MemoryLog("example.com/b")
    init_witness(tmp_path, "witness.example/rl")
    add_log(tmp_path, log_a.origin, log_a.vkey)
    add_log(tmp_path, log_b.origin, log_b.vkey)
    w = start_witness(tmp_path, "--rate", "0.01", "--burst", "2")
    try:
        log_a.append(1)
        log_b.append(1)
        statuses = [
            add_checkpoint(w.url, old, [], log_a.checkpoint()).status_code for old in (0, 1, 1, 1)
        ]
        assert statuses[:2] == [200, 200]
        assert statuses[2:] == [429, 429]
        # another origin has its own bucket
        assert add_checkpoint(w.url, 0, [], log_b.checkpoint()).status_code == 200
    finally:
        w.stop()

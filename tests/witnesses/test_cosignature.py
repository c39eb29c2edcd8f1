"""cosignature/v1 against the shared vectors (tests/vectors/tlog/cosignatures.json)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vectors
from witnesses import verify_cosignature
from witnesses.cosignature import (
    MAX_TIMESTAMP,
    Cosignature,
    Cosigner,
    CosignerKey,
    cosigned_message,
    cosigner_key_from_ed25519_vkey,
    format_cosignature_line,
    format_cosigner_key,
    parse_cosignature_line,
    parse_cosigner_key,
    timestamp_from_signature,
)
from witnesses.errors import CosignatureFormatError, CosignatureVerificationError

V = load_vectors("tlog/cosignatures.json")
REAL = [
    (cp["checkpoint_body"], s)
    for cp in V["cosigned_checkpoints"]
    for s in cp["signatures"]
    if "timestamp" in s
]


def _vkey(sig: dict[str, str]) -> str:
    return sig.get("witness_vkey") or sig["cosignature_v1_vkey_COMPUTED"]


@pytest.mark.parametrize(("body", "sig"), REAL, ids=[s["name"] for _, s in REAL])
def test_real_cosignatures_verify_with_their_timestamp(body: str, sig: dict) -> None:
    assert verify_cosignature(_vkey(sig), body.encode(), sig["line"]) == sig["timestamp"]
    assert verify_cosignature(_vkey(sig), body.encode(), sig["line"] + "\n") == sig["timestamp"]
    cosig = parse_cosignature_line(sig["line"])
    assert f"{cosig.key_id:08x}" == sig["key_id_hex"]
    assert format_cosignature_line(cosig) == sig["line"] + "\n"
    message = sig["signed_message_COMPUTED"].encode()
    assert cosigned_message(body.encode(), cosig.timestamp) == message


@pytest.mark.parametrize(("body", "sig"), REAL, ids=[s["name"] for _, s in REAL])
def test_real_cosignatures_fail_when_anything_changes(body: str, sig: dict) -> None:
    vkey = _vkey(sig)
    # another checkpoint body
    other_body = body.encode().replace(body.split("\n")[1].encode(), b"12345", 1)
    with pytest.raises(CosignatureVerificationError):
        verify_cosignature(vkey, other_body, sig["line"])
    # the timestamp bytes altered: the signed message changes
    name, b64 = sig["line"][2:].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[11] ^= 1
    with pytest.raises(CosignatureVerificationError):
        verify_cosignature(vkey, body.encode(), f"— {name} {base64.b64encode(raw).decode()}")
    # one bit of the Ed25519 signature
    raw = bytearray(base64.b64decode(b64))
    raw[40] ^= 0x10
    with pytest.raises(CosignatureVerificationError):
        verify_cosignature(vkey, body.encode(), f"— {name} {base64.b64encode(raw).decode()}")
    # a different witness's key
    other = next(_vkey(s) for _, s in REAL if _vkey(s) != vkey)
    with pytest.raises(CosignatureVerificationError):
        verify_cosignature(other, body.encode(), sig["line"])


def test_log_signatures_are_not_cosignatures() -> None:
    for cp in V["cosigned_checkpoints"]:
        for s in cp["signatures"]:
            if "timestamp" not in s:
                with pytest.raises(CosignatureFormatError):
                    parse_cosignature_line(s["line"])


@pytest.mark.parametrize("vector", V["signed_message_vectors"])
def test_signed_message_vectors(vector: dict) -> None:
    message = vector["message"].encode()
    assert base64.b64decode(vector["message_b64"]) == message
    body = message.split(b"\n", 2)[2]
    assert cosigned_message(body, vector["timestamp"]) == message


@pytest.mark.parametrize("vector", V["timestamp_extraction"])
def test_timestamp_extraction(vector: dict) -> None:
    try:
        raw = base64.b64decode(vector["signature_b64"], validate=True)
    except ValueError:
        assert vector["want_error"]
        return
    if vector["want_error"]:
        with pytest.raises(CosignatureFormatError):
            timestamp_from_signature(raw[4:])
    else:
        assert timestamp_from_signature(raw[4:]) == vector["want_timestamp"]


@pytest.mark.parametrize("key", V["cosigner_keys"], ids=[k["name"] for k in V["cosigner_keys"]])
def test_cosigner_keys(key: dict) -> None:
    if key["sig_type"] == 4:
        parsed = parse_cosigner_key(key["vkey"])
        assert f"{parsed.key_id:08x}" == key["key_id_hex"]
        assert format_cosigner_key(parsed) == key["vkey"]
    else:
        with pytest.raises(CosignatureFormatError):
            parse_cosigner_key(key["vkey"])
        converted = cosigner_key_from_ed25519_vkey(key["vkey"])
        assert converted.vkey == key["cosignature_v1_vkey_COMPUTED"]


GOOD = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


@pytest.mark.parametrize(
    "bad",
    [
        GOOD.replace("da77ade7", "da77ade8"),  # key id does not match
        GOOD.replace("da77ade7", "DA77ADE7"),  # uppercase hex
        GOOD.replace("+BOvN", "+AOvN"),  # type 0x00
        GOOD[:-1],  # not canonical base64
        GOOD + "=",
        "remora.n621.de+da77ade7",
        "+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "rem ora+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    ],
)
def test_bad_cosigner_keys(bad: str) -> None:
    with pytest.raises(CosignatureFormatError):
        parse_cosigner_key(bad)


def test_bad_lines() -> None:
    body, sig = REAL[0]
    vkey = _vkey(sig)
    line = sig["line"]
    for bad in [line.replace("— ", "- ", 1), line.replace("— ", "—", 1), line[:-2] + "=",
                line + "\n\n", line.replace(" ", "  ", 1), "— name AAAA"]:
        with pytest.raises(CosignatureFormatError):
            verify_cosignature(vkey, body.encode(), bad)
    with pytest.raises(CosignatureFormatError):
        verify_cosignature(vkey, body.encode().rstrip(b"\n"), line)


def test_timestamp_bounds() -> None:
    signer = Cosigner("w.example", b"\x07" * 32)
    for ts in (0, -1, MAX_TIMESTAMP + 1):
        with pytest.raises(CosignatureFormatError):
            signer.cosign(b"o\n1\n" + b"A" * 43 + b"=\n", timestamp=ts)
    payload = (MAX_TIMESTAMP + 1).to_bytes(8, "big") + b"\0" * 64
    with pytest.raises(CosignatureFormatError):
        timestamp_from_signature(payload)


@given(
    seed=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(min_value=1, max_value=MAX_TIMESTAMP),
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_sign_verify_round_trip(seed: bytes, timestamp: int, size: int, root: bytes) -> None:
    body = f"example.com/log\n{size}\n{base64.b64encode(root).decode()}\n".encode()
    signer = Cosigner("witness.example/h", seed)
    line = format_cosignature_line(signer.cosign(body, timestamp=timestamp))
    assert verify_cosignature(signer.verifier_key, body, line) == timestamp
    assert format_cosignature_line(parse_cosignature_line(line)) == line
    key = parse_cosigner_key(signer.verifier_key)
    assert key == CosignerKey.from_public_key("witness.example/h", signer.public_key)
    assert format_cosigner_key(key) == signer.verifier_key
    cosig = parse_cosignature_line(line)
    assert Cosignature.from_note_signature(cosig.to_note_signature()) == cosig

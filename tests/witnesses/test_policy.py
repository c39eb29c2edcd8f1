"""Witness policy: text and JSON formats, quorum evaluation on real cosigned checkpoints."""

from __future__ import annotations

import json

import pytest

from tests.conftest import load_vectors
from tests.witnesses.support import MemoryLog
from transparency.errors import SignatureError
from transparency.note import append_signatures
from witnesses.cosignature import Cosigner
from witnesses.errors import CosignatureVerificationError, PolicyFormatError, PolicyNotMetError
from witnesses.policy import (
    counted_cosignatures,
    format_policy,
    parse_policy,
    policy_from_json,
    policy_from_trust_json,
    policy_to_json,
)

REKOR = load_vectors("tlog/cosignatures.json")["cosigned_checkpoints"][1]
KEYS = {s["name"]: s["witness_vkey"] for s in REKOR["signatures"] if "witness_vkey" in s}
W = list(KEYS)
NOTE = REKOR["note"].encode()
TS = 1778700214


def _text(threshold: str, names: list[str] | None = None) -> str:
    names = names or W
    lines = [f"witness w{i} {KEYS[n]}" for i, n in enumerate(names)]
    members = " ".join(f"w{i}" for i in range(len(names)))
    return "\n".join([*lines, f"group all-w {threshold} {members}", "quorum all-w", ""])


def test_two_of_three_met_with_timestamps() -> None:
    policy = parse_policy("# staging witnesses\n" + _text("2"))
    result = policy.check(NOTE)
    assert result.witnesses == ("w0", "w1", "w2")
    assert {c.timestamp for c in result.counted} == {TS}
    assert result.earliest_timestamp == TS
    assert counted_cosignatures(NOTE, policy) == result.counted


def test_not_after_excludes_later_cosignatures() -> None:
    policy = parse_policy(_text("any"))
    assert policy.check(NOTE, not_after=TS).witnesses == ("w0", "w1", "w2")
    with pytest.raises(PolicyNotMetError) as e:
        policy.check(NOTE, not_after=TS - 1)
    assert e.value.counted == ()
    assert "timestamped after" in e.value.reasons["w0"]


def test_unmet_quorum_names_missing_witnesses() -> None:
    # only two of the three witnesses' keys are in the note's signers... add an absent one
    absent = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    text = "\n".join([f"witness a {KEYS[W[0]]}", f"witness b {absent}",
                      "group g all a b", "quorum g", ""])
    with pytest.raises(PolicyNotMetError) as e:
        parse_policy(text).check(NOTE)
    assert e.value.counted == ("a",)
    assert e.value.reasons == {"b": "no cosignature"}


def test_nested_groups_and_quorum_none() -> None:
    absent = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    text = (f"witness x1 {KEYS[W[0]]}\nwitness x2 {KEYS[W[1]]}\nwitness y1 {absent}\n"
            "group X 2 x1 x2\ngroup Y any y1\ngroup XY any X Y\ngroup XandY all X Y\n"
            "quorum XY\n")
    policy = parse_policy(text)
    assert policy.check(NOTE).witnesses == ("x1", "x2")
    assert not policy.satisfied_by({"x1"})
    strict = parse_policy(text.replace("quorum XY", "quorum XandY"))
    with pytest.raises(PolicyNotMetError):
        strict.check(NOTE)
    assert parse_policy("quorum none\n").check(NOTE).counted == ()


def test_log_line_requires_a_valid_log_signature() -> None:
    log, other = MemoryLog("example.com/p"), MemoryLog("example.com/p")
    log.append(3)
    note = log.checkpoint()
    w1, w2 = Cosigner("w1.example", b"\x01" * 32), Cosigner("w2.example", b"\x02" * 32)
    body = note[: note.index(b"\n\n") + 1]
    cosigned = append_signatures(
        note, [w.cosign(body, timestamp=t).to_note_signature() for t, w in ((100, w1), (101, w2))]
    )
    text = f"witness a {w1.verifier_key}\nwitness b {w2.verifier_key}\ngroup g all a b\nquorum g\n"
    result = parse_policy(f"log {log.vkey}\n" + text).check(cosigned)
    assert [(c.witness, c.timestamp) for c in result.counted] == [("a", 100), ("b", 101)]
    with pytest.raises(SignatureError):
        parse_policy(f"log {other.vkey}\n" + text).check(cosigned)
    with pytest.raises(PolicyNotMetError):
        parse_policy(text).check(note)


def test_bad_cosignature_from_policy_witness_rejects() -> None:
    policy = parse_policy(_text("any"))
    line = next(s["line"] for s in REKOR["signatures"] if s["name"] == W[0])
    b64 = line[2:].split(" ")[1]
    flipped = b64[:20] + ("A" if b64[20] != "A" else "B") + b64[21:]
    tampered = NOTE.replace(b64.encode(), flipped.encode())
    with pytest.raises(CosignatureVerificationError):
        policy.check(tampered)


def test_json_and_text_round_trip() -> None:
    policy = parse_policy(_text("2"))
    assert parse_policy(format_policy(policy)) == policy
    obj = policy_to_json(policy)
    assert policy_from_json(json.loads(json.dumps(obj))) == policy
    assert obj["groups"][0]["k"] == 2  # the portal-js trust.json shape
    del obj["groups"][0]["k"]
    obj["groups"][0]["threshold"] = "all"
    assert policy_from_json(obj).groups[0].threshold == 3


def test_portal_trust_json_shape_with_type_01_witness_keys() -> None:
    """docs/spec/portal-js.md: witness vkeys of type 0x01 convert to their 0x04 key."""
    aw = load_vectors("tlog/cosignatures.json")["cosigned_checkpoints"][0]
    sigs = [s for s in aw["signatures"] if "timestamp" in s]
    log = MemoryLog("example.com/trust")
    trust = {
        "log": {"origin": log.origin, "vkey": log.vkey},
        "witness_policy": {
            "witnesses": [{"name": f"aw{i}", "vkey": s["witness_vkey_published"]}
                          for i, s in enumerate(sigs)],
            "groups": [{"name": "q", "k": 2, "members": ["aw0", "aw1"]}],
            "quorum": "q",
        },
        "margin_seconds": 60,
    }
    policy = policy_from_trust_json(trust)
    assert [w.key.vkey for w in policy.witnesses] == [
        s["cosignature_v1_vkey_COMPUTED"] for s in sigs
    ]
    assert policy.logs[0].vkey == log.vkey
    # the Armored Witness cosignatures on the Pixel checkpoint count (no log line here)
    no_log = policy_from_json(trust["witness_policy"])
    result = no_log.check(aw["note"].encode())
    assert {(c.witness, c.timestamp) for c in result.counted} == {
        (f"aw{i}", s["timestamp"]) for i, s in enumerate(sigs)
    }
    bad = {**trust["witness_policy"], "groups": [{"name": "q", "k": 2, "threshold": 2,
                                                  "members": ["aw0", "aw1"]}]}
    with pytest.raises(PolicyFormatError, match="exactly one of"):
        policy_from_json(bad)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no quorum"),
        ("quorum none\nquorum none\n", "exactly one quorum"),
        ("quorum x\n", "undefined"),
        (f"witness a {KEYS[W[0]]}\nwitness b {KEYS[W[0]]}\nquorum a\n", "same public key"),
        (f"witness a {KEYS[W[0]]}\nwitness a {KEYS[W[1]]}\nquorum a\n", "defined twice"),
        (f"witness a {KEYS[W[0]]}\ngroup g 2 a\nquorum g\n", "threshold"),
        (f"witness a {KEYS[W[0]]}\ngroup g 01 a\nquorum g\n", "threshold"),
        (f"witness a {KEYS[W[0]]}\ngroup g 1 a a\nquorum g\n", "twice"),
        (f"witness a {KEYS[W[0]]}\ngroup g 1 b\nquorum g\n", "undefined"),
        (f"witness a {KEYS[W[0]]}\ngroup g 1 none\nquorum g\n", "undefined"),
        ("witness none " + KEYS[W[0]] + "\nquorum none\n", "invalid name"),
        ("witness a example.com+12345678+AAAA\nquorum a\n", "line 1"),
        ("log remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2\nquorum none\n",
         "type 0x01"),
        ("frobnicate\nquorum none\n", "line 1"),
        ("quorum none\x0b\n", "control"),
    ],
)
def test_bad_policies(text: str, why: str) -> None:
    with pytest.raises(PolicyFormatError, match=why):
        parse_policy(text)


@pytest.mark.parametrize(
    "obj",
    [[], {"quorum": 3}, {"quorum": "none", "extra": 1}, {"witnesses": [{"name": "a"}],
     "quorum": "a"}, {"groups": [{"name": "g", "threshold": True, "members": []}],
     "quorum": "g"}],
)
def test_bad_json_policies(obj: object) -> None:
    with pytest.raises(PolicyFormatError):
        policy_from_json(obj)  # type: ignore[arg-type]

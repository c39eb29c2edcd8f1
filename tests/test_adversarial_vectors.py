"""The adversarial vector corpus (tests/vectors/adversarial/*.json) against the Python side.

The node tests (tests/public_portal/js/adversarial.test.mjs) read the same files,
so the browser and Python give ONE verdict for every case: notes, cosignatures,
witness policies, trust.json fields, announces and team eligibility.
Each vector's expected verdict was written from the specs, not from either
implementation (see tests/gen_adversarial_vectors.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from draw_engine.announce import parse_announce
from draw_engine.errors import AnnounceError
from draw_engine.select import compute_draw
from fairdraw.trust import TrustError, parse_trust
from transparency.checkpoint import open_checkpoint
from transparency.errors import FormatError, SignatureError
from transparency.note import AmbiguousKeyError, open_note
from witnesses.cosignature import parse_cosigner_key, verify_cosignature
from witnesses.errors import (
    CosignatureFormatError,
    CosignatureVerificationError,
    PolicyFormatError,
    PolicyNotMetError,
)
from witnesses.policy import check, policy_from_json

DIR = Path(__file__).resolve().parent / "vectors" / "adversarial"
FILES = ("notes", "cosignatures", "policies", "trust", "announces")


def _cases() -> list[Any]:
    out = []
    for name in FILES:
        doc = json.loads((DIR / f"{name}.json").read_text(encoding="utf-8"))
        out += [pytest.param(case, id=f"{name}:{case['name']}") for case in doc["vectors"]]
    return out


def note_bytes(value: Any) -> bytes:
    """A vector's note: a string, {"b64": ...} or {"concat": [str | {"repeat", "times"}]}."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if "b64" in value:
        return base64.b64decode(value["b64"])
    return "".join(
        part if isinstance(part, str) else part["repeat"] * part["times"]
        for part in value["concat"]
    ).encode("utf-8")


def _note_kind(e: Exception) -> str:
    if isinstance(e, AmbiguousKeyError):
        return "ambiguous_key"
    if isinstance(e, FormatError):
        return "malformed"
    if isinstance(e, SignatureError):
        return "no_verifiable_signature" if "no verifiable" in str(e) else "invalid_signature"
    raise e


def _names(sigs: Any) -> list[str]:
    return [f"{s.name}+{s.key_id:08x}" for s in sigs]


def run(case: dict[str, Any]) -> dict[str, Any]:
    """The verdict of the Python implementation, in the vectors' vocabulary."""
    op = case["op"]
    try:
        if op == "open_note":
            opened = open_note(note_bytes(case["note"]), case["verifier_keys"])
            return {"result": "ok", "verified": _names(opened.verified)}
        if op == "open_checkpoint":
            cp, opened = open_checkpoint(
                note_bytes(case["note"]), case["verifier_keys"], origin=case["origin"]
            )
            return {"result": "ok", "verified": _names(opened.verified),
                    "tree_size": str(cp.tree_size)}
        if op == "verify_cosignature_line":
            ts = verify_cosignature(case["vkey"], case["body"].encode(), case["line"])
            return {"result": "ok", "timestamp": str(ts)}
        if op == "parse_cosigner_key":
            key = parse_cosigner_key(case["vkey"])
            return {"result": "ok", "name": key.name, "key_id": f"{key.key_id:08x}"}
        if op == "parse_policy":
            policy = policy_from_json(case["policy"])
            return {"result": "ok", "witnesses": [w.name for w in policy.witnesses],
                    "quorum": policy.quorum}
        if op == "check_policy":
            policy = policy_from_json(case["policy"])
            res = check(note_bytes(case["note"]), policy, not_after=case["not_after"])
            return {"result": "ok", "counted": {c.witness: str(c.timestamp) for c in res.counted}}
        if op == "parse_trust":
            trust = parse_trust(case["trust"])
            return {"result": "ok", "origin": trust.origin, "margin_seconds": trust.margin_seconds}
        if op == "parse_announce":
            parse_announce(case["announce"])
            return {"result": "ok"}
        if op == "draw_team":
            computed = compute_draw(case["announce"], case["units"],
                                    bytes.fromhex(case["randomness"]),
                                    inspectors=case["inspectors"])
            team = computed["selected"][0]["team"]
            return {"result": "ok",
                    "members": [[m["role"], m["person_id"]] for m in team["members"]],
                    "unfilled": team["unfilled"]}
    except AnnounceError as e:
        return {"result": "error", "field": e.field, "message": str(e)}
    except TrustError as e:
        return {"result": "trust_error", "message": str(e)}
    except PolicyFormatError as e:
        return {"result": "policy_format", "message": str(e)}
    except PolicyNotMetError as e:
        return {"result": "policy_not_met", "message": str(e)}
    except CosignatureVerificationError as e:
        kind = "invalid_cosignature" if op == "check_policy" else "invalid_signature"
        return {"result": kind, "message": str(e)}
    except CosignatureFormatError as e:
        return {"result": "malformed", "message": str(e)}
    except (FormatError, SignatureError) as e:
        return {"result": _note_kind(e), "message": str(e)}
    raise AssertionError(f"unknown op {op!r}")


def matches(expect: dict[str, Any], got: dict[str, Any]) -> bool:
    """Every expected key must be equal; `message` is a case-insensitive fragment."""
    for key, want in expect.items():
        if key == "message":
            if want.lower() not in str(got.get("message", "")).lower():
                return False
        elif got.get(key) != want:
            return False
    return True


@pytest.mark.parametrize("case", _cases())
def test_adversarial_vector(case: dict[str, Any]) -> None:
    got = run(case)
    assert matches(case["expect"], got), (
        f"{case['name']}: {case['why']}\nexpected {case['expect']}\ngot      {got}"
    )


def test_corpus_covers_every_file_and_both_verdicts() -> None:
    """The corpus is not empty and each file holds both passing and failing cases."""
    for name in FILES:
        vectors = json.loads((DIR / f"{name}.json").read_text(encoding="utf-8"))["vectors"]
        results = {v["expect"]["result"] for v in vectors}
        assert "ok" in results, name
        assert results - {"ok"}, name


def test_matches_can_fail() -> None:
    assert not matches({"result": "ok"}, {"result": "malformed"})
    assert not matches({"result": "malformed", "message": "origin"},
                       {"result": "malformed", "message": "size"})

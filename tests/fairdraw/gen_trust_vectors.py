"""Writes tests/vectors/trust/*.json, read by the Python and the node tests.

    python -m tests.fairdraw.gen_trust_vectors

`fingerprint.json`: trust.json texts with their fingerprint (docs/spec/verification.md
"Trust root"), computed here with the reference JCS encoder (`rfc8785.dumps`) and
hashlib, not with `fairdraw.trust`, so the tests compare two computations. Texts that
differ only in whitespace and key order share one fingerprint; any changed key does
not; values outside the canonical subset are refused by both languages.

`memory.json`: (previous, current) pairs of remembered logs with the verdict of
`compare_memory` / `compareMemory` (docs/clients.md "State file"), written by hand
below: each case names the rule it exercises.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import rfc8785

from draw_engine.beacon import PINNED_CHAINS
from public_portal.builder import trust_document
from transparency.note_keys import Signer
from witnesses.cosignature import Cosigner
from witnesses.policy import parse_policy

OUT = Path(__file__).resolve().parents[1] / "vectors" / "trust"
ORIGIN = "fairdraw.example/laibin/log"


def _trust() -> dict[str, Any]:
    log = Signer(ORIGIN, bytes([1]) * 32)
    ws = [Cosigner(f"witness-{n}.example", bytes([10 + n]) * 32) for n in (1, 2, 3)]
    policy = parse_policy(
        f"log {log.verifier_key}\n"
        + "".join(f"witness w{n} {w.verifier_key}\n" for n, w in enumerate(ws, start=1))
        + "group quorum 2 w1 w2 w3\nquorum quorum\n"
    )
    return trust_document(origin=ORIGIN, log_vkeys=[log.verifier_key], policy=policy,
                          chains=[PINNED_CHAINS["quicknet"]], margin_seconds=60)


def _fingerprint(obj: Any) -> tuple[str, str]:
    full = hashlib.sha256(rfc8785.dumps(obj)).hexdigest()
    return full, "-".join(full[i : i + 4] for i in range(0, 16, 4))


def _reordered(obj: Any) -> Any:
    """The same value with every object's keys in reverse order (a different file)."""
    if isinstance(obj, dict):
        return {k: _reordered(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [_reordered(v) for v in obj]
    return obj


def fingerprint_vectors() -> dict[str, Any]:
    base = _trust()
    two_keys = copy.deepcopy(base)
    two_keys["log"] = {"origin": ORIGIN, "vkeys": [base["log"]["vkey"],
                                                   Signer(ORIGIN, bytes([2]) * 32).verifier_key]}
    other_witness = copy.deepcopy(base)
    other_witness["witness_policy"]["witnesses"][2]["vkey"] = Cosigner(
        "witness-3.example", bytes([99]) * 32).verifier_key
    margin = copy.deepcopy(base)
    margin["margin_seconds"] = 59
    unicode_keys = copy.deepcopy(base)
    # Extra members are allowed; non-ASCII keys exercise the UTF-16 key order of RFC 8785.
    unicode_keys["说明"] = {"é": "来宾市消防救援支队", "z": "演示", "\u20ac": "€", "1": "one"}
    cases: list[tuple[str, str]] = [
        ("demo-shaped trust.json, indented", json.dumps(base, indent=2, ensure_ascii=False)),
        ("same file, keys in reverse order, compact",
         json.dumps(_reordered(base), separators=(",", ":"), ensure_ascii=False)),
        ("same file, ASCII escapes and CRLF whitespace",
         json.dumps(base, indent=1, ensure_ascii=True).replace("\n", "\r\n")),
        ("two log keys (rotation)", json.dumps(two_keys, indent=2)),
        ("one witness key replaced", json.dumps(other_witness, indent=2)),
        ("margin 59 instead of 60", json.dumps(margin, indent=2)),
        ("non-ASCII member names and values", json.dumps(unicode_keys, ensure_ascii=False)),
    ]
    vectors: list[dict[str, Any]] = []
    for name, text in cases:
        full, short = _fingerprint(json.loads(text))
        vectors.append({"name": name, "text": text, "full": full, "short": short})
    assert vectors[0]["full"] == vectors[1]["full"] == vectors[2]["full"]
    assert len({v["full"] for v in vectors[2:]}) == len(vectors) - 2
    for name, text in [
        ("a float is outside the canonical subset", text_with(base, "margin_seconds", 60.5)),
        ("an integer beyond 2^53 - 1", text_with(base, "margin_seconds", 2**53)),
    ]:
        vectors.append({"name": name, "text": text, "error": "no canonical form"})
    return {
        "description": "trust.json fingerprint: SHA-256 over the RFC 8785 canonical JSON of "
                       "the parsed file; short = first 16 hex digits in 4 groups of 4 joined "
                       "by '-' (docs/spec/verification.md, Trust root). Vectors with 'error' "
                       "must be refused.",
        "generator": "python -m tests.fairdraw.gen_trust_vectors",
        "vectors": vectors,
    }


def text_with(base: dict[str, Any], key: str, raw: float | int) -> str:
    text = json.dumps({**base, key: 0}, indent=2)
    return text.replace(f'"{key}": 0', f'"{key}": {raw!r}')


FP_A = "a" * 64
FP_B = "b" * 64
ROOT_1 = "11" * 32
ROOT_2 = "22" * 32


def _mem(size: int, root: str, fp: str | None = FP_A, key: str = "0a1b2c3d") -> dict[str, Any]:
    return {"origin": ORIGIN, "key_id": key, "trust_fingerprint": fp, "tree_size": size,
            "root_hash": root}


def memory_vectors() -> dict[str, Any]:
    cases = [
        ("nothing remembered for this (origin, key)", None, _mem(5, ROOT_1), "new"),
        ("the same checkpoint again", _mem(5, ROOT_1), _mem(5, ROOT_1), "same"),
        ("the log grew: a consistency proof must still link the roots",
         _mem(5, ROOT_1), _mem(9, ROOT_2), "extends"),
        ("grew from the empty tree", _mem(0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
                                             "95991b7852b855"), _mem(3, ROOT_2), "extends"),
        ("smaller tree: rollback", _mem(9, ROOT_2), _mem(5, ROOT_1), "rollback"),
        ("same size, other root: fork", _mem(5, ROOT_1), _mem(5, ROOT_2), "fork"),
        ("trust.json changed under the same log key",
         _mem(5, ROOT_1, FP_A), _mem(5, ROOT_1, FP_B), "trust-changed"),
        ("trust.json changed and the log grew: the trust change is reported",
         _mem(5, ROOT_1, FP_A), _mem(9, ROOT_2, FP_B), "trust-changed"),
        ("migrated record without a fingerprint: adopted, the log is still compared",
         _mem(5, ROOT_1, None), _mem(5, ROOT_2, FP_A), "fork"),
        ("migrated record without a fingerprint, same checkpoint",
         _mem(5, ROOT_1, None), _mem(5, ROOT_1, FP_A), "same"),
    ]
    return {
        "description": "compare_memory (Python fairdraw.clientstate) / compareMemory (JS "
                       "trustroot.js): the remembered record of one (origin, key id) against "
                       "the verified current one. Red: trust-changed, rollback, fork. "
                       "'extends' means: verify a consistency proof before remembering. "
                       "Each reason starts with '<status>: '.",
        "generator": "python -m tests.fairdraw.gen_trust_vectors",
        "vectors": [{"name": n, "previous": p, "current": c, "status": s}
                    for n, p, c, s in cases],
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("fingerprint.json", fingerprint_vectors()),
                       ("memory.json", memory_vectors())):
        (OUT / name).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")


if __name__ == "__main__":
    main()

"""Writes tests/vectors/adversarial/beacons.json: beacon identity and beacon JSON cases.

Run: `python -m tests.draw_engine.gen_beacon_identity_vectors`. Read by
tests/draw_engine/test_beacon_identity.py and tests/public_portal/js/beacon-identity.test.mjs.

The real chains and rounds come from tests/vectors/drand/*.json (recorded League of
Entropy data). The operator's key is a fixed scalar (987654321), the same as the
attack fixture's; its chain is the local development beacon's (`LocalBeaconKey.chain`).
The expected verdicts below are written by hand from docs/spec/beacons.md §2.1 and
§3; nothing here calls the checks under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from draw_engine.beacon import MAINNET, QUICKNET, format_chain_info_json
from draw_engine.drand import sign_unchained_g1
from draw_engine.local_beacon import LocalBeaconKey

ROOT = Path(__file__).resolve().parents[2]
DRAND = ROOT / "tests" / "vectors" / "drand"
OUT = ROOT / "tests" / "vectors" / "adversarial" / "beacons.json"

QN = json.loads((DRAND / "quicknet.json").read_text())
MN = json.loads((DRAND / "mainnet.json").read_text())
_INFO_KEYS = ("public_key", "period", "genesis_time", "genesis_seed", "chain_hash", "scheme",
              "beacon_id")
QN_INFO = {k: QN["chain_info"][k] for k in _INFO_KEYS}  # drand v2 names, as recorded
MN_INFO = {k: MN["chain_info"][k] for k in _INFO_KEYS}
QH, MH = QN_INFO["chain_hash"], MN_INFO["chain_hash"]
OPERATOR = LocalBeaconKey(
    (987654321).to_bytes(32, "big"), genesis_time=QUICKNET.genesis_time, period=QUICKNET.period
)
OP = OPERATOR.chain
OP_HEX = OP.chain_hash.hex()


def short(h: str) -> str:
    return h[:8] + "\u2026"


def own(info: dict[str, Any], *drop: str, **changes: Any) -> dict[str, Any]:
    """Our trust.json shape: scheme, public_key, period, genesis_time, chain_hash[, local]."""
    out = {k: v for k, v in info.items() if k not in drop}
    out.update(changes)
    return out


def op_info(**changes: Any) -> dict[str, Any]:
    base = {
        "scheme": OP.scheme,
        "public_key": OP.public_key.hex(),
        "period": OP.period,
        "genesis_time": OP.genesis_time,
        "chain_hash": OP_HEX,
    }
    base.update(changes)
    return base


def identity(rule: str, message: str) -> dict[str, str]:
    return {"result": "identity", "rule": rule, "message": message}


def not_pinned(h: str) -> dict[str, str]:
    return identity(
        "not-pinned",
        f"beacon-identity: chain {short(h)} is not a drand chain pinned in code "
        f"(quicknet {short(QH)}, mainnet {short(MH)}) and is not marked local",
    )


def field(h: str, label: str, rule: str, name: str) -> dict[str, str]:
    return identity(
        rule,
        f"beacon-identity: chain {short(h)} is filed with a {label} that is not drand {name}'s",
    )


def rehash(h: str) -> dict[str, str]:
    return identity(
        "chain-hash",
        f"beacon-identity: chain {short(h)} is filed under a chain hash that is not the hash "
        "of its chain info",
    )


def chain_cases() -> list[dict[str, Any]]:
    qn_drand = format_chain_info_json(QUICKNET)  # drand v1 /info names
    mn_drand = format_chain_info_json(MAINNET)
    op_drand = format_chain_info_json(OP)  # the local beacon's chain-info.json
    builder_op = dict(op_drand, scheme=OP.scheme, chain_hash=OP_HEX, local=True)
    cases: list[tuple[str, str, str, dict[str, Any], bool, dict[str, Any]]] = [
        ("quicknet", "the real quicknet chain info (drand v2 names)", QH, QN_INFO, False,
         {"result": "ok"}),
        ("mainnet", "the real mainnet chain info", MH, MN_INFO, False, {"result": "ok"}),
        ("quicknet-drand-info", "quicknet as drand's /info document", QH, qn_drand, False,
         {"result": "ok"}),
        ("mainnet-drand-info", "mainnet as drand's /info document", MH, mn_drand, False,
         {"result": "ok"}),
        ("quicknet-no-group-hash", "our shape without group hash: compared with the pinned "
         "chain field by field", QH, own(QN_INFO, "genesis_seed", "beacon_id"), False,
         {"result": "ok"}),
        ("quicknet-marked-local", "the real quicknet marked local: allowed, shown as LOCAL",
         QH, dict(QN_INFO, local=True), True, {"result": "ok"}),
        ("borrowed-beacon", "issue 12 point 2: the operator's key filed under quicknet's "
         "chain hash, not marked local", QH, op_info(chain_hash=QH), False,
         field(QH, "public key", "public-key", "quicknet")),
        ("borrowed-beacon-with-group-hash", "the operator's chain-info.json with quicknet's "
         "hash: the hash is recomputed from the info", QH,
         dict(builder_op, hash=QH, chain_hash=QH, local=False), False, rehash(QH)),
        ("borrowed-beacon-quicknet-group-hash", "the operator's key with quicknet's group hash "
         "and beacon id under quicknet's hash", QH, dict(QN_INFO, public_key=OP.public_key.hex()),
         False, rehash(QH)),
        ("borrowed-beacon-marked-local", "the operator's key under quicknet's hash, marked local: "
         "the local beacon's hash is recomputed", QH, op_info(chain_hash=QH, local=True), True,
         rehash(QH)),
        ("quicknet-genesis-moved", "quicknet's key with another genesis, no group hash", QH,
         own(QN_INFO, "genesis_seed", "beacon_id", genesis_time=QUICKNET.genesis_time + 3), False,
         field(QH, "genesis time", "genesis-time", "quicknet")),
        ("quicknet-period-changed", "quicknet's key with a 30 s period, no group hash", QH,
         own(QN_INFO, "genesis_seed", "beacon_id", period=30), False,
         field(QH, "period", "period", "quicknet")),
        ("quicknet-genesis-moved-with-group-hash", "with the group hash the hash is recomputed",
         QH, dict(QN_INFO, genesis_time=QUICKNET.genesis_time + 3), False, rehash(QH)),
        ("mainnet-hash-mismatch", "a chain hash that does not match its info", MH,
         dict(MN_INFO, period=31), False, rehash(MH)),
        ("quicknet-beacon-id-default", "beacon id 'default' is not hashed: quicknet's hash no "
         "longer matches", QH, dict(QN_INFO, beacon_id="default"), False, rehash(QH)),
        ("mainnet-beacon-id-empty", "'' and 'default' are the same beacon id (drand "
         "CompareBeaconIDs)", MH, dict(MN_INFO, beacon_id=""), False, {"result": "ok"}),
        ("local", "the local beacon's chain-info.json, marked local", OP_HEX, op_drand, True,
         {"result": "ok"}),
        ("local-builder-shape", "trust.json as the portal builder writes it", OP_HEX, builder_op,
         True, {"result": "ok"}),
        ("local-no-group-hash", "our shape without group hash, marked local: hashed with the "
         "local beacon's group hash and id", OP_HEX, op_info(local=True), True, {"result": "ok"}),
        ("local-not-marked", "the local beacon's chain info not marked local", OP_HEX,
         dict(op_drand, local=False), False, not_pinned(OP_HEX)),
        ("local-no-group-hash-not-marked", "our shape, local chain not marked local", OP_HEX,
         op_info(), False, not_pinned(OP_HEX)),
        ("local-wrong-beacon-id", "local chain info with another beacon id", OP_HEX,
         dict(op_drand, metadata={"beaconID": "other"}), True, rehash(OP_HEX)),
        ("filed-under-other-hash", "quicknet filed under mainnet's chain hash", MH, QN_INFO, False,
         identity("filed-under", f"beacon-identity: chain {short(MH)} is filed under another "
                  f"chain hash than its own ({QH})")),
        ("two-scheme-names", "schemeID and scheme disagree", QH,
         dict(qn_drand, scheme="pedersen-bls-chained"), False, {"result": "format"}),
        ("two-hash-names", "hash and chain_hash disagree", QH, dict(qn_drand, chain_hash=MH),
         False, {"result": "format"}),
        ("fastnet-scheme", "fastnet's non-RFC scheme id is not supported", QH,
         dict(QN_INFO, scheme="bls-unchained-on-g1"), False, {"result": "format"}),
        ("period-zero", "period must be >= 1", QH, dict(QN_INFO, period=0), False,
         {"result": "format"}),
        ("period-too-large", "the period is hashed as uint32", QH, dict(QN_INFO, period=2**32),
         False, {"result": "format"}),
        ("genesis-zero", "genesis time must be >= 1", QH, dict(QN_INFO, genesis_time=0), False,
         {"result": "format"}),
        ("public-key-uppercase", "hex is lowercase", QH,
         dict(QN_INFO, public_key=QN_INFO["public_key"].upper()), False, {"result": "format"}),
    ]
    return [
        {"name": n, "why": why, "op": "check_chain_identity", "filed_under": key, "chain": info,
         "local": local, "expect": expect}
        for n, why, key, info, local, expect in cases
    ]


def round_time_cases() -> list[dict[str, Any]]:
    qr, mr = QN["rounds"][-1], MN["rounds"][-1]
    cases = [
        ("quicknet-round-time", "recorded round time", "quicknet", qr["round"],
         qr["round_time_unix"], {"result": "ok"}),
        ("mainnet-round-time", "recorded round time", "mainnet", mr["round"],
         mr["round_time_unix"], {"result": "ok"}),
        ("round-1-at-genesis", "round 1 is published at genesis", "quicknet", 1,
         QUICKNET.genesis_time, {"result": "ok"}),
        ("round-time-one-period-late", "genesis + R*period is one period late", "quicknet",
         qr["round"], qr["round_time_unix"] + 3,
         identity("round-time", f"beacon-identity: round {qr['round']} of chain {short(QH)} is "
                  f"published at {qr['round_time_unix']}, not at the announced "
                  f"{qr['round_time_unix'] + 3}")),
        ("round-time-2030", "issue 12 point 3: a past round claiming 2030", "mainnet",
         mr["round"], 1893456000,
         identity("round-time", f"beacon-identity: round {mr['round']} of chain {short(MH)} is "
                  f"published at {mr['round_time_unix']}, not at the announced 1893456000")),
    ]
    return [
        {"name": n, "why": why, "op": "check_round_time", "chain": c, "round": r,
         "claimed": t, "expect": e}
        for n, why, c, r, t, e in cases
    ]


def beacon_cases() -> list[dict[str, Any]]:
    def strip(r: dict[str, Any]) -> dict[str, Any]:
        return {k: r[k] for k in ("round", "signature", "previous_signature", "randomness")
                if k in r}

    q, m, m1 = strip(QN["rounds"][-1]), strip(MN["rounds"][-1]), strip(MN["rounds"][0])
    forged = sign_unchained_g1(OPERATOR.secret_key, q["round"])
    forged_json = {"round": forged.round, "signature": forged.signature.hex(),
                   "randomness": forged.randomness.hex()}
    ok = {"result": "ok"}
    fmt = {"result": "format"}
    bad = {"result": "verification"}
    cases: list[tuple[str, str, str, dict[str, Any], int | None, dict[str, Any]]] = [
        ("quicknet-round", "a recorded quicknet round", "quicknet", q, q["round"],
         dict(ok, randomness=q["randomness"])),
        ("mainnet-round", "a recorded mainnet round", "mainnet", m, m["round"],
         dict(ok, randomness=m["randomness"])),
        ("mainnet-round-1", "round 1: previous signature is the genesis seed", "mainnet", m1, 1,
         dict(ok, randomness=m1["randomness"])),
        ("chained-empty-previous", "issue 12 point 7: a chained beacon with an empty "
         "previous_signature", "mainnet", dict(m, previous_signature=""), m["round"], fmt),
        ("chained-missing-previous", "a chained beacon without previous_signature", "mainnet",
         {k: v for k, v in m.items() if k != "previous_signature"}, m["round"], fmt),
        ("chained-null-previous", "previous_signature null", "mainnet",
         dict(m, previous_signature=None), m["round"], fmt),
        ("chained-wrong-previous", "another round's signature as previous", "mainnet",
         dict(m, previous_signature=m1["signature"]), m["round"], bad),
        ("unchained-with-previous", "an unchained beacon carrying a previous signature",
         "quicknet", dict(q, previous_signature=m["signature"]), q["round"], fmt),
        ("unchained-null-previous", "previous_signature null on an unchained beacon",
         "quicknet", dict(q, previous_signature=None), q["round"], fmt),
        ("unchained-empty-previous", "an empty previous_signature is tolerated when unchained "
         "(drand relays send it)", "quicknet", dict(q, previous_signature=""), q["round"],
         dict(ok, randomness=q["randomness"])),
        ("missing-randomness", "randomness is required (and recomputed)", "quicknet",
         {"round": q["round"], "signature": q["signature"]}, q["round"], fmt),
        ("wrong-randomness", "randomness is not sha256(signature)", "quicknet",
         dict(q, randomness=m["randomness"]), q["round"], bad),
        ("uppercase-signature", "hex is lowercase", "quicknet",
         dict(q, signature=q["signature"].upper()), q["round"], fmt),
        ("round-zero", "rounds start at 1", "quicknet", dict(q, round=0), None, fmt),
        ("round-string", "a round is a JSON integer", "quicknet", dict(q, round=str(q["round"])),
         None, fmt),
        ("round-boolean", "true is not a round", "quicknet", dict(q, round=True), None, fmt),
        ("other-round", "a real beacon for another round than the committed one", "quicknet", q,
         q["round"] + 1, bad),
        ("operator-signed-round", "the operator's own signature verified against quicknet",
         "quicknet", forged_json, q["round"], bad),
        ("operator-signed-round-own-chain", "the same beacon verifies against the operator's own "
         "(local) chain", "local", forged_json, q["round"],
         dict(ok, randomness=forged_json["randomness"])),
        ("extra-field", "unknown keys are refused by the strict parser", "quicknet",
         dict(q, source="elsewhere"), q["round"], dict(fmt, strict_only=True)),
    ]
    return [
        {"name": n, "why": why, "op": "verify_beacon", "chain": c, "beacon": b,
         "expected_round": er, "expect": e}
        for n, why, c, b, er, e in cases
    ]


def main() -> None:
    doc = {
        "title": "beacon identity (check beacon-identity) and drand beacon JSON",
        "generated_by": "python -m tests.draw_engine.gen_beacon_identity_vectors",
        "conventions": (
            "Each vector: name, why, op, inputs and ONE expected verdict `expect`: "
            "{result: ok} or {result: format | identity | verification, rule?, message?}. "
            "check_chain_identity: `chain` is a trust.json beacons entry filed under "
            "`filed_under`, with the local flag `local`; `message` is contained in the error "
            "text, `rule` is the error's rule. check_round_time: `chain` names a pinned chain. "
            "verify_beacon: `chain` names a pinned chain or 'local' (the operator chain below); "
            "the beacon is parsed strictly, then verified for `expected_round` (null: none); "
            "`strict_only`: only the strict parser refuses it. Real data: tests/vectors/drand."
        ),
        "local_chain": format_chain_info_json(OP),
        "vectors": chain_cases() + round_time_cases() + beacon_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(doc['vectors'])} vectors")


if __name__ == "__main__":
    main()

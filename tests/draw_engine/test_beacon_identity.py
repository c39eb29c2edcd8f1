"""Beacon identity (check `beacon-identity`, docs/spec/beacons.md §2.1) and beacon JSON rules.

Known answers: the real quicknet and mainnet chain infos recompute to their published
chain hashes; every case of tests/vectors/adversarial/beacons.json gets its one expected
verdict (the browser's node test reads the same file).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from draw_engine.beacon import (
    LOCAL_BEACON_ID,
    MAINNET,
    PINNED_CHAINS,
    QUICKNET,
    ChainInfo,
    chain_hash_of,
    check_chain_identity,
    check_round_time,
    key_fingerprint,
    local_genesis_seed,
    parse_beacon_json,
    parse_chain_info_json,
    round_time,
)
from draw_engine.beacon_errors import (
    BeaconFormatError,
    BeaconVerificationError,
    ChainIdentityError,
    UnsupportedSchemeError,
)
from draw_engine.drand import verify_beacon
from draw_engine.local_beacon import LocalBeaconKey
from fairdraw.trust import TrustError, _chain_from_trust

ROOT = Path(__file__).resolve().parents[2]
DRAND = ROOT / "tests" / "vectors" / "drand"
DOC = json.loads((ROOT / "tests" / "vectors" / "adversarial" / "beacons.json").read_text())
VECTORS = DOC["vectors"]
LOCAL = parse_chain_info_json(DOC["local_chain"])


def recorded_chain(name: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((DRAND / f"{name}.json").read_text())["chain_info"]
    return info


@pytest.mark.parametrize("name", ["quicknet", "mainnet"])
def test_real_chain_infos_recompute_to_their_published_chain_hashes(name: str) -> None:
    info = recorded_chain(name)
    chain = ChainInfo(
        scheme=info["scheme"],
        public_key=bytes.fromhex(info["public_key"]),
        genesis_time=info["genesis_time"],
        period=info["period"],
        chain_hash=bytes(32),  # not read by chain_hash_of
        genesis_seed=bytes.fromhex(info["genesis_seed"]),
        beacon_id=info["beacon_id"],
    )
    assert chain_hash_of(chain).hex() == info["chain_hash"]
    assert PINNED_CHAINS[name].chain_hash.hex() == info["chain_hash"]


def test_published_hash_prefixes() -> None:
    # docs/spec/beacons.md and shared/reference/beacons.md name these prefixes.
    assert chain_hash_of(QUICKNET).hex().startswith("52db9ba7")
    assert chain_hash_of(MAINNET).hex().startswith("8990e7a9")


def test_pinned_chains_pass_and_fingerprints_are_short_and_distinct() -> None:
    for chain in PINNED_CHAINS.values():
        check_chain_identity(chain, local=False)
    fingerprints = {key_fingerprint(c) for c in PINNED_CHAINS.values()}
    assert len(fingerprints) == 2
    for fp in fingerprints:
        groups = fp.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        int("".join(groups), 16)


def test_local_beacon_chain_hash_is_chain_hash_of_its_info() -> None:
    key = LocalBeaconKey((12345).to_bytes(32, "big"), genesis_time=1_700_000_000, period=3)
    chain = key.chain
    assert chain.genesis_seed == local_genesis_seed(chain.public_key)
    assert chain.beacon_id == LOCAL_BEACON_ID
    assert chain.chain_hash == chain_hash_of(chain)
    check_chain_identity(chain, local=True)
    # Without its group hash (trust.json's own shape) a local chain hashes the same.
    bare = dataclasses.replace(chain, genesis_seed=b"", beacon_id="")
    assert chain_hash_of(bare) == chain.chain_hash
    check_chain_identity(bare, local=True)
    with pytest.raises(ChainIdentityError) as err:
        check_chain_identity(chain, local=False)
    assert err.value.rule == "not-pinned"


def test_identity_error_carries_evidence() -> None:
    borrowed = dataclasses.replace(QUICKNET, public_key=LOCAL.public_key, genesis_seed=b"")
    with pytest.raises(ChainIdentityError) as err:
        check_chain_identity(borrowed, local=False)
    e = err.value
    assert (e.rule, e.chain_hash) == ("public-key", QUICKNET.chain_hash)
    assert (e.expected, e.got) == (QUICKNET.public_key.hex(), LOCAL.public_key.hex())
    assert str(e) == (
        "beacon-identity: chain 52db9ba7\u2026 is filed with a public key that is not "
        "drand quicknet's"
    )


def test_round_time_is_genesis_plus_rounds_times_period() -> None:
    for name in ("quicknet", "mainnet"):
        for r in json.loads((DRAND / f"{name}.json").read_text())["rounds"]:
            assert round_time(PINNED_CHAINS[name], r["round"]) == r["round_time_unix"]
            check_round_time(PINNED_CHAINS[name], r["round"], r["round_time_unix"])


# --- the shared adversarial vectors --------------------------------------------------------


def _identity_cause(exc: BaseException) -> ChainIdentityError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ChainIdentityError):
            return seen
        seen = seen.__cause__
    return None


def verdict(run: Callable[[], object]) -> dict[str, Any]:
    try:
        out = run()
    except Exception as exc:  # classified below; anything else fails the test
        identity = _identity_cause(exc)
        if identity is not None:
            return {"result": "identity", "rule": identity.rule, "text": str(exc)}
        if isinstance(exc, BeaconVerificationError):
            return {"result": "verification", "text": str(exc)}
        if isinstance(exc, (TrustError, BeaconFormatError, UnsupportedSchemeError)):
            return {"result": "format", "text": str(exc)}
        raise
    return {"result": "ok", "out": out}


def run_vector(v: dict[str, Any]) -> dict[str, Any]:
    if v["op"] == "check_chain_identity":

        def chain_identity() -> None:
            chain, local = _chain_from_trust(v["filed_under"], v["chain"])
            assert local == v["local"], "the vector's local flag is the trust entry's"
            check_chain_identity(chain, local=local)

        return verdict(chain_identity)
    if v["op"] == "check_round_time":
        chain = PINNED_CHAINS[v["chain"]]
        return verdict(lambda: check_round_time(chain, v["round"], v["claimed"]))
    assert v["op"] == "verify_beacon"
    chain = LOCAL if v["chain"] == "local" else PINNED_CHAINS[v["chain"]]

    def beacon() -> str:
        parsed = parse_beacon_json(v["beacon"], chain)
        return verify_beacon(chain, parsed, expected_round=v["expected_round"]).hex()

    return verdict(beacon)


def test_vector_file_covers_the_issue_cases() -> None:
    names = {v["name"] for v in VECTORS}
    for required in (
        "quicknet",
        "mainnet",
        "borrowed-beacon",
        "mainnet-hash-mismatch",
        "local-not-marked",
        "round-time-one-period-late",
        "chained-empty-previous",
    ):
        assert required in names
    assert len(names) == len(VECTORS), "vector names are unique"
    results = {v["expect"]["result"] for v in VECTORS}
    assert results == {"ok", "format", "identity", "verification"}


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_adversarial_beacon_vector(v: dict[str, Any]) -> None:
    expect = v["expect"]
    got = run_vector(v)
    assert got["result"] == expect["result"], got
    if "rule" in expect:
        assert got["rule"] == expect["rule"]
    if "message" in expect:
        assert expect["message"] in got["text"]
    if "randomness" in expect:
        assert got["out"] == expect["randomness"]

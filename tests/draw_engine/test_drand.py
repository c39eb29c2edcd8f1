"""drand BLS verification: recorded real rounds, negatives, a py_ecc cross-check."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine.beacon import (
    MAINNET,
    PINNED_CHAINS,
    QUICKNET,
    SCHEME_UNCHAINED_G1,
    Beacon,
    ChainInfo,
    compute_chain_hash,
    first_round_after,
    format_beacon_json,
    format_chain_info_json,
    parse_beacon_json,
    parse_chain_info_json,
    round_for_time,
    round_time,
)
from draw_engine.beacon_errors import (
    BeaconFormatError,
    BeaconVerificationError,
    InvalidPointError,
    PreviousSignatureError,
    RandomnessMismatchError,
    RoundMismatchError,
    SignatureInvalidError,
    UnsupportedSchemeError,
)
from draw_engine.drand import (
    DST_G1,
    DST_G2,
    beacon_message,
    sign_unchained_g1,
    unchained_g1_public_key,
    verify_beacon,
)
from tests.conftest import load_vectors

VECTORS = {name: load_vectors(f"drand/{name}.json") for name in ("quicknet", "mainnet")}
FIELDS = ("round", "signature", "randomness", "previous_signature")


def recorded(name: str) -> list[dict[str, Any]]:
    return [{k: r[k] for k in FIELDS if k in r} for r in VECTORS[name]["rounds"]]


def beacon_of(name: str, index: int) -> Beacon:
    return parse_beacon_json(recorded(name)[index], PINNED_CHAINS[name])


ALL_ROUNDS = [(name, i) for name in ("quicknet", "mainnet") for i in range(len(recorded(name)))]
OTHER_CHAINS = VECTORS["quicknet"]["same_scheme_other_chains"]["rounds"]


def other_chain(public_key_hex: str) -> ChainInfo:
    pk = bytes.fromhex(public_key_hex)
    seed = hashlib.sha256(pk).digest()
    return ChainInfo(
        scheme=SCHEME_UNCHAINED_G1,
        public_key=pk,
        genesis_time=1,
        period=3,
        chain_hash=compute_chain_hash(
            period=3, genesis_time=1, public_key=pk, genesis_seed=seed, beacon_id="t"
        ),
        genesis_seed=seed,
        beacon_id="t",
    )


# --- positives -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "index"), ALL_ROUNDS)
def test_recorded_round_verifies(name: str, index: int) -> None:
    raw = recorded(name)[index]
    beacon = parse_beacon_json(raw, PINNED_CHAINS[name])
    randomness = verify_beacon(PINNED_CHAINS[name], beacon, expected_round=raw["round"])
    assert randomness.hex() == raw["randomness"]
    assert randomness == hashlib.sha256(bytes.fromhex(raw["signature"])).digest()


def test_vector_files_hold_the_expected_number_of_rounds() -> None:
    # Guards against a silently emptied vector file making the parametrized tests vacuous.
    assert len(recorded("quicknet")) >= 10
    assert len(recorded("mainnet")) >= 9
    assert len(OTHER_CHAINS) >= 4


@pytest.mark.parametrize("entry", OTHER_CHAINS, ids=lambda e: f"{e['chain'][:20]}-{e['round']}")
def test_same_scheme_other_chains_verify_with_their_own_keys(entry: dict[str, Any]) -> None:
    chain = other_chain(entry["public_key"])
    beacon = Beacon.from_signature(entry["round"], bytes.fromhex(entry["signature"]))
    assert verify_beacon(chain, beacon).hex() == entry["randomness"]
    # ... and not under quicknet's key.
    with pytest.raises(SignatureInvalidError):
        verify_beacon(QUICKNET, beacon)


def test_pinned_chains_match_vector_chain_info_and_recompute_their_hash() -> None:
    for name, chain in PINNED_CHAINS.items():
        info = VECTORS[name]["chain_info"]
        assert chain.public_key.hex() == info["public_key"]
        assert chain.chain_hash.hex() == info["chain_hash"]
        assert (chain.scheme, chain.period, chain.genesis_time) == (
            info["scheme"],
            info["period"],
            info["genesis_time"],
        )
        assert not chain.local
        assert chain.chain_hash == compute_chain_hash(
            period=chain.period,
            genesis_time=chain.genesis_time,
            public_key=chain.public_key,
            genesis_seed=chain.genesis_seed,
            beacon_id=chain.beacon_id,
        )


def test_round_times_match_vectors() -> None:
    for name, chain in PINNED_CHAINS.items():
        for r in VECTORS[name]["rounds"]:
            assert round_time(chain, r["round"]) == r["round_time_unix"]
            assert round_for_time(chain, r["round_time_unix"]) == r["round"]
            assert round_for_time(chain, r["round_time_unix"] - 0.001) == r["round"] - 1
    assert round_for_time(QUICKNET, QUICKNET.genesis_time - 1) == 0


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(list(PINNED_CHAINS.values())))
def test_round_maths_properties(r: int, chain: ChainInfo) -> None:
    t = round_time(chain, r)
    assert round_for_time(chain, t) == r
    assert round_for_time(chain, t + chain.period - 1) == r
    assert first_round_after(chain, t) == r + 1
    assert round_time(chain, first_round_after(chain, t - 1)) >= t


# --- negatives -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["quicknet", "mainnet"])
def test_round_plus_one_is_refused(name: str) -> None:
    b = beacon_of(name, 2)
    moved = dataclasses.replace(b, round=b.round + 1)
    with pytest.raises(SignatureInvalidError) as info:
        verify_beacon(PINNED_CHAINS[name], moved)
    assert info.value.round == b.round + 1
    with pytest.raises(RoundMismatchError) as mismatch:
        verify_beacon(PINNED_CHAINS[name], b, expected_round=b.round + 1)
    assert (mismatch.value.expected, mismatch.value.got) == (b.round + 1, b.round)


@pytest.mark.parametrize("name", ["quicknet", "mainnet"])
def test_swapped_signature_is_refused(name: str) -> None:
    a, b = beacon_of(name, 3), beacon_of(name, 4)
    swapped = Beacon(a.round, b.signature, a.previous_signature, b.randomness)
    with pytest.raises(SignatureInvalidError):
        verify_beacon(PINNED_CHAINS[name], swapped)


@pytest.mark.parametrize(
    ("name", "position"),
    [("quicknet", p) for p in (0, 1, 5, 20, 47)] + [("mainnet", p) for p in (0, 1, 20, 48, 95)],
)
def test_flipped_signature_byte_is_refused(name: str, position: int) -> None:
    b = beacon_of(name, 1)
    sig = bytearray(b.signature)
    sig[position] ^= 0x01
    with pytest.raises(BeaconVerificationError):
        verify_beacon(
            PINNED_CHAINS[name], Beacon.from_signature(b.round, bytes(sig), b.previous_signature)
        )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_bit_flip_is_refused(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["quicknet", "mainnet"]))
    b = beacon_of(name, data.draw(st.integers(0, len(recorded(name)) - 1)))
    bit = data.draw(st.integers(0, len(b.signature) * 8 - 1))
    sig = bytearray(b.signature)
    sig[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(BeaconVerificationError):
        verify_beacon(
            PINNED_CHAINS[name], Beacon.from_signature(b.round, bytes(sig), b.previous_signature)
        )


def _non_subgroup_points() -> tuple[bytes, bytes]:
    """On-curve points outside the prime-order subgroup (SSWU map without cofactor clearing)."""
    from py_ecc.bls.hash_to_curve import map_to_curve_G1, map_to_curve_G2
    from py_ecc.bls.point_compression import compress_G1, compress_G2
    from py_ecc.fields import optimized_bls12_381_FQ as FQ
    from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
    from py_ecc.optimized_bls12_381 import b, b2, curve_order, is_inf, is_on_curve, multiply

    p = map_to_curve_G1(FQ(5))
    q = map_to_curve_G2(FQ2([5, 7]))
    assert is_on_curve(p, b)
    assert is_on_curve(q, b2)
    assert not is_inf(multiply(p, curve_order))
    assert not is_inf(multiply(q, curve_order))
    z1, z2 = compress_G2(q)
    return compress_G1(p).to_bytes(48, "big"), z1.to_bytes(48, "big") + z2.to_bytes(48, "big")


def test_non_subgroup_points_are_refused() -> None:
    from py_arkworks_bls12381 import G1Point, G2Point

    g1, g2 = _non_subgroup_points()
    # The points really are on the curve: the unchecked decoder takes them.
    assert not G1Point.from_compressed_bytes_unchecked(g1).is_in_subgroup()
    assert not G2Point.from_compressed_bytes_unchecked(g2).is_in_subgroup()
    with pytest.raises(InvalidPointError, match="G1 subgroup"):
        verify_beacon(QUICKNET, Beacon.from_signature(5, g1))
    prev = beacon_of("mainnet", 0).signature
    with pytest.raises(InvalidPointError, match="G2 subgroup"):
        verify_beacon(MAINNET, Beacon.from_signature(2, g2, prev))
    # As public keys, too.
    with pytest.raises(InvalidPointError):
        verify_beacon(dataclasses.replace(QUICKNET, public_key=g2), beacon_of("quicknet", 0))


def test_infinity_is_refused() -> None:
    inf_g1 = bytes([0xC0]) + bytes(47)
    inf_g2 = bytes([0xC0]) + bytes(95)
    with pytest.raises(InvalidPointError, match="identity"):
        verify_beacon(QUICKNET, Beacon.from_signature(1, inf_g1))
    with pytest.raises(InvalidPointError, match="identity"):
        verify_beacon(MAINNET, Beacon.from_signature(2, inf_g2, beacon_of("mainnet", 0).signature))
    with pytest.raises(InvalidPointError, match="identity"):
        verify_beacon(dataclasses.replace(QUICKNET, public_key=inf_g2), beacon_of("quicknet", 0))


def test_wrong_randomness_field_is_refused() -> None:
    b = beacon_of("quicknet", 0)
    wrong = dataclasses.replace(b, randomness=bytes(32))
    with pytest.raises(RandomnessMismatchError) as info:
        verify_beacon(QUICKNET, wrong)
    assert info.value.computed == hashlib.sha256(b.signature).digest()


def test_wrong_previous_signature_is_refused() -> None:
    b = beacon_of("mainnet", 2)
    other = beacon_of("mainnet", 0).signature
    with pytest.raises(SignatureInvalidError):
        verify_beacon(MAINNET, dataclasses.replace(b, previous_signature=other))
    with pytest.raises(PreviousSignatureError):
        verify_beacon(MAINNET, dataclasses.replace(b, previous_signature=None))
    with pytest.raises(PreviousSignatureError):
        verify_beacon(
            QUICKNET, dataclasses.replace(beacon_of("quicknet", 0), previous_signature=b"x")
        )


def test_wrong_chain_is_refused() -> None:
    with pytest.raises(PreviousSignatureError):
        verify_beacon(QUICKNET, beacon_of("mainnet", 1))
    with pytest.raises(InvalidPointError):  # a G2 signature is not a G1 one
        verify_beacon(
            QUICKNET, dataclasses.replace(beacon_of("mainnet", 1), previous_signature=None)
        )
    other = other_chain(OTHER_CHAINS[0]["public_key"])
    with pytest.raises(SignatureInvalidError):
        verify_beacon(other, beacon_of("quicknet", 0))


@pytest.mark.parametrize(
    "scheme", ["bls-unchained-on-g1", "pedersen-bls-unchained", "bls-bn254-unchained-on-g1"]
)
def test_unpinned_schemes_are_refused(scheme: str) -> None:
    with pytest.raises(UnsupportedSchemeError):
        dataclasses.replace(QUICKNET, scheme=scheme)
    with pytest.raises(UnsupportedSchemeError):
        beacon_message(scheme, 1)
    info = format_chain_info_json(QUICKNET) | {"schemeID": scheme}
    with pytest.raises(UnsupportedSchemeError):
        parse_chain_info_json(info)


def test_fastnet_style_signature_is_not_accepted_as_quicknet() -> None:
    secret = bytes(31) + b"\x07"
    pk = unchained_g1_public_key(secret)
    chain = dataclasses.replace(other_chain(QUICKNET.public_key.hex()), public_key=pk)
    good = sign_unchained_g1(secret, 42)
    assert verify_beacon(chain, good) == good.randomness
    fastnet = sign_unchained_g1(secret, 42, dst=DST_G2)  # G2 DST on G1: the fastnet mistake
    with pytest.raises(SignatureInvalidError):
        verify_beacon(chain, fastnet)


# --- codecs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "index"), ALL_ROUNDS[:3] + ALL_ROUNDS[-3:])
def test_beacon_json_round_trips(name: str, index: int) -> None:
    raw = recorded(name)[index]
    assert format_beacon_json(parse_beacon_json(raw, PINNED_CHAINS[name])) == raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"round": True}, "round"),
        ({"round": 0}, "round"),
        ({"round": "1"}, "round"),
        ({"signature": "B55E"}, "lowercase hex"),
        ({"signature": "ab"}, "48 bytes"),
        ({"randomness": "00"}, "32 bytes"),
        ({"previous_signature": "00"}, "previous_signature"),
        ({"extra": 1}, "unexpected"),
    ],
)
def test_beacon_json_is_strict(change: dict[str, Any], message: str) -> None:
    raw = recorded("quicknet")[0] | change
    with pytest.raises(BeaconFormatError, match=message):
        parse_beacon_json(raw, QUICKNET)


def test_beacon_json_missing_fields() -> None:
    for field in ("round", "signature", "randomness"):
        raw = recorded("quicknet")[0]
        del raw[field]
        with pytest.raises(BeaconFormatError, match=field):
            parse_beacon_json(raw, QUICKNET)
    raw = recorded("mainnet")[0]
    del raw["previous_signature"]
    with pytest.raises(BeaconFormatError, match="previous_signature"):
        parse_beacon_json(raw, MAINNET)


def test_chain_info_json_round_trips_and_checks_hash() -> None:
    for chain in PINNED_CHAINS.values():
        assert parse_chain_info_json(format_chain_info_json(chain)) == chain
    doc = format_chain_info_json(QUICKNET) | {"period": 4}
    with pytest.raises(BeaconFormatError, match="chain hash"):
        parse_chain_info_json(doc)
    doc = format_chain_info_json(QUICKNET) | {"local": "yes"}
    with pytest.raises(BeaconFormatError, match="local"):
        parse_chain_info_json(doc)


# --- independent cross-check (py_ecc, pure Python; ~0.2-0.3 s each, so only two) ---------


def _py_ecc_verify(chain: ChainInfo, beacon: Beacon) -> bool:
    from py_ecc.bls.hash_to_curve import hash_to_G1, hash_to_G2
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.optimized_bls12_381 import FQ12, G1, G2, final_exponentiate, neg, pairing

    def g2(data: bytes) -> Any:
        return decompress_G2((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))

    def g1(data: bytes) -> Any:
        return decompress_G1(int.from_bytes(data, "big"))  # type: ignore[arg-type]

    prev = beacon.previous_signature or b""
    m = hashlib.sha256(prev + beacon.round.to_bytes(8, "big")).digest()
    if chain.scheme == SCHEME_UNCHAINED_G1:
        h = hash_to_G1(m, DST_G1, hashlib.sha256)
        product = pairing(neg(G2), g1(beacon.signature), final_exponentiate=False) * pairing(
            g2(chain.public_key), h, final_exponentiate=False
        )
    else:
        h2 = hash_to_G2(m, DST_G2, hashlib.sha256)
        product = pairing(g2(beacon.signature), neg(G1), final_exponentiate=False) * pairing(
            h2, g1(chain.public_key), final_exponentiate=False
        )
    return bool(final_exponentiate(product) == FQ12.one())


@pytest.mark.parametrize(("name", "index"), [("quicknet", 6), ("mainnet", 6)])
def test_py_ecc_agrees(name: str, index: int) -> None:
    chain, b = PINNED_CHAINS[name], beacon_of(name, index)
    assert (
        beacon_message(chain.scheme, b.round, b.previous_signature)
        == hashlib.sha256((b.previous_signature or b"") + b.round.to_bytes(8, "big")).digest()
    )
    assert _py_ecc_verify(chain, b)
    verify_beacon(chain, b)

"""drand beacon verification (BLS12-381) for the two pinned schemes.

Spec: docs/spec/beacons.md, after drand/drand `crypto/schemes.go` @f45e7e04:

- `bls-unchained-g1-rfc9380` (quicknet): signature on G1 (48 B), key on G2
  (96 B); m = sha256(u64be(round)); H = hash_to_G1(m, DST_G1);
  e(sig, g2) == e(H, pk).
- `pedersen-bls-chained` (mainnet "default"): signature on G2 (96 B), key on
  G1 (48 B); m = sha256(previous_signature || u64be(round));
  H = hash_to_G2(m, DST_G2); e(g1, sig) == e(pk, H).

Points are decoded with subgroup checks (py-arkworks-bls12381) and the
identity is refused explicitly; the DST is always passed explicitly; the
randomness is recomputed as sha256(signature) and compared with the claimed
field; the round must be the one asked for. Pure: no I/O, no clock.

Left out: `pedersen-bls-unchained`, fastnet's `bls-unchained-on-g1` (G2 DST on
G1, not RFC 9380) and evmnet (BN254) are refused as unsupported schemes.
"""

from __future__ import annotations

import functools
import hashlib

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from draw_engine.beacon import (
    PUBLIC_KEY_SIZE,
    SCHEME_CHAINED,
    SCHEME_UNCHAINED_G1,
    SIGNATURE_SIZE,
    Beacon,
    ChainInfo,
    check_round,
    check_scheme,
    randomness_from_signature,
)
from draw_engine.beacon_errors import (
    InvalidPointError,
    PreviousSignatureError,
    RandomnessMismatchError,
    RoundMismatchError,
    SignatureInvalidError,
)

# SPEC(RFC 9380 §8.8.1 / drand schemes.go): the NUL suites, one per signature group.
DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DST_G2 = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"

_G1_IDENTITY = G1Point.identity()
_G2_IDENTITY = G2Point.identity()
_NEG_G1 = -G1Point()
_NEG_G2 = -G2Point()


def beacon_message(scheme: str, round: int, previous_signature: bytes | None = None) -> bytes:
    """The 32-byte digest that is hashed to the curve for `round`."""
    check_scheme(scheme)
    check_round(round)
    h = hashlib.sha256()
    if scheme == SCHEME_CHAINED:
        if not previous_signature:
            raise PreviousSignatureError(
                f"round {round}: scheme {scheme} needs the previous signature"
            )
        # SPEC(drand schemes.go NewPedersenBLSChained): sha256(prev || u64be(round)).
        h.update(previous_signature)
    elif previous_signature is not None:
        raise PreviousSignatureError(
            f"round {round}: scheme {scheme} is unchained and takes no previous signature"
        )
    # SPEC(drand schemes.go): the round is a uint64 big-endian.
    h.update(round.to_bytes(8, "big"))
    return h.digest()


def decode_g1(data: bytes, *, what: str) -> G1Point:
    """Compressed G1 point, on the curve, in the subgroup, not the identity."""
    if len(data) != 48:
        raise InvalidPointError("expected a 48-byte compressed G1 point", what=what, data=data)
    try:
        point = G1Point.from_compressed_bytes(data)  # checks the curve and the subgroup
    except ValueError as exc:
        raise InvalidPointError(
            f"not a valid G1 subgroup point: {exc}", what=what, data=data
        ) from exc
    # SPEC(beacons): reject infinity explicitly; the decoder accepts it.
    if point == _G1_IDENTITY:
        raise InvalidPointError("the identity (infinity) is refused", what=what, data=data)
    return point


def decode_g2(data: bytes, *, what: str) -> G2Point:
    """Compressed G2 point, on the curve, in the subgroup, not the identity."""
    if len(data) != 96:
        raise InvalidPointError("expected a 96-byte compressed G2 point", what=what, data=data)
    try:
        point = G2Point.from_compressed_bytes(data)
    except ValueError as exc:
        raise InvalidPointError(
            f"not a valid G2 subgroup point: {exc}", what=what, data=data
        ) from exc
    if point == _G2_IDENTITY:
        raise InvalidPointError("the identity (infinity) is refused", what=what, data=data)
    return point


@functools.lru_cache(maxsize=16)
def _public_key_g1(data: bytes) -> G1Point:
    return decode_g1(data, what="public key")


@functools.lru_cache(maxsize=16)
def _public_key_g2(data: bytes) -> G2Point:
    return decode_g2(data, what="public key")


def verify_beacon(chain: ChainInfo, beacon: Beacon, *, expected_round: int | None = None) -> bytes:
    """Verify `beacon` against `chain`; return its randomness, sha256(signature).

    Raises `RoundMismatchError`, `PreviousSignatureError`, `InvalidPointError`,
    `SignatureInvalidError`, `RandomnessMismatchError` or `UnsupportedSchemeError`.
    """
    check_scheme(chain.scheme)
    # SPEC(beacons): the round must be the committed round.
    if expected_round is not None and beacon.round != expected_round:
        raise RoundMismatchError(expected=expected_round, got=beacon.round)
    message = beacon_message(chain.scheme, beacon.round, beacon.previous_signature)
    if chain.scheme == SCHEME_UNCHAINED_G1:
        signature = decode_g1(beacon.signature, what="signature")
        public_key = _public_key_g2(chain.public_key)
        hashed = G1Point.hash_to_curve(message, DST_G1)
        # SPEC(drand schemes.go NewPedersenBLSUnchainedG1): e(sig, g2) == e(H, pk).
        ok = GT.pairing_check([signature, hashed], [_NEG_G2, public_key])
    else:
        signature2 = decode_g2(beacon.signature, what="signature")
        public_key1 = _public_key_g1(chain.public_key)
        hashed2 = G2Point.hash_to_curve(message, DST_G2)
        # SPEC(drand schemes.go NewPedersenBLSChained): e(g1, sig) == e(pk, H).
        ok = GT.pairing_check([_NEG_G1, public_key1], [signature2, hashed2])
    if not ok:
        raise SignatureInvalidError(
            chain_hash=chain.chain_hash, round=beacon.round, signature=beacon.signature
        )
    # SPEC(beacons): recompute randomness, never trust the field.
    randomness = randomness_from_signature(beacon.signature)
    if beacon.randomness != randomness:
        raise RandomnessMismatchError(
            round=beacon.round, claimed=beacon.randomness, computed=randomness
        )
    return randomness


# --- signing (the local development beacon only) ---------------------------------------


def secret_scalar(secret_key: bytes) -> Scalar:
    """A 32-byte big-endian secret in [1, r); raises `ValueError` otherwise."""
    if len(secret_key) != 32:
        raise ValueError("secret key: expected 32 bytes")
    try:
        scalar = Scalar.from_be_bytes(secret_key)  # refuses values >= r
    except ValueError as exc:
        raise ValueError("secret key: not a scalar below the group order r") from exc
    if scalar.is_zero():
        raise ValueError("secret key: zero is not a key")
    return scalar


def unchained_g1_public_key(secret_key: bytes) -> bytes:
    """The G2 public key (96 B) of a quicknet-scheme secret key."""
    public_key: bytes = (G2Point() * secret_scalar(secret_key)).to_compressed_bytes()
    assert len(public_key) == PUBLIC_KEY_SIZE[SCHEME_UNCHAINED_G1]
    return public_key


def sign_unchained_g1(secret_key: bytes, round: int, *, dst: bytes = DST_G1) -> Beacon:
    """Sign `round` quicknet-style: sig = sk * hash_to_G1(sha256(u64be(round)), DST_G1).

    `dst` is a parameter only so tests can forge fastnet-style (G2 DST) signatures
    and check that they are refused."""
    message = beacon_message(SCHEME_UNCHAINED_G1, round)
    point = G1Point.hash_to_curve(message, dst) * secret_scalar(secret_key)
    signature: bytes = point.to_compressed_bytes()
    assert len(signature) == SIGNATURE_SIZE[SCHEME_UNCHAINED_G1]
    return Beacon.from_signature(round, signature)

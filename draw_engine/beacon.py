"""Beacon values, pinned drand chains, round maths and the `BeaconSource` port.

Spec: docs/spec/beacons.md (drand v1 relay JSON, drand `common/chain/info.go`
chain hash, `common/time.go` round times). This module is pure: values in,
values out; no network, no clock (times are parameters), no environment.

- `Beacon` and `ChainInfo` are frozen value types checked on construction.
- `QUICKNET` and `MAINNET` are the pinned League of Entropy chains; their
  values are the recorded `chain_info` of tests/vectors/drand/*.json and their
  chain hashes are recomputed from the other fields at import.
- `parse_beacon_json` / `format_beacon_json` and `parse_chain_info_json` /
  `format_chain_info_json` are the strict codecs of the drand v1 relay JSON
  (`/public/<round>` and `/info`), plus our `"local": true` marker.
- `BeaconSource` is the one port through which the draw code gets randomness.

Left out: drand v2 API (`/v2/chains/...`), evmnet (BN254) and any scheme not
pinned; BLS verification itself lives in `draw_engine.drand`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from draw_engine.beacon_errors import BeaconFormatError, UnsupportedSchemeError

SCHEME_UNCHAINED_G1 = "bls-unchained-g1-rfc9380"
SCHEME_CHAINED = "pedersen-bls-chained"
# SPEC(beacons): reject any scheme id not pinned; fastnet's `bls-unchained-on-g1`
# (G2 DST on G1, not RFC 9380) is deliberately absent.
SUPPORTED_SCHEMES = frozenset({SCHEME_UNCHAINED_G1, SCHEME_CHAINED})

# SPEC(beacons): signature / public-key sizes per scheme (compressed ZCash encoding).
SIGNATURE_SIZE = {SCHEME_UNCHAINED_G1: 48, SCHEME_CHAINED: 96}
PUBLIC_KEY_SIZE = {SCHEME_UNCHAINED_G1: 96, SCHEME_CHAINED: 48}
RANDOMNESS_SIZE = 32
MAX_ROUND = 2**63 - 1  # drand rounds are uint64; keep them in int64 for JSON and SQL.
MAX_JSON_BYTES = 64 * 1024

_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def parse_hex(text: object, *, field: str, size: int | None = None) -> bytes:
    """Strict lowercase hex (drand's form); `size` in bytes when fixed."""
    if not isinstance(text, str) or _HEX.fullmatch(text) is None:
        raise BeaconFormatError(f"{field}: expected lowercase hex with an even number of digits")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise BeaconFormatError(f"{field}: expected {size} bytes, got {len(data)}")
    return data


def check_round(value: object, *, field: str = "round") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROUND:
        raise BeaconFormatError(f"{field}: expected an integer round >= 1, got {value!r}")
    return value


def check_scheme(scheme: str) -> str:
    if scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedSchemeError(scheme)
    return scheme


@dataclass(frozen=True)
class Beacon:
    """One drand beacon as published: `randomness` is the claimed field, checked on verify."""

    round: int
    signature: bytes
    previous_signature: bytes | None
    randomness: bytes

    def __post_init__(self) -> None:
        check_round(self.round)
        if not isinstance(self.signature, bytes) or len(self.signature) not in (48, 96):
            raise BeaconFormatError("signature: expected 48 (G1) or 96 (G2) bytes")
        if self.previous_signature is not None and (
            not isinstance(self.previous_signature, bytes) or not self.previous_signature
        ):
            raise BeaconFormatError("previous_signature: expected non-empty bytes or None")
        if not isinstance(self.randomness, bytes) or len(self.randomness) != RANDOMNESS_SIZE:
            raise BeaconFormatError(f"randomness: expected {RANDOMNESS_SIZE} bytes")

    @classmethod
    def from_signature(
        cls, round: int, signature: bytes, previous_signature: bytes | None = None
    ) -> Beacon:
        """A beacon whose randomness field is computed, not claimed: sha256(signature)."""
        return cls(round, signature, previous_signature, randomness_from_signature(signature))


def randomness_from_signature(signature: bytes) -> bytes:
    # SPEC(beacons): randomness = sha256(signature) (drand RandomnessFromSignature).
    return hashlib.sha256(signature).digest()


@dataclass(frozen=True)
class ChainInfo:
    """A drand chain's identity. `local` marks our development beacon: not public randomness."""

    scheme: str
    public_key: bytes
    genesis_time: int
    period: int
    chain_hash: bytes
    local: bool = False
    genesis_seed: bytes = b""
    beacon_id: str = ""

    def __post_init__(self) -> None:
        check_scheme(self.scheme)
        if len(self.public_key) != PUBLIC_KEY_SIZE[self.scheme]:
            raise BeaconFormatError(
                f"public_key: scheme {self.scheme} needs {PUBLIC_KEY_SIZE[self.scheme]} bytes, "
                f"got {len(self.public_key)}"
            )
        for name in ("genesis_time", "period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BeaconFormatError(f"{name}: expected a positive integer, got {value!r}")
        if len(self.chain_hash) != 32:
            raise BeaconFormatError("chain_hash: expected 32 bytes")

    @property
    def chained(self) -> bool:
        return self.scheme == SCHEME_CHAINED


def compute_chain_hash(
    *, period: int, genesis_time: int, public_key: bytes, genesis_seed: bytes, beacon_id: str
) -> bytes:
    """drand `Info.Hash`: the scheme id is NOT part of it."""
    # SPEC(drand common/chain/info.go): sha256(u32be(period) || i64be(genesis) || pk ||
    # genesis_seed || beacon_id, the id omitted when "default" or empty).
    h = hashlib.sha256()
    h.update(period.to_bytes(4, "big"))
    h.update(genesis_time.to_bytes(8, "big", signed=True))
    h.update(public_key)
    h.update(genesis_seed)
    if beacon_id not in ("", "default"):
        h.update(beacon_id.encode("utf-8"))
    return h.digest()


def _pinned(**fields: Any) -> ChainInfo:
    info = ChainInfo(**fields)
    computed = compute_chain_hash(
        period=info.period,
        genesis_time=info.genesis_time,
        public_key=info.public_key,
        genesis_seed=info.genesis_seed,
        beacon_id=info.beacon_id,
    )
    if computed != info.chain_hash:  # pragma: no cover - guards the constants below
        raise AssertionError(f"pinned chain hash {info.chain_hash.hex()} != {computed.hex()}")
    return info


# Values: tests/vectors/drand/quicknet.json chain_info (drand/drand info_test.go @f45e7e04).
QUICKNET = _pinned(
    scheme=SCHEME_UNCHAINED_G1,
    public_key=bytes.fromhex(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a"
        "2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76"
        "eae8991ef5ece45a"
    ),
    genesis_time=1692803367,
    period=3,
    chain_hash=bytes.fromhex("52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"),
    genesis_seed=bytes.fromhex("f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e"),
    beacon_id="quicknet",
)
# Values: tests/vectors/drand/mainnet.json chain_info (drand/tlock fixed_test.go @962ec50d).
MAINNET = _pinned(
    scheme=SCHEME_CHAINED,
    public_key=bytes.fromhex(
        "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a940"
        "2801af31"
    ),
    genesis_time=1595431050,
    period=30,
    chain_hash=bytes.fromhex("8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"),
    genesis_seed=bytes.fromhex("176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a"),
    beacon_id="default",
)
PINNED_CHAINS: Mapping[str, ChainInfo] = {"quicknet": QUICKNET, "mainnet": MAINNET}


def round_time(chain: ChainInfo, round: int) -> int:
    """Unix time at which `round` is published: genesis + (round - 1) * period."""
    # SPEC(drand common/time.go): round 1 is at genesis.
    check_round(round)
    return chain.genesis_time + (round - 1) * chain.period


def round_for_time(chain: ChainInfo, unix_time: float) -> int:
    """The latest round published at or before `unix_time`; 0 before genesis."""
    if unix_time < chain.genesis_time:
        return 0
    return int((unix_time - chain.genesis_time) // chain.period) + 1


def first_round_after(chain: ChainInfo, unix_time: float) -> int:
    """The first round whose round time is strictly after `unix_time` (a round to commit to)."""
    return round_for_time(chain, unix_time) + 1


# --- drand v1 relay JSON -----------------------------------------------------------------


def parse_beacon_json(obj: object, chain: ChainInfo) -> Beacon:
    """A `/public/<round>` object, strictly: known keys, lowercase hex, sizes of `chain.scheme`."""
    if not isinstance(obj, Mapping):
        raise BeaconFormatError("beacon: expected a JSON object")
    allowed = {"round", "signature", "randomness", "previous_signature"}
    extra = set(obj) - allowed
    if extra:
        raise BeaconFormatError(f"beacon: unexpected fields {sorted(extra)}")
    for name in ("round", "signature", "randomness"):
        if name not in obj:
            raise BeaconFormatError(f"beacon: missing field {name!r}")
    previous: bytes | None = None
    if chain.chained:
        if "previous_signature" not in obj:
            raise BeaconFormatError("beacon: chained scheme needs 'previous_signature'")
        previous = parse_hex(obj["previous_signature"], field="previous_signature")
        if not previous:
            raise BeaconFormatError("previous_signature: empty")
    elif obj.get("previous_signature", "") != "":
        raise BeaconFormatError("beacon: unchained scheme carries a previous_signature")
    return Beacon(
        round=check_round(obj["round"]),
        signature=parse_hex(obj["signature"], field="signature", size=SIGNATURE_SIZE[chain.scheme]),
        previous_signature=previous,
        randomness=parse_hex(obj["randomness"], field="randomness", size=RANDOMNESS_SIZE),
    )


def format_beacon_json(beacon: Beacon) -> dict[str, Any]:
    out: dict[str, Any] = {
        "round": beacon.round,
        "randomness": beacon.randomness.hex(),
        "signature": beacon.signature.hex(),
    }
    if beacon.previous_signature is not None:
        out["previous_signature"] = beacon.previous_signature.hex()
    return out


def format_chain_info_json(chain: ChainInfo) -> dict[str, Any]:
    """drand v1 relay `/info` field names (`hash`, `groupHash`, `schemeID`, `metadata.beaconID`)."""
    out: dict[str, Any] = {
        "public_key": chain.public_key.hex(),
        "period": chain.period,
        "genesis_time": chain.genesis_time,
        "hash": chain.chain_hash.hex(),
        "groupHash": chain.genesis_seed.hex(),
        "schemeID": chain.scheme,
        "metadata": {"beaconID": chain.beacon_id},
    }
    if chain.local:
        out["local"] = True  # our marker: a development beacon, not public randomness
    return out


def parse_chain_info_json(obj: object) -> ChainInfo:
    """Strict `/info` parser; checks that `hash` is the drand hash of the other fields."""
    if not isinstance(obj, Mapping):
        raise BeaconFormatError("chain info: expected a JSON object")
    for name in ("public_key", "period", "genesis_time", "hash", "groupHash", "schemeID"):
        if name not in obj:
            raise BeaconFormatError(f"chain info: missing field {name!r}")
    scheme = obj["schemeID"]
    if not isinstance(scheme, str):
        raise BeaconFormatError("schemeID: expected a string")
    check_scheme(scheme)
    metadata = obj.get("metadata", {})
    beacon_id = metadata.get("beaconID", "") if isinstance(metadata, Mapping) else None
    if not isinstance(beacon_id, str):
        raise BeaconFormatError("metadata.beaconID: expected a string")
    local = obj.get("local", False)
    if not isinstance(local, bool):
        raise BeaconFormatError("local: expected a boolean")
    info = ChainInfo(
        scheme=scheme,
        public_key=parse_hex(obj["public_key"], field="public_key", size=PUBLIC_KEY_SIZE[scheme]),
        genesis_time=obj["genesis_time"],
        period=obj["period"],
        chain_hash=parse_hex(obj["hash"], field="hash", size=32),
        local=local,
        genesis_seed=parse_hex(obj["groupHash"], field="groupHash"),
        beacon_id=beacon_id,
    )
    computed = compute_chain_hash(
        period=info.period,
        genesis_time=info.genesis_time,
        public_key=info.public_key,
        genesis_seed=info.genesis_seed,
        beacon_id=info.beacon_id,
    )
    if computed != info.chain_hash:
        raise BeaconFormatError(
            f"hash: {info.chain_hash.hex()} is not the chain hash of the other fields "
            f"({computed.hex()})"
        )
    return info


@runtime_checkable
class BeaconSource(Protocol):
    """Where the draw code gets randomness. Every beacon returned has been verified."""

    @property
    def chain(self) -> ChainInfo: ...

    def latest(self) -> Beacon:
        """The newest published round, verified."""
        ...

    def get(self, round: int) -> Beacon:
        """Round `round`, verified; `RoundNotYetAvailableError` before its round time."""
        ...

    def round_time(self, round: int) -> int:
        """Unix publication time of `round`."""
        ...

    def verify(self, beacon: Beacon) -> bytes:
        """Verify against this source's chain; return the randomness; raise on any defect."""
        ...

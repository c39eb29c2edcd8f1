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
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from draw_engine.beacon_errors import (
    BeaconFormatError,
    ChainIdentityError,
    UnsupportedSchemeError,
)

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
# SPEC(drand Info.Hash): the period is hashed as uint32 seconds, genesis as int64.
MAX_PERIOD = 2**32 - 1
MAX_GENESIS_TIME = 2**63 - 1
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
        for name, top in (("genesis_time", MAX_GENESIS_TIME), ("period", MAX_PERIOD)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                raise BeaconFormatError(
                    f"{name}: expected an integer in [1, {top}], got {value!r}"
                )
        if len(self.chain_hash) != 32:
            raise BeaconFormatError("chain_hash: expected 32 bytes")
        if not isinstance(self.genesis_seed, bytes) or not isinstance(self.beacon_id, str):
            raise BeaconFormatError("genesis_seed: expected bytes; beacon_id: expected a string")

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


# SPEC(beacons §5): the local development beacon's group hash and beacon id. A local
# chain filed without a group hash (trust.json's own shape) is hashed with these.
LOCAL_BEACON_ID = "fairdraw-local"
_LOCAL_SEED_PREFIX = b"fairdraw local beacon v1"


def local_genesis_seed(public_key: bytes) -> bytes:
    """The local beacon's group hash: sha256("fairdraw local beacon v1" || public_key)."""
    return hashlib.sha256(_LOCAL_SEED_PREFIX + public_key).digest()


def chain_hash_of(chain: ChainInfo) -> bytes:
    """drand `chain.Info.Hash()` of `chain`'s fields (never its `chain_hash` field).

    sha256(u32be(period) || i64be(genesis_time) || public_key || group hash
    || beacon id unless "default"/""). A chain marked local that gives no group
    hash is hashed with the local beacon's (`local_genesis_seed`, beacon id
    "fairdraw-local" when none is given); docs/spec/beacons.md §2.1."""
    seed, beacon_id = chain.genesis_seed, chain.beacon_id
    if chain.local and not seed:
        seed, beacon_id = local_genesis_seed(chain.public_key), beacon_id or LOCAL_BEACON_ID
    return compute_chain_hash(
        period=chain.period,
        genesis_time=chain.genesis_time,
        public_key=chain.public_key,
        genesis_seed=seed,
        beacon_id=beacon_id,
    )


def _pinned(**fields: Any) -> ChainInfo:
    info = ChainInfo(**fields)
    computed = chain_hash_of(info)
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


# --- chain identity (check `beacon-identity`) --------------------------------------------


def _short(chain_hash: bytes) -> str:
    return chain_hash.hex()[:8] + "\u2026"


def _same_beacon_id(a: str, b: str) -> bool:
    # SPEC(drand common.CompareBeaconIDs): "" and "default" are the same id.
    return a == b or (a in ("", "default") and b in ("", "default"))


def check_chain_hash(chain: ChainInfo, *, local: bool) -> None:
    """The chain hash `chain` is filed under is `chain_hash_of` its info; raises otherwise."""
    computed = chain_hash_of(replace(chain, local=local))
    if computed != chain.chain_hash:
        raise ChainIdentityError(
            f"beacon-identity: chain {_short(chain.chain_hash)} is filed under a chain hash "
            f"that is not the hash of its chain info (recomputed {computed.hex()})",
            rule="chain-hash",
            chain_hash=chain.chain_hash,
            expected=chain.chain_hash.hex(),
            got=computed.hex(),
        )


def check_chain_identity(chain: ChainInfo, *, local: bool) -> None:
    """Check `beacon-identity` for a chain filed under `chain.chain_hash`; raise on failure.

    SPEC(beacons §2.1): when the info gives a group hash (or the chain is local),
    the chain hash is recomputed from it (`chain_hash_of`) and must be the one it
    is filed under. A chain not marked `local` must then be a chain pinned in
    code (drand quicknet or mainnet): same chain hash, scheme, public key,
    genesis time, period, and group hash and beacon id when the info gives them.
    Raises `ChainIdentityError` naming the rule, with expected and found values.
    """
    if chain.genesis_seed or local:
        check_chain_hash(chain, local=local)
    if local:
        return
    short = _short(chain.chain_hash)
    pinned = next(
        ((n, c) for n, c in PINNED_CHAINS.items() if c.chain_hash == chain.chain_hash), None
    )
    if pinned is None:
        names = ", ".join(f"{n} {_short(c.chain_hash)}" for n, c in PINNED_CHAINS.items())
        raise ChainIdentityError(
            f"beacon-identity: chain {short} is not a drand chain pinned in code "
            f"({names}) and is not marked local",
            rule="not-pinned",
            chain_hash=chain.chain_hash,
            got=chain.chain_hash.hex(),
        )
    name, ref = pinned
    fields: list[tuple[str, str, object, object]] = [
        ("scheme", "scheme", ref.scheme, chain.scheme),
        ("public-key", "public key", ref.public_key.hex(), chain.public_key.hex()),
        ("genesis-time", "genesis time", ref.genesis_time, chain.genesis_time),
        ("period", "period", ref.period, chain.period),
    ]
    if chain.genesis_seed:
        seeds = (ref.genesis_seed.hex(), chain.genesis_seed.hex())
        fields.append(("group-hash", "group hash", *seeds))
        if not _same_beacon_id(ref.beacon_id, chain.beacon_id):
            fields.append(("beacon-id", "beacon id", ref.beacon_id, chain.beacon_id))
    for rule, label, expected, got in fields:
        if expected != got:
            raise ChainIdentityError(
                f"beacon-identity: chain {short} is filed with a {label} that is not "
                f"drand {name}'s",
                rule=rule,
                chain_hash=chain.chain_hash,
                expected=str(expected),
                got=str(got),
            )


def key_fingerprint(chain: ChainInfo) -> str:
    """Display form of the chain's public key: the first 16 hex digits of sha256(key) in
    groups of 4 (`96e7-4fcd-d3a1-1840` for quicknet), like the trust.json fingerprint."""
    digest = hashlib.sha256(chain.public_key).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def round_time(chain: ChainInfo, round: int) -> int:
    """Unix time at which `round` is published: genesis + (round - 1) * period."""
    # SPEC(drand common/time.go): round 1 is at genesis.
    check_round(round)
    return chain.genesis_time + (round - 1) * chain.period


def check_round_time(chain: ChainInfo, round: int, claimed: int) -> None:
    """The announced round time `claimed` (unix seconds) is `round_time(chain, round)`."""
    computed = round_time(chain, round)
    if claimed != computed:
        raise ChainIdentityError(
            f"beacon-identity: round {round} of chain {_short(chain.chain_hash)} is published "
            f"at {computed}, not at the announced {claimed}",
            rule="round-time",
            chain_hash=chain.chain_hash,
            expected=str(computed),
            got=str(claimed),
        )


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
    try:
        check_chain_hash(info, local=local)
    except ChainIdentityError as exc:
        raise BeaconFormatError(f"hash: {exc}") from exc
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

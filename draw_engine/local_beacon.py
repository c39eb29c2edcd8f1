"""The local development beacon: drand-compatible, own BLS key, NOT public randomness.

Spec: docs/spec/beacons.md §Local beacon. It uses the quicknet scheme
(`bls-unchained-g1-rfc9380`: G1 signatures, G2 key, RFC 9380 DST_G1), so the
ordinary drand verifier checks its rounds against its own pinned chain info.
Round R exists from `genesis_time + (R-1)*period`; because BLS signatures are
deterministic, rounds are computed on demand and nothing is stored but the key.

Files in the beacon directory:

- `local-beacon-key.json` (mode 0600): `{"format": "fairdraw-local-beacon-key/v1",
  "scheme", "secret_key" (32-byte big-endian scalar, hex), "genesis_time",
  "period", "beacon_id"}`;
- `chain-info.json`: the public `/info` document (drand v1 field names plus
  `"local": true`), to be pinned by whoever verifies.

`genesis_seed` = sha256("fairdraw local beacon v1" || public_key) and the chain
hash follows drand's rule, so the chain hash commits to the key and clock.

Left out: threshold keys (one key, one operator: this is why it is not public
randomness), key rotation, persistence of served rounds.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from fastapi import FastAPI
from py_arkworks_bls12381 import Scalar

from draw_engine.beacon import (
    LOCAL_BEACON_ID,
    SCHEME_UNCHAINED_G1,
    Beacon,
    ChainInfo,
    chain_hash_of,
    format_chain_info_json,
    local_genesis_seed,
    parse_hex,
    round_for_time,
    round_time,
)
from draw_engine.beacon_errors import BeaconFormatError, RoundNotYetAvailableError
from draw_engine.beacon_relay import RelayChain, create_relay_app
from draw_engine.drand import sign_unchained_g1, unchained_g1_public_key, verify_beacon

KEY_FILE = "local-beacon-key.json"
CHAIN_INFO_FILE = "chain-info.json"
KEY_FORMAT = "fairdraw-local-beacon-key/v1"
BEACON_ID = LOCAL_BEACON_ID
DEFAULT_PERIOD = 3


@dataclass(frozen=True)
class LocalBeaconKey:
    secret_key: bytes
    genesis_time: int
    period: int
    beacon_id: str = BEACON_ID

    def __post_init__(self) -> None:
        unchained_g1_public_key(self.secret_key)  # validates the scalar
        if self.genesis_time < 1 or self.period < 1:
            raise BeaconFormatError("local beacon: genesis_time and period must be >= 1")

    def __repr__(self) -> str:  # never print the secret
        return f"LocalBeaconKey(genesis_time={self.genesis_time}, period={self.period})"

    @property
    def chain(self) -> ChainInfo:
        """Its chain info; the chain hash is `chain_hash_of` it, as for any drand chain."""
        public_key = unchained_g1_public_key(self.secret_key)
        unhashed = ChainInfo(
            scheme=SCHEME_UNCHAINED_G1,
            public_key=public_key,
            genesis_time=self.genesis_time,
            period=self.period,
            chain_hash=bytes(32),
            local=True,
            genesis_seed=local_genesis_seed(public_key),
            beacon_id=self.beacon_id,
        )
        return replace(unhashed, chain_hash=chain_hash_of(unhashed))

    def sign(self, round: int) -> Beacon:
        return sign_unchained_g1(self.secret_key, round)


def generate_local_key(*, genesis_time: int, period: int = DEFAULT_PERIOD) -> LocalBeaconKey:
    """A fresh key: a uniform non-zero scalar (64 random bytes reduced mod r)."""
    while True:
        scalar = Scalar.from_be_bytes_mod_order(secrets.token_bytes(64))
        if not scalar.is_zero():
            break
    return LocalBeaconKey(bytes(scalar.to_be_bytes()), genesis_time=genesis_time, period=period)


def format_local_key(key: LocalBeaconKey) -> str:
    return json.dumps(
        {
            "format": KEY_FORMAT,
            "scheme": SCHEME_UNCHAINED_G1,
            "secret_key": key.secret_key.hex(),
            "genesis_time": key.genesis_time,
            "period": key.period,
            "beacon_id": key.beacon_id,
        },
        indent=1,
    )


def parse_local_key(text: str) -> LocalBeaconKey:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise BeaconFormatError(f"local beacon key: not JSON ({exc})") from exc
    if not isinstance(obj, dict) or obj.get("format") != KEY_FORMAT:
        raise BeaconFormatError(f"local beacon key: expected format {KEY_FORMAT!r}")
    if obj.get("scheme") != SCHEME_UNCHAINED_G1:
        raise BeaconFormatError(f"local beacon key: scheme must be {SCHEME_UNCHAINED_G1}")
    for name in ("genesis_time", "period"):
        if isinstance(obj.get(name), bool) or not isinstance(obj.get(name), int):
            raise BeaconFormatError(f"local beacon key: {name} must be an integer")
    if not isinstance(obj.get("beacon_id"), str):
        raise BeaconFormatError("local beacon key: beacon_id must be a string")
    try:
        return LocalBeaconKey(
            parse_hex(obj.get("secret_key"), field="secret_key", size=32),
            genesis_time=obj["genesis_time"],
            period=obj["period"],
            beacon_id=obj["beacon_id"],
        )
    except ValueError as exc:
        raise BeaconFormatError(f"local beacon key: {exc}") from exc


def write_local_key(directory: Path, key: LocalBeaconKey) -> None:
    """Create the key file (0600, refuses to overwrite) and the public chain-info file."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(format_local_key(key) + "\n")
    (directory / CHAIN_INFO_FILE).write_text(
        json.dumps(format_chain_info_json(key.chain), indent=1) + "\n", encoding="utf-8"
    )


def read_local_key(directory: Path) -> LocalBeaconKey:
    return parse_local_key((directory / KEY_FILE).read_text(encoding="utf-8"))


def load_or_create_local_key(
    directory: Path, *, now: float, period: int | None = None
) -> LocalBeaconKey:
    """The directory's key; a new one with genesis = floor(now) if there is none."""
    if (directory / KEY_FILE).exists():
        key = read_local_key(directory)
        if period is not None and period != key.period:
            raise BeaconFormatError(
                f"local beacon in {directory} has period {key.period}, not {period}; "
                "use a new directory to change the period"
            )
        return key
    key = generate_local_key(genesis_time=int(now), period=period or DEFAULT_PERIOD)
    write_local_key(directory, key)
    return key


class LocalBeaconSource:
    """In-process `BeaconSource` over a local key (no HTTP); rounds appear on `clock`."""

    def __init__(self, key: LocalBeaconKey, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._chain = key.chain
        self._clock = clock

    @property
    def chain(self) -> ChainInfo:
        return self._chain

    def round_time(self, round: int) -> int:
        return round_time(self._chain, round)

    def latest(self) -> Beacon:
        current = round_for_time(self._chain, self._clock())
        if current < 1:
            raise RoundNotYetAvailableError(
                round=1, round_time=self._chain.genesis_time, detail="before genesis"
            )
        return self._key.sign(current)

    def get(self, round: int) -> Beacon:
        # SPEC(beacons): a round does not exist before its round time, even locally.
        if round_for_time(self._chain, self._clock()) < round:
            raise RoundNotYetAvailableError(round=round, round_time=self.round_time(round))
        return self._key.sign(round)

    def verify(self, beacon: Beacon) -> bytes:
        return verify_beacon(self._chain, beacon)


def create_local_beacon_app(
    key: LocalBeaconKey, *, clock: Callable[[], float] = time.time
) -> FastAPI:
    source = LocalBeaconSource(key, clock=clock)
    relay = RelayChain(info=source.chain, get=source.get, latest=source.latest)
    title = "fairdraw local beacon (NOT public randomness)"
    return create_relay_app([relay], title=title, clock=clock)

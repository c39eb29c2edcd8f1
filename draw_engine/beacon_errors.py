"""The exception tree of the beacon code (drand, local beacon, replay).

Every error raised by `draw_engine.beacon`, `drand`, `drand_http`,
`local_beacon` and `replay_beacon` is a `BeaconError`. Verification
failures are `BeaconVerificationError`s and carry their evidence (chain,
round, expected vs. computed); malformed input is a `BeaconFormatError` naming
the field; a beacon that cannot be had (network, future round) is a
`BeaconUnavailableError`; a round a relay does not have is a
`RoundNotFoundError`. This is the beacon branch of the package's one tree:
`BeaconError` is a `draw_engine.errors.DrawEngineError`, so a caller that
catches the package's errors catches these too, and the service's HTTP table
(`fairdraw.http_errors`) maps each class here explicitly.
"""

from __future__ import annotations

from draw_engine.entries import format_utc
from draw_engine.errors import DrawEngineError


class BeaconError(DrawEngineError):
    """Base of every beacon error."""


class BeaconFormatError(BeaconError, ValueError):
    """Input that is not in the canonical form (bad hex, wrong length, wrong JSON type)."""


class UnsupportedSchemeError(BeaconError, ValueError):
    """A scheme id that is not pinned here (e.g. fastnet's `bls-unchained-on-g1`)."""

    def __init__(self, scheme: str) -> None:
        super().__init__(
            f"unsupported beacon scheme {scheme!r}: only 'bls-unchained-g1-rfc9380' and "
            "'pedersen-bls-chained' are accepted"
        )
        self.scheme = scheme


class BeaconVerificationError(BeaconError):
    """A beacon (or pulse) did not verify. Never signalled by a return value."""


class InvalidPointError(BeaconVerificationError):
    """A signature or key is not a valid, non-identity point of the prime-order subgroup."""

    def __init__(self, message: str, *, what: str, data: bytes) -> None:
        super().__init__(f"{message} ({what} {data.hex()})")
        self.what = what
        self.data = data


class SignatureInvalidError(BeaconVerificationError):
    """The BLS pairing check failed: the signature is not the chain's for this round."""

    def __init__(self, *, chain_hash: bytes, round: int, signature: bytes) -> None:
        super().__init__(
            f"BLS signature does not verify for round {round} of chain {chain_hash.hex()} "
            f"(signature {signature.hex()})"
        )
        self.chain_hash = chain_hash
        self.round = round
        self.signature = signature


class RoundMismatchError(BeaconVerificationError):
    """The beacon is for another round than the one asked for."""

    def __init__(self, *, expected: int, got: int) -> None:
        super().__init__(f"beacon is for round {got}, expected round {expected}")
        self.expected = expected
        self.got = got


class RandomnessMismatchError(BeaconVerificationError):
    """The beacon's randomness field is not sha256(signature)."""

    def __init__(self, *, round: int, claimed: bytes, computed: bytes) -> None:
        super().__init__(
            f"round {round}: randomness field {claimed.hex()} is not sha256(signature) "
            f"= {computed.hex()}"
        )
        self.round = round
        self.claimed = claimed
        self.computed = computed


class PreviousSignatureError(BeaconVerificationError):
    """A previous_signature is missing for a chained scheme, or present for an unchained one."""


class ChainMismatchError(BeaconVerificationError):
    """A relay's /info (or a beacon's chain) is not the pinned chain."""

    def __init__(self, *, field: str, expected: object, got: object) -> None:
        super().__init__(f"chain info mismatch on {field}: pinned {expected!r}, relay says {got!r}")
        self.field = field
        self.expected = expected
        self.got = got


class ChainIdentityError(BeaconVerificationError):
    """A chain is not who it claims to be (check `beacon-identity`, docs/spec/beacons.md §2.1).

    `rule` names the failed rule: `chain-hash` (the filed chain hash is not the
    drand hash of the chain info), `not-pinned` (a chain not marked local that
    is no drand chain pinned in code), `scheme`, `public-key`, `genesis-time`,
    `period`, `group-hash`, `beacon-id` (a field differing from the pinned chain
    filed under that hash),
    `round-time` (an announced round time that is not genesis + (R-1)*period).
    The message starts with "beacon-identity: " and is the same text as the
    browser's (public_portal/static/js/drand.js).
    """

    def __init__(
        self, message: str, *, rule: str, chain_hash: bytes, expected: str = "", got: str = ""
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.chain_hash = chain_hash
        self.expected = expected
        self.got = got


class BeaconUnavailableError(BeaconError):
    """The beacon could not be fetched: network error, timeout, HTTP error, bad response."""


def _utc(seconds: int) -> str:
    """RFC 3339 UTC for a message (the raw number if it is outside years 1970-9999)."""
    if not 0 <= seconds < 253_402_300_800:
        return str(seconds)
    return format_utc(seconds)


class RoundNotFoundError(BeaconError, LookupError):
    """A relay's source does not have this round and will not get it by waiting (HTTP 404
    from our relays, draw_engine.beacon_relay)."""


class RoundNotYetAvailableError(BeaconUnavailableError):
    """The round is in the future: its round time has not come (HTTP 425 from our servers)."""

    def __init__(self, *, round: int, round_time: int | None, detail: str = "") -> None:
        when = f" (round time {_utc(round_time)})" if round_time is not None else ""
        tail = f": {detail}" if detail else ""
        super().__init__(f"round {round} is not available yet{when}{tail}")
        self.round = round
        self.round_time = round_time


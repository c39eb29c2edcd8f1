"""trust.json: what a verifier pins before it reads anything from a portal.

Spec: docs/spec/portal-js.md "trust.json shapes" (the browser reads the same
file). It pins the log (origin and verifier keys), the witness policy
(`witnesses.policy.policy_from_trust_json`), the beacon chains by chain hash
(a drand /info object as is, or our own shape; `local` marks the development
beacon) and the commitment margin in seconds (default 60, DESIGN §2).
A malformed file is a `TrustError` naming the field: nothing can be verified
against it. Left out: fetching it (the caller decides where trust comes from).

A person checks the file by its fingerprint (docs/spec/verification.md "Trust
root"): SHA-256 over the RFC 8785 canonical JSON of the parsed file, shown in
full (64 hex) and short (the first 16 hex in 4 groups of 4, `3f2a-91bc-0d4e-77a1`).
`public_portal/static/js/trustroot.js` computes the same value in the browser;
both read `tests/vectors/trust/fingerprint.json`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from draw_engine.beacon import ChainInfo, check_chain_hash, parse_chain_info_json, parse_hex
from draw_engine.beacon_errors import ChainIdentityError
from draw_engine.canonical import canonical_json, parse_json
from fairdraw.errors import FairdrawError
from fairdraw.portal_source import ClientError
from transparency.checkpoint import Checkpoint, open_checkpoint
from transparency.errors import FormatError, SignatureError
from transparency.note import OpenedNote, parse_note
from transparency.note_keys import parse_verifier_key
from witnesses.policy import Policy, policy_from_trust_json

DEFAULT_MARGIN_SECONDS = 60


class TrustError(ClientError):
    """trust.json is malformed: nothing can be verified against it."""


class LogKeyMismatchError(SignatureError, FairdrawError):
    """No log key of trust.json signed the checkpoint: trust.json is for another log (or key)."""

    def __init__(self, message: str, *, expected: list[str], found: list[str]) -> None:
        super().__init__(message)
        self.expected, self.found = expected, found


@dataclass(frozen=True)
class Trust:
    origin: str
    log_vkeys: tuple[str, ...]
    policy: Policy
    beacons: Mapping[str, tuple[ChainInfo, bool]]  # chain hash hex -> (chain, local flag)
    margin_seconds: int
    raw: Mapping[str, Any]

    @property
    def fingerprint(self) -> TrustFingerprint:
        """The fingerprint a person compares with the published one (`trust_fingerprint`)."""
        return trust_fingerprint(self.raw)


_SAME_FIELD = (("scheme", "schemeID"), ("chain_hash", "hash"), ("genesis_seed", "groupHash"))


def _chain_from_trust(key: str, info: Any) -> tuple[ChainInfo, bool]:
    if not isinstance(info, Mapping):
        raise TrustError(f"beacons[{key}] must be an object")
    local = info.get("local", False)
    if not isinstance(local, bool):
        raise TrustError(f"beacons[{key}].local must be a boolean")
    # Our names and drand's for one field must agree (the browser reads either).
    metadata = info.get("metadata")
    drand_id = metadata.get("beaconID") if isinstance(metadata, Mapping) else None
    for ours, theirs in (*_SAME_FIELD, ("beacon_id", "metadata.beaconID")):
        other = drand_id if theirs == "metadata.beaconID" else info.get(theirs)
        if ours in info and other is not None and info[ours] != other:
            raise TrustError(f"beacons[{key}] gives two different {ours} ({ours}, {theirs})")
    try:
        if "schemeID" in info:  # a drand /info object pinned as is
            chain = parse_chain_info_json(info)  # recomputes `hash` from the info
        else:  # our shape; `genesis_seed` and `beacon_id` (drand v2 names) are optional
            beacon_id = info.get("beacon_id", drand_id or "")
            if not isinstance(beacon_id, str):
                raise TrustError(f"beacons[{key}].beacon_id must be a string")
            seed = info.get("genesis_seed", info.get("groupHash", ""))
            chain = ChainInfo(
                scheme=cast(str, info.get("scheme")),  # ChainInfo checks each field
                public_key=parse_hex(info.get("public_key"), field="public_key"),
                genesis_time=cast(int, info.get("genesis_time")),
                period=cast(int, info.get("period")),
                chain_hash=parse_hex(info.get("chain_hash", key), field="chain_hash", size=32),
                local=local,
                genesis_seed=parse_hex(seed, field="genesis_seed"),
                beacon_id=beacon_id,
            )
            # SPEC(beacons §2.1): a chain hash the info gives is recomputed from it
            # (the local beacon's group hash when a local chain gives none).
            if chain.genesis_seed or local:
                check_chain_hash(chain, local=local)
        if chain.chain_hash.hex() != key:
            raise ChainIdentityError(
                f"beacon-identity: chain {key[:8]}\u2026 is filed under another chain hash "
                f"than its own ({chain.chain_hash.hex()})",
                rule="filed-under",
                chain_hash=chain.chain_hash,
                expected=key,
                got=chain.chain_hash.hex(),
            )
        return chain, local
    except ValueError as e:
        raise TrustError(f"beacons[{key}]: {e}") from e
    except ChainIdentityError as e:
        raise TrustError(f"beacons[{key}]: {e}") from e


def parse_trust(obj: Any) -> Trust:
    """The portal's trust.json (docs/spec/portal-js.md "trust.json shapes")."""
    if not isinstance(obj, Mapping):
        raise TrustError("trust.json must be a JSON object")
    log = obj.get("log")
    if not isinstance(log, Mapping) or not isinstance(log.get("origin"), str) or not log["origin"]:
        raise TrustError("trust.json needs log.origin")
    vkeys = log.get("vkeys", [log.get("vkey")])
    if not isinstance(vkeys, list) or not vkeys or not all(isinstance(v, str) for v in vkeys):
        raise TrustError("trust.json needs log.vkey or a log.vkeys list")
    try:
        policy = policy_from_trust_json(obj)
    except ValueError as e:
        raise TrustError(f"trust.json witness_policy: {e}") from e
    beacons = obj.get("beacons", {})
    if not isinstance(beacons, Mapping):
        raise TrustError("trust.json beacons must be an object")
    margin = obj.get("margin_seconds", DEFAULT_MARGIN_SECONDS)
    if isinstance(margin, bool) or not isinstance(margin, int) or not 0 <= margin < 2**53:
        # Same rule as the browser's trust.js: an integer in [0, 2^53) (JSON-safe).
        raise TrustError("trust.json margin_seconds must be an integer in [0, 2^53)")
    return Trust(
        log["origin"],
        tuple(vkeys),
        policy,
        {k: _chain_from_trust(k, v) for k, v in beacons.items()},
        margin,
        obj,
    )


def load_trust(data: bytes) -> Trust:
    try:
        return parse_trust(parse_json(data, max_size=1 << 20))
    except ValueError as e:
        raise TrustError(f"trust.json is not valid JSON: {e}") from e


def _key_name(vkey: str) -> str:
    try:
        v = parse_verifier_key(vkey)
    except FormatError:
        return vkey
    return f"{v.name}+{v.key_id:08x}"


def open_log_checkpoint(note: bytes, trust: Trust) -> tuple[Checkpoint, OpenedNote]:
    """`open_checkpoint` with trust.json's log keys and origin. When the checkpoint carries
    no signature line of any log key of trust.json, the error (`LogKeyMismatchError`) says so
    in words: the key(s) trust.json expects, the ones the checkpoint carries, and that
    trust.json does not match this log. A bad signature by a pinned key stays as it is
    (that is tampering, not a wrong trust.json)."""
    try:
        return open_checkpoint(note, list(trust.log_vkeys), origin=trust.origin)
    except SignatureError as e:
        try:
            parsed = parse_note(note)
        except FormatError:
            raise e from None
        found = [f"{s.name}+{s.key_id:08x}" for s in parsed.signatures]
        expected = [_key_name(k) for k in trust.log_vkeys]
        if set(found) & set(expected):
            raise
        origin = parsed.text.split(b"\n", 1)[0].decode("utf-8", "replace")
        other_log = f" of log {origin}" if origin != trust.origin else ""
        raise LogKeyMismatchError(
            f"trust.json does not match this log: the checkpoint{other_log} is signed by "
            f"{', '.join(found) or 'no key'}, but trust.json expects the log key "
            f"{' or '.join(expected)} (log {trust.origin}). Use this log's trust.json and "
            "compare its fingerprint (`fairdraw trust show`) with the published one",
            expected=expected, found=found,
        ) from e


# -- fingerprint (docs/spec/verification.md "Trust root") ------------------------------

SHORT_GROUPS = 4
"""The short form: this many groups of 4 hex digits (64 bits) of the full fingerprint."""


@dataclass(frozen=True)
class TrustFingerprint:
    full: str
    """SHA-256 of the canonical trust.json, 64 lowercase hex digits."""

    @property
    def short(self) -> str:
        """`3f2a-91bc-0d4e-77a1`: the first 16 hex digits, for comparing by eye."""
        return "-".join(self.full[4 * i : 4 * i + 4] for i in range(SHORT_GROUPS))

    def __str__(self) -> str:
        return self.short


def trust_fingerprint(obj: Any) -> TrustFingerprint:
    """SHA-256 over the RFC 8785 canonical JSON of a parsed trust.json.

    Canonical, so whitespace and key order of the file do not change it; any change
    of a key, a witness, the policy, a beacon chain or the margin does. A value outside
    the canonical subset (a float, a non-NFC string) is a `TrustError`."""
    try:
        data = canonical_json(obj)
    except ValueError as e:
        raise TrustError(f"trust.json has no canonical form: {e}") from e
    return TrustFingerprint(hashlib.sha256(data).hexdigest())

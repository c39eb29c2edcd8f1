"""trust.json: what a verifier pins before it reads anything from a portal.

Spec: docs/spec/portal-js.md "trust.json shapes" (the browser reads the same
file). It pins the log (origin and verifier keys), the witness policy
(`witnesses.policy.policy_from_trust_json`), the beacon chains by chain hash
(a drand /info object as is, or our own shape; `local` marks the development
beacon) and the commitment margin in seconds (default 60, DESIGN §2).
A malformed file is a `TrustError` naming the field: nothing can be verified
against it. Left out: fetching it (the caller decides where trust comes from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from draw_engine.beacon import ChainInfo, parse_chain_info_json, parse_hex
from draw_engine.canonical import parse_json
from fairdraw.source import ClientError
from witnesses.policy import Policy, policy_from_trust_json

DEFAULT_MARGIN_SECONDS = 60


class TrustError(ClientError):
    """trust.json is malformed: nothing can be verified against it."""



@dataclass(frozen=True)
class Trust:
    origin: str
    log_vkeys: tuple[str, ...]
    policy: Policy
    beacons: Mapping[str, tuple[ChainInfo, bool]]  # chain hash hex -> (chain, local flag)
    margin_seconds: int
    raw: Mapping[str, Any]


def _chain_from_trust(key: str, info: Any) -> tuple[ChainInfo, bool]:
    if not isinstance(info, Mapping):
        raise TrustError(f"beacons[{key}] must be an object")
    local = info.get("local", False)
    if not isinstance(local, bool):
        raise TrustError(f"beacons[{key}].local must be a boolean")
    try:
        if "schemeID" in info:  # a drand /info object pinned as is
            return parse_chain_info_json(info), local
        return ChainInfo(
            scheme=info.get("scheme"),
            public_key=parse_hex(info.get("public_key"), field="public_key"),
            genesis_time=info.get("genesis_time"),
            period=info.get("period"),
            chain_hash=parse_hex(info.get("chain_hash", key), field="chain_hash", size=32),
            local=local,
        ), local
    except ValueError as e:
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
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0:
        raise TrustError("trust.json margin_seconds must be a non-negative integer")
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

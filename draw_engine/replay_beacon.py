"""A replay relay: serves recorded real drand rounds through the drand v1 HTTP API.

Spec: docs/spec/beacons.md §Replay. For tests and demos without network: the
rounds of tests/vectors/drand/{quicknet,mainnet}.json are served exactly as
recorded (the `randomness` field as copied), under their real chain infos,
quicknet at the bare routes and both chains under `/<chain_hash>/`.
`/public/latest` is the highest recorded round; a round that was not recorded
is 404 whatever the time. Nothing is verified here: the client verifies.

Left out: `same_scheme_other_chains` (no genesis time recorded) and any clock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from fastapi import FastAPI

from draw_engine.beacon import (
    PINNED_CHAINS,
    Beacon,
    ChainInfo,
    parse_beacon_json,
    parse_chain_info_json,
)
from draw_engine.beacon_errors import BeaconFormatError, RoundNotFoundError
from draw_engine.beacon_relay import RelayChain, create_relay_app

# Only valid when running from a source checkout; the CLI takes --vectors.
DEFAULT_VECTORS_DIR = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "drand"
_BEACON_FIELDS = ("round", "signature", "randomness", "previous_signature")


def load_recorded_rounds(path: Path) -> tuple[ChainInfo, dict[int, Beacon]]:
    """The chain info and `rounds` of one recorded vector file (quicknet.json, mainnet.json)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = data["chain_info"]
    chain = parse_chain_info_json(
        {
            "public_key": raw["public_key"],
            "period": raw["period"],
            "genesis_time": raw["genesis_time"],
            "hash": raw["chain_hash"],
            "groupHash": raw["genesis_seed"],
            "schemeID": raw["scheme"],
            "metadata": {"beaconID": raw["beacon_id"]},
        }
    )
    if chain not in PINNED_CHAINS.values():
        raise BeaconFormatError(f"{path}: chain {chain.chain_hash.hex()} is not a pinned chain")
    rounds = {}
    for entry in data["rounds"]:
        beacon = parse_beacon_json({k: entry[k] for k in _BEACON_FIELDS if k in entry}, chain)
        rounds[beacon.round] = beacon
    return chain, rounds


def replay_chain(chain: ChainInfo, rounds: Mapping[int, Beacon]) -> RelayChain:
    """A relay chain serving exactly `rounds` (tests may pass tampered ones)."""
    if not rounds:
        raise ValueError("a replay chain needs at least one round")
    frozen = dict(rounds)

    def get(round: int) -> Beacon:
        try:
            return frozen[round]
        except KeyError:
            raise RoundNotFoundError(f"round {round} was not recorded") from None

    return RelayChain(info=chain, get=get, latest=lambda: frozen[max(frozen)])


def create_replay_app(chains: Sequence[RelayChain]) -> FastAPI:
    title = "fairdraw drand replay (recorded rounds)"
    return create_relay_app(chains, title=title, clock=time.time)


def create_recorded_replay_app(vectors_dir: Path = DEFAULT_VECTORS_DIR) -> FastAPI:
    """Quicknet (bare routes and by hash) and mainnet (by hash) from the vector files."""
    chains = [
        replay_chain(*load_recorded_rounds(vectors_dir / f"{name}.json"))
        for name in ("quicknet", "mainnet")
    ]
    return create_replay_app(chains)

"""The serving side of the drand v1 relay HTTP API, shared by the local and replay beacons.

Spec: docs/spec/beacons.md §HTTP API. Routes (each also under `/<chain_hash>/`,
as on drand's multi-chain relays; the bare routes serve the first chain):

- `GET /info` → chain info with drand v1 field names (`hash`, `groupHash`,
  `schemeID`, `metadata.beaconID`) and `"local": true` for a development beacon;
- `GET /public/latest` and `GET /public/<round>` → `{round, randomness,
  signature[, previous_signature]}`.

Status codes (one table, `_STATUS`): 400 for a round that is not a canonical
decimal >= 1, 404 for an unknown chain or a round the source does not have,
425 Too Early (with `Retry-After` and the round time) for a round whose time
has not come. drand's own relays answer a future round with 404 after a
wait; we answer 425 at once so that a client can tell "not yet" from "never".

Left out: drand v2 routes, `/chains`, `/health`, streaming, caching headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from draw_engine.beacon import Beacon, ChainInfo, format_beacon_json, format_chain_info_json
from draw_engine.beacon_errors import RoundNotFoundError, RoundNotYetAvailableError

_ROUND = re.compile(r"[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class RelayChain:
    """One chain served by a relay: its info and how to get rounds.

    `get(round)` and `latest()` return beacons or raise `RoundNotYetAvailableError`
    or `RoundNotFoundError`."""

    info: ChainInfo
    get: Callable[[int], Beacon]
    latest: Callable[[], Beacon]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {}
    if status == 425 and extra.get("retry_after") is not None:
        headers["Retry-After"] = str(max(1, int(extra["retry_after"])))
    body = {"error": message} | {k: v for k, v in extra.items() if k != "retry_after"}
    return JSONResponse(body, status_code=status, headers=headers)


def _beacon_response(chain: RelayChain, fetch: Callable[[], Beacon], *, now: float) -> JSONResponse:
    try:
        beacon = fetch()
    except RoundNotYetAvailableError as exc:
        retry = None if exc.round_time is None else exc.round_time - now
        return _error(425, str(exc), round=exc.round, round_time=exc.round_time, retry_after=retry)
    except RoundNotFoundError as exc:
        return _error(404, str(exc))
    return JSONResponse(format_beacon_json(beacon))


def create_relay_app(
    chains: Sequence[RelayChain], *, title: str, clock: Callable[[], float]
) -> FastAPI:
    """A FastAPI app serving `chains`; the first one also at the bare routes."""
    if not chains:
        raise ValueError("a relay needs at least one chain")
    by_hash = {c.info.chain_hash.hex(): c for c in chains}
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)

    def lookup(chain_hash: str | None) -> RelayChain | None:
        return chains[0] if chain_hash is None else by_hash.get(chain_hash)

    def info(chain_hash: str | None) -> JSONResponse:
        chain = lookup(chain_hash)
        if chain is None:
            return _error(404, f"unknown chain {chain_hash}")
        return JSONResponse(format_chain_info_json(chain.info))

    def latest(chain_hash: str | None) -> JSONResponse:
        chain = lookup(chain_hash)
        if chain is None:
            return _error(404, f"unknown chain {chain_hash}")
        return _beacon_response(chain, chain.latest, now=clock())

    def public(chain_hash: str | None, round_text: str) -> JSONResponse:
        chain = lookup(chain_hash)
        if chain is None:
            return _error(404, f"unknown chain {chain_hash}")
        # SPEC(beacons): a round is a canonical decimal >= 1 (no sign, space or leading zero).
        if _ROUND.fullmatch(round_text) is None or int(round_text) > 2**63 - 1:
            return _error(400, f"round must be a decimal integer >= 1, got {round_text!r}")
        number = int(round_text)
        return _beacon_response(chain, lambda: chain.get(number), now=clock())

    @app.get("/info")
    def get_info() -> JSONResponse:
        return info(None)

    @app.get("/public/latest")
    def get_latest() -> JSONResponse:
        return latest(None)

    @app.get("/public/{round_text}")
    def get_public(round_text: str) -> JSONResponse:
        return public(None, round_text)

    @app.get("/{chain_hash}/info")
    def get_chain_info(chain_hash: str) -> JSONResponse:
        return info(chain_hash)

    @app.get("/{chain_hash}/public/latest")
    def get_chain_latest(chain_hash: str) -> JSONResponse:
        return latest(chain_hash)

    @app.get("/{chain_hash}/public/{round_text}")
    def get_chain_public(chain_hash: str, round_text: str) -> JSONResponse:
        return public(chain_hash, round_text)

    return app

"""A drand v1 relay client (requests) that returns only verified beacons.

Spec: docs/spec/beacons.md §HTTP API. `DrandHttpSource(base_url, chain)` is a
`BeaconSource`: `base_url` is a relay root for its default chain
(`http://127.0.0.1:8080`) or a chain path (`https://api.drand.sh/<chain_hash>`).

- The relay's `/info` is fetched once, before the first beacon, and every
  field is compared with the pinned `ChainInfo` (scheme, public key, genesis,
  period, chain hash, genesis seed, beacon id, the `local` marker): a relay
  for another chain is refused with `ChainMismatchError` naming the field.
- Every beacon is parsed strictly and verified (`draw_engine.drand`) before it
  is returned; `get(R)` also checks that the beacon is for round R.
- Each request has a timeout; a body is read up to `MAX_JSON_BYTES` only.
  Failures are `BeaconUnavailableError`s naming the URL and the cause; 425
  (our servers) or 404 for a round whose time has not come is
  `RoundNotYetAvailableError`.

Left out: retries and failover between relays (the caller decides when to
try again), gossip/libp2p transports, the v2 API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import TracebackType

import requests

from draw_engine.beacon import (
    MAX_JSON_BYTES,
    Beacon,
    ChainInfo,
    check_round,
    parse_beacon_json,
    parse_chain_info_json,
    round_time,
)
from draw_engine.beacon_errors import (
    BeaconFormatError,
    BeaconUnavailableError,
    ChainMismatchError,
    RoundNotYetAvailableError,
)
from draw_engine.drand import verify_beacon

DEFAULT_TIMEOUT = 5.0
_COMPARED_FIELDS = (
    "scheme",
    "public_key",
    "genesis_time",
    "period",
    "chain_hash",
    "genesis_seed",
    "beacon_id",
    "local",
)


def _show(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


class DrandHttpSource:
    """`BeaconSource` over a drand v1 HTTP relay, pinned to `chain`."""

    def __init__(
        self,
        base_url: str,
        chain: ChainInfo,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"relay URL must be http(s)://…, got {base_url!r}")
        self._base = base_url.rstrip("/")
        self._chain = chain
        self._timeout = timeout
        self._session = session or requests.Session()
        self._clock = clock
        self._info_checked = False

    def __enter__(self) -> DrandHttpSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    @property
    def chain(self) -> ChainInfo:
        return self._chain

    def round_time(self, round: int) -> int:
        return round_time(self._chain, round)

    def verify(self, beacon: Beacon) -> bytes:
        return verify_beacon(self._chain, beacon)

    def check_info(self) -> ChainInfo:
        """Fetch `/info` and require it to equal the pinned chain, field by field."""
        url = f"{self._base}/info"
        status, body = self._fetch(url)
        if status != 200:
            raise BeaconUnavailableError(f"GET {url}: HTTP {status}: {_excerpt(body)}")
        try:
            relay = parse_chain_info_json(_json(url, body))
        except BeaconFormatError as exc:
            raise BeaconFormatError(f"GET {url}: {exc}") from exc
        for field in _COMPARED_FIELDS:
            pinned, got = getattr(self._chain, field), getattr(relay, field)
            # SPEC(beacons): the relay must serve exactly the pinned chain.
            if pinned != got:
                raise ChainMismatchError(field=field, expected=_show(pinned), got=_show(got))
        self._info_checked = True
        return relay

    def latest(self) -> Beacon:
        return self._beacon("latest", expected_round=None)

    def get(self, round: int) -> Beacon:
        check_round(round)
        return self._beacon(str(round), expected_round=round)

    def _beacon(self, which: str, *, expected_round: int | None) -> Beacon:
        if not self._info_checked:
            self.check_info()
        url = f"{self._base}/public/{which}"
        status, body = self._fetch(url)
        if status != 200 and expected_round is not None:
            when = round_time(self._chain, expected_round)
            if status == 425 or (status == 404 and when > self._clock()):
                raise RoundNotYetAvailableError(
                    round=expected_round, round_time=when, detail=f"GET {url}: HTTP {status}"
                )
        if status != 200:
            raise BeaconUnavailableError(f"GET {url}: HTTP {status}: {_excerpt(body)}")
        try:
            beacon = parse_beacon_json(_json(url, body), self._chain)
        except BeaconFormatError as exc:
            raise BeaconFormatError(f"GET {url}: {exc}") from exc
        # SPEC(beacons): every fetched beacon is verified before it is returned.
        verify_beacon(self._chain, beacon, expected_round=expected_round)
        return beacon

    def _fetch(self, url: str) -> tuple[int, bytes]:
        try:
            with self._session.get(
                url, timeout=self._timeout, stream=True, headers={"Accept": "application/json"}
            ) as response:
                status = response.status_code
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(chunk_size=8192):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_JSON_BYTES:
                        break
                body = b"".join(chunks)
        except requests.Timeout as exc:
            raise BeaconUnavailableError(f"GET {url}: timed out after {self._timeout} s") from exc
        except requests.RequestException as exc:
            raise BeaconUnavailableError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        if len(body) > MAX_JSON_BYTES:
            raise BeaconUnavailableError(f"GET {url}: response larger than {MAX_JSON_BYTES} bytes")
        return status, body


def _json(url: str, body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BeaconFormatError(f"GET {url}: response is not JSON ({exc})") from exc


def _excerpt(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace")

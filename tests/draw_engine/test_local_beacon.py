"""The local development beacon: key files, rounds on a clock, served by a real uvicorn process."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from draw_engine.beacon import (
    QUICKNET,
    SCHEME_UNCHAINED_G1,
    BeaconSource,
    ChainInfo,
    parse_chain_info_json,
    round_for_time,
)
from draw_engine.beacon_errors import (
    BeaconFormatError,
    BeaconVerificationError,
    ChainMismatchError,
    RoundMismatchError,
    RoundNotYetAvailableError,
    SignatureInvalidError,
)
from draw_engine.drand import verify_beacon
from draw_engine.drand_http import DrandHttpSource
from draw_engine.local_beacon import (
    CHAIN_INFO_FILE,
    KEY_FILE,
    LocalBeaconSource,
    format_local_key,
    generate_local_key,
    load_or_create_local_key,
    parse_local_key,
    read_local_key,
)
from tests.draw_engine.beacon_helpers import CLI, cli_server, flip_hex, tampering_proxy

# --- in process ------------------------------------------------------------------------


def test_key_round_trip_and_chain_identity(tmp_path: Path) -> None:
    key = load_or_create_local_key(tmp_path, now=1_700_000_000.7, period=2)
    assert key.genesis_time == 1_700_000_000
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert read_local_key(tmp_path) == key
    assert parse_local_key(format_local_key(key)) == key
    assert key.secret_key.hex() not in repr(key)
    published = parse_chain_info_json(json.loads((tmp_path / CHAIN_INFO_FILE).read_text()))
    assert published == key.chain
    assert published.local
    assert published.scheme == SCHEME_UNCHAINED_G1
    # Reopening gives the same key; another period is refused.
    assert load_or_create_local_key(tmp_path, now=0, period=2) == key
    with pytest.raises(BeaconFormatError, match="period 2"):
        load_or_create_local_key(tmp_path, now=0, period=3)


def test_two_keys_differ() -> None:
    a = generate_local_key(genesis_time=10)
    b = generate_local_key(genesis_time=10)
    assert a.secret_key != b.secret_key
    assert a.chain.chain_hash != b.chain.chain_hash


def test_rounds_follow_the_clock_and_verify() -> None:
    key = generate_local_key(genesis_time=1000, period=3)
    now = [999.0]
    source = LocalBeaconSource(key, clock=lambda: now[0])
    assert isinstance(source, BeaconSource)
    with pytest.raises(RoundNotYetAvailableError):
        source.latest()
    now[0] = 1000.0 + 3 * 9  # round 10 starts here
    latest = source.latest()
    assert latest.round == 10 == round_for_time(key.chain, now[0])
    assert source.verify(latest) == latest.randomness
    assert source.get(10) == latest
    with pytest.raises(RoundNotYetAvailableError) as info:
        source.get(11)
    assert info.value.round_time == 1030
    # Its rounds are not quicknet's, and quicknet's key does not accept them.
    with pytest.raises(SignatureInvalidError):
        verify_beacon(_as_other_key(key.chain), latest)


def _as_other_key(chain: ChainInfo) -> ChainInfo:
    import dataclasses

    return dataclasses.replace(chain, public_key=QUICKNET.public_key)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "format"),
        ({"scheme": "bls-unchained-on-g1"}, "scheme"),
        ({"secret_key": "00" * 32}, "zero"),
        ({"secret_key": "ff" * 32}, "secret"),
        ({"secret_key": "AB" * 32}, "lowercase"),
        ({"period": "3"}, "period"),
        ({"genesis_time": 0}, "genesis_time"),
    ],
)
def test_bad_key_file_is_refused(change: dict[str, Any], message: str) -> None:
    text = json.dumps(json.loads(format_local_key(generate_local_key(genesis_time=5))) | change)
    with pytest.raises(BeaconFormatError, match=message):
        parse_local_key(text)


# --- a real `fairdraw beacon serve-local` process ---------------------------------------


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ChainInfo]]:
    directory = tmp_path_factory.mktemp("local-beacon")
    with cli_server(["beacon", "serve-local", "--dir", str(directory), "--period", "1"]) as base:
        info = parse_chain_info_json(json.loads((directory / CHAIN_INFO_FILE).read_text()))
        # Wait (at most ~2 periods) for round 2, so that tests can ask for an older round.
        deadline = time.monotonic() + 5
        while requests.get(f"{base}/public/latest", timeout=5).json()["round"] < 2:
            assert time.monotonic() < deadline, "local beacon did not reach round 2"
            time.sleep(0.1)
        yield base, info


def test_client_fetches_and_verifies_local_rounds(local: tuple[str, ChainInfo]) -> None:
    base, chain = local
    raw_info = requests.get(f"{base}/info", timeout=5).json()
    assert raw_info["local"] is True
    with DrandHttpSource(base, chain) as source:
        latest = source.latest()
        assert latest.round >= 1
        again = source.get(latest.round)
        assert again == latest
        assert source.verify(again) == again.randomness
    # A client pinned to quicknet refuses the local relay.
    with DrandHttpSource(base, QUICKNET) as source, pytest.raises(ChainMismatchError):
        source.latest()


def test_future_round_is_refused(local: tuple[str, ChainInfo]) -> None:
    base, chain = local
    future = round_for_time(chain, chain.genesis_time) + 10**6
    r = requests.get(f"{base}/public/{future}", timeout=5)
    assert r.status_code == 425
    assert r.json()["round"] == future
    assert int(r.headers["Retry-After"]) > 0
    with DrandHttpSource(base, chain) as source, pytest.raises(RoundNotYetAvailableError):
        source.get(future)


def test_tampered_local_response_is_refused(local: tuple[str, ChainInfo]) -> None:
    base, chain = local

    def flip(path: str, status: int, obj: Any) -> tuple[int, Any]:
        if path.startswith("/public/") and status == 200:
            obj = obj | {"signature": flip_hex(obj["signature"], 40)}
        return status, obj

    def older(path: str, status: int, obj: Any) -> tuple[int, Any]:
        if path.startswith("/public/") and status == 200 and obj["round"] > 1:
            obj = requests.get(f"{base}/public/{obj['round'] - 1}", timeout=5).json()
        return status, obj

    with tampering_proxy(base, flip) as proxy, DrandHttpSource(proxy, chain) as source:
        with pytest.raises(BeaconVerificationError):
            source.latest()
        with pytest.raises(BeaconVerificationError):
            source.get(1)
    with (
        tampering_proxy(base, older) as proxy,
        DrandHttpSource(proxy, chain) as source,
        pytest.raises(RoundMismatchError),
    ):
        source.get(2)

    def unmarked(path: str, status: int, obj: Any) -> tuple[int, Any]:
        return status, ({k: v for k, v in obj.items() if k != "local"} if path == "/info" else obj)

    with tampering_proxy(base, unmarked) as proxy, DrandHttpSource(proxy, chain) as source:
        with pytest.raises(ChainMismatchError) as info:
            source.latest()
        assert info.value.field == "local"


def test_serve_local_refuses_a_changed_period(tmp_path: Path) -> None:
    load_or_create_local_key(tmp_path, now=1_700_000_000, period=3)
    proc = subprocess.run(
        [*CLI, "beacon", "serve-local", "--dir", str(tmp_path), "--period", "5", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "period 3" in proc.stderr

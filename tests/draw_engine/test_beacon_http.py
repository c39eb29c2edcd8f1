"""The drand relay client against the replay relay, over real loopback HTTP."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from draw_engine.beacon import MAINNET, QUICKNET, Beacon, BeaconSource
from draw_engine.beacon_errors import (
    BeaconFormatError,
    BeaconUnavailableError,
    ChainMismatchError,
    InvalidPointError,
    RandomnessMismatchError,
    RoundMismatchError,
    RoundNotYetAvailableError,
    SignatureInvalidError,
    UnsupportedSchemeError,
)
from draw_engine.drand_http import DrandHttpSource
from draw_engine.replay_beacon import (
    create_replay_app,
    load_recorded_rounds,
    replay_chain,
)
from tests.conftest import VECTORS, load_vectors
from tests.draw_engine.beacon_helpers import cli_server, flip_hex, tampering_proxy, thread_server

QUICKNET_ROUNDS = [r["round"] for r in load_vectors("drand/quicknet.json")["rounds"]]
MAINNET_ROUNDS = [r["round"] for r in load_vectors("drand/mainnet.json")["rounds"]]


@pytest.fixture(scope="module")
def replay() -> Iterator[str]:
    """`fairdraw beacon serve-replay` as a real process."""
    with cli_server(["beacon", "serve-replay", "--vectors", str(VECTORS / "drand")]) as base:
        yield base


def test_replay_serves_every_recorded_round_and_each_verifies(replay: str) -> None:
    with DrandHttpSource(replay, QUICKNET) as source:
        assert isinstance(source, BeaconSource)
        for r in QUICKNET_ROUNDS:
            beacon = source.get(r)
            assert beacon.round == r
            assert source.verify(beacon) == beacon.randomness
        assert source.latest().round == max(QUICKNET_ROUNDS)
        assert source.round_time(1) == QUICKNET.genesis_time
    with DrandHttpSource(f"{replay}/{MAINNET.chain_hash.hex()}", MAINNET) as source:
        for r in MAINNET_ROUNDS:
            assert source.get(r).round == r
        assert source.latest().round == max(MAINNET_ROUNDS)


def test_replay_info_uses_drand_v1_field_names(replay: str) -> None:
    info = requests.get(f"{replay}/info", timeout=5).json()
    assert info["hash"] == QUICKNET.chain_hash.hex()
    assert info["schemeID"] == "bls-unchained-g1-rfc9380"
    assert info["metadata"] == {"beaconID": "quicknet"}
    assert info["groupHash"] == QUICKNET.genesis_seed.hex()
    assert "local" not in info


def test_replay_status_codes(replay: str) -> None:
    assert requests.get(f"{replay}/public/4", timeout=5).status_code == 404  # not recorded
    for bad in ("0", "01", "-1", "+5", "1e3", "99999999999999999999"):
        r = requests.get(f"{replay}/public/{bad}", timeout=5)
        assert r.status_code == 400, bad
        assert "decimal" in r.json()["error"]
    assert requests.get(f"{replay}/{'00' * 32}/info", timeout=5).status_code == 404


def test_client_refuses_a_relay_of_another_chain(replay: str) -> None:
    with DrandHttpSource(replay, MAINNET) as source, pytest.raises(ChainMismatchError) as info:
        source.get(1)
    assert info.value.field == "scheme"
    local_like = dataclasses.replace(QUICKNET, local=True)
    with DrandHttpSource(replay, local_like) as source, pytest.raises(ChainMismatchError) as info:
        source.latest()
    assert info.value.field == "local"


def test_unrecorded_past_round_is_unavailable_not_future(replay: str) -> None:
    with DrandHttpSource(replay, QUICKNET) as source:
        with pytest.raises(BeaconUnavailableError, match="HTTP 404") as info:
            source.get(4)
        assert not isinstance(info.value, RoundNotYetAvailableError)
        with pytest.raises(RoundNotYetAvailableError):
            source.get(10**12)  # round time centuries ahead: 404 means "not yet"


def _tamper(field: str, value: Any) -> Any:
    def transform(path: str, status: int, obj: Any) -> tuple[int, Any]:
        if path.startswith("/public/"):
            obj = obj | {field: value(obj) if callable(value) else value}
        return status, obj

    return transform


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (
            "signature",
            lambda o: flip_hex(o["signature"]),
            (InvalidPointError, SignatureInvalidError),
        ),
        ("randomness", "00" * 32, RandomnessMismatchError),
        ("round", lambda o: o["round"] + 1, (RoundMismatchError, SignatureInvalidError)),
        ("signature", lambda o: o["signature"].upper(), BeaconFormatError),
    ],
)
def test_tampered_replay_responses_are_refused(
    replay: str, field: str, value: Any, error: Any
) -> None:
    with (
        tampering_proxy(replay, _tamper(field, value)) as proxy,
        DrandHttpSource(proxy, QUICKNET) as source,
    ):
        with pytest.raises(error):
            source.get(QUICKNET_ROUNDS[2])
        with pytest.raises(error):
            source.latest()


def test_relay_serving_an_unpinned_scheme_is_refused(replay: str) -> None:
    def fastnet(path: str, status: int, obj: Any) -> tuple[int, Any]:
        return status, (obj | {"schemeID": "bls-unchained-on-g1"}) if path == "/info" else obj

    with (
        tampering_proxy(replay, fastnet) as proxy,
        DrandHttpSource(proxy, QUICKNET) as source,
        pytest.raises(UnsupportedSchemeError),
    ):
        source.latest()


def test_in_process_replay_with_a_forged_round() -> None:
    chain, rounds = load_recorded_rounds(VECTORS / "drand" / "quicknet.json")
    first, second = rounds[1], rounds[2]
    forged = dict(rounds) | {2: Beacon(2, first.signature, None, first.randomness)}
    app = create_replay_app([replay_chain(chain, forged)])
    with thread_server(app) as base, DrandHttpSource(base, chain) as source:
        assert source.get(1) == first
        with pytest.raises(SignatureInvalidError):
            source.get(2)
    assert second.round == 2


def test_connection_refused_and_timeout_name_the_cause() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        # Bound but not listening: connecting is refused.
        with (
            DrandHttpSource(f"http://127.0.0.1:{port}", QUICKNET, timeout=2) as source,
            pytest.raises(BeaconUnavailableError, match="ConnectionError"),
        ):
            source.latest()
        s.listen(1)  # listening but never answering: the read times out
        with (
            DrandHttpSource(f"http://127.0.0.1:{port}", QUICKNET, timeout=0.3) as source,
            pytest.raises(BeaconUnavailableError, match=r"timed out after 0\.3 s"),
        ):
            source.latest()


def test_client_rejects_non_http_urls() -> None:
    with pytest.raises(ValueError, match="http"):
        DrandHttpSource("file:///etc/passwd", QUICKNET)

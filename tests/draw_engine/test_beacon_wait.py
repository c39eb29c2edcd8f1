"""draw_engine.beacon_wait: waiting for a draw's round on a virtual clock, real local beacon."""

from __future__ import annotations

import pytest

from draw_engine.beacon import Beacon
from draw_engine.beacon_errors import BeaconUnavailableError
from draw_engine.beacon_wait import wait_for_round
from draw_engine.lifecycle_errors import BeaconWaitError
from draw_engine.local_beacon import LocalBeaconSource, generate_local_key
from draw_engine.store import DrawRecord

GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Flaky(LocalBeaconSource):
    """The local beacon, unreachable for the first `failures` asks after the round time."""

    def __init__(self, clock: Clock, failures: int) -> None:
        super().__init__(generate_local_key(genesis_time=GENESIS, period=1), clock=clock)
        self.failures = failures
        self.asked = 0

    def get(self, round: int) -> Beacon:
        self.asked += 1
        if self.failures > 0:
            self.failures -= 1
            raise BeaconUnavailableError("GET http://relay/public/x: ConnectionError")
        return super().get(round)


def _draw(round_: int) -> DrawRecord:
    return DrawRecord(draw_id="d-1", kind="routine", status="announced", announce_index=1,
                      announce=b"{}", beacon_round=round_, round_time=GENESIS + round_ - 1)


def test_sleeps_until_the_round_then_returns_it() -> None:
    clock = Clock(GENESIS + 100.0)
    beacon = Flaky(clock, failures=0)
    waits: list[tuple[str, float, float]] = []
    got = wait_for_round(beacon, _draw(111), limit=20, poll_interval=3, clock=clock,
                         sleep=clock.sleep, on_wait=lambda *a: waits.append(a))
    assert got.round == 111
    assert beacon.asked == 1  # never asked before the round time
    assert clock.slept == [3, 3, 3, 1]  # at most poll_interval at a time, ending at round time
    assert clock() == GENESIS + 110
    assert all(msg == "waiting for round 111" for msg, _, _ in waits)
    assert waits[0] == ("waiting for round 111", 0.0, 30.0)  # 10 s to the round + 20 s limit


def test_retries_an_unreachable_beacon_within_the_limit() -> None:
    clock = Clock(GENESIS + 200.0)
    beacon = Flaky(clock, failures=3)
    waits: list[str] = []
    got = wait_for_round(beacon, _draw(50), limit=10, poll_interval=2, clock=clock,
                         sleep=clock.sleep, on_wait=lambda m, _a, _b: waits.append(m))
    assert got.round == 50
    assert beacon.asked == 4
    assert clock.slept == [2, 2, 2]
    assert waits == ["round 50: GET http://relay/public/x: ConnectionError"] * 3


def test_gives_up_after_the_limit_naming_the_round() -> None:
    clock = Clock(GENESIS + 200.0)
    beacon = Flaky(clock, failures=1000)
    with pytest.raises(BeaconWaitError, match=r"round 50 could not be had within 5 s") as e:
        wait_for_round(beacon, _draw(50), limit=5, poll_interval=1, clock=clock,
                       sleep=clock.sleep)
    assert isinstance(e.value.__cause__, BeaconUnavailableError)
    assert clock() == GENESIS + 205  # the limit counts from now when the round time has passed
    assert beacon.asked == 6

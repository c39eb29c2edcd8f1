"""Waiting for a draw's beacon round: sleep until its round time, then ask until it comes.

`execute` calls this before it verifies the round and computes the draw. The
clock and the sleep function are injected (tests run on a virtual clock);
nothing here writes anything, so a round that never comes leaves the log as
it was (`BeaconWaitError`).
"""

from __future__ import annotations

from collections.abc import Callable

from draw_engine.beacon import Beacon, BeaconSource
from draw_engine.beacon_errors import BeaconUnavailableError
from draw_engine.lifecycle_errors import BeaconWaitError
from draw_engine.store import DrawRecord

WaitCallback = Callable[[str, float, float], None]
"""on_wait(message, seconds_waited, seconds_to_wait_at_most)."""


def wait_for_round(beacon: BeaconSource, draw: DrawRecord, *, limit: float,
                   poll_interval: float, clock: Callable[[], float],
                   sleep: Callable[[float], None],
                   on_wait: WaitCallback | None = None) -> Beacon:
    """The draw's round from `beacon`, asked for until `limit` seconds after its round time.

    Before the round time it sleeps (at most `poll_interval` at a time); after it, a
    `BeaconUnavailableError` is retried every `poll_interval` until the limit, then
    `BeaconWaitError` names the round and the last failure. The round is not verified."""
    start = clock()
    deadline = max(start, draw.round_time) + limit
    total = deadline - start
    last: Exception | None = None
    while True:
        now = clock()
        if now < draw.round_time:
            if on_wait:
                on_wait(f"waiting for round {draw.beacon_round}", now - start, total)
            sleep(min(poll_interval, draw.round_time - now))
            continue
        try:
            return beacon.get(draw.beacon_round)
        except BeaconUnavailableError as e:
            last = e
        if clock() >= deadline:
            raise BeaconWaitError(
                f"draw {draw.draw_id}: beacon round {draw.beacon_round} could not be had "
                f"within {limit:.0f} s after its round time ({last}); nothing was appended; "
                "run execute again when the beacon is reachable") from last
        if on_wait:
            on_wait(f"round {draw.beacon_round}: {last}", clock() - start, total)
        sleep(poll_interval)

"""One draw from announce to co-signed result in a single call, for demos and tests.

Scheduling is the composition root's business in production (an operator
announces, publishes and executes at different times); this pipeline runs
the steps back to back on one `DrawService`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from draw_engine.beacon_wait import WaitCallback
from draw_engine.commitment import PublishedCheckpoint
from draw_engine.lifecycle import DrawService
from draw_engine.store import DrawRecord


@dataclass(frozen=True)
class PipelineResult:
    draw: DrawRecord
    announce_checkpoint: PublishedCheckpoint
    result_checkpoint: PublishedCheckpoint


def run_draw_pipeline(service: DrawService, plan: Mapping[str, Any], *,
                      timeout: float | None = None,
                      on_wait: WaitCallback | None = None) -> PipelineResult:
    """Announce, publish + co-sign (the commitment), wait for the round, execute, publish +
    co-sign again. The snapshots the plan names must exist. For the demo: give the service
    a lead time of N seconds and leave `beacon` out of the plan to commit to the first round
    at least N seconds ahead."""
    draw = service.announce(plan)
    first = service.publish_checkpoint()
    drawn = service.execute(draw.draw_id, timeout=timeout, on_wait=on_wait)
    last = service.publish_checkpoint()
    return PipelineResult(drawn, first, last)

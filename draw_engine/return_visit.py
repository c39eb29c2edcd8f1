"""The discipline commission's quarterly return-visit draw (DOMAIN: 10% of the units
inspected and penalised each quarter; DESIGN §1: an ordinary draw of kind `return_visit`).

`plan_return_visit(service, "2026Q4")` does the whole planning step through the ordinary
lifecycle, nothing beside it:

1. the pool: `DrawService.create_return_visit_snapshot`, the units with an inspected
   outcome (compliant, rectification ordered or penalised) dated in the quarter, read
   from the `inspection.outcome` entries the service indexed from its log, each with its
   record from its draw's unit snapshot, logged as a `registry.snapshot` of kind units
   named `return-visit-<quarter>`. A snapshot of that name logged earlier (by
   `fairdraw snapshot return-visit` or a previous run that stopped before announcing)
   is reused when it is a units snapshot of the same quarter's pool (`source`
   `return_visit:<quarter>`); any other snapshot of that name is refused;
2. the plan: `plan.return_visit_plan`, one stratum over the whole pool, quota
   `ratio` (default 1/10, so k = ceil(n/10));
3. the announce: `DrawService.announce`, the same checks, the same commitment and
   beacon rules as every draw. Publishing, executing and verifying follow as usual.

`execute_return_visit_draw` executes a draw only if its kind is `return_visit`: the
`commission` role may run its own draws, never an ordinary one (fairdraw.auth GRANTS).
Left out: a cancel by the commission (an operator cancels; docs/operations.md §5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from draw_engine.announce import parse_ratio
from draw_engine.canonical import is_identifier
from draw_engine.draw_view import draw_view
from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import DrawStateError, PlanError
from draw_engine.plan import (
    DEFAULT_RETURN_VISIT_RATIO,
    check_plan,
    quarter_range,
    return_visit_plan,
)
from draw_engine.store import DrawRecord, StoredSnapshot

DEFAULT_AUTHORITY = "纪检监察机关 (discipline commission)"


def pool_name(quarter: str) -> str:
    quarter_range(quarter)  # refuses a malformed quarter, naming the field
    return f"return-visit-{quarter}"


@dataclass(frozen=True)
class PlannedReturnVisit:
    """What `plan_return_visit` did: the pool snapshot (new or reused) and the draw."""

    quarter: str
    pool: StoredSnapshot
    pool_reused: bool
    plan: dict[str, Any]
    draw: DrawRecord

    def view(self) -> dict[str, Any]:
        return {"quarter": self.quarter,
                "pool": {"snapshot": self.pool.name, "root": self.pool.root,
                         "count": self.pool.count, "log_index": self.pool.log_index,
                         "reused": self.pool_reused},
                "draw": draw_view(self.draw)}


def _pool(service: DrawService, quarter: str) -> tuple[StoredSnapshot, bool]:
    name = pool_name(quarter)
    existing = {s.name: s for s in service.snapshots()}.get(name)
    if existing is None:
        return service.create_return_visit_snapshot(quarter, name=name), False
    if existing.kind != "units" or existing.source != f"return_visit:{quarter}":
        raise PlanError(f"snapshot {name!r} exists already and is not the {quarter} "
                        f"return-visit pool (kind {existing.kind}, source {existing.source})",
                        field="quarter")
    if existing.log_index is None:
        raise PlanError(f"snapshot {name!r} is not in the log yet; retry", field="quarter")
    return existing, True


def plan_return_visit(
    service: DrawService,
    quarter: str,
    *,
    draw_id: str | None = None,
    ratio: str = DEFAULT_RETURN_VISIT_RATIO,
    title: str | None = None,
    authority: str = DEFAULT_AUTHORITY,
    beacon: Mapping[str, Any] | None = None,
) -> PlannedReturnVisit:
    """Build the quarter's pool and announce its return-visit draw (module docstring)."""
    name = pool_name(quarter)
    draw_id = draw_id or name
    if draw_id in {d.draw_id for d in service.draws()}:
        raise PlanError(f"draw {draw_id!r} exists already", field="draw_id")
    first, last = quarter_range(quarter)
    plan = return_visit_plan(
        quarter, draw_id=draw_id, snapshot=name,
        title=title or f"{quarter} 回访抽查（{first} 至 {last} 已检查单位 {ratio}）/ "
                       f"return visits {quarter}: {ratio} of the units inspected",
        authority=authority, ratio=ratio, beacon=beacon)
    # Checked before the pool is logged, so a bad id, ratio or title writes nothing; the
    # pool's root and count are filled in from the store at announce time.
    check_plan(plan)
    if not is_identifier(draw_id):
        raise PlanError(f"draw_id must be an ASCII identifier, got {draw_id!r}", field="draw_id")
    parse_ratio(ratio, "ratio")
    for key in ("title", "authority"):
        if not isinstance(plan[key], str) or not plan[key].strip():
            raise PlanError(f"{key} must be a non-empty string", field=key)
    pool, reused = _pool(service, quarter)
    return PlannedReturnVisit(quarter, pool, reused, plan, service.announce(plan))


def execute_return_visit_draw(
    service: DrawService,
    draw_id: str,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str, float, float], None] | None = None,
) -> DrawRecord:
    """`DrawService.execute`, for a draw of kind return_visit only."""
    draw = service.draw(draw_id)
    if draw.kind != "return_visit":
        raise DrawStateError(f"draw {draw_id} is of kind {draw.kind!r}, not return_visit: "
                             "only an operator executes it")
    return service.execute(draw_id, timeout=timeout, on_wait=on_wait)

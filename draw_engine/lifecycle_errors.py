"""The errors of the draw lifecycle (docs/spec/lifecycle.md): a branch of `DrawEngineError`.

Every refusal of a lifecycle step is a `LifecycleError` and leaves the log and
the store unchanged. A request that cannot be accepted as given is a
`PlanError` naming the field; the commitment rule of DESIGN §2 fails with a
`CommitmentError` whose `reasons` say, per witness, why a cosignature did not
count. The HTTP status of each is decided in one place, the service's table
`fairdraw.http_errors`; the evidence attributes here (`field`, `rule`,
`reasons`, `deadline`…) become fields of the answer's `detail`.

A module of its own (the lifecycle branch of the package's one tree, rooted
at `draw_engine.errors.DrawEngineError`) because its messages format times
with `draw_engine.entries.format_utc`, and `entries` raises errors from
`draw_engine.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping

from draw_engine.entries import format_utc
from draw_engine.errors import DrawEngineError


class LifecycleError(DrawEngineError):
    """A lifecycle step refused; nothing was changed."""


class PlanError(LifecycleError, ValueError):
    """A plan, outcome or import request that cannot be accepted as given; `field` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.args[0]}"


class TooLateError(PlanError):
    """The beacon round is not far enough in the future (lead time)."""

    def __init__(self, *, round: int, round_time: int, now: float, lead_time: int) -> None:
        super().__init__(
            f"round {round} is published at {format_utc(round_time)}, "
            f"{round_time - now:.0f} s from now; an announce needs at least {lead_time} s",
            field="beacon.round")
        self.round, self.round_time, self.now, self.lead_time = round, round_time, now, lead_time


class MassRemovalError(PlanError):
    """SPEC(docs/spec/lifecycle.md §Registry import): an import that would retire more than
    the allowed share of the active records is refused unless explicitly allowed."""

    def __init__(self, *, kind: str, active: int, retired: int, limit_percent: int) -> None:
        super().__init__(
            f"this file would retire {retired} of the {active} active {kind} records "
            f"({100 * retired / active:.1f}%), more than the {limit_percent}% allowed; check "
            "the file (a truncated export?) or, if the removal is meant, import it again "
            "with --allow-mass-removal (API: allow_mass_removal=true)",
            field="allow_mass_removal")
        self.kind, self.active, self.retired = kind, active, retired
        self.limit_percent = limit_percent


class UnknownDrawError(LifecycleError, LookupError):
    """No draw with this id."""


class DrawStateError(LifecycleError):
    """The draw is not in a state that allows this step (e.g. cancel after the result)."""


class SecondResultError(DrawStateError):
    """SPEC(DESIGN §2): a draw has at most one result."""


class CancelTooLateError(DrawStateError):
    """SPEC(DESIGN §2; verification.md rule `late-cancel`): a committed draw cannot be
    cancelled once round time minus the commitment margin has passed: its randomness may be
    known, so a cancel followed by a redraw would be a re-roll. The draw must be executed."""

    def __init__(self, *, draw_id: str, round: int, round_time: int, margin: int,
                 now: float, commitment_size: int | None) -> None:
        deadline = round_time - margin
        super().__init__(
            f"draw {draw_id} is committed (checkpoint of size {commitment_size} co-signed by "
            f"the witness quorum in time) to beacon round {round} at {format_utc(round_time)}; "
            f"a committed draw can only be cancelled before {format_utc(deadline)} (round "
            f"time minus the {margin} s margin), and it is now {now - deadline:.0f} s past "
            "that: the draw must be executed (`fairdraw draw execute "
            f"{draw_id}`); units that cannot be inspected get the outcome not_inspected and "
            "the published reserve replaces them")
        self.draw_id, self.round, self.round_time = draw_id, round, round_time
        self.margin, self.now, self.deadline = margin, now, deadline


class SupersedeError(PlanError):
    """SPEC(DESIGN §2; verification.md `supersede-*`, `self-supersede`, `superseded-twice`):
    a redraw may only supersede another, cancelled (in time), not yet superseded draw.
    `rule` is the verifier rule the announce would break."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}", field="supersedes")
        self.rule = rule


class CommitmentError(LifecycleError):
    """SPEC(DESIGN §2): the announce is not committed by a quorum timestamped before
    round time minus the margin; `reasons` maps witnesses to why they did not count."""

    def __init__(self, message: str, *, reasons: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.reasons = dict(reasons or {})

    def __str__(self) -> str:
        why = "; ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
        return f"{self.args[0]}" + (f" ({why})" if why else "")


class CommitmentMissedError(CommitmentError):
    """The draw has no commitment: no co-signed checkpoint covers its announce yet, or the
    first one's counted cosignatures do not meet the quorum by round time minus the margin.
    Once that time has passed such a draw can never be executed (and may be cancelled)."""


class CheckpointNotCosignedError(CommitmentError):
    """The witnesses did not meet the policy for a new checkpoint (fail closed)."""


class BeaconWaitError(LifecycleError):
    """The beacon round could not be had before the timeout; the draw is unchanged."""

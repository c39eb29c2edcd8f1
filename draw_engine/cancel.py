"""The cancel rule of the draw lifecycle and the proof of a cancel's timing (DESIGN §2;
docs/spec/lifecycle.md "Cancel and redraw"; docs/spec/verification.md rules `late-cancel`
and `supersede-uncancelled`).

A draw is *committed* once the first co-signed checkpoint covering its announce
met the witness quorum by its deadline, round time − `commitment_margin`
(`draw_engine.commitment.check_commitment`). After the deadline the beacon's
randomness may be known, so:

- a committed draw can no longer be cancelled (`CancelTooLateError`): it must
  be executed; a draw whose commitment was missed can always be cancelled, it
  could never be executed;
- a cancel counts only if a co-signed checkpoint covering it met the quorum by
  the deadline. `DrawService.cancel` publishes one right after appending the
  cancel, and `prove_cancel` judges it; the result is a `CancelReport`, never
  an exception, because the cancel is logged whatever the witnesses do.

Left out: the checkpoint history (only the latest co-signed checkpoint is
stored where the service can read it, so `check_cancel_provable` refuses only
what is certainly late) and deciding when to publish again (the operator's
call, prompted by `CancelReport.needs_attention`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from draw_engine.commitment import PublishedCheckpoint, check_in_time
from draw_engine.entries import format_utc
from draw_engine.lifecycle_errors import CheckpointNotCosignedError, SupersedeError
from draw_engine.store import DrawRecord
from witnesses.errors import PolicyNotMetError
from witnesses.policy import Policy


@dataclass(frozen=True)
class CancelReport:
    """What `DrawService.cancel` did: the cancelled draw, and whether a co-signed checkpoint
    proves the cancel came at or before `deadline` (round time − margin)."""

    draw: DrawRecord
    deadline: int
    committed: bool
    """The draw's commitment held when it was cancelled, so the proof matters."""
    checkpoint: PublishedCheckpoint | None
    """The checkpoint published right after the cancel; None if it could not be."""
    in_time: bool
    """`checkpoint` met the witness quorum at or before `deadline`."""
    problem: str | None = None
    reasons: Mapping[str, str] = field(default_factory=dict)
    """Per witness, why its cosignature did not count."""

    @property
    def needs_attention(self) -> bool:
        """A committed draw's cancel not (yet) proven early: every verifier fails the draw
        unless a checkpoint covering the cancel is co-signed by the deadline."""
        return self.committed and not self.in_time


def prove_cancel(
    draw: DrawRecord,
    *,
    committed: bool,
    deadline: int,
    publish: Callable[[], PublishedCheckpoint] | None,
    policy: Policy | None,
) -> CancelReport:
    """Publish a co-signed checkpoint covering `draw`'s cancel (`publish`, None when no
    witness collector is configured) and judge it against `deadline`. Never raises for the
    witnesses: the cancel is already in the log."""
    published: PublishedCheckpoint | None = None
    problem: str | None = None
    reasons: dict[str, str] = {}
    if publish is None or policy is None:
        problem = "no witness collector is configured, so no checkpoint was published"
    else:
        try:
            published = publish()
        except CheckpointNotCosignedError as e:
            problem, reasons = str(e), dict(e.reasons)
    in_time = False
    if published is not None and policy is not None:
        try:
            # SPEC(verification.md late-cancel): a checkpoint covering the cancel whose
            # quorum was co-signed at or before round time − margin.
            check_in_time(published.note, policy, not_after=deadline)
            in_time = True
        except PolicyNotMetError as e:
            problem = (f"the checkpoint of size {published.tree_size} covering the cancel was "
                       f"not co-signed by the witness quorum by {format_utc(deadline)}")
            reasons = dict(e.reasons)
    return CancelReport(draw, deadline=deadline, committed=committed, checkpoint=published,
                        in_time=in_time, problem=problem, reasons=reasons)


def check_cancel_provable(old: DrawRecord, *, new_id: str, committed: bool, now: float,
                          deadline: int, latest_cosigned_size: int | None) -> None:
    """SPEC(verification.md `supersede-uncancelled`): refuse a redraw of committed draw `old`
    when no co-signed checkpoint covers its cancel and its deadline has passed, since no
    checkpoint can prove any more that the cancel came in time (rule `late-cancel`).

    Only the latest co-signed checkpoint's size is at hand, so a cancel covered by a
    checkpoint is not judged here (an earlier one may have been in time)."""
    if not committed or now < deadline or old.cancel_index is None:
        return
    if latest_cosigned_size is None or latest_cosigned_size <= old.cancel_index:
        raise SupersedeError(
            "supersede-uncancelled",
            f"the cancel of committed draw {old.draw_id} (log index {old.cancel_index}) is "
            f"covered by no co-signed checkpoint and its deadline {format_utc(deadline)} "
            "(round time minus the margin) has passed: verifiers count it as a late cancel, "
            f"so no draw can supersede it; announce {new_id} without supersedes")


def cancel_proof_view(report: CancelReport) -> dict[str, Any]:
    """The `cancel_proof` object of a cancel's JSON answer (API, CLI)."""
    cp = report.checkpoint
    return {
        "deadline": format_utc(report.deadline), "committed": report.committed,
        "in_time": report.in_time,
        "checkpoint": None if cp is None else {"tree_size": cp.tree_size,
                                               "checkpoint": cp.note.decode()},
        "problem": report.problem, "reasons": dict(report.reasons),
    }


def cancel_warning(report: CancelReport) -> str | None:
    """What the operator must do when the cancel is not proven in time; None when it is, or
    when the draw was never committed (its cancel needs no proof)."""
    if not report.needs_attention:
        return None
    draw = report.draw
    return (f"the cancel of committed draw {draw.draw_id} is logged (index "
            f"{draw.cancel_index}) but NOT proven to come before {format_utc(report.deadline)} "
            f"(round time minus the margin): {report.problem}. Publish a co-signed checkpoint "
            "(`fairdraw draw publish`, POST /api/checkpoints/publish) before then, or every "
            "verifier fails this draw (rule late-cancel)")


__all__ = [
    "CancelReport",
    "cancel_proof_view",
    "cancel_warning",
    "check_cancel_provable",
    "prove_cancel",
]

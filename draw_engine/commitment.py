"""Publishing co-signed checkpoints and the commitment rule (DESIGN §2; docs/spec/lifecycle.md).

A draw is committed when a checkpoint covering its `draw.announce` carries a
quorum of witness cosignatures (the `Policy`), every counted one timestamped
at least `commitment_margin` seconds before the beacon round's time. This
module holds the steps of `DrawService.publish_checkpoint` and
`DrawService.check_commitment` that do not own a transaction:

- `cosign_checkpoint`: sign the log's head and have the witnesses co-sign it,
  failing closed when the policy is not met;
- `mark_committed`: record a co-signed checkpoint as the commitment of every
  announced draw it is the first to cover (inside the caller's transaction);
- `check_commitment`: the commitment rule for one draw, raising
  `CommitmentError` with each witness's reason when it does not hold
  (`CommitmentMissedError` when the draw simply has no commitment in time);
- `check_in_time`: whether a co-signed checkpoint's quorum was met by a
  deadline (the proof that a `draw.cancel` came before round time − margin,
  docs/spec/verification.md rule `late-cancel`).

Left out: when checkpoints are published (the composition root schedules it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from draw_engine.entries import format_utc
from draw_engine.errors import DrawEngineError
from draw_engine.lifecycle_errors import (
    CheckpointNotCosignedError,
    CommitmentError,
    CommitmentMissedError,
)
from draw_engine.store import DrawRecord, DrawTx
from transparency.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from transparency.merkle import prove_consistency, tree_root
from transparency.note import parse_note
from transparency.sequencer import Sequencer
from transparency.storage import LogStorage
from witnesses.errors import CollectionError, PolicyNotMetError, WitnessError
from witnesses.policy import Policy


class Cosigning(Protocol):
    """The witness side as the lifecycle needs it (`witnesses.collector.Collector` fits)."""

    policy: Policy

    def collect(
        self, checkpoint_note: bytes, consistency_proof: Callable[[int, int], Sequence[bytes]]
    ) -> bytes: ...


@dataclass(frozen=True)
class PublishedCheckpoint:
    tree_size: int
    note: bytes
    committed: tuple[str, ...]
    """Draws whose announce this checkpoint is the first co-signed one to cover."""


@dataclass(frozen=True)
class CommitmentReport:
    draw_id: str
    tree_size: int
    not_after: int
    cosignatures: tuple[tuple[str, int], ...]
    """(witness, timestamp) of each cosignature counted toward the policy."""


def cosign_checkpoint(
    sequencer: Sequencer, cosigning: Cosigning, storage: LogStorage
) -> tuple[Checkpoint, bytes]:
    """Sign a checkpoint of the log and collect its cosignatures: (checkpoint, co-signed note).

    Fails closed: `CheckpointNotCosignedError` when the witnesses do not meet the policy."""
    note = sequencer.checkpoint()
    cp = parse_checkpoint(parse_note(note).text)
    try:
        cosigned = cosigning.collect(
            note, lambda old, new: prove_consistency(old, new, storage))
    except (CollectionError, PolicyNotMetError) as e:
        raise CheckpointNotCosignedError(
            f"checkpoint of size {cp.tree_size} is not co-signed by the witness quorum; "
            "nothing was published", reasons=e.reasons) from e
    return cp, cosigned


def mark_committed(tx: DrawTx, tree_size: int, cosigned: bytes) -> list[str]:
    """Record `cosigned` as the commitment of each announced draw it is the first to cover."""
    committed = []
    for draw in tx.list_draws():
        if (draw.status == "announced" and draw.commitment_note is None
                and draw.announce_index < tree_size):
            tx.update_draw(replace(draw, commitment_note=cosigned, commitment_size=tree_size))
            committed.append(draw.draw_id)
    return committed


def check_commitment(
    draw: DrawRecord,
    *,
    storage: LogStorage,
    policy: Policy | None,
    log_verifier_key: str | None,
    margin: int,
) -> CommitmentReport:
    """SPEC(DESIGN §2): the announce is covered by a checkpoint whose cosignatures counted
    toward the policy are all timestamped at least the margin before round time."""
    draw_id = draw.draw_id
    not_after = draw.round_time - margin
    if draw.commitment_note is None or draw.commitment_size is None:
        raise CommitmentMissedError(
            f"draw {draw_id}: no co-signed checkpoint covers its announce (index "
            f"{draw.announce_index}) yet; one must be co-signed by "
            f"{format_utc(not_after)} (round time minus "
            f"{margin} s)")
    if policy is None:
        raise CommitmentError("no witness policy is configured")
    note = draw.commitment_note
    try:
        if log_verifier_key is not None:
            open_checkpoint(note, [log_verifier_key])
        cp = parse_checkpoint(parse_note(note).text)
        if cp.tree_size <= draw.announce_index:
            raise CommitmentError(f"checkpoint size {cp.tree_size} does not cover index "
                                  f"{draw.announce_index}")
        if tree_root(cp.tree_size, storage) != cp.root_hash:
            raise CommitmentError(f"checkpoint of size {cp.tree_size} is not of this log")
        result = policy.check(note, not_after=not_after)
    except PolicyNotMetError as e:
        raise CommitmentMissedError(
            f"draw {draw_id} cannot proceed: the cosignatures of the checkpoint of size "
            f"{draw.commitment_size} that covers its announce do not meet the witness "
            f"policy by {format_utc(not_after)} (round time minus "
            f"{margin} s)", reasons=e.reasons) from e
    except (WitnessError, DrawEngineError) as e:
        if isinstance(e, CommitmentError):
            raise
        raise CommitmentError(f"draw {draw_id}: commitment checkpoint refused: {e}") from e
    return CommitmentReport(draw_id, cp.tree_size, not_after,
                            tuple((c.witness, c.timestamp) for c in result.counted))


def check_in_time(note: bytes, policy: Policy, *, not_after: int) -> tuple[tuple[str, int], ...]:
    """SPEC(verification.md `late-cancel`): the cosignatures counted toward `policy` and
    timestamped at or before `not_after` meet its quorum; (witness, timestamp) of each.
    Raises `PolicyNotMetError` (with each witness's reason) otherwise."""
    result = policy.check(note, not_after=not_after)
    return tuple((c.witness, c.timestamp) for c in result.counted)

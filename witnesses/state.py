"""The witness state transition of C2SP tlog-witness `add-checkpoint` (pure).

Pinned: c2sp.org/tlog-witness v1.0.0 (C2SP commit 055270b5) with the HEAD
status codes (after C2SP PR #280): a checkpoint of the same size as the latest
cosigned one but with a different root is **422**, not v1.0.0's 409, as in
transparency-dev/witness PR #576. A 409 always carries the witness's size, so a
client that retries on 409 never loops on a fork. See docs/spec/witness.md.

Two steps, both pure:

* `open_request(request, logs)` checks what does not depend on stored state:
  the checkpoint parses (400), its origin is configured (404) and a trusted log
  key signed it (403).
* `decide(opened, latest)` applies the size and proof rules against the latest
  cosigned checkpoint (400, 409, 422) and returns the record to store.

The caller (witnesses.server.WitnessService) stores the record with
compare-and-swap and only then cosigns. No clock, no I/O, no keys here.

Left out: sign-subtree (HEAD), monitoring retrieval, pushback (429 is a
transport concern handled by the server).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transparency.c2sp_codec import decode_base64, encode_base64
from transparency.checkpoint import Checkpoint, parse_checkpoint
from transparency.errors import (
    ConsistencyProofError,
    FormatError,
    SignatureError,
)
from transparency.merkle import EMPTY_ROOT, verify_consistency
from transparency.note import MAX_NOTE_SIZE, open_note, parse_note
from witnesses.errors import (
    InvalidProofError,
    MalformedRequestError,
    NoValidSignatureError,
    OldSizeMismatchError,
    OldSizeTooLargeError,
    RootMismatchError,
    UnknownOriginError,
)

MAX_PROOF_LINES = 63
"""SPEC(tlog-witness): the client MUST NOT send more than 63 consistency proof lines."""
MAX_REQUEST_SIZE = MAX_NOTE_SIZE + 64 * 64
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,18})")


@dataclass(frozen=True)
class AddCheckpointRequest:
    """The body of POST /add-checkpoint: old size, consistency proof, signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes


def parse_add_checkpoint_request(body: bytes) -> AddCheckpointRequest:
    """Strictly parse an add-checkpoint body; MalformedRequestError names the defect."""
    if len(body) > MAX_REQUEST_SIZE:
        raise MalformedRequestError(f"request is {len(body)} bytes, more than {MAX_REQUEST_SIZE}")
    head, sep, checkpoint = body.partition(b"\n\n")
    if not sep:
        raise MalformedRequestError("request has no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError as e:
        raise MalformedRequestError("old size and proof lines must be ASCII") from e
    # SPEC(tlog-witness): the old size line is "old", one space, and a decimal
    # without leading zeroes ("0" if none).
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise MalformedRequestError(f"first line must be 'old <size>': {lines[0][:40]!r}")
    old_size = int(match.group(1))
    if old_size >= 1 << 63:
        raise MalformedRequestError(f"old size {old_size} is not below 2^63")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise MalformedRequestError(
            f"{len(proof_lines)} consistency proof lines, more than {MAX_PROOF_LINES}"
        )
    proof: list[bytes] = []
    for i, line in enumerate(proof_lines):
        try:
            value = decode_base64(line, f"proof line {i + 1}")
        except FormatError as e:
            raise MalformedRequestError(str(e)) from e
        if len(value) != 32:
            raise MalformedRequestError(f"proof line {i + 1} is {len(value)} bytes, not 32")
        proof.append(value)
    return AddCheckpointRequest(old_size, tuple(proof), checkpoint)


def format_add_checkpoint_request(request: AddCheckpointRequest) -> bytes:
    lines = [f"old {request.old_size}", *(encode_base64(p) for p in request.proof)]
    return ("\n".join(lines) + "\n\n").encode("ascii") + request.checkpoint


@dataclass(frozen=True)
class LogConfig:
    """A log the witness follows: its origin and the verifier keys trusted for it."""

    origin: str
    verifier_keys: tuple[str, ...]


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """What the witness stores per origin: the latest checkpoint it cosigned, with the
    full signed note as submitted (so misbehaviour can be proven, not just asserted)."""

    origin: str
    tree_size: int
    root_hash: bytes
    note: bytes


@dataclass(frozen=True)
class OpenedRequest:
    """A request whose checkpoint parsed and carries a valid signature of its log."""

    request: AddCheckpointRequest
    checkpoint: Checkpoint
    body: bytes  # the checkpoint note text: what the cosignature signs


@dataclass(frozen=True)
class Decision:
    """Cosign `body`; store `record` first when `changed` (compare-and-swap against `latest`)."""

    record: WitnessedCheckpoint
    body: bytes
    changed: bool


def request_origin(request: AddCheckpointRequest) -> str:
    """The origin line of the request's checkpoint (400 if it does not parse)."""
    return _parse(request)[1].origin


def _parse(request: AddCheckpointRequest) -> tuple[bytes, Checkpoint]:
    try:
        note = parse_note(request.checkpoint)
        return note.text, parse_checkpoint(note.text)
    except FormatError as e:
        raise MalformedRequestError(f"malformed checkpoint: {e}") from e


def open_request(request: AddCheckpointRequest, logs: Mapping[str, LogConfig]) -> OpenedRequest:
    """Check origin and log signature (rules that do not depend on the witness state)."""
    body, checkpoint = _parse(request)
    log = logs.get(checkpoint.origin)
    if log is None:
        # SPEC(tlog-witness): "If the checkpoint origin is unknown, the witness MUST
        # respond with a "404 Not Found" HTTP status code."
        raise UnknownOriginError(checkpoint.origin)
    try:
        # SPEC(tlog-witness): "The witness MUST verify the checkpoint signature against
        # the public key(s) it trusts for the checkpoint origin, and it MUST ignore
        # signatures from unknown keys." ... "If none of the signatures verify against a
        # trusted public key, the witness MUST respond with a "403 Forbidden"".
        # A trusted key whose signature fails also rejects the note (signed-note; HEAD 403).
        open_note(request.checkpoint, log.verifier_keys)
    except SignatureError as e:
        raise NoValidSignatureError(f"checkpoint for {checkpoint.origin!r}: {e}") from e
    return OpenedRequest(request, checkpoint, body)


def decide(opened: OpenedRequest, latest: WitnessedCheckpoint | None) -> Decision:
    """Apply the size, proof and root rules against the latest cosigned checkpoint."""
    request, cp = opened.request, opened.checkpoint
    old = request.old_size
    # SPEC(tlog-witness): "The old size MUST be equal to or lower than the checkpoint
    # size. Otherwise, the witness MUST respond with a "400 Bad Request"".
    if old > cp.tree_size:
        raise OldSizeTooLargeError(old, cp.tree_size)
    latest_size = latest.tree_size if latest is not None else 0
    # SPEC(tlog-witness): "The witness MUST check that the old size matches the size of
    # the latest checkpoint it cosigned for the checkpoint's origin (or zero if it never
    # cosigned a checkpoint for that origin). If it doesn't match, the witness MUST
    # respond with a "409 Conflict" HTTP status code."
    if old != latest_size:
        raise OldSizeMismatchError(old, latest_size)
    # SPEC(tlog-witness HEAD): a size-0 checkpoint whose root is not SHA-256("") is 422.
    if cp.tree_size == 0 and cp.root_hash != EMPTY_ROOT:
        raise InvalidProofError("a checkpoint of size 0 must have the empty root SHA-256('')")
    # SPEC(tlog-witness): "The proof MUST be empty if the old size is zero."
    if old == 0 and request.proof:
        raise InvalidProofError("the consistency proof must be empty when old size is 0")
    record = WitnessedCheckpoint(cp.origin, cp.tree_size, cp.root_hash, request.checkpoint)
    if latest is None or old == 0:
        # Nothing to be consistent with yet (trust on first use of this origin).
        return Decision(record, opened.body, changed=True)
    if old == cp.tree_size:
        # SPEC(tlog-witness HEAD, C2SP PR #280): "If the old size matches the checkpoint
        # size, the witness MUST check that the root hashes are also identical. If they
        # don't match, the witness MUST respond with a "422 Unprocessable Entity"" (v1.0.0: 409).
        if cp.root_hash != latest.root_hash:
            raise RootMismatchError(cp.tree_size, latest.root_hash, cp.root_hash)
        if request.proof:
            raise InvalidProofError("the consistency proof must be empty when sizes are equal")
        return Decision(latest, opened.body, changed=False)
    try:
        # SPEC(tlog-witness): "If the Merkle Consistency Proof doesn't verify, the witness
        # MUST respond with a "422 Unprocessable Entity" HTTP status code."
        verify_consistency(old, cp.tree_size, request.proof, latest.root_hash, cp.root_hash)
    except ConsistencyProofError as e:
        raise InvalidProofError(f"consistency proof {old} -> {cp.tree_size}: {e}") from e
    return Decision(record, opened.body, changed=True)


def log_configs(entries: Sequence[tuple[str, Sequence[str]]]) -> dict[str, LogConfig]:
    """Build the origin -> LogConfig map from (origin, vkeys) pairs; duplicate origins merge."""
    out: dict[str, list[str]] = {}
    for origin, vkeys in entries:
        out.setdefault(origin, [])
        out[origin].extend(v for v in vkeys if v not in out[origin])
    return {o: LogConfig(o, tuple(v)) for o, v in out.items()}

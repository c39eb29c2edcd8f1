"""C2SP tlog-checkpoint v1.0.0: the signed statement of a log's size and root.

A checkpoint is the text of a C2SP signed-note (see `transparency.note`):

    <origin>\\n
    <tree size, canonical decimal>\\n
    <base64 of the 32-byte RFC 9162 root hash>\\n
    [<extension line>\\n ...]

Parsing is strict like torchwood's `ParseCheckpoint` (C2SP commit 5ba5ee83,
torchwood 341dc2f0): origin non-empty; size a canonical decimal below 2^63;
root canonical padded base64 of exactly 32 bytes; every extension line
non-empty; the text ends with a newline; at most MAX_CHECKPOINT_SIZE (10^6,
torchwood's bound) bytes, as the browser's checkpoint.js.

The origin SHOULD be a schema-less URL without spaces or '+', but clients
MUST NOT assume so (Rekor's origins contain spaces), so any non-empty line of
printable UTF-8 is accepted. Extension lines of foreign logs are kept, in
order, in `Checkpoint.extensions` and formatted back verbatim; fairdraw's
logs never create them (witness implementations disagree on whether they are
cosigned, C2SP issue #238). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transparency.c2sp_codec import decode_base64, encode_base64, parse_decimal
from transparency.errors import FormatError
from transparency.merkle import HASH_SIZE
from transparency.note import OpenedNote, check_note_text, open_note, sign_note
from transparency.note_keys import NoteVerifier, Signer

MAX_TREE_SIZE = (1 << 63) - 1
MAX_CHECKPOINT_SIZE = 1_000_000
"""Largest checkpoint text (torchwood's ParseCheckpoint bound; the note around it may be 2^20)."""


@dataclass(frozen=True)
class Checkpoint:
    """origin, tree_size, root_hash (32 bytes), and foreign extension lines (normally none)."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            # SPEC(tlog-checkpoint): the origin line is non-empty.
            raise FormatError(f"checkpoint origin {self.origin!r} is empty or has a newline")
        if (
            not isinstance(self.tree_size, int)
            or isinstance(self.tree_size, bool)
            or not 0 <= self.tree_size <= MAX_TREE_SIZE
        ):
            raise FormatError(f"checkpoint tree size {self.tree_size!r} is not in [0, 2^63)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise FormatError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line:
                # SPEC(tlog-checkpoint): extension lines are non-empty.
                raise FormatError(f"checkpoint extension line {line!r} is empty or has a newline")


def format_checkpoint(cp: Checkpoint) -> bytes:
    """The checkpoint body (note text), ending in a newline."""
    lines = [cp.origin, str(cp.tree_size), encode_base64(cp.root_hash), *cp.extensions]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    check_note_text(body)  # no control characters anywhere
    if len(body) > MAX_CHECKPOINT_SIZE:
        raise FormatError(
            f"checkpoint would be {len(body)} bytes, more than {MAX_CHECKPOINT_SIZE}"
        )
    return body


def parse_checkpoint(body: bytes) -> Checkpoint:
    """Strictly parse a checkpoint body (the note text, without signatures)."""
    if not isinstance(body, bytes | bytearray):
        raise FormatError("a checkpoint must be bytes")
    if len(body) > MAX_CHECKPOINT_SIZE:
        raise FormatError(f"checkpoint is {len(body)} bytes, more than {MAX_CHECKPOINT_SIZE}")
    text = check_note_text(bytes(body))  # UTF-8, no controls, ends in "\n"
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise FormatError(f"checkpoint has {len(lines)} lines, needs origin, size and root")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise FormatError("checkpoint origin line is empty")
    # SPEC(tlog-checkpoint): size is ASCII decimal without leading zeros.
    size = parse_decimal(size_text, "checkpoint tree size", MAX_TREE_SIZE + 1)
    root = decode_base64(root_text, "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise FormatError(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
    for i, line in enumerate(extensions):
        if not line:
            raise FormatError(f"checkpoint extension line {i + 1} is empty")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signers: Sequence[Signer]) -> bytes:
    """The checkpoint as a signed note, one signature line per signer, in order."""
    if not signers:
        raise FormatError("a checkpoint needs at least one signer")
    return sign_note(format_checkpoint(cp), signers)


def open_checkpoint(
    note: bytes,
    verifier_keys: Sequence[str | NoteVerifier],
    *,
    origin: str | None = None,
) -> tuple[Checkpoint, OpenedNote]:
    """Verify a signed checkpoint (open_note semantics) and parse its body.

    With `origin`, the checkpoint must be for that log (FormatError otherwise)."""
    opened = open_note(note, verifier_keys)
    cp = parse_checkpoint(opened.text)
    if origin is not None and cp.origin != origin:
        raise FormatError(f"checkpoint origin {cp.origin!r} is not the expected {origin!r}")
    return cp, opened

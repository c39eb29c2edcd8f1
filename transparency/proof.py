"""C2SP tlog-proof@v1: an offline-verifiable proof that one entry is in a log.

Implements c2sp.org/tlog-proof as published at C2SP commit 0065ea5b
(`tlog-proof.md`), cross-read with transparency-dev/formats `proof/tlog_proof.go`
(8b04f1fc). A proof file (`.tlog-proof`) is:

    c2sp.org/tlog-proof@v1\\n
    [extra <base64 opaque data>\\n]
    index <leaf index>\\n
    <base64 hash>\\n ...            (0..63 lines: RFC 6962 §2.1.1 PATH, leaf side first)
    \\n
    <the checkpoint's signed note, verbatim, with any cosignatures>

Parsing is strict (docs/spec/log.md §6): the size is bounded before anything
is read; base64 is canonical padded RFC 4648 §4; the index is a canonical
decimal below 2^63 (a checkpoint's tree size is below 2^63, so no larger index
can be proven); every hash decodes to exactly 32 bytes; the checkpoint part
must parse as a signed note whose text is a tlog-checkpoint. So
`format_proof(parse_proof(x)) == x` for every accepted `x`.

What the codec does NOT decide: whether the checkpoint's signatures verify or
a witness policy is met (the caller's keys), and what the extra data means.
fairdraw puts the entry's exact bytes in `extra` so a proof file is
self-contained (tlog-proof: extra data may carry "additional data necessary to
reconstruct the record hash"); `verify_proof` never trusts it, it recomputes
the leaf hash from it and proves inclusion. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transparency.c2sp_codec import decode_base64, encode_base64, parse_decimal
from transparency.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from transparency.errors import FormatError
from transparency.merkle import (
    HASH_SIZE,
    NodeReader,
    leaf_hash,
    prove_inclusion,
    verify_inclusion,
)
from transparency.note import MAX_NOTE_SIZE, OpenedNote, parse_note
from transparency.note_keys import NoteVerifier
from transparency.tiles import MAX_ENTRY_SIZE

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63
"""PATH(m, D[n]) for n < 2^63 has at most 63 hashes."""
MAX_EXTRA_SIZE = MAX_ENTRY_SIZE
"""Our bound on the decoded extra data: one log entry (the spec sets none)."""
MAX_PROOF_SIZE = (
    len(HEADER) + 1
    + len("extra ") + 4 * -(-MAX_EXTRA_SIZE // 3) + 1
    + len("index ") + 19 + 1
    + MAX_PROOF_HASHES * 45 + 1
    + MAX_NOTE_SIZE
)
"""The largest proof file `parse_proof` reads, in bytes (every part at its own bound)."""


@dataclass(frozen=True)
class TlogProof:
    """One parsed proof: `checkpoint` is the signed note exactly as in the file."""

    leaf_index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.leaf_index, int)
            or isinstance(self.leaf_index, bool)
            or not 0 <= self.leaf_index < 1 << 63
        ):
            raise FormatError(f"proof index {self.leaf_index!r} is not in [0, 2^63)")
        if len(self.inclusion_proof) > MAX_PROOF_HASHES:
            raise FormatError(
                f"inclusion proof has {len(self.inclusion_proof)} hashes, "
                f"more than {MAX_PROOF_HASHES}"
            )
        for i, h in enumerate(self.inclusion_proof):
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise FormatError(f"inclusion proof hash {i} is not {HASH_SIZE} bytes")
        if self.extra is not None and (
            not isinstance(self.extra, bytes) or len(self.extra) > MAX_EXTRA_SIZE
        ):
            raise FormatError(f"extra data is not bytes of at most {MAX_EXTRA_SIZE}")
        if not isinstance(self.checkpoint, bytes):
            raise FormatError("the proof's checkpoint must be bytes")
        # SPEC(tlog-proof): "the checkpoint issued by the log is included verbatim,
        # according to tlog-checkpoint": a signed note whose text is a checkpoint.
        parse_checkpoint(parse_note(self.checkpoint).text)

    @property
    def body(self) -> Checkpoint:
        """The checkpoint's body, parsed but NOT verified."""
        return parse_checkpoint(parse_note(self.checkpoint).text)


def format_proof(proof: TlogProof) -> bytes:
    """The proof file's exact bytes."""
    lines = [HEADER]
    if proof.extra is not None:
        lines.append("extra " + encode_base64(proof.extra))
    lines.append(f"index {proof.leaf_index}")
    lines.extend(encode_base64(h) for h in proof.inclusion_proof)
    return ("\n".join(lines) + "\n\n").encode("ascii") + proof.checkpoint


def _line(data: bytes, pos: int, what: str) -> tuple[str, int]:
    end = data.find(b"\n", pos)
    if end < 0:
        raise FormatError(f"tlog-proof is truncated in the {what}")
    try:
        return data[pos:end].decode("ascii"), end + 1
    except UnicodeDecodeError as e:
        raise FormatError(f"tlog-proof {what} is not ASCII") from e


def parse_proof(data: bytes) -> TlogProof:
    """Strictly parse a tlog-proof@v1 file. Raises FormatError naming the defect."""
    if not isinstance(data, bytes | bytearray):
        raise FormatError("a tlog-proof must be bytes")
    if len(data) > MAX_PROOF_SIZE:
        raise FormatError(f"tlog-proof is {len(data)} bytes, more than {MAX_PROOF_SIZE}")
    data = bytes(data)
    line, pos = _line(data, 0, "header line")
    if line != HEADER:
        # SPEC(tlog-proof): the first line MUST be the string c2sp.org/tlog-proof@v1.
        raise FormatError(f"tlog-proof header is {line[:40]!r}, not {HEADER!r}")
    line, pos = _line(data, pos, "index line")
    extra = None
    if line.startswith("extra "):
        # SPEC(tlog-proof): the second line MAY be "extra" SP base64 (opaque, untrusted).
        extra = decode_base64(line[len("extra ") :], "tlog-proof extra data")
        if len(extra) > MAX_EXTRA_SIZE:
            raise FormatError(f"tlog-proof extra data is more than {MAX_EXTRA_SIZE} bytes")
        line, pos = _line(data, pos, "index line")
    if not line.startswith("index "):
        # SPEC(tlog-proof): the next line MUST start with "index" SP.
        raise FormatError(f"tlog-proof has no index line (found {line[:40]!r})")
    # SPEC(tlog-proof): ASCII decimal with no leading zeroes (unless the index is 0).
    index = parse_decimal(line[len("index ") :], "tlog-proof index")
    hashes: list[bytes] = []
    while True:
        line, pos = _line(data, pos, "inclusion proof")
        if not line:
            break  # SPEC(tlog-proof): an empty line ends the proof hashes.
        if len(hashes) == MAX_PROOF_HASHES:
            raise FormatError(f"tlog-proof has more than {MAX_PROOF_HASHES} proof hashes")
        h = decode_base64(line, f"tlog-proof hash {len(hashes)}")
        if len(h) != HASH_SIZE:
            raise FormatError(f"tlog-proof hash {len(hashes)} is {len(h)} bytes, not {HASH_SIZE}")
        hashes.append(h)
    checkpoint = data[pos:]
    if not checkpoint:
        raise FormatError("tlog-proof is truncated: no checkpoint after the empty line")
    try:
        return TlogProof(index, tuple(hashes), checkpoint, extra)
    except FormatError as e:
        raise FormatError(f"tlog-proof checkpoint: {e}") from e


def prove_entry(checkpoint_note: bytes, leaf_index: int, reader: NodeReader,
                *, extra: bytes | None = None) -> TlogProof:
    """A proof of `leaf_index` against `checkpoint_note` (unverified here), built from the
    complete-subtree hashes `reader` holds for that checkpoint's tree."""
    size = parse_checkpoint(parse_note(checkpoint_note).text).tree_size
    path = prove_inclusion(leaf_index, size, reader)
    return TlogProof(leaf_index, tuple(path), checkpoint_note, extra)


def verify_proof(
    proof: TlogProof,
    entry: bytes,
    verifier_keys: Sequence[str | NoteVerifier],
    *,
    origin: str | None = None,
) -> tuple[Checkpoint, OpenedNote]:
    """Raise unless the checkpoint verifies with `verifier_keys` (open_note semantics, and
    `origin` when given) and `entry` is at `proof.leaf_index` of its tree.

    Cosignatures are the caller's business (a witness policy on `proof.checkpoint`)."""
    cp, opened = open_checkpoint(proof.checkpoint, verifier_keys, origin=origin)
    verify_inclusion(leaf_hash(entry), proof.leaf_index, cp.tree_size,
                     list(proof.inclusion_proof), cp.root_hash)
    return cp, opened

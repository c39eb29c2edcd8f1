"""C2SP signed-note v1.0.0: parsing, formatting, signing and opening notes.

Implements c2sp.org/signed-note v1.0.0 (C2SP commit 5ba5ee83) with the
verification semantics of golang.org/x/mod/sumdb/note.Open, our oracle:

* a note is UTF-8 text without control characters other than "\\n"; the LAST
  "\\n\\n" splits the text (which keeps its final "\\n") from one or more
  signature lines "— <name> <base64(key ID || signature)>\\n";
* signatures from (name, key ID) pairs nobody configured are ignored (listed
  as unverified, identical lines once); every line of a configured pair MUST
  verify (a repeat too: Go skips repeats unchecked) or the whole note is
  rejected, and counts once; a note with no verified signature is rejected; two
  configured keys with one (name, key ID) are ambiguous;
Keys (key IDs, verifier and signer keys, signature types) are in
`transparency.note_keys`, the signature line in `transparency.signature_line`,
the canonical encodings they share in `transparency.c2sp_codec`.

Stricter than Go, on purpose: base64 must be canonical padded RFC 4648 §4
(re-encodes identically; Go ignores non-zero trailing bits), key-ID hex must be
lowercase, DEL (0x7f) counts as a control character, U+FEFF is refused in key
names, a repeated line of a known key is verified, and the whole note is
bounded by MAX_NOTE_SIZE before parsing. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transparency.c2sp_codec import check_text_chars, decode_utf8
from transparency.errors import FormatError, SignatureError
from transparency.note_keys import (
    SIG_COSIGNATURE_V1,
    NoteVerifier,
    Signer,
    Verifier,
    parse_verifier_key,
)
from transparency.signature_line import NoteSignature, parse_signature_line

MAX_NOTE_SIZE = 1 << 20
"""Largest signed note we parse, in bytes (torchwood caps checkpoints at 10^6)."""
MAX_SIGNATURES = 100
"""SPEC(signed-note): verifiers SHOULD cap signatures, MUST accept >= 16; Go rejects > 100."""


class AmbiguousKeyError(FormatError):
    """Two configured verifiers share one (name, key ID): the note cannot be checked."""


@dataclass(frozen=True)
class Note:
    """A signed note: `text` includes its final newline; at least one signature."""

    text: bytes
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class OpenedNote:
    """Result of open_note: signatures from configured keys vs. ignored ones, in note order."""

    text: bytes
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def check_note_text(text: bytes) -> str:
    """SPEC(signed-note): text is UTF-8, non-empty, ends in newline, no other controls."""
    if not text.endswith(b"\n"):
        raise FormatError("note text must be non-empty and end with a newline")
    decoded = decode_utf8(text, "note text")
    check_text_chars(decoded, "note text")
    return decoded


def parse_note(data: bytes) -> Note:
    """Strictly parse a signed note. Raises FormatError naming the defect."""
    if not isinstance(data, bytes | bytearray):
        raise FormatError("a note must be bytes")
    if len(data) > MAX_NOTE_SIZE:
        raise FormatError(f"note is {len(data)} bytes, more than {MAX_NOTE_SIZE}")
    data = bytes(data)
    decoded = decode_utf8(data, "note")
    check_text_chars(decoded, "note")
    split = data.rfind(b"\n\n")
    if split < 0:
        raise FormatError("note has no blank line before its signatures")
    text, sig_block = data[: split + 1], data[split + 2 :]
    if not sig_block or not sig_block.endswith(b"\n"):
        raise FormatError("note signature block is empty or lacks its final newline")
    lines = sig_block.decode("utf-8")[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")
    return Note(text, tuple(parse_signature_line(line) for line in lines))


def format_note(note: Note) -> bytes:
    """The exact bytes of a signed note; rejects anything parse_note would reject."""
    check_note_text(note.text)
    if not 1 <= len(note.signatures) <= MAX_SIGNATURES:
        raise FormatError(f"a note needs 1..{MAX_SIGNATURES} signatures")
    out = note.text + b"\n" + "".join(s.format_line() for s in note.signatures).encode()
    if len(out) > MAX_NOTE_SIZE:
        raise FormatError(f"note would be {len(out)} bytes, more than {MAX_NOTE_SIZE}")
    return out


def sign_note(text: bytes, signers: Sequence[Signer]) -> bytes:
    """Sign `text` (which must end in a newline) with every signer, in order."""
    check_note_text(text)
    return format_note(Note(text, tuple(s.sign(text) for s in signers)))


def append_signatures(note_bytes: bytes, lines: Sequence[NoteSignature]) -> bytes:
    """Add signature lines (e.g. cosignatures) to a note, skipping lines already present."""
    note = parse_note(note_bytes)
    sigs = list(note.signatures)
    for line in lines:
        if line not in sigs:
            sigs.append(line)
    return format_note(Note(note.text, tuple(sigs)))


def open_note(data: bytes, verifier_keys: Sequence[str | NoteVerifier]) -> OpenedNote:
    """Parse and verify a note with Go sumdb/note.Open semantics.

    Raises FormatError (malformed note or key), AmbiguousKeyError, or
    SignatureError (a configured key's signature is bad, or none verified)."""
    note = parse_note(data)
    verifiers: dict[tuple[str, int], list[NoteVerifier]] = {}
    for vk in verifier_keys:
        v: NoteVerifier = parse_verifier_key(vk) if isinstance(vk, str) else vk
        if isinstance(v, Verifier) and v.sig_type == SIG_COSIGNATURE_V1:
            raise FormatError(
                f"{v.name}+{v.key_id:08x} is a cosignature/v1 key: configure it through "
                "witnesses.cosignature"
            )
        verifiers.setdefault((v.name, v.key_id), []).append(v)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for sig in note.signatures:
        candidates = verifiers.get((sig.name, sig.key_id))
        if not candidates:
            # SPEC(signed-note): signatures from unknown (name, key ID) MUST be ignored.
            if sig not in unverified:
                unverified.append(sig)
            continue
        if len(candidates) > 1:
            raise AmbiguousKeyError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        # SPEC(signed-note): a known key's signature MUST verify; failure rejects the note.
        # Every line is verified, a repeat too (Go skips repeats unchecked: stricter here).
        candidates[0].verify(note.text, sig.signature)
        if (sig.name, sig.key_id) in seen:
            continue  # Go: a repeated signature from one known key counts once
        seen.add((sig.name, sig.key_id))
        verified.append(sig)
    if not verified:
        # SPEC(signed-note): if no known key verified the note, it MUST be rejected.
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified) or "none"
        raise SignatureError(f"note has no verifiable signatures (signed by: {names})")
    return OpenedNote(note.text, tuple(verified), tuple(unverified))

"""One signature line of a C2SP signed note: "— <name> <base64(key ID || signature)>\\n".

A `NoteSignature` is what a signer makes (`transparency.note_keys.Signer.sign`)
and what a note carries (`transparency.note`); this module holds its one
spelling and its strict parser. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from transparency.c2sp_codec import check_key_name, decode_base64, encode_base64
from transparency.errors import FormatError

SIG_PREFIX = "— "  # U+2014 EM DASH, then a space
"""SPEC(signed-note): every signature line starts with these two characters."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: `signature` is the bytes after the 4-byte key ID."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not 0 <= self.key_id < 1 << 32:
            raise FormatError(f"key ID {self.key_id} does not fit 32 bits")
        if not self.signature:
            raise FormatError("signature is empty (a line needs at least 5 bytes)")

    def format_line(self) -> str:
        payload = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIG_PREFIX}{self.name} {encode_base64(payload)}\n"


def parse_signature_line(line: str) -> NoteSignature:
    """One signature line without its newline; FormatError naming the defect."""
    if not line.startswith(SIG_PREFIX):
        raise FormatError(f"signature line does not start with '— ': {line[:80]!r}")
    name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
    if not sep:
        raise FormatError(f"signature line has no space after the key name: {line[:80]!r}")
    check_key_name(name)
    raw = decode_base64(b64, f"signature of {name!r}")
    if len(raw) < 5:
        raise FormatError(f"signature of {name!r} is {len(raw)} bytes, fewer than 5")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])

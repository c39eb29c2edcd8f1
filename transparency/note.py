"""C2SP signed-note v1.0.0: notes, signature lines, verifier and signer keys.

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
* key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian.

Signature types: 0x01 Ed25519 is what fairdraw signs with. So that auditors can
check other logs' checkpoints (and because the shared vectors hold them), we
also *verify* 0x02 ECDSA P-256 (transparency-dev/witness; key = DER SPKI, key
ID = SHA-256(SPKI)[:4], signature = ASN.1 DER over SHA-256(text)) and 0x05
RFC 6962 TreeHeadSignature (static-ct-api; key ID over SHA-256(SPKI), key
name must equal the checkpoint origin). Type 0x04 cosignature/v1 keys are
parsed here (so one vkey codec serves everyone) but verified by
`witnesses.cosignature`, which passes its own `NoteVerifier` objects to
`open_note`. Left out: 0x03, 0x06 ML-DSA-44 and the 0xff escape (a vkey of those
types is a FormatError).

Stricter than Go, on purpose: base64 must be canonical padded RFC 4648 §4
(re-encodes identically; Go ignores non-zero trailing bits), key-ID hex must be
lowercase, DEL (0x7f) counts as a control character, U+FEFF is refused in key
names, a repeated line of a known key is verified, and the whole note is
bounded by MAX_NOTE_SIZE before parsing. Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from transparency.errors import FormatError, SignatureError

MAX_NOTE_SIZE = 1 << 20
"""Largest signed note we parse, in bytes (torchwood caps checkpoints at 10^6)."""
MAX_SIGNATURES = 100
"""SPEC(signed-note): verifiers SHOULD cap signatures, MUST accept >= 16; Go rejects > 100."""

SIG_ED25519 = 0x01
SIG_ECDSA = 0x02
SIG_COSIGNATURE_V1 = 0x04
SIG_RFC6962 = 0x05
KNOWN_SIG_TYPES = frozenset({SIG_ED25519, SIG_ECDSA, SIG_COSIGNATURE_V1, SIG_RFC6962})

_SIG_PREFIX = "— "  # U+2014 EM DASH, then a space
_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_HEX8_RE = re.compile(r"[0-9a-f]{8}")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")


class AmbiguousKeyError(FormatError):
    """Two configured verifiers share one (name, key ID): the note cannot be checked."""


# -- canonical encodings shared by the C2SP formats ---------------------------------


def encode_base64(data: bytes) -> str:
    """RFC 4648 §4 standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: str, what: str) -> bytes:
    """Strict RFC 4648 §4 base64: standard alphabet, padding, and it must re-encode identically."""
    if not _B64_RE.fullmatch(text):
        raise FormatError(f"{what} is not padded standard base64: {text[:80]!r}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise FormatError(f"{what} is not valid base64: {text[:80]!r}") from e
    if encode_base64(data) != text:
        # SPEC(project): non-zero padding bits would give two spellings of one value.
        raise FormatError(f"{what} is not canonical base64 (non-zero padding bits): {text[:80]!r}")
    return data


def parse_decimal(text: str, what: str, limit: int = 1 << 63) -> int:
    """A canonical ASCII decimal below `limit`: no sign, space, underscore or leading zero."""
    if not _DECIMAL_RE.fullmatch(text) or len(text) > 20:
        raise FormatError(f"{what} is not a canonical decimal: {text[:40]!r}")
    value = int(text)
    if value >= limit:
        raise FormatError(f"{what} {value} is not below {limit}")
    return value


def check_key_name(name: str) -> None:
    r"""SPEC(signed-note): key names are non-empty, have no Unicode spaces and no '+'.

    Stricter, on purpose: U+FEFF (an invisible "zero width no-break space", not
    White_Space) is refused too, so "w1" and "w1\ufeff" can never both be names
    (the browser's `\s` class refuses it as well)."""
    if not isinstance(name, str) or not name:
        raise FormatError("key name is empty")
    if "+" in name or any(c.isspace() or c == "\ufeff" for c in name):
        raise FormatError(f"key name {name!r} contains '+', a space or U+FEFF")
    _check_text_chars(name, "key name")


def _check_text_chars(text: str, what: str) -> None:
    for c in text:
        if (c < " " and c != "\n") or c == "\x7f":
            # SPEC(signed-note): no ASCII control characters other than newline.
            raise FormatError(f"{what} contains control character {c!r}")


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise FormatError(f"{what} is not valid UTF-8 (byte {e.start})") from e


# -- key IDs and verifier keys ---------------------------------------------------------


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """SPEC(signed-note): key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _expected_key_id(name: str, sig_type: int, public_key: bytes) -> int:
    if sig_type == SIG_ECDSA:
        # transparency-dev/witness: key ID = SHA-256(DER SPKI)[:4].
        return int.from_bytes(hashlib.sha256(public_key).digest()[:4], "big")
    if sig_type == SIG_RFC6962:
        # static-ct-api: key ID over the RFC 6962 LogID = SHA-256(DER SPKI).
        return key_id(name, sig_type, hashlib.sha256(public_key).digest())
    return key_id(name, sig_type, public_key)


def _load_p256(public_key: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(public_key)
    except ValueError as e:
        raise FormatError("ECDSA verifier key is not a DER SubjectPublicKeyInfo") from e
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise FormatError("ECDSA verifier key is not a P-256 key")
    return key


class NoteVerifier(Protocol):
    """What open_note needs of a verifier (witnesses.cosignature provides 0x04 ones)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> None: ...


@dataclass(frozen=True)
class Verifier:
    """A parsed verifier key. `public_key` is 32 bytes (0x01, 0x04) or a DER SPKI (0x02, 0x05)."""

    name: str
    key_id: int
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in KNOWN_SIG_TYPES:
            raise FormatError(f"verifier key type 0x{self.sig_type:02x} is not supported")
        if self.sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1) and len(self.public_key) != 32:
            raise FormatError(f"Ed25519 verifier key is {len(self.public_key)} bytes, not 32")
        if self.sig_type in (SIG_ECDSA, SIG_RFC6962):
            _load_p256(self.public_key)
        want = _expected_key_id(self.name, self.sig_type, self.public_key)
        if self.key_id != want:
            raise FormatError(
                f"key ID {self.key_id:08x} of {self.name!r} does not match its key ({want:08x})"
            )

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise SignatureError unless `signature` (after the key ID) signs `message`."""
        if self.sig_type == SIG_ED25519:
            if len(signature) != 64:
                raise SignatureError(f"invalid signature for key {self._label()}: not 64 bytes")
            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            except InvalidSignature as e:
                raise SignatureError(f"invalid signature for key {self._label()}") from e
        elif self.sig_type == SIG_ECDSA:
            self._verify_ecdsa(signature, message)
        elif self.sig_type == SIG_RFC6962:
            self._verify_rfc6962(message, signature)
        else:
            raise FormatError(
                f"key {self._label()} has type 0x{self.sig_type:02x}: verify it with "
                "witnesses.cosignature, not as a plain note signature"
            )

    def _label(self) -> str:
        return f"{self.name}+{self.key_id:08x}"

    def _verify_ecdsa(self, der_signature: bytes, message: bytes) -> None:
        try:
            _load_p256(self.public_key).verify(der_signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError) as e:
            raise SignatureError(f"invalid signature for key {self._label()}") from e

    def _verify_rfc6962(self, message: bytes, signature: bytes) -> None:
        # static-ct-api: timestamp(8) || DigitallySigned(SHA-256=4, ECDSA=3, u16 len, sig).
        lines = message.split(b"\n")
        if len(lines) < 4 or len(signature) < 12:
            raise SignatureError(f"invalid signature for key {self._label()}: malformed")
        if lines[0] != self.name.encode():
            # SPEC(static-ct-api): the TreeHeadSignature does not cover the origin,
            # so the key name MUST equal the origin line.
            raise SignatureError(
                f"invalid signature for key {self._label()}: "
                f"origin {lines[0]!r} is not the key name"
            )
        try:
            size = parse_decimal(lines[1].decode("ascii"), "tree size", 1 << 64)
            root = decode_base64(lines[2].decode("ascii"), "root hash")
        except (FormatError, UnicodeDecodeError) as e:
            raise SignatureError(f"invalid signature for key {self._label()}: {e}") from e
        timestamp, algs, length = signature[:8], signature[8:10], signature[10:12]
        der = signature[12:]
        if algs != b"\x04\x03" or int.from_bytes(length, "big") != len(der) or len(root) != 32:
            raise SignatureError(f"invalid signature for key {self._label()}: malformed")
        signed = b"\x00\x01" + timestamp + size.to_bytes(8, "big") + root
        self._verify_ecdsa(der, signed)


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse "<name>+<8 lowercase hex key ID>+base64(type || key)"; FormatError on any defect."""
    if not isinstance(vkey, str) or len(vkey) > 4096:
        raise FormatError("verifier key is not a string of at most 4096 characters")
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise FormatError(f"verifier key {vkey[:80]!r} does not have the form name+keyid+key")
    name, hex8, key64 = parts
    check_key_name(name)
    if not _HEX8_RE.fullmatch(hex8):
        raise FormatError(f"verifier key ID {hex8!r} is not 8 lowercase hex digits")
    raw = decode_base64(key64, "verifier key")
    if len(raw) < 2:
        raise FormatError("verifier key material is empty")
    return Verifier(name=name, key_id=int(hex8, 16), sig_type=raw[0], public_key=raw[1:])


def format_verifier_key(v: Verifier) -> str:
    return f"{v.name}+{v.key_id:08x}+{encode_base64(bytes([v.sig_type]) + v.public_key)}"


# -- signers ---------------------------------------------------------------------------


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
        return f"{_SIG_PREFIX}{self.name} {encode_base64(payload)}\n"


@dataclass(frozen=True)
class Signer:
    """An Ed25519 (type 0x01) note signer; `private_key` is the 32-byte RFC 8032 seed."""

    name: str
    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.private_key) != 32:
            raise FormatError(f"Ed25519 seed is {len(self.private_key)} bytes, not 32")

    @property
    def public_key(self) -> bytes:
        key = Ed25519PrivateKey.from_private_bytes(self.private_key).public_key()
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> int:
        return key_id(self.name, SIG_ED25519, self.public_key)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, SIG_ED25519, self.public_key)

    @property
    def verifier_key(self) -> str:
        return format_verifier_key(self.verifier)

    def sign(self, message: bytes) -> NoteSignature:
        sig = Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message)
        return NoteSignature(self.name, self.key_id, sig)


def generate_signer(name: str) -> Signer:
    """A fresh Ed25519 signer (randomness from the OS via `cryptography`)."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return Signer(name, seed)


def format_signer_key(s: Signer) -> str:
    """Go sumdb/note form: PRIVATE+KEY+<name>+<hex8>+base64(0x01 || seed)."""
    key64 = encode_base64(bytes([SIG_ED25519]) + s.private_key)
    return f"PRIVATE+KEY+{s.name}+{s.key_id:08x}+{key64}"


def parse_signer_key(text: str) -> Signer:
    """Parse a Go-format signer key; the key ID must match the derived public key."""
    if not isinstance(text, str) or len(text) > 4096:
        raise FormatError("signer key is not a string of at most 4096 characters")
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise FormatError("signer key does not have the form PRIVATE+KEY+name+keyid+key")
    _, _, name, hex8, key64 = parts
    check_key_name(name)
    if not _HEX8_RE.fullmatch(hex8):
        raise FormatError(f"signer key ID {hex8!r} is not 8 lowercase hex digits")
    raw = decode_base64(key64, "signer key")
    if len(raw) != 33 or raw[0] != SIG_ED25519:
        raise FormatError("signer key is not type 0x01 followed by a 32-byte Ed25519 seed")
    signer = Signer(name, raw[1:])
    if signer.key_id != int(hex8, 16):
        raise FormatError(f"signer key ID {hex8} does not match its key ({signer.key_id:08x})")
    return signer


# -- notes -----------------------------------------------------------------------------


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
    decoded = _decode_utf8(text, "note text")
    _check_text_chars(decoded, "note text")
    return decoded


def parse_note(data: bytes) -> Note:
    """Strictly parse a signed note. Raises FormatError naming the defect."""
    if not isinstance(data, bytes | bytearray):
        raise FormatError("a note must be bytes")
    if len(data) > MAX_NOTE_SIZE:
        raise FormatError(f"note is {len(data)} bytes, more than {MAX_NOTE_SIZE}")
    data = bytes(data)
    decoded = _decode_utf8(data, "note")
    _check_text_chars(decoded, "note")
    split = data.rfind(b"\n\n")
    if split < 0:
        raise FormatError("note has no blank line before its signatures")
    text, sig_block = data[: split + 1], data[split + 2 :]
    if not sig_block or not sig_block.endswith(b"\n"):
        raise FormatError("note signature block is empty or lacks its final newline")
    lines = sig_block.decode("utf-8")[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise FormatError(f"signature line does not start with '— ': {line[:80]!r}")
    name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if not sep:
        raise FormatError(f"signature line has no space after the key name: {line[:80]!r}")
    check_key_name(name)
    raw = decode_base64(b64, f"signature of {name!r}")
    if len(raw) < 5:
        raise FormatError(f"signature of {name!r} is {len(raw)} bytes, fewer than 5")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


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

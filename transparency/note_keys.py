"""Keys of C2SP signed notes: key IDs, verifier keys ("vkeys") and Ed25519 signer keys.

c2sp.org/signed-note v1.0.0 (C2SP commit 5ba5ee83): key ID =
SHA-256(name || 0x0A || type || public key)[:4], big-endian; a verifier key is
"<name>+<8 lowercase hex key ID>+base64(type || key)"; a signer key has the Go
sumdb/note form "PRIVATE+KEY+<name>+<hex8>+base64(0x01 || seed)".

Signature types: 0x01 Ed25519 is what fairdraw signs with. So that auditors can
check other logs' checkpoints (and because the shared vectors hold them), we
also *verify* 0x02 ECDSA P-256 (transparency-dev/witness; key = DER SPKI, key
ID = SHA-256(SPKI)[:4], signature = ASN.1 DER over SHA-256(text)) and 0x05
RFC 6962 TreeHeadSignature (static-ct-api; key ID over SHA-256(SPKI), key
name must equal the checkpoint origin). Type 0x04 cosignature/v1 keys are
parsed here (so one vkey codec serves everyone) but verified by
`witnesses.cosignature`, which passes its own `NoteVerifier` objects to
`transparency.note.open_note`. Left out: 0x03, 0x06 ML-DSA-44 and the 0xff
escape (a vkey of those types is a FormatError). Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from transparency.c2sp_codec import check_key_name, decode_base64, encode_base64, parse_decimal
from transparency.errors import FormatError, SignatureError
from transparency.signature_line import NoteSignature

SIG_ED25519 = 0x01
SIG_ECDSA = 0x02
SIG_COSIGNATURE_V1 = 0x04
SIG_RFC6962 = 0x05
KNOWN_SIG_TYPES = frozenset({SIG_ED25519, SIG_ECDSA, SIG_COSIGNATURE_V1, SIG_RFC6962})

_HEX8_RE = re.compile(r"[0-9a-f]{8}")


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

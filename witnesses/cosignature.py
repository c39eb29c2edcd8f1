"""C2SP tlog-cosignature v1.0.1, the Ed25519 `cosignature/v1` format (type 0x04).

A cosignature is a signed-note signature line on a checkpoint:

    — <cosigner name> base64(key_id[4] || timestamp u64 big-endian || Ed25519 sig[64])

over the message

    "cosignature/v1\\n" "time " <decimal timestamp> "\\n" <checkpoint note text>

with key id = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] and
cosigner verifier key `name+<8 hex key id>+base64(0x04 || public key)`.

Pure: the time of signing is a parameter, keys are values. Parsing is strict:
canonical base64 (re-encodes identically), 8 lowercase hex digits for the key
id, exactly 76 payload bytes, timestamp ≤ 2^63−1 and (as C2SP HEAD requires of
witnesses) non-zero.

Left out on purpose: ML-DSA-44 cosignatures (type 0x06, only in the HEAD draft
v1.1.0-rc) and the `subtree/v1` message; we sign and verify Ed25519 only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from transparency.c2sp_codec import check_key_name
from transparency.errors import FormatError
from transparency.note_keys import Signer
from transparency.signature_line import NoteSignature
from witnesses.errors import CosignatureFormatError, CosignatureVerificationError

COSIGNATURE_V1_TYPE = 0x04
ED25519_TYPE = 0x01
MAX_TIMESTAMP = 2**63 - 1
PAYLOAD_SIZE = 4 + 8 + 64
_EM_DASH = "\u2014"
_HEX8 = re.compile(r"[0-9a-f]{8}")
_MAX_LINE = 1024


def _utc(seconds: int) -> str:
    """RFC 3339 UTC for a message (the raw number if it is outside years 1970-9999)."""
    if not 0 <= seconds < 253_402_300_800:
        return str(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 with padding: decodes AND re-encodes to the same text."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise CosignatureFormatError(f"{what} is not valid base64: {text[:40]!r}") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise CosignatureFormatError(f"{what} is not canonical base64: {text[:40]!r}")
    return raw


def _check_name(name: str) -> None:
    # SPEC(signed-note): key names are non-empty, contain no Unicode spaces and no "+";
    # the one rule of transparency.c2sp_codec (which also refuses controls and U+FEFF).
    try:
        check_key_name(name)
    except FormatError as e:
        raise CosignatureFormatError(f"invalid key name {name!r}: {e}") from e


def cosigner_key_id(name: str, public_key: bytes) -> int:
    """SPEC(tlog-cosignature): key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_V1_TYPE]) + public_key
    ).digest()
    return int.from_bytes(digest[:4], "big")


def cosigned_message(checkpoint_body: bytes, timestamp: int) -> bytes:
    """SPEC(tlog-cosignature): "cosignature/v1\\ntime <ts>\\n" followed by the whole note text."""
    _check_timestamp(timestamp)
    if not checkpoint_body.endswith(b"\n"):
        raise CosignatureFormatError("checkpoint body must end with a newline")
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + checkpoint_body


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise CosignatureFormatError(f"timestamp must be an int, got {type(timestamp).__name__}")
    # SPEC(tlog-cosignature): the timestamp MUST be at most 2^63-1.
    # SPEC(tlog-witness HEAD): the timestamp MUST NOT be 0.
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise CosignatureFormatError(f"timestamp {timestamp} is outside 1..2^63-1")


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public cosigning key (the verifier side)."""

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise CosignatureFormatError(
                f"Ed25519 public key must be 32 bytes, got {len(self.public_key)}"
            )
        expected = cosigner_key_id(self.name, self.public_key)
        if self.key_id != expected:
            raise CosignatureFormatError(
                f"key id {self.key_id:08x} does not match the key (expected {expected:08x})"
            )

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> CosignerKey:
        return cls(name, cosigner_key_id(name, public_key), bytes(public_key))

    @property
    def vkey(self) -> str:
        return format_cosigner_key(self)

    def check(self, checkpoint_body: bytes, cosignature: Cosignature) -> int:
        """Verify one parsed cosignature; return its timestamp. Raises, never returns False."""
        if cosignature.name != self.name or cosignature.key_id != self.key_id:
            raise CosignatureVerificationError(
                f"cosignature is by {cosignature.name}+{cosignature.key_id:08x}, not by this key",
                name=self.name,
                key_id=self.key_id,
            )
        message = cosigned_message(checkpoint_body, cosignature.timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                cosignature.signature, message
            )
        except InvalidSignature as e:
            raise CosignatureVerificationError(
                f"Ed25519 signature does not verify for timestamp {cosignature.timestamp} "
                f"({_utc(cosignature.timestamp)})",
                name=self.name,
                key_id=self.key_id,
            ) from e
        return cosignature.timestamp

    def verify(self, message: bytes, signature: bytes) -> None:
        """transparency.note_keys.NoteVerifier: `message` is the note text, `signature` the
        72 bytes after the key id. Lets `open_note` check cosignatures like any signature."""
        try:
            timestamp = timestamp_from_signature(signature)
            cosignature = Cosignature(self.name, self.key_id, timestamp, signature[8:])
        except CosignatureFormatError as e:
            raise CosignatureVerificationError(
                f"malformed cosignature: {e}", name=self.name, key_id=self.key_id
            ) from e
        self.check(message, cosignature)


def _split_vkey(vkey: str, what: str) -> tuple[str, str, bytes]:
    """`name+hex8+base64` -> (name, hex8, decoded key); `what` names the key in errors."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise CosignatureFormatError(f"{what} must be name+id+key: {vkey!r}")
    name, hex_id, b64 = parts
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise CosignatureFormatError(f"key id must be 8 lowercase hex digits: {hex_id!r}")
    return name, hex_id, _b64decode(b64, what)


def parse_cosigner_key(vkey: str) -> CosignerKey:
    """Parse `name+hex8+base64(0x04 || key)`; anything else raises CosignatureFormatError."""
    if not isinstance(vkey, str) or len(vkey) > _MAX_LINE:
        raise CosignatureFormatError("cosigner key must be a string of at most 1024 characters")
    name, hex_id, raw = _split_vkey(vkey, "cosigner key")
    if not raw or raw[0] != COSIGNATURE_V1_TYPE:
        kind = f"0x{raw[0]:02x}" if raw else "nothing"
        raise CosignatureFormatError(f"cosigner key must have type 0x04, got {kind}")
    return CosignerKey(name, int(hex_id, 16), raw[1:])


def format_cosigner_key(key: CosignerKey) -> str:
    encoded = base64.b64encode(bytes([COSIGNATURE_V1_TYPE]) + key.public_key).decode("ascii")
    return f"{key.name}+{key.key_id:08x}+{encoded}"


def cosigner_key_from_ed25519_vkey(vkey: str) -> CosignerKey:
    """Convert a witness key published as a type-0x01 vkey (Armored Witness style) to its
    cosignature/v1 key: same name and Ed25519 key, key id recomputed over type 0x04."""
    name, hex_id, raw = _split_vkey(vkey, "verifier key")
    if len(raw) != 33 or raw[0] != ED25519_TYPE:
        raise CosignatureFormatError("expected a type 0x01 Ed25519 verifier key")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + raw).digest()
    if int(hex_id, 16) != int.from_bytes(digest[:4], "big"):
        raise CosignatureFormatError(f"key id {hex_id} does not match the Ed25519 key")
    return CosignerKey.from_public_key(name, raw[1:])


@dataclass(frozen=True)
class Cosignature:
    """One parsed cosignature/v1 signature line."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_timestamp(self.timestamp)
        if len(self.signature) != 64:
            raise CosignatureFormatError(
                f"Ed25519 signature must be 64 bytes, got {len(self.signature)}"
            )

    @property
    def payload(self) -> bytes:
        """The bytes after the key id in the note signature: timestamp || signature."""
        return self.timestamp.to_bytes(8, "big") + self.signature

    def to_note_signature(self) -> NoteSignature:
        return NoteSignature(self.name, self.key_id, self.payload)

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        """Read a parsed note signature line as a cosignature/v1 (raises if it is not one)."""
        return cls(sig.name, sig.key_id, timestamp_from_signature(sig.signature), sig.signature[8:])


def timestamp_from_signature(payload: bytes) -> int:
    """The timestamp of a timestamped_signature (the 72 bytes after the key id)."""
    if len(payload) != 8 + 64:
        raise CosignatureFormatError(
            f"a cosignature/v1 signature is 72 bytes after the key id, got {len(payload)}"
        )
    timestamp = int.from_bytes(payload[:8], "big")
    _check_timestamp(timestamp)
    return timestamp


def parse_cosignature_line(line: str) -> Cosignature:
    """Parse `— name base64(...)` with or without its final newline. Strict."""
    if not isinstance(line, str) or len(line) > _MAX_LINE:
        raise CosignatureFormatError("signature line must be a string of at most 1024 characters")
    if line.endswith("\n"):
        line = line[:-1]
    if "\n" in line:
        raise CosignatureFormatError("signature line contains more than one line")
    # SPEC(signed-note): a signature line is "— " name " " base64 signature.
    if not line.startswith(_EM_DASH + " "):
        raise CosignatureFormatError("signature line must start with an em dash and a space")
    rest = line[2:]
    name, sep, b64 = rest.partition(" ")
    if not sep or " " in b64:
        raise CosignatureFormatError("signature line must be '— <name> <base64>'")
    _check_name(name)
    raw = _b64decode(b64, "signature")
    if len(raw) != PAYLOAD_SIZE:
        raise CosignatureFormatError(
            f"a cosignature/v1 line carries {PAYLOAD_SIZE} bytes, got {len(raw)}"
        )
    key_id = int.from_bytes(raw[:4], "big")
    return Cosignature(name, key_id, timestamp_from_signature(raw[4:]), raw[12:])


def format_cosignature_line(cosignature: Cosignature) -> str:
    payload = cosignature.key_id.to_bytes(4, "big") + cosignature.payload
    return f"{_EM_DASH} {cosignature.name} {base64.b64encode(payload).decode('ascii')}\n"


def verify_cosignature(vkey: str, checkpoint_body: bytes, signature_line: str) -> int:
    """Verify a cosignature/v1 line by the witness `vkey` on `checkpoint_body`.

    Returns the verified timestamp (POSIX seconds); raises CosignatureFormatError
    for anything malformed and CosignatureVerificationError when the line is by
    another key or the signature does not verify."""
    key = parse_cosigner_key(vkey)
    return key.check(checkpoint_body, parse_cosignature_line(signature_line))


@dataclass(frozen=True)
class Cosigner:
    """A witness's private cosigning key: name + 32-byte Ed25519 seed."""

    name: str
    private_key: bytes = field(repr=False)

    @classmethod
    def from_signer(cls, signer: Signer) -> Cosigner:
        """The same Ed25519 key used for cosignature/v1 (key id recomputed over type 0x04)."""
        return cls(signer.name, signer.private_key)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.private_key) != 32:
            raise CosignatureFormatError("Ed25519 seed must be 32 bytes")

    @property
    def public_key(self) -> bytes:
        return (
            Ed25519PrivateKey.from_private_bytes(self.private_key)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    @property
    def key(self) -> CosignerKey:
        return CosignerKey.from_public_key(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        return format_cosigner_key(self.key)

    def cosign(self, checkpoint_body: bytes, *, timestamp: int) -> Cosignature:
        """Cosign a checkpoint body as of `timestamp` (POSIX seconds; a parameter, no clock)."""
        message = cosigned_message(checkpoint_body, timestamp)
        signature = Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message)
        return Cosignature(self.name, self.key.key_id, timestamp, signature)

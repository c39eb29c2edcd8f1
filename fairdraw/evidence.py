"""Evidence files of inspection outcomes: their SHA-256, as `inspection.outcome` entries
carry it (DESIGN §4 Entries: `evidence_sha256`, lowercase hex).

`hash_files` reads each file in 1 MiB pieces (a photo or a scanned record may be large)
and returns `(path, digest, size)` for all of them, or raises `EvidenceError` naming the
first file that cannot be read: all or nothing, so a command never prints half a list.
The portal computes the same digest in the browser (public_portal/static/assets/
evidence-check.js, over js/hashing.js); the file never leaves the machine either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fairdraw.errors import FairdrawError

CHUNK = 1 << 20


class EvidenceError(FairdrawError, ValueError):
    """A file could not be hashed; the message names it."""


@dataclass(frozen=True)
class EvidenceDigest:
    path: Path
    sha256: str
    size: int


def hash_file(path: Path) -> EvidenceDigest:
    digest = hashlib.sha256()
    size = 0
    try:
        if not path.is_file():
            raise EvidenceError(f"{path}: not a regular file")
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as e:
        raise EvidenceError(f"{path}: cannot read: {e.strerror or e}") from e
    return EvidenceDigest(path, digest.hexdigest(), size)


def hash_files(paths: Sequence[Path]) -> list[EvidenceDigest]:
    if not paths:
        raise EvidenceError("no file given")
    return [hash_file(p) for p in paths]

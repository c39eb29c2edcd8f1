"""The verifying client's local state: per (origin, log key), the largest verified checkpoint.

So that a log can never roll back or fork on this client (DESIGN §1, issue 6
item 4, issue 12 point 6), every run compares the portal's current checkpoint
with the one it verified last time for the same log, before trusting anything
else. A log is identified by its origin AND the key id of the log key that
signed the checkpoint (signed-note key id, 8 hex digits): two demos share an
origin-like name but never a key, so they are two logs (issue 13 point 2).
For each log the state remembers the trust.json fingerprint it was verified
with (`fairdraw.trust.trust_fingerprint`) and the largest checkpoint seen:

* another trust.json fingerprint for the same (origin, key) → `TrustChangedError`;
* a smaller tree size is a rollback;
* the same size with another root is a fork;
* a larger size must be consistent: an RFC 9162 consistency proof built from
  the portal's own tiles must link the old root to the new one.

`compare_memory` is the pure part of that decision, held equal to the browser's
`compareMemory` (public_portal/static/js/trustroot.js) by
tests/vectors/trust/memory.json. Failures raise `RollbackOrForkError` carrying
BOTH signed checkpoints (the stored note and the newly served one): together
they are the evidence a citizen hands to the witnesses or the press; its
message names the command that forgets the log (`fairdraw state forget`).

The state file (docs/clients.md "State file") is JSON, version 2:
`{"version": 2, "logs": [{"origin", "key_id", "log_key", "trust_fingerprint",
"checkpoint", "tree_size", "root_hash", "seen_at"}]}`, written atomically and only
after the new checkpoint verified. A version 1 file (keyed by origin only) is
read and converted: one record per log key id that signed its checkpoint, with
no fingerprint (adopted on the next verified run); it is written back as
version 2 at the next save. Left out: locking against two concurrent clients
sharing one file (the last writer wins; both had verified).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairdraw.portal_source import ClientError, TileReader
from transparency.checkpoint import Checkpoint, parse_checkpoint
from transparency.errors import TransparencyError, VerificationError
from transparency.merkle import verify_consistency
from transparency.note import MAX_NOTE_SIZE, parse_note
from transparency.note_keys import parse_verifier_key

STATE_VERSION = 2
MAX_STATE_SIZE = 16 * 1024 * 1024
RED = ("trust-changed", "rollback", "fork")
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class StateFileError(ClientError):
    """The state file is unreadable or malformed (it is never silently reset)."""


# -- the pure comparison (same verdicts as trustroot.js compareMemory) --------------------


@dataclass(frozen=True)
class MemoryComparison:
    status: str  # new | same | extends | trust-changed | rollback | fork
    reason: str  # starts with "<status>: "

    @property
    def red(self) -> bool:
        return self.status in RED


def compare_memory(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> MemoryComparison:
    """The remembered record of one (origin, key id) against the verified current one.

    Records carry `origin, key_id, trust_fingerprint, tree_size, root_hash` (hex).
    A previous record without a fingerprint (migrated from version 1) adopts the
    current one; its checkpoint is still compared. `extends` means: verify a
    consistency proof before remembering."""
    now = current["tree_size"]
    if previous is None:
        return MemoryComparison(
            "new",
            f"new: first time this client sees log {current['origin']} (key "
            f"{current['key_id']}) at size {now}",
        )
    if (previous["origin"], previous["key_id"]) != (current["origin"], current["key_id"]):
        raise ValueError(
            f"records of different logs compared: {previous['origin']} {previous['key_id']} "
            f"vs {current['origin']} {current['key_id']}"
        )
    before = previous["tree_size"]
    seen = f"size {before} root {previous['root_hash']}"
    served = f"size {now} root {current['root_hash']}"
    old_fp = previous.get("trust_fingerprint")
    if old_fp is not None and old_fp != current["trust_fingerprint"]:
        return MemoryComparison(
            "trust-changed",
            f"trust-changed: trust.json of log {current['origin']} changed under the same log "
            f"key: remembered fingerprint {str(old_fp)[:16]}, now "
            f"{str(current['trust_fingerprint'])[:16]}; compare it with the fingerprint the "
            "detachment publishes",
        )
    if now < before:
        return MemoryComparison(
            "rollback", f"rollback: the log rolled back: saw {seen}, now {served}"
        )
    if now == before:
        if previous["root_hash"] != current["root_hash"]:
            return MemoryComparison(
                "fork", f"fork: the log forked (same size, another root): saw {seen}, now {served}"
            )
        return MemoryComparison("same", f"same: the checkpoint seen before ({served})")
    return MemoryComparison(
        "extends",
        f"extends: the log grew from {seen} to {served}; check consistency before remembering",
    )


# -- errors ----------------------------------------------------------------------------


class RollbackOrForkError(ClientError):
    """The portal serves a checkpoint that is not an extension of one seen before."""

    def __init__(
        self,
        message: str,
        *,
        origin: str,
        previous_note: bytes,
        current_note: bytes,
        previous: Checkpoint,
        current: Checkpoint,
        detail: str = "",
        key_id: str = "",
        state_path: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.origin = origin
        self.previous_note = previous_note
        self.current_note = current_note
        self.previous = previous
        self.current = current
        self.detail = detail
        self.key_id = key_id
        self.state_path = state_path

    @property
    def forget_command(self) -> str:
        key = f" --key {self.key_id}" if self.key_id else ""
        state = f" --state {self.state_path}" if self.state_path is not None else ""
        return f"fairdraw state forget {self.origin}{key}{state}"

    def __str__(self) -> str:
        return (
            f"{self.args[0]}: saw size {self.previous.tree_size} root "
            f"{self.previous.root_hash.hex()}, now size {self.current.tree_size} root "
            f"{self.current.root_hash.hex()}" + (f" ({self.detail})" if self.detail else "")
            + f". If you know why (e.g. a demo or test log was re-created under the same "
            f"name and key), forget it with: {self.forget_command}"
        )

    def evidence(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "key_id": self.key_id,
            "previous_checkpoint": self.previous_note.decode("utf-8"),
            "current_checkpoint": self.current_note.decode("utf-8"),
            "forget": self.forget_command,
        }


class TrustChangedError(RollbackOrForkError):
    """Another trust.json for a log this client verified before under the same key."""

    def __init__(self, message: str, *, previous_fingerprint: str, current_fingerprint: str,
                 **kw: Any) -> None:
        super().__init__(message, **kw)
        self.previous_fingerprint = previous_fingerprint
        self.current_fingerprint = current_fingerprint

    def evidence(self) -> dict[str, Any]:
        return {
            **super().evidence(),
            "previous_trust_fingerprint": self.previous_fingerprint,
            "current_trust_fingerprint": self.current_fingerprint,
        }


# -- the state file ----------------------------------------------------------------------


def default_state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "fairdraw" / "client-state.json"


def _body(note: bytes) -> Checkpoint:
    return parse_checkpoint(parse_note(note).text)


def log_key_ids(note: bytes, origin: str) -> list[str]:
    """Key ids (8 hex) of the signatures in `note` made under the log's own name."""
    ids = []
    for sig in parse_note(note).signatures:
        kid = f"{sig.key_id:08x}"
        if sig.name == origin and kid not in ids:
            ids.append(kid)
    return ids


def key_id_of(vkey: str) -> str:
    """The signed-note key id (8 hex) of a log verifier key."""
    return f"{parse_verifier_key(vkey).key_id:08x}"


def _check_record(rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise ValueError("a log record must be an object")
    origin, kid, fp = rec.get("origin"), rec.get("key_id"), rec.get("trust_fingerprint")
    if not isinstance(origin, str) or not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
        raise ValueError("a log record needs origin and key_id (8 lowercase hex)")
    if fp is not None and (not isinstance(fp, str) or not _HEX64.fullmatch(fp)):
        raise ValueError(f"trust_fingerprint of {origin!r} is not 64 lowercase hex")
    if rec.get("log_key") is not None and key_id_of(rec["log_key"]) != kid:
        raise ValueError(f"log_key of {origin!r} does not have key id {kid}")
    note = rec["checkpoint"].encode("utf-8")
    cp = _body(note) if len(note) <= MAX_NOTE_SIZE else None
    if cp is None or cp.origin != origin or kid not in log_key_ids(note, origin):
        raise ValueError(f"checkpoint stored for {origin!r} {kid} is not signed by that log key")
    return {**rec, "tree_size": cp.tree_size, "root_hash": cp.root_hash.hex()}


def _migrate_v1(logs: Any) -> list[dict[str, Any]]:
    """Version 1 (`{"logs": {origin: {"checkpoint", "tree_size", "seen_at"}}}`) → records."""
    if not isinstance(logs, dict):
        raise ValueError("version 1 'logs' must be an object")
    records = []
    for origin, rec in logs.items():
        note = rec["checkpoint"]
        for kid in log_key_ids(note.encode("utf-8"), origin):
            records.append(_check_record({
                "origin": origin, "key_id": kid, "log_key": None, "trust_fingerprint": None,
                "checkpoint": note, "seen_at": rec.get("seen_at"),
            }))
    return records


@dataclass
class ClientState:
    path: Path
    records: list[dict[str, Any]]
    migrated_from: int | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ClientState:
        p = Path(path)
        try:
            with open(p, "rb") as f:
                data = f.read(MAX_STATE_SIZE + 1)
        except FileNotFoundError:
            return cls(p, [])
        except OSError as e:
            raise StateFileError(f"cannot read state file {p}: {e.strerror or e}") from e
        if len(data) > MAX_STATE_SIZE:
            raise StateFileError(f"state file {p} is larger than {MAX_STATE_SIZE} bytes")
        try:
            obj = json.loads(data)
            version = obj.get("version")
            if version == 1:
                return cls(p, _migrate_v1(obj.get("logs")), migrated_from=1)
            if version != STATE_VERSION or not isinstance(obj.get("logs"), list):
                raise ValueError(f"unknown version {version!r} or no 'logs' list (this fairdraw "
                                 f"reads versions 1 and {STATE_VERSION})")
            records = [_check_record(r) for r in obj["logs"]]
            keys = [(r["origin"], r["key_id"]) for r in records]
            if len(set(keys)) != len(keys):
                raise ValueError("two records for one (origin, key_id)")
        except (ValueError, KeyError, TypeError, AttributeError, TransparencyError) as e:
            raise StateFileError(
                f"state file {p} is malformed: {e}. Move it away to start afresh (this client "
                "then forgets every log it has seen)"
            ) from e
        return cls(p, records)

    # -- queries ------------------------------------------------------------------------

    def find(self, origin: str, key_id: str) -> dict[str, Any] | None:
        for rec in self.records:
            if rec["origin"] == origin and rec["key_id"] == key_id:
                return rec
        return None

    def others(self, origin: str, key_id: str) -> list[dict[str, Any]]:
        """Records of the same origin under other log keys (a new key is a new log)."""
        return [r for r in self.records if r["origin"] == origin and r["key_id"] != key_id]

    def last_checkpoint(self, origin: str, key_id: str) -> bytes | None:
        rec = self.find(origin, key_id)
        return rec["checkpoint"].encode("utf-8") if rec else None

    # -- the check ------------------------------------------------------------------------

    def check(
        self,
        note: bytes,
        current: Checkpoint,
        reader: TileReader,
        *,
        key_id: str | None = None,
        trust_fingerprint: str | None = None,
    ) -> MemoryComparison:
        """Raise RollbackOrForkError unless `current` (verified, served with `reader`'s tiles)
        extends the checkpoint last seen for its (origin, key id) under the same trust.json.

        `key_id`: of the log key that verified `note` (default: its first signature under the
        log's name)."""
        kid = key_id or _first_key_id(note, current.origin)
        rec = self.find(current.origin, kid)
        verdict = compare_memory(rec, _memory(current, kid, trust_fingerprint))
        if rec is None or verdict.status == "same":
            return verdict
        old_note = rec["checkpoint"].encode("utf-8")
        old = _body(old_note)
        evidence: dict[str, Any] = {
            "origin": current.origin, "previous_note": old_note, "current_note": note,
            "previous": old, "current": current, "key_id": kid, "state_path": self.path,
        }
        if verdict.status == "trust-changed":
            raise TrustChangedError(
                f"trust.json changed for log {current.origin} (key {kid}): this client verified "
                f"it with trust fingerprint {rec['trust_fingerprint']}, now "
                f"{trust_fingerprint}; compare both with the fingerprint the detachment "
                "publishes",
                previous_fingerprint=rec["trust_fingerprint"],
                current_fingerprint=trust_fingerprint or "", **evidence)
        if verdict.status == "rollback":
            raise RollbackOrForkError("the log rolled back", **evidence)
        if verdict.status == "fork":
            raise RollbackOrForkError("the log forked: same tree size, different root",
                                      **evidence)
        if old.tree_size == 0:
            return verdict
        try:
            proof = reader.consistency_proof(old.tree_size)
            verify_consistency(
                old.tree_size, current.tree_size, proof, old.root_hash, current.root_hash
            )
        except (VerificationError, TransparencyError, ClientError) as e:
            raise RollbackOrForkError(
                "the log forked: the new checkpoint is not consistent with the old one",
                detail=str(e), **evidence,
            ) from e
        return verdict

    def remember(
        self,
        note: bytes,
        *,
        now: int,
        key_id: str | None = None,
        log_key: str | None = None,
        trust_fingerprint: str | None = None,
    ) -> None:
        """Store `note` for its (origin, key id) if it is larger than the one remembered, and
        the trust fingerprint if none was remembered (call only after `check` passed)."""
        cp = _body(note)
        kid = key_id or (key_id_of(log_key) if log_key else _first_key_id(note, cp.origin))
        rec = self.find(cp.origin, kid)
        if rec is not None:
            grew = cp.tree_size > rec["tree_size"]
            adopt = rec.get("trust_fingerprint") is None and trust_fingerprint is not None
            if not grew and not adopt and self.migrated_from is None:
                return
            if grew:
                rec.update(checkpoint=note.decode("utf-8"), tree_size=cp.tree_size,
                           root_hash=cp.root_hash.hex(), seen_at=now)
            if adopt:
                rec["trust_fingerprint"] = trust_fingerprint
            if rec.get("log_key") is None and log_key is not None:
                rec["log_key"] = log_key
        else:
            self.records.append({
                "origin": cp.origin, "key_id": kid, "log_key": log_key,
                "trust_fingerprint": trust_fingerprint, "checkpoint": note.decode("utf-8"),
                "tree_size": cp.tree_size, "root_hash": cp.root_hash.hex(), "seen_at": now,
            })
        self.save()

    def forget(self, origin: str, key: str | None = None) -> list[dict[str, Any]]:
        """Drop the records of `origin` (only the one of `key`: a key id or a log vkey) and
        save; returns what was dropped."""
        kid = None if key is None else (key if _KEY_ID.fullmatch(key) else key_id_of(key))
        dropped = [r for r in self.records
                   if r["origin"] == origin and (kid is None or r["key_id"] == kid)]
        if dropped:
            self.records = [r for r in self.records if not any(r is d for d in dropped)]
            self.save()
        return dropped

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"version": STATE_VERSION, "logs": self.records}, indent=1,
                          ensure_ascii=False).encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.migrated_from = None


def _first_key_id(note: bytes, origin: str) -> str:
    ids = log_key_ids(note, origin)
    if not ids:
        raise StateFileError(f"checkpoint of {origin!r} carries no signature under its own name")
    return ids[0]


def _memory(cp: Checkpoint, key_id: str, fingerprint: str | None) -> dict[str, Any]:
    return {"origin": cp.origin, "key_id": key_id, "trust_fingerprint": fingerprint,
            "tree_size": cp.tree_size, "root_hash": cp.root_hash.hex()}

"""The log-side witness client: collect cosignatures for a freshly signed checkpoint.

`Collector.collect(checkpoint_note, consistency_proof)` sends the checkpoint to
every configured witness concurrently over C2SP tlog-witness
`POST <url>/add-checkpoint` and returns the note with the cosignatures
attached, but only if they satisfy the policy; otherwise it raises
CollectionError with one reason per witness that did not contribute.

Following the lessons of Tessera (docs/spec/witness.md §6):
* `old` is what each witness last cosigned for us (cached per witness); `old 0`
  only when unknown. A 409 carries the witness's size: we retry with it (at
  most `max_conflict_retries` times), unless that size is larger than ours (the
  witness saw a bigger tree: a fork or a rollback of ours) or equal to what we
  sent (a v1.0.0 witness reporting a root mismatch).
* 403/404 mean "not configured/not accepted", 422 means the witness refuses
  this history: never retried.
* Only cosignature lines from the witness's configured key are kept, and each
  is verified; a witness cannot stuff the checkpoint.
* Timeouts, refused connections and 5xx are reasons, never crashes.

Independent of log storage: it takes note bytes and a `consistency_proof(old,
new) -> list[bytes]` callable. Storing and publishing the cosigned checkpoint
is the caller's job (the log's sequencer/service).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from transparency.checkpoint import parse_checkpoint
from transparency.errors import TransparencyError
from transparency.note import append_signatures, parse_note
from transparency.signature_line import NoteSignature
from witnesses.cosignature import CosignerKey, parse_cosignature_line, parse_cosigner_key
from witnesses.errors import (
    CollectionError,
    CosignatureFormatError,
    CosignatureVerificationError,
    PolicyNotMetError,
)
from witnesses.policy import Policy
from witnesses.state import AddCheckpointRequest, format_add_checkpoint_request

log = logging.getLogger("fairdraw.witness.collector")
_SIZE_BODY = re.compile(r"(0|[1-9][0-9]{0,18})\n")
MAX_RESPONSE = 64 * 1024

ProofFunc = Callable[[int, int], Sequence[bytes]]


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log asks: its submission prefix URL and cosigner vkey (type 0x04)."""

    url: str
    vkey: str

    @property
    def key(self) -> CosignerKey:
        return parse_cosigner_key(self.vkey)

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True)
class WitnessOutcome:
    """What happened with one witness for one checkpoint (for logs and the status endpoint)."""

    witness: str
    ok: bool
    detail: str
    status: int | None
    tree_size: int
    elapsed: float


class _Refused(Exception):  # noqa: N818 (internal control flow)
    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status


class Collector:
    """Collects cosignatures from `witnesses` until `policy` is met (or says why not)."""

    def __init__(
        self,
        witnesses: Sequence[WitnessEndpoint],
        policy: Policy,
        *,
        timeout: float = 5.0,
        max_conflict_retries: int = 2,
        known_sizes: MutableMapping[str, int] | None = None,
    ) -> None:
        if not witnesses:
            raise ValueError("a collector needs at least one witness")
        self.witnesses = tuple(witnesses)
        self.keys = {w.url: w.key for w in self.witnesses}
        self.policy = policy
        self.timeout = timeout
        self.max_conflict_retries = max_conflict_retries
        self.known_sizes: MutableMapping[str, int] = known_sizes if known_sizes is not None else {}
        self.last_outcomes: dict[str, WitnessOutcome] = {}
        self._sessions = {w.url: requests.Session() for w in self.witnesses}
        self._pool = ThreadPoolExecutor(max_workers=len(self.witnesses))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        for s in self._sessions.values():
            s.close()

    def status(self) -> dict[str, dict[str, object]]:
        """Per witness: last outcome and last known cosigned size (operator status endpoint)."""
        out: dict[str, dict[str, object]] = {}
        for w in self.witnesses:
            o = self.last_outcomes.get(w.url)
            out[w.url] = {
                "name": w.name,
                "known_size": self.known_sizes.get(w.url),
                "ok": o.ok if o else None,
                "detail": o.detail if o else "never contacted",
                "status": o.status if o else None,
                "tree_size": o.tree_size if o else None,
            }
        return out

    def collect(self, checkpoint_note: bytes, consistency_proof: ProofFunc) -> bytes:
        """Return `checkpoint_note` plus verified cosignatures meeting the policy, or raise
        CollectionError naming, per witness, why it did not contribute."""
        with self._lock:
            note = parse_note(checkpoint_note)
            tree_size = parse_checkpoint(note.text).tree_size
            futures = {
                w.url: self._pool.submit(
                    self._ask, w, checkpoint_note, note.text, tree_size, consistency_proof
                )
                for w in self.witnesses
            }
            lines: list[NoteSignature] = []
            reasons: dict[str, str] = {}
            for w in self.witnesses:
                outcome, got = futures[w.url].result()
                self.last_outcomes[w.url] = outcome
                if outcome.ok:
                    lines.extend(got)
                else:
                    reasons[w.name] = outcome.detail
                    log.warning("witness %s (%s): %s", w.name, w.url, outcome.detail)
            cosigned = append_signatures(checkpoint_note, lines) if lines else checkpoint_note
            try:
                self.policy.check(cosigned)
            except PolicyNotMetError as e:
                for name, why in e.reasons.items():
                    reasons.setdefault(self.policy.witness(name).key.name, why)
                raise CollectionError(
                    f"witness policy not met for tree size {tree_size}", reasons=reasons
                ) from e
            return cosigned

    def _ask(
        self,
        w: WitnessEndpoint,
        note_bytes: bytes,
        body: bytes,
        tree_size: int,
        consistency_proof: ProofFunc,
    ) -> tuple[WitnessOutcome, list[NoteSignature]]:
        start = time.perf_counter()
        try:
            lines = self._exchange(w, note_bytes, body, tree_size, consistency_proof)
        except _Refused as e:
            elapsed = time.perf_counter() - start
            return WitnessOutcome(w.name, False, str(e), e.status, tree_size, elapsed), []
        elapsed = time.perf_counter() - start
        return WitnessOutcome(w.name, True, "cosigned", 200, tree_size, elapsed), lines

    def _exchange(
        self,
        w: WitnessEndpoint,
        note_bytes: bytes,
        body: bytes,
        tree_size: int,
        consistency_proof: ProofFunc,
    ) -> list[NoteSignature]:
        old = self.known_sizes.get(w.url, 0)
        for _ in range(self.max_conflict_retries + 1):
            if old > tree_size:
                raise _Refused(
                    f"witness has cosigned size {old}, larger than this checkpoint's "
                    f"{tree_size}: fork or rollback of the log"
                )
            proof = list(consistency_proof(old, tree_size)) if 0 < old < tree_size else []
            request = format_add_checkpoint_request(
                AddCheckpointRequest(old, tuple(proof), note_bytes)
            )
            status, text, ctype = self._post(w, request)
            if status == 200:
                lines = self._verified_lines(w, body, text)
                self.known_sizes[w.url] = tree_size
                return lines
            if status == 409:
                # SPEC(tlog-witness): 409 body = latest cosigned size + "\n" (text/x.tlog.size).
                match = _SIZE_BODY.fullmatch(text)
                if match is None or not ctype.startswith("text/x.tlog.size"):
                    raise _Refused(f"409 without a valid text/x.tlog.size body: {text[:60]!r}", 409)
                size = int(match.group(1))
                if size == old:
                    raise _Refused(f"409 at our own size {old}: root mismatch (fork?)", 409)
                self.known_sizes[w.url] = size
                old = size
                continue
            if status in (403, 404):
                why = f"{status}: witness does not accept this log: {text.strip()}"
                raise _Refused(why, status)
            if status == 422:
                raise _Refused(f"422: witness refuses this history: {text.strip()}", status)
            raise _Refused(f"HTTP {status}: {text.strip()[:200]}", status)
        raise _Refused(f"still 409 after {self.max_conflict_retries} retries", 409)

    def _post(self, w: WitnessEndpoint, request: bytes) -> tuple[int, str, str]:
        url = w.url.rstrip("/") + "/add-checkpoint"
        try:
            r = self._sessions[w.url].post(url, data=request, timeout=self.timeout)
        except requests.Timeout as e:
            raise _Refused(f"timed out after {self.timeout} s") from e
        except requests.RequestException as e:
            raise _Refused(f"unreachable: {type(e).__name__}") from e
        if len(r.content) > MAX_RESPONSE:
            raise _Refused(f"response larger than {MAX_RESPONSE} bytes", r.status_code)
        try:
            text = r.content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _Refused("response is not UTF-8", r.status_code) from e
        return r.status_code, text, r.headers.get("content-type", "")

    def _verified_lines(self, w: WitnessEndpoint, body: bytes, text: str) -> list[NoteSignature]:
        if not text.endswith("\n"):
            raise _Refused("200 response does not end with a newline", 200)
        key = self.keys[w.url]
        kept: list[NoteSignature] = []
        for line in text[:-1].split("\n"):
            try:
                cosig = parse_cosignature_line(line)
            except CosignatureFormatError:
                # SPEC(tlog-witness): the client MUST ignore cosignatures from unknown keys.
                continue
            if (cosig.name, cosig.key_id) != (key.name, key.key_id):
                continue  # not the configured key: never attached
            try:
                key.check(body, cosig)
            except (CosignatureVerificationError, TransparencyError) as e:
                why = f"cosignature from the configured key does not verify: {e}"
                raise _Refused(why, 200) from e
            kept.append(cosig.to_note_signature())
        if not kept:
            raise _Refused("200 response holds no cosignature from the configured key", 200)
        return kept


def endpoints_from_mapping(items: Mapping[str, str]) -> list[WitnessEndpoint]:
    """{url: vkey} -> endpoints (a convenience for configuration files)."""
    return [WitnessEndpoint(url, vkey) for url, vkey in items.items()]

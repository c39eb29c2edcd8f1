"""The report of one draw's verification: checks, verdict and evidence.

Spec: docs/spec/portal-js.md "Checks", docs/spec/verification.md. Each check is "pass", "fail" or
"skipped"; the verdict is "fail" if any check failed, else "pending" if any
was skipped, else "pass". A failed check keeps the error's message and its
evidence (expected vs computed values, bytes as hex) so that a report says
why, not only that. `CHECK_ERRORS` are the errors a check turns into "fail"
(shared by `fairdraw.verify` and `fairdraw.audit`); anything else is a bug and
propagates. Left out: printing (fairdraw/cli/client.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from draw_engine.beacon_errors import BeaconError
from draw_engine.errors import DrawEngineError
from draw_engine.history import DrawHistory
from fairdraw.portal_source import ClientError
from transparency.checkpoint import Checkpoint
from transparency.errors import TransparencyError
from witnesses.errors import WitnessError

PASS, FAIL, SKIPPED, PENDING = "pass", "fail", "skipped", "pending"
CHECK_ERRORS = (
    ClientError,
    TransparencyError,
    WitnessError,
    DrawEngineError,
    BeaconError,
    ValueError,
    KeyError,
    TypeError,
)
"""What a check turns into "fail" (typed errors; KeyError/TypeError = malformed entry)."""


class CheckFailedError(ClientError):
    """Raised inside a check; becomes that check's "fail" with `evidence`."""

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.evidence = evidence


class DrawVerificationError(ClientError):
    """A draw did not verify; `report` holds every check, `failed` the failing ones."""

    def __init__(self, report: DrawReport) -> None:
        self.report = report
        self.failed = [c for c in report.checks if c.status == FAIL]
        names = ", ".join(f"{c.name} ({c.reason})" for c in self.failed) or report.verdict
        super().__init__(f"draw {report.draw_id} does not verify: {names}")


@dataclass
class Check:
    name: str
    status: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "reason": self.reason}
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass
class DrawReport:
    draw_id: str | None
    checks: list[Check]
    verdict: str = FAIL
    announce: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    computed: dict[str, Any] | None = None
    local: bool = False
    checkpoint: Checkpoint | None = None
    announce_index: int | None = None
    result_index: int | None = None
    chain_hash: str | None = None
    key_fingerprint: str | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Snapshot records that matched their logged roots (snapshot-roots)."""
    history: DrawHistory | None = None
    """The draw's history derived from every proven entry (announce-inclusion on)."""

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def raise_for_verdict(self) -> None:
        if self.verdict != PASS:
            raise DrawVerificationError(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "draw_id": self.draw_id,
            "verdict": self.verdict,
            "local": self.local,
            "tree_size": self.checkpoint.tree_size if self.checkpoint else None,
            "announce_index": self.announce_index,
            "result_index": self.result_index,
            "beacon": {"chain_hash": self.chain_hash, "key_fingerprint": self.key_fingerprint},
            "checks": [c.to_json() for c in self.checks],
        }


def _hexify(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, tuple | list):
        return [_hexify(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _hexify(v) for k, v in value.items()}
    return value


_EVIDENCE = (
    "expected",
    "computed",
    "claimed",
    "index",
    "tree_size",
    "size1",
    "size2",
    "kind",
    "counted",
    "reasons",
    "round",
    "got",
    "field",
    "rule",
)


def evidence_of(error: BaseException) -> dict[str, Any]:
    """Expected vs computed values carried by a typed error, JSON-ready (bytes as hex)."""
    if isinstance(error, CheckFailedError):
        return {k: _hexify(v) for k, v in error.evidence.items()}
    carried = getattr(error, "evidence", None)
    if isinstance(carried, Mapping):  # draw_engine.errors.HistoryError
        return {"rule": getattr(error, "rule", None), **_hexify(carried)}
    return {
        k: _hexify(getattr(error, k))
        for k in _EVIDENCE
        if isinstance(getattr(error, k, None), bytes | int | str | tuple | list | dict)
    }

"""The exception tree of the `witnesses` package.

Every error raised here is a `WitnessError`. The protocol errors of
C2SP tlog-witness are one class each, so the HTTP mapping lives in exactly one
table (`witnesses.server.STATUS_BY_ERROR`); verification errors carry their
evidence (what was expected, what was seen).
"""

from __future__ import annotations

from collections.abc import Mapping

from transparency.errors import SignatureError


class WitnessError(Exception):
    """Base of every error raised by the witnesses package."""


# -- cosignature/v1 -------------------------------------------------------------


class CosignatureFormatError(WitnessError, ValueError):
    """A cosigner key, cosignature line or timestamp is not in canonical form."""


class CosignatureVerificationError(WitnessError, SignatureError):
    """A cosignature does not verify against the given key and checkpoint."""

    def __init__(self, message: str, *, name: str, key_id: int) -> None:
        super().__init__(message)
        self.name = name
        self.key_id = key_id

    def __str__(self) -> str:
        return f"{self.args[0]} (cosigner {self.name}, key id {self.key_id:08x})"


# -- tlog-witness add-checkpoint: one class per status rule -------------------------


class AddCheckpointError(WitnessError):
    """A request the witness refuses; the subclass decides the HTTP status."""


class MalformedRequestError(AddCheckpointError, ValueError):
    """The add-checkpoint body or the checkpoint in it is not well formed (400)."""


class UnknownOriginError(AddCheckpointError):
    """The checkpoint's origin is not a log this witness is configured for (404)."""

    def __init__(self, origin: str) -> None:
        super().__init__(f"unknown log origin {origin!r}")
        self.origin = origin


class NoValidSignatureError(AddCheckpointError):
    """No signature from a trusted log key verifies, or a trusted key's signature is bad (403)."""


class OldSizeTooLargeError(AddCheckpointError):
    """The request's old size is larger than the checkpoint's size (400)."""

    def __init__(self, old_size: int, tree_size: int) -> None:
        super().__init__(f"old size {old_size} is larger than the checkpoint size {tree_size}")
        self.old_size = old_size
        self.tree_size = tree_size


class OldSizeMismatchError(AddCheckpointError):
    """The request's old size is not the size this witness last cosigned (409 + size)."""

    def __init__(self, old_size: int, latest_size: int) -> None:
        super().__init__(
            f"old size {old_size} does not match the latest cosigned size {latest_size}"
        )
        self.old_size = old_size
        self.latest_size = latest_size


class InvalidProofError(AddCheckpointError):
    """The consistency proof does not verify, or is present when old size is 0 (422)."""


class RootMismatchError(InvalidProofError):
    """Same size as the latest cosigned checkpoint but a different root: a fork (422)."""

    def __init__(self, tree_size: int, latest_root: bytes, root: bytes) -> None:
        super().__init__(
            f"tree size {tree_size} was cosigned with root {latest_root.hex()}, "
            f"this checkpoint has root {root.hex()}"
        )
        self.tree_size = tree_size
        self.latest_root = latest_root
        self.root = root


class RequestTooLargeError(AddCheckpointError):
    """The request body exceeds the witness's size limit (413)."""


class RateLimitedError(AddCheckpointError):
    """Too many requests for one origin in a short time (429)."""

    def __init__(self, origin: str, retry_after: float) -> None:
        super().__init__(f"too many requests for origin {origin!r}; retry in {retry_after:.1f} s")
        self.origin = origin
        self.retry_after = retry_after


# -- state storage -----------------------------------------------------------------


class StateError(WitnessError):
    """The witness state store refused an operation."""


class CompareAndSwapError(StateError):
    """The stored checkpoint changed between read and write; the caller re-reads and re-decides."""


class StateLostError(StateError):
    """The state database is empty or replaced while the witness directory says it has signed.

    The witness refuses to run until the operator follows the recovery procedure
    (docs/spec/witness.md §7)."""


class WitnessConfigError(WitnessError, ValueError):
    """The witness directory or its configuration is missing or malformed."""


# -- policy ---------------------------------------------------------------------------


class PolicyError(WitnessError):
    """Base of policy errors."""


class PolicyFormatError(PolicyError, ValueError):
    """A policy file (text or JSON) is malformed; the message names line and problem."""


class PolicyNotMetError(PolicyError):
    """The cosignatures present do not satisfy the policy's quorum.

    `counted` names the witnesses whose cosignatures verified and counted;
    `reasons` says, per policy witness that did not count, why."""

    def __init__(
        self, message: str, *, counted: tuple[str, ...], reasons: Mapping[str, str]
    ) -> None:
        super().__init__(message)
        self.counted = counted
        self.reasons = dict(reasons)

    def __str__(self) -> str:
        why = "; ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
        counted = ", ".join(self.counted) or "none"
        return f"{self.args[0]} (counted: {counted}; missing: {why or 'none'})"


# -- collector --------------------------------------------------------------------------


class CollectionError(WitnessError):
    """The log-side collector could not obtain a policy-satisfying set of cosignatures.

    `reasons` maps each witness (by name) that did not contribute to why."""

    def __init__(self, message: str, *, reasons: Mapping[str, str]) -> None:
        super().__init__(message)
        self.reasons = dict(reasons)

    def __str__(self) -> str:
        why = "; ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
        return f"{self.args[0]} ({why})"

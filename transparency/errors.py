"""The exception tree of the `transparency` package.

Every error raised by this package is a `TransparencyError`. Verification
failures are `VerificationError`s and carry their evidence (what was expected,
what was computed); malformed input is a `FormatError` naming what is wrong.
"""

from __future__ import annotations


class TransparencyError(Exception):
    """Base of every error raised by the transparency package."""


class FormatError(TransparencyError, ValueError):
    """Input that is not in the canonical form a spec requires."""


class VerificationError(TransparencyError):
    """A proof, root or signature did not verify. Never signalled by a return value."""


class ProofArgumentError(VerificationError, ValueError):
    """A proof was asked to verify impossible arguments.

    Negative sizes, index >= size, a hash of the wrong length."""


class InclusionProofError(VerificationError):
    """An inclusion proof does not lead to the expected root."""

    def __init__(
        self, message: str, *, index: int, tree_size: int, expected: bytes, computed: bytes | None
    ) -> None:
        super().__init__(message)
        self.index = index
        self.tree_size = tree_size
        self.expected = expected
        self.computed = computed

    def __str__(self) -> str:
        computed = self.computed.hex() if self.computed is not None else "nothing"
        return (
            f"{self.args[0]} (index {self.index}, tree size {self.tree_size}: "
            f"expected root {self.expected.hex()}, computed {computed})"
        )


class ConsistencyProofError(VerificationError):
    """A consistency proof does not link the two roots."""

    def __init__(
        self,
        message: str,
        *,
        size1: int,
        size2: int,
        expected: tuple[bytes, bytes],
        computed: tuple[bytes, bytes] | None,
    ) -> None:
        super().__init__(message)
        self.size1 = size1
        self.size2 = size2
        self.expected = expected
        self.computed = computed

    def __str__(self) -> str:
        exp = f"{self.expected[0].hex()} -> {self.expected[1].hex()}"
        comp = (
            f"{self.computed[0].hex()} -> {self.computed[1].hex()}"
            if self.computed is not None
            else "nothing"
        )
        return (
            f"{self.args[0]} (sizes {self.size1} -> {self.size2}: "
            f"expected {exp}, computed {comp})"
        )


class SignatureError(VerificationError):
    """A signed note carries no verifiable signature, or a known key's signature is bad."""


class StorageError(TransparencyError):
    """The log storage refused an operation or holds inconsistent data."""


class SequencerBusyError(StorageError):
    """Another sequencer holds the log's lock."""


class FencedError(StorageError):
    """A write carried a fencing token (lease epoch) that is no longer the log's: another
    sequencer took the write lease over. The write changed nothing; this writer must stop."""

    def __init__(self, message: str, *, epoch: int, current_epoch: int | None) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.current_epoch = current_epoch

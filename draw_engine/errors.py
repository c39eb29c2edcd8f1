"""The exception tree of the `draw_engine` package.

Every error raised by this package is a `DrawEngineError`, the one root. Its
branches:

- `FormatError` (here): malformed input, with subclasses naming the layer that
  refused it;
- `VerificationError` (here): a value that does not match a commitment (a
  snapshot root, a count, a draw's history), carrying what was expected and
  what was computed;
- `LifecycleError` (`draw_engine.lifecycle_errors`): a lifecycle step refused,
  nothing changed;
- `BeaconError` (`draw_engine.beacon_errors`): beacons that do not verify,
  are malformed or cannot be had;
- `StoreError` (`draw_engine.store`): the draw index refused a write.

The branches live in their own modules so that each stays small; they share
this root, and the service maps every class to an HTTP status in one table
(`fairdraw.http_errors`). A bare `ValueError`, `KeyError`… escaping this
package is a bug, and the service answers it 500.
"""

from __future__ import annotations


class DrawEngineError(Exception):
    """Base of every error raised by the draw_engine package."""


class FormatError(DrawEngineError, ValueError):
    """Input that is not in the form a spec requires."""


class CanonicalError(FormatError):
    """A value outside the canonical JSON subset of DESIGN §4 (float, big int, non-NFC string…)."""

    def __init__(self, message: str, *, path: str = "$") -> None:
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.args[0]}"


class AnnounceError(FormatError):
    """A `draw.announce` entry that is structurally invalid; `field` is a JSON path."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"announce {self.field}: {self.args[0]}"


class DrawInputError(FormatError):
    """Records or announce fields that draw-v1 cannot compute with (duplicate ids…)."""


class SnapshotFormatError(FormatError):
    """A snapshot records file (JSON Lines) that is malformed; `line` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.args[0]}"


class ValidationProblem:
    """One problem found while importing a registry file: row, column and what is wrong.

    `source` names the file when several files are imported together (else None)."""

    __slots__ = ("column", "row", "source", "what")

    def __init__(self, row: int, column: str | None, what: str, *,
                 source: str | None = None) -> None:
        self.row = row
        self.column = column
        self.what = what
        self.source = source

    def __str__(self) -> str:
        column = f", column {self.column!r}" if self.column is not None else ""
        source = f"{self.source}: " if self.source is not None else ""
        return f"{source}row {self.row}{column}: {self.what}"

    def __repr__(self) -> str:
        return (f"ValidationProblem(row={self.row}, column={self.column!r}, what={self.what!r}, "
                f"source={self.source!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValidationProblem):
            return NotImplemented
        return ((self.row, self.column, self.what, self.source)
                == (other.row, other.column, other.what, other.source))

    def __hash__(self) -> int:
        return hash((self.row, self.column, self.what, self.source))


class ValidationError(FormatError):
    """A registry import refused as a whole.

    `problems` lists every problem found (row numbers are 1-based data rows as
    a spreadsheet shows them: the header is row 1 in CSV/XLSX, the first line is
    row 1 in JSONL). `row`, `column` and `what` repeat the first problem.
    """

    def __init__(self, problems: list[ValidationProblem]) -> None:
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems = problems
        first = problems[0]
        self.row = first.row
        self.column = first.column
        self.what = first.what
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class VerificationError(DrawEngineError):
    """A commitment does not match the data given. Never signalled by a return value."""


class SnapshotMismatchError(VerificationError):
    """A records file whose root or count differs from the one committed in an announce."""

    def __init__(
        self, message: str, *, kind: str, expected: str | int, computed: str | int
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.expected = expected
        self.computed = computed

    def __str__(self) -> str:
        return (
            f"{self.args[0]} ({self.kind}: announce says {self.expected}, "
            f"records give {self.computed})"
        )


class EntryError(FormatError):
    """A log entry that is not a canonical JSON object with "type" and "v": 1, or an entry
    field (`field`, a JSON path such as `beacon.round_time`, when known) a reader needs."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class HistoryError(VerificationError):
    """A draw's history in the log breaks a rule of docs/spec/verification.md.

    `rule` is the stable rule name (`announce-twice`, `late-cancel`…); `str()` is
    "<rule>: <message>"; `evidence` holds the leaf indices and times that show it."""

    def __init__(self, rule: str, message: str, evidence: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.evidence: dict[str, object] = dict(evidence or {})

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"

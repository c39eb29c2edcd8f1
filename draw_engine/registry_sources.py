"""Registry imports from several departments' exports (issue 18.2; docs/spec/lifecycle.md).

Government data platforms (政务数据平台) and other departments export their own
tables: market regulation, education, culture, civil affairs… each with its own
Chinese headers and extra columns. This module reads such files into one
registry version:

* `parse_mapping`: the operator's mapping file (JSON, `fairdraw-registry-mapping-v1`):
  Chinese headers → fields (or null: dropped), code lists for industry / size
  class / risk level (or any text field), defaults, the field the id comes from;
* `merge_sources`: every file imported with the mapping (all-or-nothing over
  ALL files: one `ValidationError` lists every bad value of every file by file,
  row and column, nothing is returned), then rows of the same unit merged:
  same 统一社会信用代码 (`credit_code`), or the same id. The first file in the
  given order wins (the operator lists the most authoritative register first);
  fields the winner has no value for (absent, or only a default of the
  mapping or of the reader) are filled from the later rows, in order; other
  differing values are not taken, and listed. Every merge is a `MergeDecision` saying
  which row won and why;
* `preview_import`: what an import would do to the latest version (added,
  removed, changed ids with names and changed fields, the merge decisions, row
  errors), without raising for bad rows: the operator console shows it before
  the operator commits anything (docs/operations.md).

Pure: bytes in, records out (draw_engine.registry reads the files). Left out:
fuzzy matching of names or addresses (only exact codes and ids merge).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from draw_engine.canonical import canonical_json, parse_json
from draw_engine.errors import CanonicalError, FormatError, ValidationError, ValidationProblem
from draw_engine.registry import (
    FORMATS,
    KINDS,
    ImportMapping,
    RegistryVersion,
    import_registry,
    next_version,
)
from draw_engine.registry_diff import diff_records

MAPPING_FORMAT = "fairdraw-registry-mapping-v1"
MAX_MAPPING_SIZE = 1024 * 1024
MAX_SOURCES = 32
MERGE_KEY = "credit_code"
_NOT_CODED = ("tags", "roles", "key_unit", "crowded_place", "id", "credit_code")


class MappingError(FormatError):
    """A mapping file that is not `fairdraw-registry-mapping-v1`: names the field at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"mapping file: {message}")
        self.field = field


def parse_mapping(data: bytes) -> ImportMapping:
    """Parse and check a mapping file (strict: unknown keys are refused)."""
    try:
        value = parse_json(data, max_size=MAX_MAPPING_SIZE)
    except CanonicalError as exc:
        raise MappingError(f"not JSON in our subset: {exc}") from exc
    return check_mapping(value)


def check_mapping(value: object) -> ImportMapping:
    """`parse_mapping` of a mapping already parsed from JSON (e.g. a member of an API body)."""
    if not isinstance(value, dict):
        raise MappingError("must be a JSON object")
    unknown = set(value) - {"format", "kind", "columns", "code_lists", "defaults", "id_from"}
    if unknown:
        raise MappingError(f"unknown key {min(unknown)!r}", field=min(unknown))
    if value.get("format") != MAPPING_FORMAT:
        raise MappingError(f"format must be {MAPPING_FORMAT!r}", field="format")
    kind = value.get("kind")
    if kind not in KINDS:
        raise MappingError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    columns = value.get("columns", {})
    if not isinstance(columns, dict):
        raise MappingError("columns must be an object {header: field or null}", field="columns")
    for header, target in columns.items():
        if target is not None and not (isinstance(target, str) and _field_name_ok(target)):
            raise MappingError(f"column {header!r}: the field must be a name of 1 to 64 "
                               f"characters or null (dropped), not {target!r}",
                               field="columns")
    code_lists = value.get("code_lists", {})
    if not isinstance(code_lists, dict):
        raise MappingError("code_lists must be an object {field: {code: label}}",
                           field="code_lists")
    for name, codes in code_lists.items():
        where = f"code_lists.{name}"
        if name in _NOT_CODED:
            raise MappingError(f"{name} cannot have a code list", field=where)
        if not isinstance(codes, dict) or not codes:
            raise MappingError(f"{name} must be a non-empty object {{code: label}}", field=where)
        labels: dict[str, str] = {}
        for code, label in codes.items():
            if not isinstance(label, str) or not code.strip() or not label.strip():
                raise MappingError(f"{name}: code {code!r} needs a non-empty label", field=where)
            if label in labels or (label in codes and label != code):
                raise MappingError(f"{name}: label {label!r} is not unique among codes and "
                                   "labels", field=where)
            labels[label] = code
    defaults = value.get("defaults", {})
    if not isinstance(defaults, dict) or not all(
            isinstance(v, str | bool | int) for v in defaults.values()):
        raise MappingError("defaults must be an object {field: text, integer or boolean}",
                           field="defaults")
    if "id" in defaults:
        raise MappingError("id cannot have a default", field="defaults")
    id_from = value.get("id_from")
    if id_from is not None and not (isinstance(id_from, str) and _field_name_ok(id_from)
                                    and id_from != "id"):
        raise MappingError("id_from must name a field (e.g. \"credit_code\")", field="id_from")
    return ImportMapping(kind=kind, columns=columns, code_lists=code_lists, defaults=defaults,
                         id_from=id_from)


def _field_name_ok(name: str) -> bool:
    return 0 < len(name) <= 64 and name == name.strip()


@dataclass(frozen=True)
class ImportSource:
    """One department's export: a display name (its file name), its bytes, its format."""

    name: str
    data: bytes
    fmt: str


@dataclass(frozen=True)
class RowRef:
    source: str
    row: int
    id: str


@dataclass(frozen=True)
class MergeDecision:
    """Several rows were one unit: which row won, which were merged into it, and why."""

    key: str
    """"credit_code:<code>" or "id:<id>": what made the rows one unit."""
    kept: RowRef
    merged: tuple[RowRef, ...]
    filled: Mapping[str, str] = field(default_factory=dict)
    """field → source name it was filled from (the winner had no value)."""
    dropped: tuple[Mapping[str, Any], ...] = ()
    """{source, row, field, value, kept}: differing values of later rows, not taken."""

    @property
    def reason(self) -> str:
        what = self.key.replace("credit_code:", "统一社会信用代码 ").replace("id:", "id ")
        later = ", ".join(f"{r.source} row {r.row}" for r in self.merged)
        text = (f"{what}: {self.kept.source} row {self.kept.row} kept (first file in the "
                f"given order); merged into it: {later}")
        if self.filled:
            text += "; filled " + ", ".join(f"{f} from {s}" for f, s in self.filled.items())
        if self.dropped:
            text += "; not taken: " + ", ".join(
                f"{d['field']}={d['value']!r} ({d['source']} row {d['row']})"
                for d in self.dropped)
        return text

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kept": _row_json(self.kept),
                "merged": [_row_json(r) for r in self.merged], "filled": dict(self.filled),
                "dropped": [dict(d) for d in self.dropped], "reason": self.reason}


def _row_json(row: RowRef) -> dict[str, Any]:
    return {"source": row.source, "row": row.row, "id": row.id}


@dataclass(frozen=True)
class MergeResult:
    records: list[dict[str, Any]]
    """Merged records, sorted by id."""
    decisions: list[MergeDecision]
    rows: int
    """Rows read over all files."""


_Imported = tuple[ImportSource, list[dict[str, Any]], list[int], list[frozenset[str]]]


def sources_name(sources: Sequence[ImportSource]) -> str:
    """The version's `source_name`: the file names, in the given order, joined by " + "."""
    return " + ".join(s.name for s in sources)


def sources_sha256(sources: Sequence[ImportSource]) -> str:
    """The version's `source_sha256`: the file's SHA-256 for one file; for several, the
    SHA-256 of the canonical JSON of [[name, sha256 hex], …] in the given order."""
    if len(sources) == 1:
        return hashlib.sha256(sources[0].data).hexdigest()
    pairs = [[s.name, hashlib.sha256(s.data).hexdigest()] for s in sources]
    return hashlib.sha256(canonical_json(pairs)).hexdigest()


def _import_each(kind: str, sources: Sequence[ImportSource], mapping: ImportMapping | None
                 ) -> list[_Imported]:
    if mapping is not None and mapping.kind != kind:
        raise MappingError(f"the mapping file is for {mapping.kind}, not {kind}", field="kind")
    if not sources:
        raise ValidationError([ValidationProblem(0, None, "no file given")])
    if len(sources) > MAX_SOURCES:
        raise ValidationError([ValidationProblem(0, None, f"{len(sources)} files, more than "
                                                 f"the limit {MAX_SOURCES}")])
    names = [s.name for s in sources]
    problems: list[ValidationProblem] = []
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(ValidationProblem(0, None, "file given twice", source=name))
    out = []
    for source in sources:
        if source.fmt not in FORMATS:
            problems.append(ValidationProblem(0, None, f"format must be one of "
                                              f"{', '.join(FORMATS)}, got {source.fmt!r}",
                                              source=source.name))
            continue
        rows: list[int] = []
        defaulted: list[frozenset[str]] = []
        try:
            records = import_registry(source.data, kind=kind, fmt=source.fmt, mapping=mapping,
                                      rows_out=rows, defaulted_out=defaulted)
        except ValidationError as exc:
            problems.extend(ValidationProblem(p.row, p.column, p.what, source=source.name)
                            for p in exc.problems)
            continue
        out.append((source, records, rows, defaulted))
    if problems:
        raise ValidationError(problems)
    return out


def merge_sources(kind: str, sources: Sequence[ImportSource],
                  mapping: ImportMapping | None = None) -> MergeResult:
    """Import every file and merge rows of one unit (module docstring); all-or-nothing."""
    imported = _import_each(kind, sources, mapping)
    # Group rows: the same credit code or the same id is the same unit (union of both keys).
    groups: list[list[tuple[RowRef, dict[str, Any], frozenset[str]]]] = []
    by_key: dict[str, int] = {}
    problems: list[ValidationProblem] = []
    for source, file_records, rows, file_defaulted in imported:
        in_file: dict[str, int] = {}
        for record, row, defaulted in zip(file_records, rows, file_defaulted, strict=True):
            keys = [f"id:{record['id']}"]
            code = record.get(MERGE_KEY)
            if isinstance(code, str):
                keys.insert(0, f"{MERGE_KEY}:{code}")
                if code in in_file:
                    problems.append(ValidationProblem(
                        row, MERGE_KEY, f"duplicate 统一社会信用代码 {code} (first at row "
                        f"{in_file[code]})", source=source.name))
                    continue
                in_file[code] = row
            ref = RowRef(source.name, row, str(record["id"]))
            found = sorted({by_key[k] for k in keys if k in by_key})
            if len(found) > 1:
                problems.append(ValidationProblem(
                    row, None, f"id {record['id']} and 统一社会信用代码 {code} belong to two "
                    "different units of earlier rows", source=source.name))
                continue
            if found:
                group = groups[found[0]]
                first_code = group[0][1].get(MERGE_KEY)
                if isinstance(code, str) and isinstance(first_code, str) and code != first_code:
                    problems.append(ValidationProblem(
                        row, None, f"id {record['id']} is {group[0][0].source} row "
                        f"{group[0][0].row} with another 统一社会信用代码 ({first_code} vs "
                        f"{code})", source=source.name))
                    continue
                group.append((ref, record, defaulted))
                index = found[0]
            else:
                groups.append([(ref, record, defaulted)])
                index = len(groups) - 1
            for k in keys:
                by_key.setdefault(k, index)
    if problems:
        raise ValidationError(problems)
    records: list[dict[str, Any]] = []
    decisions: list[MergeDecision] = []
    for group in groups:
        (kept_ref, kept, kept_defaulted), rest = group[0], group[1:]
        merged = dict(kept)
        open_fields = set(kept_defaulted)  # only a default so far: a file's value fills them
        filled: dict[str, str] = {}
        dropped: list[dict[str, Any]] = []
        for ref, record, defaulted in rest:
            for name, value in record.items():
                if name in defaulted:
                    continue
                if name not in merged or name in open_fields:
                    if name not in merged or canonical_json(merged[name]) != canonical_json(value):
                        filled[name] = ref.source
                    merged[name] = value
                    open_fields.discard(name)
                elif name != "id" and canonical_json(merged[name]) != canonical_json(value):
                    dropped.append({"source": ref.source, "row": ref.row, "field": name,
                                    "value": value, "kept": merged[name]})
        records.append(merged)
        if rest:
            code = kept.get(MERGE_KEY)
            key = f"{MERGE_KEY}:{code}" if isinstance(code, str) else f"id:{kept['id']}"
            decisions.append(MergeDecision(key, kept_ref, tuple(r for r, _, _ in rest), filled,
                                           tuple(dropped)))
    records.sort(key=lambda r: str(r["id"]).encode("ascii"))
    decisions.sort(key=lambda d: d.key)
    return MergeResult(records, decisions, sum(len(i[2]) for i in imported))


@dataclass(frozen=True)
class PreviewRecord:
    id: str
    name: str | None
    fields: tuple[str, ...] = ()
    """Changed attribute names (changed records only)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.fields:
            out["fields"] = list(self.fields)
        return out


@dataclass(frozen=True)
class ImportPreview:
    """What an import would do, nothing written. `errors` non-empty: it would be refused."""

    kind: str
    version: int | None
    """The version it would become (None when refused)."""
    count: int
    added: tuple[PreviewRecord, ...] = ()
    removed: tuple[PreviewRecord, ...] = ()
    """Dropped from the files: carried forward as defunct/inactive (never deleted)."""
    changed: tuple[PreviewRecord, ...] = ()
    retired: tuple[PreviewRecord, ...] = ()
    """Leaving the pool: removed ones and those the files mark defunct/inactive."""
    decisions: tuple[MergeDecision, ...] = ()
    errors: tuple[ValidationProblem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "version": self.version, "count": self.count,
            "ok": not self.errors,
            "added": [r.to_json() for r in self.added],
            "removed": [r.to_json() for r in self.removed],
            "changed": [r.to_json() for r in self.changed],
            "retired": [r.to_json() for r in self.retired],
            "decisions": [d.to_json() for d in self.decisions],
            "errors": [{"source": p.source, "row": p.row, "column": p.column, "what": p.what}
                       for p in self.errors],
        }


def next_version_from_sources(
    kind: str, sources: Sequence[ImportSource], mapping: ImportMapping | None,
    previous: RegistryVersion | None,
) -> tuple[RegistryVersion, MergeResult]:
    """The version an import of `sources` makes after `previous` (raises ValidationError)."""
    merged = merge_sources(kind, sources, mapping)
    return next_version(previous, merged.records, kind=kind), merged


def preview_import(
    kind: str, sources: Sequence[ImportSource], *, mapping: ImportMapping | None = None,
    previous: RegistryVersion | None = None,
) -> ImportPreview:
    """What importing `sources` (merged) after `previous` would change; writes nothing.

    Bad rows do not raise: they are the preview's `errors` (every one, by file, row
    and column), and the lists are then empty. Records are compared as stored
    (private fields included in `fields` by name only, never by value).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    try:
        version, merged = next_version_from_sources(kind, sources, mapping, previous)
    except ValidationError as exc:
        return ImportPreview(kind, None, 0, errors=tuple(exc.problems))
    before = list(previous.records) if previous is not None else []
    diff = diff_records(before, version.records)
    names_now = {str(r["id"]): r.get("name") for r in version.records}
    names_before = {str(r["id"]): r.get("name") for r in before}

    def named(record_id: str, fields: tuple[str, ...] = ()) -> PreviewRecord:
        name = names_now.get(record_id, names_before.get(record_id))
        return PreviewRecord(record_id, name if isinstance(name, str) else None, fields)

    dropped_ids = {str(r["id"]) for r in before} - {str(r["id"]) for r in merged.records}
    return ImportPreview(
        kind, version.version, len(version.records),
        added=tuple(named(i) for i in diff.added),
        removed=tuple(named(i) for i in sorted(dropped_ids, key=lambda i: i.encode())),
        changed=tuple(named(c.id, c.fields) for c in diff.changed),
        retired=tuple(named(i) for i in diff.left_pool()),
        decisions=tuple(merged.decisions),
    )

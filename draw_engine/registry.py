"""Registries of units, inspectors and experts (DESIGN §4 record schemas; DOMAIN.md).

Imports one registry file (CSV, XLSX via openpyxl, or JSON Lines) into
records, with a documented column mapping (`COLUMNS`) that accepts English and
Chinese headers, extended by an operator's mapping file (`ImportMapping`,
draw_engine.registry_sources: header → field, code lists, defaults). Columns
neither maps are kept as public attributes under their header, unless the
header looks like personal data (`PRIVATE_HINTS`). Validation is
all-or-nothing: any problem refuses the whole file with a `ValidationError`
listing every problem by row, column and what is wrong (every value outside a
code list among them); nothing is returned half-imported.

Data model. A registry *version* (`RegistryVersion`) is the complete list of
records of one kind after an import, numbered 1, 2, …. `next_version` builds
it from the previous version and a newly imported file: records that the file
no longer lists are carried forward with `status` set to `defunct` (units) or
`inactive` (people), never dropped, so records never vanish silently. Records
keep private fields (phone…); `draw_engine.snapshot.make_snapshot` projects
them out. Persisting versions is the storage layer's job, not this module's.

Merging the files of several departments is draw_engine.registry_sources.
Left out: fuzzy header matching.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from draw_engine.canonical import is_identifier, parse_json, parse_json_lines
from draw_engine.errors import CanonicalError, ValidationError, ValidationProblem
from draw_engine.snapshot import is_private_field

MAX_FILE_SIZE = 64 * 1024 * 1024
MAX_COLUMNS = 256
"""Columns (CSV/XLSX header cells, JSONL keys over the file) a registry may have."""
MAX_CELL = 4096
"""Characters in one cell; CSV fields above it are refused by the reader already."""
MAX_XLSX_UNPACKED = 512 * 1024 * 1024
"""Bytes the parts of an XLSX workbook may unpack to (a zip bomb is refused before reading)."""
FORMATS = ("csv", "xlsx", "jsonl")
KINDS = ("units", "inspectors", "experts")

# field -> accepted headers (the field name itself is always accepted).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "id": ("unit_id", "编号", "单位编号"),
        "name": ("单位名称", "名称"),
        "brigade": ("所属大队", "大队"),
        "status": ("状态",),
        "industry": ("行业类别", "行业"),
        "size_class": ("建筑规模", "规模"),
        "risk_level": ("风险等级",),
        "key_unit": ("重点单位", "消防安全重点单位"),
        "crowded_place": ("人员密集场所",),
        "tags": ("标签",),
        "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "address": ("地址", "单位地址", "详细地址"),
        "phone": ("联系电话", "电话"),
        "private_contact": ("联系人",),
    },
    "inspectors": {
        "id": ("inspector_id", "编号", "人员编号"),
        "name": ("姓名",),
        "brigade": ("所属大队", "大队"),
        "roles": ("角色",),
        "status": ("状态",),
        "cert_valid_until": ("执法证有效期", "证件有效期至"),
        "phone": ("联系电话", "电话"),
    },
    "experts": {
        "id": ("expert_id", "编号", "专家编号"),
        "name": ("姓名",),
        "field": ("专业领域", "领域"),
        "status": ("状态",),
        "phone": ("联系电话", "电话"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "units": ("id", "name", "brigade", "status", "risk_level"),
    "inspectors": ("id", "name", "brigade", "roles", "status", "cert_valid_until"),
    "experts": ("id", "name", "field", "status"),
}
STATUS_VALUES: dict[str, dict[str, str]] = {
    "units": {"active": "active", "正常": "active", "在营": "active",
              "defunct": "defunct", "注销": "defunct", "已注销": "defunct", "僵尸": "defunct"},
    "inspectors": {"active": "active", "在岗": "active",
                   "inactive": "inactive", "离岗": "inactive", "停用": "inactive"},
    "experts": {"active": "active", "在库": "active",
                "inactive": "inactive", "停用": "inactive"},
}
# Values used when a unit's column is absent or its cell is empty.
DEFAULTS: dict[str, dict[str, Any]] = {
    "units": {"key_unit": False, "crowded_place": False, "tags": []},
    "inspectors": {},
    "experts": {},
}
RETIRED_STATUS = {"units": "defunct", "inspectors": "inactive", "experts": "inactive"}
RISK_LEVELS = {"low": "low", "低": "low", "medium": "medium", "中": "medium",
               "high": "high", "高": "high"}
ROLES = {"lead": "lead", "主办": "lead", "assist": "assist", "协办": "assist"}
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
            "是": True, "否": False}
PRIVATE_HINTS = ("电话", "手机", "身份证", "证件号", "联系人", "负责人", "法定代表人", "法人",
                 "邮箱", "住址", "家庭")
"""An unmapped column whose header contains one of these is refused, never published:
map it to a `private_…` field or to null (dropped) in the mapping file."""
MAX_ATTRIBUTE_NAME = 64
"""Characters of an attribute name kept from an unmapped header."""
CREDIT_CODE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}", re.ASCII)
"""统一社会信用代码 (GB 32100-2015): 18 characters, no I, O, S, V, Z."""
_LIST_SPLIT = re.compile(r"[;；|]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Problems:
    def __init__(self) -> None:
        self.items: list[ValidationProblem] = []

    def add(self, row: int, column: str | None, what: str) -> None:
        self.items.append(ValidationProblem(row, column, what))

    def columns_at(self, row: int) -> set[str | None]:
        return {p.column for p in self.items if p.row == row}

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)


def header_map(kind: str) -> dict[str, str]:
    """Accepted header → field name, for `kind`."""
    mapping = {}
    for field, aliases in COLUMNS[kind].items():
        mapping[field] = field
        for alias in aliases:
            mapping[alias] = field
    return mapping


def _text(value: object) -> str | None:
    """A cell as NFC text without surrounding spaces; None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        raise ValueError(f"decimal number {value} where text is expected (store it as text)")
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, dict | list | tuple):
        # SPEC(docs/spec/lifecycle.md §Registry import): no nested values (never a repr).
        raise ValueError("a nested JSON value (object or array) where a plain value is "
                         "expected")
    text = unicodedata.normalize("NFC", str(value)).strip()
    if len(text) > MAX_CELL:
        raise ValueError(f"is {len(text)} characters long, more than the limit {MAX_CELL}")
    return text or None


def _list(value: object) -> list[str]:
    if isinstance(value, list):
        items = [_text(v) for v in value]
    else:
        text = _text(value)
        items = [part.strip() for part in _LIST_SPLIT.split(text)] if text else []
    return [item for item in items if item]


def _convert(kind: str, field: str, raw: object) -> Any:
    """One cell to its record value; raises ValueError saying what is wrong."""
    if field in ("tags", "roles"):
        items = _list(raw)
        if field == "roles":
            roles = []
            for item in items:
                if item not in ROLES:
                    raise ValueError(f"unknown role {item!r} (known: lead/主办, assist/协办)")
                if ROLES[item] not in roles:
                    roles.append(ROLES[item])
            return roles
        return sorted(set(items))
    if field in ("key_unit", "crowded_place"):
        if isinstance(raw, bool):
            return raw
        text = _text(raw)
        if text is None or text.lower() not in BOOLEANS:
            raise ValueError(f"{text!r} is not a yes/no value (true/false, 是/否, 1/0)")
        return BOOLEANS[text.lower()]
    text = _text(raw)
    if text is None:
        raise ValueError("is empty")
    if field == "id" and not is_identifier(text):
        what = "non-ASCII id" if not text.isascii() else "bad id"
        raise ValueError(f"{what} {text!r}: ids are ASCII [A-Za-z0-9._:-]{{1,64}}")
    if field == "status":
        if text not in STATUS_VALUES[kind]:
            known = ", ".join(STATUS_VALUES[kind])
            raise ValueError(f"unknown status {text!r} (known: {known})")
        return STATUS_VALUES[kind][text]
    if field == "risk_level":
        if text not in RISK_LEVELS:
            raise ValueError(f"unknown risk level {text!r} (known: low/低, medium/中, high/高)")
        return RISK_LEVELS[text]
    if field == "cert_valid_until":
        if isinstance(raw, datetime) and raw.time() != datetime.min.time():
            raise ValueError(f"bad date {raw!r}: expected a date without time")
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"bad date {text!r}: expected YYYY-MM-DD") from None
    return text


def _extra(raw: object) -> Any:
    """An extra attribute: text, integer, boolean, or a flat list of those (JSONL only)."""
    if isinstance(raw, bool | int) or raw is None:
        return raw
    if isinstance(raw, list):
        return [item if isinstance(item, bool | int) or item is None else _text(item)
                for item in raw]
    return _text(raw)


@dataclass(frozen=True)
class ImportMapping:
    """An operator's mapping file, parsed (draw_engine.registry_sources.parse_mapping).

    `columns`: header → field name, or None to drop the column; it is looked up
    before `COLUMNS`. `code_lists`: field → {code: label}; a cell must be a code
    or a label (stored as its code). `defaults`: field → value used when the
    column is absent or the cell empty (converted like a cell). `id_from`: the
    field whose value is the id when a row has none (e.g. "credit_code").
    """

    kind: str
    columns: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    code_lists: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)
    id_from: str | None = None


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 (GB 32100-2015 §5: mod 31)."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS,
                                                            strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def _credit_code(text: str) -> str:
    code = text.upper()
    if not CREDIT_CODE.fullmatch(code):
        raise ValueError(f"{text!r} is not a 统一社会信用代码 (18 characters: digits and capital "
                         "letters without I, O, S, V, Z)")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValueError(f"{text!r}: check character {code[17]!r} is wrong (GB 32100: "
                         f"{credit_code_check_char(code[:17])!r})")
    return code


def _coded(field_name: str, text: str, codes: Mapping[str, str]) -> str:
    if text in codes:
        return text
    for code, label in codes.items():
        if text == label:
            return code
    raise ValueError(f"{text!r} is not in the {field_name} code list ({len(codes)} codes)")


def _column_field(kind: str, name: str, mapping: ImportMapping | None,
                  known: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(field, problem) for a header: the mapping file first, then `COLUMNS`, else kept."""
    if mapping is not None and name in mapping.columns:
        return mapping.columns[name], None
    if name in known:
        return known[name], None
    if any(hint in name for hint in PRIVATE_HINTS) or is_private_field(name):
        return None, ("unmapped column that looks like personal data: map it to a private_… "
                      "field or to null (dropped) in the mapping file; it is never published")
    if len(name) > MAX_ATTRIBUTE_NAME:
        return None, (f"unmapped column name longer than {MAX_ATTRIBUTE_NAME} characters: map "
                      "it in the mapping file")
    return name, None  # an extra attribute, public (matchable when its name is ASCII)


def records_from_rows(
    kind: str,
    header: Sequence[object],
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    header_row: int | None = 1,
    mapping: ImportMapping | None = None,
    rows_out: list[int] | None = None,
    defaulted_out: list[frozenset[str]] | None = None,
) -> list[dict[str, Any]]:
    """Validate rows (row number, cells) under `header`; all-or-nothing.

    `rows_out`, when given, receives the row number of each returned record, in order;
    `defaulted_out` the fields of each that hold a default (no value in the file)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if mapping is not None and mapping.kind != kind:
        raise ValueError(f"the mapping file is for {mapping.kind}, not {kind}")
    problems = _Problems()
    known = header_map(kind)
    code_lists = mapping.code_lists if mapping is not None else {}
    defaults = mapping.defaults if mapping is not None else {}
    id_from = mapping.id_from if mapping is not None else None
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    hrow = header_row if header_row is not None else 1
    if len(header) > MAX_COLUMNS:
        raise ValidationError([ValidationProblem(hrow, None, f"{len(header)} columns, more "
                                                 f"than the limit {MAX_COLUMNS}")])
    for cell in header:
        name = _text(cell)
        if name is None:
            fields.append(None)
            continue
        column_field, problem = _column_field(kind, name, mapping, known)
        if problem is not None:
            problems.add(hrow, name, problem)
        if column_field is None:
            fields.append(None)
            continue
        if column_field in seen:
            problems.add(hrow, name, f"column maps to {column_field!r} like column "
                         f"{seen[column_field]!r}")
        seen[column_field] = name
        fields.append(column_field)
    for required in REQUIRED[kind]:
        if required not in seen and required not in defaults and not (
                required == "id" and id_from is not None and id_from in seen):
            problems.add(hrow, required, "required column is missing")
    problems.raise_if_any()
    present = set(fields)
    absent_defaults = [(f, v) for f, v in defaults.items() if f not in present]

    def convert(record_field: str, raw: object) -> Any:
        if record_field in code_lists:
            text = _text(raw)
            if text is None:
                raise ValueError("is empty")
            return _coded(record_field, text, code_lists[record_field])
        if record_field == "credit_code":
            text = _text(raw)
            if text is None:
                raise ValueError("is empty")
            return _credit_code(text)
        if record_field in COLUMNS[kind]:
            return _convert(kind, record_field, raw)
        return _extra(raw)

    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    defaulted: list[frozenset[str]] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        if all(_is_empty(c) for c in cells):
            continue
        record: dict[str, Any] = {}
        from_defaults: set[str] = set()
        for index, record_field in enumerate(fields):
            if record_field is None:
                continue
            raw = cells[index] if index < len(cells) else None
            column = seen[record_field]
            if _is_empty(raw) and record_field in defaults:
                raw = defaults[record_field]
                from_defaults.add(record_field)
            try:
                if _is_empty(raw) and (record_field not in REQUIRED[kind]
                                       or (record_field == "id" and id_from is not None)):
                    continue
                record[record_field] = convert(record_field, raw)
            except ValueError as exc:
                problems.add(number, column, str(exc))
        for record_field, value in absent_defaults:
            from_defaults.add(record_field)
            try:
                record[record_field] = convert(record_field, value)
            except ValueError as exc:
                problems.add(number, record_field, f"default: {exc}")
        if "id" not in record and id_from is not None:
            value = record.get(id_from)
            if isinstance(value, str) and is_identifier(value):
                record["id"] = value
            elif value is not None:
                problems.add(number, seen.get(id_from, id_from), f"{value!r} cannot be the id: "
                             "ids are ASCII [A-Za-z0-9._:-]{1,64}")
            elif seen.get(id_from, id_from) not in problems.columns_at(number):
                problems.add(number, seen.get("id", id_from), f"no id, and no {id_from} to "
                             "take it from")
        for index, cell in enumerate(cells):
            if index >= len(fields) and not _is_empty(cell):
                problems.add(number, None, f"cell {index + 1} has no column header")
        record_id = record.get("id")
        if isinstance(record_id, str):
            if record_id in first_row:
                problems.add(number, seen.get("id", id_from), f"duplicate id {record_id!r} "
                             f"(first at row {first_row[record_id]})")
            else:
                first_row[record_id] = number
        for default_field, default in DEFAULTS[kind].items():
            if default_field not in record:
                record[default_field] = list(default) if isinstance(default, list) else default
                from_defaults.add(default_field)
        records.append(record)
        numbers.append(number)
        defaulted.append(frozenset(from_defaults))
    problems.raise_if_any()
    if not records:
        # SPEC(docs/spec/lifecycle.md §Registry import): an empty file is always refused; as a
        # new version it would retire every record.
        raise ValidationError([ValidationProblem(hrow + 1, None, "file has no records (only a "
                                                 "header): refused, it would retire every "
                                                 "record of the registry")])
    order = sorted(range(len(records)), key=lambda i: str(records[i]["id"]).encode("ascii"))
    if rows_out is not None:
        rows_out.extend(numbers[i] for i in order)
    if defaulted_out is not None:
        defaulted_out.extend(defaulted[i] for i in order)
    return [records[i] for i in order]


def _is_empty(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_SIZE:
        raise ValidationError([ValidationProblem(0, None, f"file is {len(data)} bytes, more "
                                                 f"than the limit {MAX_FILE_SIZE}")])


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError([ValidationProblem(0, None, f"not an XLSX workbook: {exc}")]
                              ) from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise ValidationError([ValidationProblem(0, None, f"workbook unpacks to {unpacked} "
                                                 f"bytes, more than the limit "
                                                 f"{MAX_XLSX_UNPACKED}")])


def import_csv(data: bytes, kind: str, *, mapping: ImportMapping | None = None,
               rows_out: list[int] | None = None,
               defaulted_out: list[frozenset[str]] | None = None) -> list[dict[str, Any]]:
    """CSV, UTF-8 (BOM allowed) or, failing that, GB18030 as Chinese Excel writes it."""
    _check_size(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030", errors="strict")
        except UnicodeDecodeError as exc:
            raise ValidationError([ValidationProblem(0, None, f"not text: neither UTF-8 nor "
                                                     f"GB18030 ({exc.reason} at byte "
                                                     f"{exc.start})")]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        table = list(reader)
    except csv.Error as exc:
        problem = ValidationProblem(reader.line_num, None, f"bad CSV: {exc}")
        raise ValidationError([problem]) from exc
    if not table:
        raise ValidationError([ValidationProblem(1, None, "file is empty: no header row")])
    return records_from_rows(kind, table[0], ((i, row) for i, row in enumerate(table[1:], 2)),
                             mapping=mapping, rows_out=rows_out,
                             defaulted_out=defaulted_out)


def import_xlsx(data: bytes, kind: str, *, mapping: ImportMapping | None = None,
                rows_out: list[int] | None = None,
                defaulted_out: list[frozenset[str]] | None = None) -> list[dict[str, Any]]:
    """XLSX: the first worksheet, header in row 1."""
    import openpyxl  # heavy; only needed here
    from openpyxl.utils.exceptions import InvalidFileException

    _check_size(data)
    _check_unpacked_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ValidationError([ValidationProblem(0, None, f"not an XLSX workbook: {exc}")]) from exc
    try:
        sheet = workbook.worksheets[0]
        # One column past the limit is read so that a wider sheet is refused, never cut.
        rows = [_trimmed(row) for row in sheet.iter_rows(values_only=True,
                                                         max_col=MAX_COLUMNS + 1)]
    finally:
        workbook.close()
    if not rows:
        raise ValidationError([ValidationProblem(1, None, "worksheet is empty: no header row")])
    return records_from_rows(kind, rows[0], ((i, row) for i, row in enumerate(rows[1:], 2)),
                             mapping=mapping, rows_out=rows_out,
                             defaulted_out=defaulted_out)


def _trimmed(row: Sequence[object]) -> tuple[object, ...]:
    """A worksheet row without its trailing empty cells (openpyxl pads rows to `max_col`)."""
    end = len(row)
    while end and _is_empty(row[end - 1]):
        end -= 1
    return tuple(row[:end])


_BAD_LINE = object()


def import_jsonl(data: bytes, kind: str, *, mapping: ImportMapping | None = None,
                 rows_out: list[int] | None = None,
                 defaulted_out: list[frozenset[str]] | None = None) -> list[dict[str, Any]]:
    """JSON Lines: one object per line; keys follow the same mapping as headers.

    Row numbers are line numbers. Every line is parsed before any is accepted.
    """
    _check_size(data)
    problems = _Problems()
    objects: list[tuple[int, dict[str, Any]]] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    try:
        # Every line strict at once (C-level proofs for flat records); on any error
        # each line is read again alone, so that every bad line is named.
        values: list[Any] = parse_json_lines(lines)
    except CanonicalError:
        values = []
        for number, line in enumerate(lines, start=1):
            try:
                values.append(parse_json(line))
            except CanonicalError as exc:
                problems.add(number, None, f"bad JSON: {exc}")
                values.append(_BAD_LINE)
    for number, value in enumerate(values, start=1):
        if isinstance(value, dict):
            objects.append((number, value))
        elif value is not _BAD_LINE:
            problems.add(number, None, "a line must be a JSON object")
    problems.raise_if_any()
    header: list[str] = []
    known: set[str] = set()
    for number, obj in objects:
        header.extend(key for key in obj if key not in known)
        known.update(obj)
        if len(header) > MAX_COLUMNS:
            raise ValidationError([ValidationProblem(number, None, f"lines up to here use "
                                                     f"{len(header)} keys, more than the "
                                                     f"limit {MAX_COLUMNS}")])
    if not objects:
        raise ValidationError([ValidationProblem(1, None, "file has no records")])
    rows = ((n, [obj.get(key) for key in header]) for n, obj in objects)
    return records_from_rows(kind, header, rows, header_row=None, mapping=mapping,
                             rows_out=rows_out, defaulted_out=defaulted_out)


def import_registry(data: bytes, *, kind: str, fmt: str, mapping: ImportMapping | None = None,
                    rows_out: list[int] | None = None,
                    defaulted_out: list[frozenset[str]] | None = None,
                    ) -> list[dict[str, Any]]:
    """Import a registry file of `kind` in format `fmt` (csv, xlsx, jsonl).

    `mapping`, `rows_out`, `defaulted_out`: see `records_from_rows`."""
    readers = {"csv": import_csv, "xlsx": import_xlsx, "jsonl": import_jsonl}
    if fmt not in readers:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return readers[fmt](data, kind, mapping=mapping, rows_out=rows_out,
                        defaulted_out=defaulted_out)


def import_file(path: Path, kind: str) -> list[dict[str, Any]]:
    """Import a file, choosing the format from its suffix (.csv, .xlsx, .jsonl)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path.name}: unknown format {fmt!r} (use .csv, .xlsx or .jsonl)")
    return import_registry(path.read_bytes(), kind=kind, fmt=fmt)


@dataclass(frozen=True)
class RegistryVersion:
    """One version of one registry: every record, sorted by id, private fields included."""

    kind: str
    version: int
    records: tuple[Mapping[str, Any], ...]


def next_version(
    previous: RegistryVersion | None, imported: Iterable[Mapping[str, Any]], *, kind: str
) -> RegistryVersion:
    """The version after `previous` given a new import: absent records are retired, not dropped."""
    if previous is not None and previous.kind != kind:
        raise ValueError(f"previous version is of kind {previous.kind}, not {kind}")
    by_id = {str(r["id"]): dict(r) for r in imported}
    if previous is not None:
        for record in previous.records:
            record_id = str(record["id"])
            if record_id not in by_id:
                carried = dict(record)
                carried["status"] = RETIRED_STATUS[kind]
                by_id[record_id] = carried
    ordered = tuple(by_id[i] for i in sorted(by_id, key=lambda i: i.encode("ascii")))
    return RegistryVersion(kind=kind, version=(previous.version + 1) if previous else 1,
                           records=ordered)

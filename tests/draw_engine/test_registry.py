"""Registry import: CSV / XLSX / JSONL, English and Chinese headers, all-or-nothing errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from draw_engine.errors import ValidationError, ValidationProblem
from draw_engine.registry import (
    RegistryVersion,
    import_csv,
    import_file,
    import_jsonl,
    import_registry,
    import_xlsx,
    next_version,
)
from draw_engine.snapshot import make_snapshot

EN_UNITS = [
    ["id", "name", "brigade", "status", "industry", "size_class", "risk_level", "key_unit",
     "crowded_place", "tags", "phone", "district"],
    ["U2", "来宾商场", "xingbin", "active", "market", "s3", "high", "true", "yes",
     "high_rise;market", "13800000000", "north"],
    ["U1", "Café", "hq", "defunct", "hotel", "s1", "low", "false", "0", "", "", ""],
]
ZH_UNITS = [
    ["单位编号", "单位名称", "所属大队", "状态", "行业类别", "建筑规模", "风险等级", "重点单位",
     "人员密集场所", "标签", "联系电话", "district"],
    ["U2", "来宾商场", "xingbin", "正常", "market", "s3", "高", "是", "是",
     "high_rise；market", "13800000000", "north"],
    ["U1", "Café", "hq", "注销", "hotel", "s1", "低", "否", "否", "", "", ""],
]
EXPECTED_UNITS = [
    {"id": "U1", "name": "Café", "brigade": "hq", "status": "defunct", "industry": "hotel",
     "size_class": "s1", "risk_level": "low", "key_unit": False, "crowded_place": False,
     "tags": []},
    {"id": "U2", "name": "来宾商场", "brigade": "xingbin", "status": "active",
     "industry": "market", "size_class": "s3", "risk_level": "high", "key_unit": True,
     "crowded_place": True, "tags": ["high_rise", "market"], "phone": "13800000000",
     "district": "north"},
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(cell for cell in row) for row in rows).encode(encoding) + b"\n"


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def jsonl_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    return b"".join(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False).encode()
                    + b"\n" for row in rows)


@pytest.mark.parametrize("rows", [EN_UNITS, ZH_UNITS], ids=["english", "chinese"])
def test_csv_units(rows: list[list[str]]) -> None:
    assert import_csv(csv_bytes(rows), "units") == EXPECTED_UNITS


def test_csv_with_bom_and_gb18030() -> None:
    assert import_csv(b"\xef\xbb\xbf" + csv_bytes(ZH_UNITS), "units") == EXPECTED_UNITS
    assert import_csv(csv_bytes(ZH_UNITS, "gb18030"), "units") == EXPECTED_UNITS


@pytest.mark.parametrize("rows", [EN_UNITS, ZH_UNITS], ids=["english", "chinese"])
def test_xlsx_units(rows: list[list[str]]) -> None:
    assert import_xlsx(xlsx_bytes(rows), "units") == EXPECTED_UNITS


def test_xlsx_typed_cells() -> None:
    from datetime import datetime

    rows = [["编号", "姓名", "大队", "角色", "状态", "执法证有效期", "level"],
            [1001, "王五", "hq", "主办;协办", "在岗", datetime(2027, 12, 31), 3],
            ["I2", "李四", "wuxuan", "assist", "inactive", "2026-06-30", None]]
    records = import_xlsx(xlsx_bytes(rows), "inspectors")
    assert records == [
        {"id": "1001", "name": "王五", "brigade": "hq", "roles": ["lead", "assist"],
         "status": "active", "cert_valid_until": "2027-12-31", "level": 3},
        {"id": "I2", "name": "李四", "brigade": "wuxuan", "roles": ["assist"],
         "status": "inactive", "cert_valid_until": "2026-06-30"},
    ]


@pytest.mark.parametrize("rows", [EN_UNITS, ZH_UNITS], ids=["english", "chinese"])
def test_jsonl_units(rows: list[list[str]]) -> None:
    assert import_jsonl(jsonl_bytes(rows[0], rows[1:]), "units") == EXPECTED_UNITS


def test_jsonl_typed_values() -> None:
    data = (b'{"id":"E1","name":"\xe4\xb8\x93\xe5\xae\xb6","field":"electric","status":"active"}\n'
            b'{"id":"E0","name":"x","field":"civil","status":"inactive","tags":["a"]}\n')
    assert import_jsonl(data, "experts") == [
        {"id": "E0", "name": "x", "field": "civil", "status": "inactive", "tags": ["a"]},
        {"id": "E1", "name": "专家", "field": "electric", "status": "active"},
    ]
    units = b'{"id":"U1","name":"n","brigade":"hq","status":"active","risk_level":"high",' \
            b'"key_unit":true,"tags":["b","a"]}\n'
    assert import_jsonl(units, "units")[0]["key_unit"] is True
    assert import_jsonl(units, "units")[0]["tags"] == ["a", "b"]


def test_imported_records_snapshot_without_private_fields() -> None:
    snap = make_snapshot("units-1", "units", import_csv(csv_bytes(EN_UNITS), "units"))
    assert all("phone" not in r for r in snap.records)
    assert snap.records[1]["district"] == "north"


def problems_of(call: Any) -> list[ValidationProblem]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.problems


def with_cell(rows: list[list[Any]], row: int, column: int, value: Any) -> list[list[Any]]:
    copy = [list(r) for r in rows]
    copy[row][column] = value
    return copy


BAD_UNIT_FILES = [
    ("duplicate id", with_cell(EN_UNITS, 2, 0, "U2"), 3, "id",
     "duplicate id 'U2' (first at row 2)"),
    ("non-ASCII id", with_cell(EN_UNITS, 1, 0, "单位2"), 2, "id", "non-ASCII id"),
    ("unknown risk level", with_cell(ZH_UNITS, 2, 6, "极高"), 3, "风险等级",
     "unknown risk level '极高'"),
    ("unknown status", with_cell(EN_UNITS, 1, 3, "closed"), 2, "status",
     "unknown status 'closed'"),
    ("bad boolean", with_cell(EN_UNITS, 2, 7, "maybe"), 3, "key_unit", "not a yes/no value"),
    ("empty name", with_cell(EN_UNITS, 2, 1, " "), 3, "name", "is empty"),
    ("missing column", [r[:2] + r[3:] for r in EN_UNITS], 1, "brigade",
     "required column is missing"),
    ("unknown column", [[*r, "x"] for r in with_cell(EN_UNITS, 0, 11, "负责人电话")], 1,
     "负责人电话", "looks like personal data"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
@pytest.mark.parametrize(("name", "rows", "row", "column", "what"), BAD_UNIT_FILES,
                         ids=[c[0] for c in BAD_UNIT_FILES])
def test_bad_unit_files_import_nothing(fmt: str, name: str, rows: list[list[Any]], row: int,
                                       column: str, what: str) -> None:
    if fmt == "csv":
        data = csv_bytes(rows)
    elif fmt == "xlsx":
        data = xlsx_bytes(rows)
    else:
        if name == "missing column":
            pytest.skip("JSONL has no header row; missing keys are tested separately")
        data = jsonl_bytes(rows[0], rows[1:])
        row -= 1  # JSONL rows are line numbers; there is no header line
    problems = problems_of(lambda: import_registry(data, kind="units", fmt=fmt))
    expected_row = 1 if fmt == "jsonl" and name == "unknown column" else row
    assert (problems[0].row, problems[0].column) == (expected_row, column)
    if fmt == "jsonl":
        what = what.replace("first at row 2", "first at row 1")
    assert what in problems[0].what
    assert str(problems[0]).startswith(f"row {expected_row}")


def test_all_problems_are_listed() -> None:
    rows = with_cell(with_cell(EN_UNITS, 1, 6, "extreme"), 2, 3, "gone")
    problems = problems_of(lambda: import_csv(csv_bytes(rows), "units"))
    assert [(p.row, p.column) for p in problems] == [(2, "risk_level"), (3, "status")]


INSPECTORS = [["id", "name", "brigade", "roles", "status", "cert_valid_until"],
              ["I1", "张三", "hq", "lead;assist", "active", "2027-12-31"]]


@pytest.mark.parametrize(
    ("cell", "value", "what"),
    [(5, "2027-02-30", "bad date '2027-02-30'"), (5, "31/12/2027", "bad date"),
     (5, "", "is empty"), (3, "boss", "unknown role 'boss'"),
     (4, "retired", "unknown status 'retired'")],
)
def test_bad_inspector_rows(cell: int, value: str, what: str) -> None:
    rows = with_cell(INSPECTORS, 1, cell, value)
    problems = problems_of(lambda: import_csv(csv_bytes(rows), "inspectors"))
    assert problems[0].row == 2
    assert problems[0].column == INSPECTORS[0][cell]
    assert what in problems[0].what


@pytest.mark.parametrize(
    ("data", "what"),
    [(b'{"id":"E1"\n', "bad JSON"), (b"[1]\n", "JSON object"), (b"", "no records"),
     (b'{"id":"E1","name":"x","field":"f","status":"active","w":1.5}\n', "floats")],
)
def test_bad_jsonl(data: bytes, what: str) -> None:
    problems = problems_of(lambda: import_jsonl(data, "experts"))
    assert what in problems[0].what


def test_jsonl_missing_field_names_the_line() -> None:
    data = (b'{"id":"E1","name":"x","field":"f","status":"active"}\n'
            b'{"id":"E2","name":"y","status":"active"}\n')
    problems = problems_of(lambda: import_jsonl(data, "experts"))
    assert (problems[0].row, problems[0].column, problems[0].what) == (2, "field", "is empty")


def test_bad_xlsx_and_empty_files() -> None:
    assert "not an XLSX" in problems_of(lambda: import_xlsx(b"PK\x03\x04junk", "units"))[0].what
    assert "empty" in problems_of(lambda: import_csv(b"", "units"))[0].what


def test_import_file_by_suffix(tmp_path: Path) -> None:
    path = tmp_path / "单位.CSV"
    path.write_bytes(csv_bytes(EN_UNITS))
    assert import_file(path, "units") == EXPECTED_UNITS
    with pytest.raises(ValueError, match="unknown format"):
        import_file(tmp_path / "units.xls", "units")


def test_versions_retire_missing_records() -> None:
    v1 = next_version(None, import_csv(csv_bytes(EN_UNITS), "units"), kind="units")
    assert v1.version == 1
    only_u1 = [EN_UNITS[0], with_cell(EN_UNITS, 2, 3, "active")[2]]
    v2 = next_version(v1, import_csv(csv_bytes(only_u1), "units"), kind="units")
    assert v2.version == 2
    assert [(r["id"], r["status"]) for r in v2.records] == [("U1", "active"), ("U2", "defunct")]
    people = next_version(RegistryVersion("inspectors", 4, ({"id": "I9", "status": "active"},)),
                          [], kind="inspectors")
    assert people.records == ({"id": "I9", "status": "inactive"},)
    with pytest.raises(ValueError, match="kind"):
        next_version(v1, [], kind="experts")

"""Imports from several departments' exports (draw_engine/registry_sources.py, issue 18.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from draw_engine.errors import ValidationError
from draw_engine.registry import RegistryVersion, credit_code_check_char, import_registry
from draw_engine.registry_sources import (
    ImportSource,
    MappingError,
    merge_sources,
    parse_mapping,
    preview_import,
)


def code(n: int) -> str:
    """A valid 统一社会信用代码 (GB 32100 check character computed)."""
    first = f"91451300MA5K{n:05d}"
    return first + credit_code_check_char(first)


MAPPING: dict[str, Any] = {
    "format": "fairdraw-registry-mapping-v1",
    "kind": "units",
    "columns": {"企业名称": "name", "学校名称": "name", "场所名称": "name",
                "行业代码": "industry", "规模": "size_class", "登记机关": None,
                "法定代表人": "private_legal_rep"},
    "id_from": "credit_code",
    "defaults": {"status": "active", "risk_level": "low"},
    "code_lists": {
        "industry": {"H61": "住宿业", "P83": "教育", "R88": "文化艺术业", "S94": "社会组织"},
        "size_class": {"s1": "小型", "s2": "中型", "s3": "大型"},
        "risk_level": {"low": "低", "medium": "中", "high": "高"},
    },
}


def csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode() + b"\n"


MARKET = csv([
    ["统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模", "地址", "登记机关",
     "法定代表人"],
    [code(1), "来宾宾馆", "兴宾", "住宿业", "s2", "兴宾区一路1号", "市监局", "张三"],
    [code(2), "来宾中学食堂", "兴宾", "H61", "小型", "", "市监局", "李四"],
])
EDUCATION = csv([
    ["统一社会信用代码", "学校名称", "所属大队", "行业代码", "规模", "地址", "学生人数"],
    [code(2), "来宾中学", "兴宾", "P83", "大型", "兴宾区二路2号", "1200"],
    [code(3), "象州小学", "象州", "P83", "中型", "象州县三路3号", "400"],
])
CULTURE = csv([
    ["统一社会信用代码", "场所名称", "所属大队", "行业代码", "规模", "风险等级"],
    [code(4), "来宾剧院", "兴宾", "R88", "s3", "高"],
    [code(1), "来宾宾馆", "兴宾", "H61", "s2", "中"],
])


def sources(*pairs: tuple[str, bytes]) -> list[ImportSource]:
    return [ImportSource(name, data, "csv") for name, data in pairs]


def mapping(**changes: Any):
    return parse_mapping(json.dumps({**MAPPING, **changes}, ensure_ascii=False).encode())


def test_merge_three_departments_with_decisions() -> None:
    result = merge_sources("units", sources(("市场监管.csv", MARKET), ("教育.csv", EDUCATION),
                                            ("文化.csv", CULTURE)), mapping())
    ids = [r["id"] for r in result.records]
    assert ids == sorted([code(1), code(2), code(3), code(4)])
    assert result.rows == 6
    by_id = {r["id"]: r for r in result.records}
    school = by_id[code(2)]
    # Market regulation came first: its name and size stand; the education row fills the
    # address and the extra column 学生人数 (kept as an attribute, not refused).
    assert school["name"] == "来宾中学食堂"
    assert school["address"] == "兴宾区二路2号"
    assert school["学生人数"] == "1200"
    assert school["industry"] == "H61"
    assert school["size_class"] == "s1"
    assert school["private_legal_rep"] == "李四"
    assert "登记机关" not in school
    assert by_id[code(1)]["industry"] == "H61"  # the label 住宿业 is stored as its code
    assert by_id[code(4)]["risk_level"] == "high"
    assert by_id[code(3)]["status"] == "active"  # default
    decisions = {d.key: d for d in result.decisions}
    assert set(decisions) == {f"credit_code:{code(1)}", f"credit_code:{code(2)}"}
    d = decisions[f"credit_code:{code(2)}"]
    assert (d.kept.source, d.kept.row) == ("市场监管.csv", 3)
    assert [(r.source, r.row) for r in d.merged] == [("教育.csv", 2)]
    assert d.filled == {"address": "教育.csv", "学生人数": "教育.csv"}
    assert {x["field"] for x in d.dropped} == {"name", "industry", "size_class"}
    assert "市场监管.csv row 3 kept (first file in the given order)" in d.reason
    hotel = decisions[f"credit_code:{code(1)}"]
    # The market file has no risk column (the mapping's default, low): culture's 中 fills it.
    assert hotel.filled == {"risk_level": "文化.csv"}
    assert hotel.dropped == ()
    assert by_id[code(1)]["risk_level"] == "medium"
    assert hotel.to_json()["merged"] == [{"source": "文化.csv", "row": 3, "id": code(1)}]


def test_order_decides_the_winner() -> None:
    result = merge_sources("units", sources(("教育.csv", EDUCATION), ("市场监管.csv", MARKET)),
                           mapping())
    school = next(r for r in result.records if r["id"] == code(2))
    assert school["name"] == "来宾中学"


def test_every_bad_code_is_listed_with_its_row_and_nothing_is_returned() -> None:
    bad_market = csv([
        ["统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模"],
        [code(1), "甲", "兴宾", "住宿", "s2"],
        [code(2), "乙", "兴宾", "H61", "s2"],
        [code(3), "丙", "兴宾", "H62", "特大型"],
    ])
    bad_culture = csv([
        ["统一社会信用代码", "场所名称", "所属大队", "行业代码", "规模", "风险等级"],
        [code(4), "丁", "兴宾", "R88", "s3", "极高"],
    ])
    with pytest.raises(ValidationError) as info:
        merge_sources("units", sources(("a.csv", bad_market), ("b.csv", bad_culture)), mapping())
    got = [(p.source, p.row, p.column) for p in info.value.problems]
    assert got == [("a.csv", 2, "行业代码"), ("a.csv", 4, "行业代码"), ("a.csv", 4, "规模"),
                   ("b.csv", 2, "风险等级")]
    assert "'住宿' is not in the industry code list" in str(info.value.problems[0])
    assert str(info.value).startswith("a.csv: row 2, column '行业代码'")
    assert "(and 3 more)" in str(info.value)


def test_bad_credit_codes_and_in_file_duplicates_are_refused() -> None:
    wrong_check = code(5)[:-1] + ("0" if code(5)[-1] != "0" else "1")
    data = csv([
        ["统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模"],
        [wrong_check, "甲", "兴宾", "H61", "s1"],
        ["91451300MA5KOOOO1", "乙", "兴宾", "H61", "s1"],
        [code(6), "丙", "兴宾", "H61", "s1"],
        [code(6).lower(), "丁", "兴宾", "H61", "s1"],
    ])
    with pytest.raises(ValidationError) as info:
        merge_sources("units", sources(("a.csv", data)), mapping())
    whats = [(p.row, p.what) for p in info.value.problems]
    assert whats[0][0] == 2
    assert "check character" in whats[0][1]
    assert whats[1][0] == 3
    assert "is not a 统一社会信用代码" in whats[1][1]
    assert whats[2][0] == 5
    assert "duplicate id" in whats[2][1]


def test_same_id_with_two_credit_codes_is_refused() -> None:
    m = mapping(id_from=None, columns={**MAPPING["columns"], "编号": "id"})
    a = csv([["编号", "统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模"],
             ["U1", code(1), "甲", "兴宾", "H61", "s1"]])
    b = csv([["编号", "统一社会信用代码", "学校名称", "所属大队", "行业代码", "规模"],
             ["U1", code(2), "乙", "兴宾", "P83", "s1"]])
    with pytest.raises(ValidationError, match="another 统一社会信用代码"):
        merge_sources("units", sources(("a.csv", a), ("b.csv", b)), m)


def test_personal_data_column_must_be_mapped() -> None:
    data = csv([["统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模", "负责人手机"],
                [code(1), "甲", "兴宾", "H61", "s1", "13800000000"]])
    with pytest.raises(ValidationError, match="looks like personal data"):
        merge_sources("units", sources(("a.csv", data)), mapping())
    m = mapping(columns={**MAPPING["columns"], "负责人手机": "private_mobile"})
    record = merge_sources("units", sources(("a.csv", data)), m).records[0]
    assert record["private_mobile"] == "13800000000"


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "v0"}, "format must be"),
    ({"kind": "people"}, "kind must be one of"),
    ({"columns": {"名称": 3}}, "column '名称'"),
    ({"code_lists": {"tags": {"a": "b"}}}, "tags cannot have a code list"),
    ({"code_lists": {"industry": {}}}, "non-empty object"),
    ({"code_lists": {"industry": {"A": "x", "B": "x"}}}, "not unique"),
    ({"defaults": {"id": "x"}}, "id cannot have a default"),
    ({"defaults": {"status": ["a"]}}, "defaults must be"),
    ({"id_from": "id"}, "id_from must name a field"),
    ({"extra": 1}, "unknown key 'extra'"),
])
def test_bad_mapping_files_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        mapping(**change)
    with pytest.raises(MappingError, match="not JSON"):
        parse_mapping(b"{")


def test_mapping_for_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="for inspectors, not units"):
        import_registry(MARKET, kind="units", fmt="csv", mapping=mapping(kind="inspectors"))
    with pytest.raises(MappingError, match="for inspectors, not units"):
        merge_sources("units", sources(("a.csv", MARKET)), mapping(kind="inspectors"))


def test_preview_lists_ids_names_fields_and_errors() -> None:
    first = merge_sources("units", sources(("市场监管.csv", MARKET), ("教育.csv", EDUCATION)),
                          mapping())
    previous = RegistryVersion("units", 4, tuple(first.records))
    new_market = csv([
        ["统一社会信用代码", "企业名称", "所属大队", "行业代码", "规模", "状态"],
        [code(1), "来宾宾馆（新）", "兴宾", "H61", "s2", "正常"],
        [code(2), "来宾中学食堂", "兴宾", "H61", "s1", "注销"],
    ])
    preview = preview_import("units", sources(("市场监管.csv", new_market),
                                              ("文化.csv", CULTURE)),
                             mapping=mapping(), previous=previous)
    out = preview.to_json()
    assert out["ok"] is True
    assert out["version"] == 5
    assert out["added"] == [{"id": code(4), "name": "来宾剧院"}]
    assert out["removed"] == [{"id": code(3), "name": "象州小学"}]
    changed = {c["id"]: c for c in out["changed"]}
    assert changed[code(1)]["fields"] == ["address", "name", "private_legal_rep", "risk_level"]
    assert changed[code(1)]["name"] == "来宾宾馆（新）"
    assert changed[code(3)]["fields"] == ["status"]
    assert [r["id"] for r in out["retired"]] == sorted([code(2), code(3)])
    assert [d["key"] for d in out["decisions"]] == [f"credit_code:{code(1)}"]
    bad = preview_import("units", sources(("x.csv", b"\xef\xbb\xbf" + CULTURE.replace(
        b"R88", b"R99"))), mapping=mapping(), previous=previous)
    assert bad.to_json()["ok"] is False
    assert bad.to_json()["errors"] == [{"source": "x.csv", "row": 2, "column": "行业代码",
                                        "what": "'R99' is not in the industry code list "
                                        "(4 codes)"}]
    assert bad.version is None

"""`fairdraw assignments --brigade`: a code or a Chinese name from the verified unit records;
an unknown or misspelt brigade is refused (exit 2) with the known codes and names, never
answered with an empty list (issue 13 point 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdraw.assignments import UnknownBrigadeError, known_brigades, resolve_brigade
from fairdraw.demo_registry import BRIGADES, generate_units
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog, honest_portal
from tests.fairdraw.test_verify import NOW

RECORDS = {"units": [
    {"id": "U1", "brigade": "heshan", "brigade_name": "合山"},
    {"id": "U2", "brigade": "xingbin", "brigade_name": "兴宾"},
    {"id": "U3", "brigade": "xingbin"},
    {"id": "U4", "brigade": "nameless"},
]}


def test_known_brigades_from_unit_records() -> None:
    assert known_brigades(RECORDS) == {"heshan": "合山", "xingbin": "兴宾", "nameless": ""}
    assert known_brigades({}) == {}


@pytest.mark.parametrize(("given", "code"), [
    ("heshan", "heshan"), ("合山", "heshan"), (" 兴宾 ", "xingbin"), ("nameless", "nameless"),
])
def test_resolve_code_or_name(given: str, code: str) -> None:
    assert resolve_brigade(RECORDS, given) == code


@pytest.mark.parametrize("given", ["hesahn", "合山x", "", "Heshan"])
def test_unknown_brigade_lists_the_known_ones(given: str) -> None:
    with pytest.raises(UnknownBrigadeError) as e:
        resolve_brigade(RECORDS, given)
    assert e.value.known == {"heshan": "合山", "xingbin": "兴宾", "nameless": ""}
    assert "heshan 合山, nameless, xingbin 兴宾" in str(e.value)
    assert repr(given) in str(e.value)


def test_two_codes_with_one_name_are_ambiguous() -> None:
    records = {"units": [{"id": "U1", "brigade": "a", "brigade_name": "同"},
                         {"id": "U2", "brigade": "b", "brigade_name": "同"}]}
    with pytest.raises(UnknownBrigadeError):
        resolve_brigade(records, "同")


def test_demo_units_carry_the_chinese_brigade_name() -> None:
    names = dict(BRIGADES)
    units = generate_units(seed=3, active=40, defunct=4)
    assert all(u["brigade_name"] == names[u["brigade"]] for u in units)


@pytest.fixture
def portal(tmp_path: Path) -> PortalLog:
    p = honest_portal(tmp_path / "portal", NOW)
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    return p


def _run(p: PortalLog, brigade: str, *extra: str) -> tuple[int, str, str]:
    r = fairdraw("assignments", "--source", str(p.out), "--brigade", brigade,
                 "--trust", str(p.out.parent / "trust.json"),
                 "--state", str(p.out.parent / "state.json"), "--format", "csv", *extra)
    return r.returncode, r.stdout, r.stderr


def test_cli_chinese_name_gives_the_same_list_as_the_code(portal: PortalLog) -> None:
    code, by_code, err = _run(portal, "xingbin")
    assert code == 0, err
    code, by_name, err = _run(portal, "兴宾")
    assert code == 0, err
    assert by_name == by_code
    assert len(by_code.splitlines()) > 1  # header and at least one unit


@pytest.mark.parametrize("brigade", ["合山x", "xingbn"])
def test_cli_unknown_brigade_is_refused_with_the_known_list(portal: PortalLog,
                                                            brigade: str) -> None:
    for extra in ((), ("--draw", "LB-2026-12")):
        code, out, err = _run(portal, brigade, *extra)
        assert code == 2, (out, err)
        assert out == ""
        assert f"unknown brigade {brigade!r}" in err
        for c, name in BRIGADES:
            assert f"{c} {name}" in err

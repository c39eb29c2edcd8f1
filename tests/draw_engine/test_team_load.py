"""draw_engine.team_load on hand-made teams: known spreads, officers with no duty count as
0, experts never count, ineligible officers (expired certificate, defunct) are left out."""

from __future__ import annotations

from draw_engine.team_load import draw_spread, format_spreads, month_spread

ZONES = {"z1": ["a", "b"], "z2": ["c"]}
PEOPLE = [
    {"id": "P1", "brigade": "a", "roles": ["lead", "assist"], "status": "active",
     "cert_valid_until": "2030-12-31"},
    {"id": "P2", "brigade": "b", "roles": ["assist"], "status": "active",
     "cert_valid_until": "2030-12-31"},
    {"id": "P3", "brigade": "a", "roles": ["assist"], "status": "active",
     "cert_valid_until": "2030-12-31"},  # never drawn: counts as 0
    {"id": "P4", "brigade": "a", "roles": ["lead"], "status": "active",
     "cert_valid_until": "2026-01-01"},  # certificate ends before the period: not counted
    {"id": "P5", "brigade": "b", "roles": ["lead"], "status": "defunct",
     "cert_valid_until": "2030-12-31"},
    {"id": "P6", "brigade": "c", "roles": ["lead", "assist"], "status": "active",
     "cert_valid_until": "2030-12-31"},
]


def _announce(draw_id: str) -> dict:
    return {"draw_id": draw_id, "zones": ZONES, "period": {"from": "2027-01-01",
                                                          "to": "2027-01-31"}}


def _sel(unit: str, *members: tuple[str, str]) -> dict:
    return {"unit_id": unit, "team": {"members": [{"role": r, "person_id": p}
                                                  for r, p in members]}}


def test_draw_and_month_spread() -> None:
    d1 = [_sel("U1", ("lead", "P1"), ("assist", "P2")),
          _sel("U2", ("lead", "P1"), ("assist", "P2"), ("expert", "E1")),
          _sel("U3", ("lead", "P1"), ("assist", "P2"))]
    d2 = [_sel("U4", ("lead", "P6"), ("assist", "P3")),
          _sel("U5", ("lead", "P6"))]
    rows = draw_spread(_announce("D1"), d1, PEOPLE)
    assert [(r.group, r.officers, r.duties, r.low, r.high) for r in rows] == [
        ("z1", 3, 6, 0, 3)]  # P1 3, P2 3, P3 0; P4, P5 and the expert not counted
    assert (rows[0].best_low, rows[0].best_high, rows[0].excess) == (2, 2, 3)
    month = month_spread("2027-01", [(_announce("D1"), d1), (_announce("D2"), d2)], PEOPLE)
    got = {r.group: (r.officers, r.duties, r.low, r.high) for r in month}
    assert got == {"z1": (3, 7, 1, 3), "z2": (1, 2, 2, 2), "all": (4, 9, 1, 3)}
    table = format_spreads(month)
    assert "协作区 zone" in table
    assert "2-3" in table  # the even spread of 9 duties over 4 officers

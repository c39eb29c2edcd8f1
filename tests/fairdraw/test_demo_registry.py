from collections import Counter

from draw_engine.snapshot import make_snapshot
from fairdraw import demo_registry as dr


def test_laibin_scale_and_shape():
    units = dr.generate_units()
    active = [u for u in units if u["status"] == "active"]
    assert len(active) == 13_300
    assert len(units) - len(active) == dr.DEFUNCT_UNITS
    assert {u["brigade"] for u in units} == {code for code, _ in dr.BRIGADES}
    assert len({u["industry"] for u in active}) == 30
    assert {u["size_class"] for u in active} == set(dr.SIZE_CLASSES)
    assert {u["risk_level"] for u in active} == {"low", "medium", "high"}
    assert any("high_rise" in u["tags"] for u in active)
    assert any("ebike_parking" in u["tags"] for u in active)
    assert len({u["id"] for u in units}) == len(units)


def test_inspectors_teams_and_zones():
    inspectors = dr.generate_inspectors()
    assert len(inspectors) == 24
    per_team = Counter(i["brigade"] for i in inspectors)
    small = [t for t, n in per_team.items() if 2 <= n <= 3]
    assert round(100 * len(small) / len(per_team)) == 71
    for team in per_team:
        assert any("lead" in i["roles"] for i in inspectors if i["brigade"] == team)
    zoned = [b for members in dr.ZONES.values() for b in members]
    assert sorted(zoned) == sorted(per_team)  # every team in exactly one zone


def test_deterministic_and_private_fields_never_published():
    assert dr.generate_units(seed=5, active=50, defunct=5) == dr.generate_units(
        seed=5, active=50, defunct=5
    )
    snap = make_snapshot("units-demo", "units", dr.generate_units(seed=5, active=50, defunct=5))
    assert all("phone" not in r for r in snap.records)
    people = make_snapshot("inspectors-demo", "inspectors", dr.generate_inspectors())
    assert all("phone" not in r for r in people.records)

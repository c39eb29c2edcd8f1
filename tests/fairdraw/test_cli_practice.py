"""`fairdraw plan year` and `fairdraw return-visit plan` (fairdraw/cli/practice.py) on the real
DrawService of tests/draw_engine/test_lifecycle.py (in-memory ports, local beacon on a virtual
clock): what the operator reads, the files written, the exit status, and refusals that change
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer

from fairdraw.cli import operate, practice
from tests.draw_engine.test_lifecycle import World

RULES = {
    "format": "fairdraw-yearplan-v1", "year": 2026, "id_prefix": "C", "batches": 2,
    "authority": "支队",
    "classes": [
        {"name": "high", "match": {"risk_level": ["high"]}, "coverage": "full",
         "order": "drawn"},
        {"name": "key", "match": {"key_unit": [True]}, "quota": {"ratio": "1/2"}},
        {"name": "rest", "match": {}, "quota": {"count": 1}, "min_share": "1/3"},
    ],
    "order_chunk": 5,
    "teams": {"assistants": 1},
}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    w.setup_snapshots()

    @contextmanager
    def service(_config: Any) -> Iterator[Any]:
        try:
            yield w.service
        except Exception as e:  # as the real _service does: refusals become exit 1
            raise operate._refused(e) from e

    monkeypatch.setattr(practice, "_service", service)
    return w


def _run(fn: Any, **kwargs: Any) -> int:
    try:
        fn(**kwargs)
    except typer.Exit as e:
        return int(e.exit_code)
    return 0


def test_plan_year(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES), encoding="utf-8")
    out = tmp_path / "plan"
    args = {"rules_file": rules, "units": "units-2026-01", "out": out,
            "inspectors": "inspectors-2026-01", "experts": None, "config": None}
    assert _run(practice.plan_year, **args) == 3
    said = capsys.readouterr()
    orders = ["C-2026-order-high-01", "C-2026-order-high-02", "C-2026-order-high-03"]
    for d in orders:  # 13 high-risk units in parts of 5
        assert f"announced order draw {d}" in said.out
    assert "waiting for order draw(s)" in said.err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{d}.json" for d in orders] + ["year-plan.json"])
    assert _run(practice.plan_year, **args) == 3  # nothing new announced while pending
    assert "announced" not in capsys.readouterr().out
    s = world.service
    s.publish_checkpoint()
    for d in orders:
        s.execute(d)
    assert _run(practice.plan_year, **args) == 0
    said = capsys.readouterr()
    assert "2 batch plan(s) ready" in said.out
    b1 = json.loads((out / "C-2026-b01.json").read_text())
    b2 = json.loads((out / "C-2026-b02.json").read_text())
    ids = [i for p in (b1, b2) for st in p["strata"] if st["name"] == "high"
           for i in st["match"]["id"]]
    assert sorted(ids) == [f"U{i:03d}" for i in range(3, 41, 3)]  # every high unit once
    summary = json.loads((out / "year-plan.json").read_text())
    for batch in summary["batch_draws"]:
        k = {st["name"]: st["k"] for st in batch["strata"]}
        assert 3 * k["rest"] >= sum(k.values())  # min_share 1/3 raised rest's minimum
    drawn = s.announce(b1)  # the batch plan is an ordinary plan
    assert drawn.kind == "routine"


def test_plan_year_refusals_write_nothing(world: World, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    size = world.storage.tree_size()
    bad = json.loads(json.dumps(RULES))
    bad["classes"][0]["match"] = {"risk_level": "high"}
    rules.write_text(json.dumps(bad), encoding="utf-8")
    args = {"rules_file": rules, "units": "units-2026-01", "out": tmp_path / "out",
            "inspectors": None, "experts": None, "config": None}
    assert _run(practice.plan_year, **args) == 1
    assert "classes[0].match.risk_level" in capsys.readouterr().err
    rules.write_text(json.dumps(RULES), encoding="utf-8")
    assert _run(practice.plan_year, **{**args, "units": "no-such-snapshot"}) == 1
    assert "no logged snapshot 'no-such-snapshot'" in capsys.readouterr().err
    assert _run(practice.plan_year, **{**args, "rules_file": tmp_path / "missing.json"}) == 2
    assert not (tmp_path / "out").exists()
    assert world.storage.tree_size() == size


def test_return_visit_plan(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    s = world.service
    size = world.storage.tree_size()
    args = {"quarter": "2026Q1", "draw_id": None, "ratio": "1/10", "authority": None,
            "config": None}
    assert _run(practice.return_visit_plan, **args) == 1
    assert "no unit was inspected in 2026Q1" in capsys.readouterr().err
    for bad, field in (({"quarter": "2026-Q1"}, "quarter"), ({"ratio": "1/0"}, "ratio"),
                       ({"draw_id": "回访"}, "draw_id")):
        assert _run(practice.return_visit_plan, **{**args, **bad}) == 1
        assert field in capsys.readouterr().err
    assert world.storage.tree_size() == size  # refusals wrote nothing
    s.announce(world.plan())
    s.publish_checkpoint()
    s.execute("d-2026-01")
    result = s.entry(s.draw("d-2026-01").result_index or 0)
    units = [sel["unit_id"] for sel in result["selected"]]
    recorded = [s.record_outcome("d-2026-01", unit, date="2026-01-01", result=res)
                for unit, res in zip(units, ("penalised", "compliant", "compliant",
                                             "not_inspected"), strict=False)]
    # a correction: the third unit was in fact not inspected (its first outcome no longer counts)
    s.record_outcome("d-2026-01", units[2], date="2026-01-01", result="not_inspected",
                     note="更正：单位停业 / correction: closed", supersedes=recorded[2].log_index)
    assert _run(practice.return_visit_plan, **args) == 0
    said = capsys.readouterr()
    assert "pool return-visit-2026Q1: 2 units inspected in 2026Q1" in said.out
    pool = [json.loads(line)["id"] for line in s.snapshots()[-1].records.decode().splitlines()]
    assert pool == sorted(units[:2])
    assert "announced return-visit-2026Q1 (ratio 1/10)" in said.out
    assert "LOCAL BEACON" in said.err
    draw = s.draw("return-visit-2026Q1")
    assert draw.kind == "return_visit"
    assert json.loads(draw.announce)["units"]["count"] == 2
    assert _run(practice.return_visit_plan, **args) == 1  # once per id
    assert "exists already" in capsys.readouterr().err
    # the pool is reused under another draw id
    assert _run(practice.return_visit_plan, **{**args, "draw_id": "rv-2026Q1-b"}) == 0
    assert "(logged before)" in capsys.readouterr().out

"""The console's endpoints (fairdraw.console.api) through the real app, and the audit content.

The app is `fairdraw.app.create_app` over a DrawService on a real SQLite draw store
(the lifecycle test world: in-process witnesses that really co-sign, the local beacon
on a test clock). Every refusal must name what is wrong and change nothing.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from draw_engine.api import create_routers
from draw_engine.registry import credit_code_check_char
from fairdraw.app import Runtime, create_app
from fairdraw.auth import ROLES, Auth
from fairdraw.console.templates import TemplateError, check_template, template_from_plan
from fairdraw.settings import Settings
from tests.fairdraw.test_notices import SqlWorld

UNITS_V1 = ("id,name,brigade,status,risk_level\n"
            "U-1,甲商场,xingbin,active,high\n"
            "U-2,乙酒店,xingbin,active,low\n"
            "U-3,丙网吧,heshan,active,low\n"
            "U-4,丁仓库,heshan,active,low\n"
            "U-5,戊学校,heshan,active,low\n").encode()
UNITS_V2 = ("id,name,brigade,status,risk_level,phone\n"
            "U-1,甲商场（新址）,xingbin,active,high,\n"
            "U-3,丙网吧,heshan,defunct,low,\n"
            "U-4,丁仓库,heshan,active,low,13800000000\n"
            "U-5,戊学校,heshan,active,low,\n"
            "U-6,己餐馆,xingbin,active,medium,\n").encode()


class Console:
    def __init__(self, tmp_path: Path) -> None:
        self.world = SqlWorld(tmp_path)
        self.settings = Settings(database_url=f"sqlite:///{tmp_path / 'draws.db'}",
                                 data_dir=tmp_path)
        self.auth = Auth(self.world.engine)
        rt = Runtime(settings=self.settings, engine=self.world.engine,
                     storage=self.world.storage,  # type: ignore[arg-type]  # memory log
                     auth=self.auth, service=self.world.service)
        routers = create_routers(self.world.service, self.auth.require_role)
        self.client = TestClient(create_app(self.settings, runtime=rt, operator_routers=[
            ("/api", r) for r in routers]), raise_server_exceptions=False)
        self.tokens = {role: {"Authorization": f"Bearer {self.auth.create_token(role)[1]}"}
                       for role in ROLES}
        self.op = self.tokens["operator"]

    def preview(self, data: bytes, fmt: str = "csv", kind: str = "units") -> Any:
        return self.client.post(f"/api/registries/{kind}/preview", params={"format": fmt},
                                content=data, headers=self.op)


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return Console(tmp_path)


def test_session_names_the_holder_and_the_actions_its_role_may_take(console: Console) -> None:
    c = console.client
    assert c.get("/api/console/session").status_code == 401
    wrong = c.get("/api/console/session", headers={"Authorization": "Bearer fdt_" + "x" * 43})
    assert wrong.status_code == 401
    assert "unknown or revoked token" in wrong.text
    op = c.get("/api/console/session", headers=console.op).json()
    assert op["role"] == "operator"
    assert op["writer"] is True
    assert not op["actions"]["audit"]
    assert all(v for a, v in op["actions"].items() if a != "audit")
    admin = c.get("/api/console/session", headers=console.tokens["admin"]).json()
    assert all(admin["actions"].values())
    if "commission" in ROLES:  # issue 18's role: publish yes, ordinary draws no
        com = c.get("/api/console/session", headers=console.tokens["commission"]).json()
        assert com["actions"]["publish"]
        assert not com["actions"]["import-commit"]
        assert not com["actions"]["plan-announce"]
        assert not com["actions"]["record-outcome"]
        assert com["actions"]["return-visit-plan"]
        assert com["actions"]["return-visit-execute"]
        assert c.get("/api/console/templates",
                     headers=console.tokens["commission"]).status_code == 403
        # it follows draws (its return visits) like anyone holding a token
        assert c.get("/api/console/draws/nope/follow",
                     headers=console.tokens["commission"]).status_code == 404
    assert c.get("/api/console/draws/nope/follow").status_code == 401


def test_preview_lists_ids_names_changes_and_the_guard_and_writes_nothing(
        console: Console) -> None:
    c = console.client
    first = console.preview(UNITS_V1)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert len(first.json()["added"]) == 5
    assert {"id": "U-1", "name": "甲商场"} in first.json()["added"]
    assert console.preview(UNITS_V1).json()["version"] == 1  # nothing was written
    assert c.post("/api/registries/units/import", params={"format": "csv"}, content=UNITS_V1,
                  headers=console.op).status_code == 200

    p = console.preview(UNITS_V2).json()
    assert p["ok"] is True
    assert p["version"] == 2
    assert p["added"] == [{"id": "U-6", "name": "己餐馆"}]
    assert p["removed"] == [{"id": "U-2", "name": "乙酒店"}]  # absent from the file
    assert p["retired"] == [{"id": "U-2", "name": "乙酒店"}, {"id": "U-3", "name": "丙网吧"}]
    assert p["changed"] == [{"id": "U-1", "name": "甲商场（新址）", "fields": ["name"]},
                            {"id": "U-2", "name": "乙酒店", "fields": ["status"]},
                            {"id": "U-3", "name": "丙网吧", "fields": ["status"]},
                            {"id": "U-4", "name": "丁仓库", "fields": ["phone"]}]
    assert "13800000000" not in json.dumps(p)  # private fields by name, never by value
    assert p["source_sha256"] == hashlib.sha256(UNITS_V2).hexdigest()
    # 2 of 5 active records retire: 40% > 20%, the same judgement as the import's own
    guard = p["mass_removal"]
    assert guard["exceeded"] is True
    assert (guard["active"], guard["retired"], guard["limit_percent"]) == (5, 2, 20)
    refused = c.post("/api/registries/units/import", params={"format": "csv"},
                     content=UNITS_V2, headers=console.op)
    assert refused.status_code == 400
    assert refused.json()["detail"]["error"] == "MassRemovalError"
    assert console.preview(UNITS_V2).json()["version"] == 2  # still nothing written
    ok = c.post("/api/registries/units/import", params={"format": "csv",
                                                        "allow_mass_removal": "true"},
                content=UNITS_V2, headers=console.op)
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2


CODES = [f"91451300MA5K{n:05d}" + credit_code_check_char(f"91451300MA5K{n:05d}")
         for n in (1, 2, 3)]
MARKET = ("统一社会信用代码,单位名称,所属大队,状态,风险等级\n"
          f"{CODES[0]},甲商场,xingbin,active,high\n"
          f"{CODES[1]},乙酒店,xingbin,active,low\n").encode()
CULTURE = ("统一社会信用代码,单位名称,所属大队,状态,风险等级,场所电话\n"
           f"{CODES[1]},乙大酒店,xingbin,active,low,0772-1234567\n"
           f"{CODES[2]},丙网吧,heshan,active,low,\n").encode()
MAPPING = {"format": "fairdraw-registry-mapping-v1", "kind": "units",
           "columns": {"统一社会信用代码": "credit_code", "场所电话": "private_phone"},
           "id_from": "credit_code"}


def _sources(*files: tuple[str, bytes], mapping: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"files": [{"name": n, "format": "csv",
                                       "data_base64": base64.b64encode(d).decode()}
                                      for n, d in files]}
    if mapping is not None:
        body["mapping"] = mapping
    return body


def test_preview_of_several_files_with_a_mapping_shows_the_merge_and_writes_nothing(
        console: Console) -> None:
    c = console.client
    body = _sources(("market.csv", MARKET), ("culture.csv", CULTURE), mapping=MAPPING)
    p = c.post("/api/registries/units/preview", json=body, headers=console.op)
    assert p.status_code == 200, p.text
    got = p.json()
    assert got["ok"] is True
    assert got["sources"] == ["market.csv", "culture.csv"]
    assert got["mapping"] is True
    assert [a["name"] for a in got["added"]] == ["甲商场", "乙酒店", "丙网吧"]
    [decision] = got["decisions"]
    assert decision["key"] == f"credit_code:{CODES[1]}"
    assert decision["kept"] == {"source": "market.csv", "row": 3, "id": CODES[1]}
    assert decision["merged"] == [{"source": "culture.csv", "row": 2, "id": CODES[1]}]
    assert decision["filled"] == {"private_phone": "culture.csv"}
    assert [(d["field"], d["value"], d["kept"]) for d in decision["dropped"]] == [
        ("name", "乙大酒店", "乙酒店")]
    assert "market.csv row 3 kept" in decision["reason"]
    # the preview is what import-sources then does with the same body
    assert c.post("/api/registries/units/preview", json=body,
                  headers=console.op).json()["version"] == 1  # nothing written
    done = c.post("/api/registries/units/import-sources", json=body, headers=console.op)
    assert done.status_code == 200, done.text
    assert done.json()["decisions"] == got["decisions"]
    assert done.json()["source_sha256"] == got["source_sha256"]
    assert c.post("/api/registries/units/preview", json=body,
                  headers=console.op).json()["changed"] == []


@pytest.mark.parametrize(("body", "field", "words"), [
    (_sources(("m.csv", MARKET), mapping={**MAPPING, "kind": "experts"}), "mapping.kind",
     "the mapping file is for experts, not units"),
    (_sources(("m.csv", MARKET), mapping={**MAPPING, "colour": 1}), "mapping.colour",
     "unknown key 'colour'"),
    ({"files": [{"name": "m.csv", "format": "csv", "data_base64": "%%"}]},
     "files.0.data_base64", "not base64"),
    ({"files": [{"name": "m.csv", "format": "pdf", "data_base64": ""}]}, "files.0.format",
     "format must be one of"),
    ({"files": []}, "files", "non-empty"),
    ({"files": [], "extra": 1}, "extra", "unknown member"),
])
def test_preview_refuses_a_bad_sources_body_naming_the_member(
        console: Console, body: Any, field: str, words: str) -> None:
    r = console.client.post("/api/registries/units/preview", json=body, headers=console.op)
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["field"] == field
    assert words in r.json()["detail"]["message"]
    assert console.preview(UNITS_V1).json()["version"] == 1  # nothing written


def test_preview_of_a_file_with_row_errors_names_every_problem(console: Console) -> None:
    bad = ("编号,单位名称,所属大队,状态,风险等级\n"
           "U-1,甲商场,xingbin,正常,极高\n"
           "单位2,乙酒店,xingbin,正常,低\n").encode()
    r = console.preview(bad)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    assert body["version"] is None
    assert body["added"] == []
    assert [(p["row"], p["column"]) for p in body["errors"]] == [(2, "风险等级"), (3, "编号")]
    assert "极高" in body["errors"][0]["what"]
    # bytes that are no text at all: a problem like any other, for the preview and the import
    noise = bytes(range(128, 256)) * 3
    assert "neither UTF-8 nor GB18030" in console.preview(noise).json()["errors"][0]["what"]
    refused = console.client.post("/api/registries/units/import", params={"format": "csv"},
                                  content=noise, headers=console.op)
    assert refused.status_code == 400
    assert console.preview(b"id\n", fmt="pdf").status_code == 400
    assert console.preview(UNITS_V1, kind="vehicles").status_code == 404
    assert console.client.post("/api/registries/units/preview", params={"format": "csv"},
                               content=UNITS_V1).status_code == 401
    assert console.preview(UNITS_V1).json()["version"] == 1  # the refusals wrote nothing


def _template() -> dict[str, Any]:
    return {"description": "月度", "labels": {"high": "高风险单位", "rest": "其他单位"},
            "plan": {"kind": "routine", "title": "月度抽查", "authority": "支队",
                     "strata": [{"name": "high", "match": {"risk_level": ["high"]},
                                 "quota": {"ratio": "1/4", "reserve": 1}},
                                {"name": "rest", "match": {}, "quota": {"count": 3}}],
                     "teams": {"assistants": 1}, "recusals": [["I01", "U003"]]}}


@pytest.mark.parametrize(("change", "field"), [
    (lambda t: t["labels"].update(nope="无"), "labels.nope"),
    (lambda t: t["labels"].update(high=""), "labels.high"),
    (lambda t: t["plan"].update(draw_id="x"), "plan.draw_id"),
    (lambda t: t["plan"].update(beacon={"round": 3}), "plan.beacon"),
    (lambda t: t["plan"].update(kind="weekly"), "plan.kind"),
    (lambda t: t["plan"].update(colour="red"), "plan.colour"),
    (lambda t: t.update(extra=1), "extra"),
    (lambda t: t["plan"].update(strata=5), "plan.strata"),
    (lambda t: t.update(plan=[]), "plan"),
])
def test_templates_refuse_bad_ones_naming_the_field(console: Console, change: Any,
                                                    field: str) -> None:
    bad = _template()
    change(bad)
    r = console.client.put("/api/console/templates/monthly", json=bad, headers=console.op)
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["field"] == field
    assert console.client.get("/api/console/templates/monthly",
                              headers=console.op).status_code == 404
    with pytest.raises(TemplateError):
        check_template(bad)


def test_templates_saved_listed_and_read(console: Console, tmp_path: Path) -> None:
    c = console.client
    assert c.get("/api/console/templates", headers=console.op).json() == []
    assert c.put("/api/console/templates/bad name", json=_template(),
                 headers=console.op).json()["detail"]["field"] == "name"
    r = c.put("/api/console/templates/monthly", json=_template(), headers=console.op)
    assert r.status_code == 200, r.text
    assert (tmp_path / "console-templates" / "monthly.json").exists()
    assert c.get("/api/console/templates", headers=console.op).json() == [
        {"name": "monthly", "description": "月度", "title": "月度抽查"}]
    got = c.get("/api/console/templates/monthly", headers=console.op).json()
    assert got["labels"]["high"] == "高风险单位"
    assert c.get("/api/console/templates/monthly").status_code == 401
    # a demo plan becomes a template without what is chosen per draw
    plan = console.world.plan("d-x", beacon={"round": 5}, supersedes=None)
    made = template_from_plan(plan, {"high": "高", "missing": "无"})
    assert "draw_id" not in made["plan"]
    assert "period" not in made["plan"]
    assert made["labels"] == {"high": "高"}


def test_beacon_proposal_follows_the_plan_rule(console: Console) -> None:
    c = console.client
    w = console.world
    b = c.get("/api/console/beacon", headers=console.op).json()
    assert w.source.round_time(b["round"]) >= w.clock() + w.service.settings.lead_time
    assert w.source.round_time(b["round"] - 1) < w.clock() + w.service.settings.lead_time
    assert b["local"] is True
    early = c.get("/api/console/beacon", params={"round": 1}, headers=console.op)
    assert early.status_code == 400
    assert "round" in early.text
    far = c.get("/api/console/beacon", params={"round": 10**15}, headers=console.op)
    assert far.status_code == 422  # bounded before any time is computed
    bad = c.get("/api/console/beacon", params={"not_before": "tomorrow"}, headers=console.op)
    assert bad.status_code == 400
    assert bad.json()["detail"]["field"] == "beacon.not_before"


def test_follow_result_and_notices_of_a_draw(console: Console) -> None:
    c = console.client
    w = console.world
    w.setup_snapshots()
    assert c.get("/api/console/draws/nope/follow", headers=console.op).status_code == 404
    plan = w.plan("d-console", period={"from": "2026-03-02", "to": "2026-03-31"})
    assert c.post("/api/draws", json=plan, headers=console.op).status_code == 201
    f = c.get("/api/console/draws/d-console/follow", headers=console.op).json()
    assert f["status"] == "announced"
    assert f["policy_met"] is False
    assert f["can_cancel"] is True
    assert f["can_execute"] is False
    assert [x["cosigned_at"] for x in f["witnesses"]] == [None, None]
    assert c.get("/api/console/draws/d-console/notices",
                 headers=console.op).status_code == 409
    assert c.post("/api/checkpoints/publish", headers=console.op).status_code == 200
    f = c.get("/api/console/draws/d-console/follow", headers=console.op).json()
    assert f["policy_met"] is True
    assert all(x["in_time"] and x["cosigned_at"] for x in f["witnesses"])
    assert f["seconds_to_round"] > 0
    assert f["can_execute"] is False
    w.clock.now += f["seconds_to_round"] + 1
    f = c.get("/api/console/draws/d-console/follow", headers=console.op).json()
    assert f["can_execute"] is True
    assert f["can_cancel"] is False  # committed, and past round time − margin
    assert c.post("/api/draws/d-console/execute", json={}, headers=console.op).status_code == 200

    r = c.get("/api/console/draws/d-console/result", headers=console.op).json()
    assert r["status"] == "drawn"
    first = r["selected"][0]
    assert first["name"].startswith("单位")
    assert first["team"]["members"][0]["name"].startswith("人员")
    assert "public_page" not in r  # this app serves no portal
    assert {s["name"] for s in r["strata"]} == {"high", "rest"}

    evidence = hashlib.sha256(b"photo").hexdigest()
    logged = c.post("/api/draws/d-console/outcomes", headers=console.op, json={
        "unit_id": first["unit_id"], "date": "2026-01-01", "result": "penalised",
        "evidence_sha256": [evidence]})
    assert logged.status_code == 201, logged.text
    after = c.get("/api/console/draws/d-console/result", headers=console.op).json()
    assert [(o["unit_id"], o["result"], o["evidence_sha256"]) for o in after["outcomes"]] == [
        (first["unit_id"], "penalised", [evidence])]
    # corrections: each supersedes the one in force; the whole chain is listed, in log order
    old = after["outcomes"][0]["log_index"]
    for result, reason in (("rectification_ordered", "处罚决定撤销"), ("compliant", "复查合格")):
        fixed = c.post("/api/draws/d-console/outcomes", headers=console.op, json={
            "unit_id": first["unit_id"], "date": "2026-01-01", "result": result,
            "note": reason, "supersedes": old})
        assert fixed.status_code == 201, fixed.text
        old = fixed.json()["log_index"]
    chain = c.get("/api/console/draws/d-console/result", headers=console.op).json()["outcomes"]
    assert [(o["result"], o["in_force"], o["note"]) for o in chain] == [
        ("penalised", False, ""), ("rectification_ordered", False, "处罚决定撤销"),
        ("compliant", True, "复查合格")]
    assert [o["supersedes"] for o in chain] == [None, chain[0]["log_index"],
                                                chain[1]["log_index"]]
    assert [o["superseded_by"] for o in chain] == [chain[1]["log_index"],
                                                   chain[2]["log_index"], None]
    stale = c.post("/api/draws/d-console/outcomes", headers=console.op, json={
        "unit_id": first["unit_id"], "date": "2026-01-01", "result": "compliant",
        "note": "x", "supersedes": chain[0]["log_index"]})
    assert stale.status_code == 400  # only the outcome in force may be corrected

    brigade = first["brigade"]
    got = c.get("/api/console/draws/d-console/notices", params={"brigade": brigade},
                headers=console.op)
    assert got.status_code == 200, got.text
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    col = rows[0].index("大队 brigade")
    mine = [s["unit_id"] for s in r["selected"] if s["brigade"] == brigade]
    assert sorted(row[rows[0].index("单位编号 unit_id")] for row in rows[1:]) == sorted(mine)
    assert {row[col] for row in rows[1:]} == {brigade}
    assert got.headers["X-Notice-Rows"] == str(len(mine))
    xlsx = c.get("/api/console/draws/d-console/notices", params={"format": "xlsx"},
                 headers=console.op)
    assert xlsx.content[:2] == b"PK"
    assert xlsx.headers["X-Notice-Rows"] == str(len(r["selected"]))
    unknown = c.get("/api/console/draws/d-console/notices", params={"brigade": "nowhere"},
                    headers=console.op)
    assert unknown.status_code == 400
    assert "nowhere" in unknown.text


def test_audit_rows_keep_the_request_content(console: Console) -> None:
    c = console.client
    console.world.setup_snapshots()
    plan = console.world.plan("d-audit")
    assert c.post("/api/draws/plan", json=plan, headers=console.op).status_code == 200
    c.post("/api/registries/inspectors/import", params={"format": "csv"},
           content=b"id,name\nI01,x\n", headers=console.op)
    trail = c.get("/api/admin/audit", headers=console.tokens["admin"]).json()
    rows = {a["path"].split("?")[0]: a for a in trail}
    planned = json.loads(rows["/api/draws/plan"]["detail"])
    assert json.loads(planned["body"]) == plan
    assert rows["/api/draws/plan"]["actor"] == "operator"
    upload = json.loads(rows["/api/registries/inspectors/import"]["detail"])
    assert upload["sha256"] == hashlib.sha256(b"id,name\nI01,x\n").hexdigest()
    assert "body" not in upload  # registry files (phone numbers) only by size and hash
    assert c.get("/api/admin/audit", headers=console.op).status_code == 403


def test_the_demo_plans_are_valid_templates() -> None:
    from datetime import date

    from fairdraw import demo_registry as reg
    from fairdraw.cli.demo import demo_plan

    units, inspectors = reg.generate_units(), reg.generate_inspectors()
    plan = demo_plan("LB-x", "zone-1", snapshots={"units": "u", "inspectors": "i",
                                                  "experts": "e"},
                     first=date(2027, 1, 1), last=date(2027, 1, 31), units=units,
                     inspectors=inspectors)
    made = template_from_plan(plan, reg.ROUTINE_STRATA_LABELS)
    assert set(made["labels"]) == {s["name"] for s in plan["strata"]}
    assert made["plan"]["recusals"] == plan["recusals"]
    assert "period" not in made["plan"]

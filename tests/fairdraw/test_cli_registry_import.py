"""`fairdraw registry import` with several departments' files, a mapping file, --preview."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.draw_engine.test_registry_sources import CULTURE, EDUCATION, MAPPING, MARKET, code
from tests.fairdraw.clienthelp import fairdraw


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    db = f"sqlite:///{tmp_path / 'svc.db'}"
    r = fairdraw("log", "init", "--origin", "test.example/log", "--dir", str(tmp_path),
                 "--db", db)
    assert r.returncode == 0, r.stderr
    (tmp_path / "cfg.toml").write_text(
        f'database_url = "{db}"\ndata_dir = "{tmp_path}"\nlog_origin = "test.example/log"\n')
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING, ensure_ascii=False),
                                           encoding="utf-8")
    (tmp_path / "市场监管.csv").write_bytes(MARKET)
    (tmp_path / "教育.csv").write_bytes(EDUCATION)
    (tmp_path / "文化.csv").write_bytes(CULTURE)
    return tmp_path


def _import(d: Path, *args: str):
    return fairdraw("registry", "import", "--kind", "units", "--config", str(d / "cfg.toml"),
                    "--mapping", str(d / "mapping.json"), *args)


def _versions(d: Path) -> int:
    """Registry versions stored (0 when the draw tables were never created)."""
    with sqlite3.connect(d / "svc.db") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master")}
        if "draw_registry_versions" not in tables:
            return 0
        return int(db.execute("select count(*) from draw_registry_versions").fetchone()[0])


def test_merge_three_files_lists_the_decisions(workdir: Path) -> None:
    r = _import(workdir, str(workdir / "市场监管.csv"), str(workdir / "教育.csv"),
                str(workdir / "文化.csv"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("units version 1: 4 records (sha256 ")
    assert lines[1] == "6 rows from 3 files, 2 units found in several rows (合并):"
    assert f"统一社会信用代码 {code(2)}: 市场监管.csv row 3 kept (first file in the given order)" \
        in r.stdout
    # The preview of the same files again: nothing added, removed or changed.
    p = _import(workdir, str(workdir / "市场监管.csv"), str(workdir / "教育.csv"),
                str(workdir / "文化.csv"), "--preview")
    assert p.returncode == 0, p.stderr
    preview = json.loads(p.stdout)
    assert (preview["version"], preview["added"], preview["removed"], preview["changed"]) == (
        2, [], [], [])
    assert len(preview["decisions"]) == 2


def test_bad_codes_refuse_everything_and_name_every_row(workdir: Path) -> None:
    bad = CULTURE.replace(b"R88", b"R99").replace("中".encode(), "极高".encode())
    (workdir / "文化.csv").write_bytes(bad)
    r = _import(workdir, str(workdir / "市场监管.csv"), str(workdir / "文化.csv"))
    assert r.returncode == 1
    assert "文化.csv: row 2, column '行业代码': 'R99' is not in the industry code list" in r.stderr
    assert "文化.csv: row 3, column '风险等级': '极高' is not in the risk_level code list" \
        in r.stderr
    assert _versions(workdir) == 0  # nothing committed
    p = _import(workdir, str(workdir / "市场监管.csv"), str(workdir / "文化.csv"), "--preview")
    assert p.returncode == 1
    errors = json.loads(p.stdout)["errors"]
    assert [(e["source"], e["row"], e["column"]) for e in errors] == [
        ("文化.csv", 2, "行业代码"), ("文化.csv", 3, "风险等级")]
    assert _versions(workdir) == 0


def test_bad_mapping_file_is_refused(workdir: Path) -> None:
    (workdir / "mapping.json").write_text(json.dumps({**MAPPING, "format": "x"}))
    r = _import(workdir, str(workdir / "市场监管.csv"))
    assert r.returncode == 1
    assert "mapping file: format must be 'fairdraw-registry-mapping-v1'" in r.stderr
    assert _versions(workdir) == 0

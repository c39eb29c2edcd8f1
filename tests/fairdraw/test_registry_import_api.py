"""`POST /api/registries/{kind}/import-sources`: several files with a mapping, over the app."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.draw_engine.test_registry_sources import CULTURE, EDUCATION, MAPPING, MARKET, code


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    from fairdraw.app import create_app, open_runtime
    from fairdraw.settings import Settings
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer

    write_signer_key_file(tmp_path / "log.key", generate_signer("localhost/imports/log"))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", data_dir=tmp_path,
                        log_origin="localhost/imports/log")
    rt = open_runtime(settings)
    try:
        client = TestClient(create_app(settings, runtime=rt), raise_server_exceptions=False)
        _, token = rt.auth.create_token("operator", "otto")
        yield client, {"Authorization": f"Bearer {token}"}, rt
    finally:
        rt.close()


def _file(name: str, data: bytes) -> dict[str, str]:
    return {"name": name, "format": "csv", "data_base64": base64.b64encode(data).decode()}


URL = "/api/registries/units/import-sources"


def _versions(rt: Any) -> int:
    with rt.service.store.transaction() as tx:
        latest = tx.latest_version("units")
    return 0 if latest is None else latest.version


def test_three_departments_merged_with_the_decisions(api: Any) -> None:
    client, auth, rt = api
    body = {"files": [_file("市场监管.csv", MARKET), _file("教育.csv", EDUCATION),
                      _file("文化.csv", CULTURE)], "mapping": MAPPING}
    r = client.post(URL, headers=auth, content=json.dumps(body, ensure_ascii=False).encode())
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["version"], out["count"], out["rows"]) == (1, 4, 6)
    assert out["source_name"] == "市场监管.csv + 教育.csv + 文化.csv"
    assert [d["key"] for d in out["decisions"]] == sorted(
        [f"credit_code:{code(1)}", f"credit_code:{code(2)}"])
    assert "first file in the given order" in out["decisions"][0]["reason"]
    assert _versions(rt) == 1


def test_every_bad_value_is_listed_and_nothing_is_stored(api: Any) -> None:
    client, auth, rt = api
    bad = CULTURE.replace(b"R88", b"R99")
    body = {"files": [_file("市场监管.csv", MARKET), _file("文化.csv", bad)], "mapping": MAPPING}
    r = client.post(URL, headers=auth, content=json.dumps(body, ensure_ascii=False).encode())
    assert r.status_code == 400, r.text
    problems = r.json()["detail"]["problems"]
    assert problems == [{"row": 2, "column": "行业代码", "source": "文化.csv",
                         "what": "'R99' is not in the industry code list (4 codes)"}]
    assert _versions(rt) == 0


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"files": [{"name": "a.csv", "format": "csv", "data_base64": "!!"}]}, 400,
     "files.0.data_base64"),
    ({"files": [{"name": "a.doc", "format": "doc", "data_base64": ""}]}, 400, "files.0.format"),
    ({"files": []}, 400, "files"),
    ({"files": [_file("a.csv", MARKET)], "mapping": {**MAPPING, "format": "v0"}}, 400,
     "mapping.format"),
])
def test_bad_requests_are_refused(api: Any, body: dict[str, Any], status: int,
                                  field: str) -> None:
    client, auth, rt = api
    r = client.post(URL, headers=auth, content=json.dumps(body).encode())
    assert r.status_code == status, r.text
    assert r.json()["detail"].get("field") == field
    assert _versions(rt) == 0
    assert client.post("/api/registries/people/import-sources", headers=auth,
                       content=b"{}").status_code == 404

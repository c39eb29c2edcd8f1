"""Issue 14 points 3-5 and 7: hostile or careless inputs get a clear refusal and change nothing.

Every bounded parser (JSON depth, registry columns/cells/XLSX unpacked size, empty files),
the mass-removal guard, nested registry values, outcome bodies, and "no row before the log
accepts it" for snapshots, on the in-memory World of test_lifecycle.py, over HTTP through
the same routers (`_client`), and through the `fairdraw registry import` command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from draw_engine.canonical import MAX_DEPTH, check_depth, parse_json
from draw_engine.errors import CanonicalError, ValidationError
from draw_engine.lifecycle import DrawService
from draw_engine.lifecycle_errors import LifecycleError, MassRemovalError
from draw_engine.registry import MAX_CELL, MAX_COLUMNS, import_registry
from draw_engine.store import StoredSnapshot
from tests.draw_engine.test_lifecycle import AUTH, UNITS_CSV, World, _client

HEAD = b"id,name,brigade,status,risk_level\n"
BASE = {"id": "U1", "name": "n", "brigade": "b", "status": "active", "risk_level": "low"}


@pytest.fixture
def world() -> World:
    w = World()
    w.setup_snapshots()
    return w


def _deep_line(levels: int) -> bytes:
    return (b'{"id":"U1","name":"n","brigade":"b","status":"active","risk_level":"low","x":'
            + b"[" * levels + b"]" * levels + b"}\n")


def _versions(world: World, kind: str = "units") -> int | None:
    with world.store.transaction() as tx:
        latest = tx.latest_version(kind)
    return None if latest is None else latest.version


def _snapshot_names(world: World) -> list[str]:
    with world.store.transaction() as tx:
        return [s.name for s in tx.list_snapshots()]


# -- parsers are bounded ---------------------------------------------------------------


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 100_000])
def test_parse_json_refuses_deep_nesting(levels: int) -> None:
    with pytest.raises(CanonicalError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_json("[" * levels + "]" * levels)


def test_parse_json_accepts_the_depth_bound_itself() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    check_depth({"a": [[1]]}, 3)
    with pytest.raises(CanonicalError, match=r"\$\.a\[0\]"):
        check_depth({"a": [[1]]}, 2)


def test_deep_jsonl_registry_is_refused_naming_the_line() -> None:
    data = json.dumps(BASE).encode() + b"\n" + _deep_line(1000)
    with pytest.raises(ValidationError) as info:
        import_registry(data, kind="units", fmt="jsonl")
    assert info.value.row == 2
    assert "nested more than" in info.value.what


@pytest.mark.parametrize("value", [{"a": 1}, [{"a": 1}], [[1]], {}])
def test_nested_registry_values_are_refused_never_kept_as_repr(value: Any) -> None:
    for column in ("x", "tags", "name"):
        data = json.dumps({**BASE, column: value}).encode() + b"\n"
        with pytest.raises(ValidationError, match="nested JSON value") as info:
            import_registry(data, kind="units", fmt="jsonl")
        assert info.value.column == column


def test_flat_lists_and_scalars_are_kept_as_json() -> None:
    data = json.dumps({**BASE, "x": ["a", 2, True], "y": 7, "z": False}).encode() + b"\n"
    [record] = import_registry(data, kind="units", fmt="jsonl")
    assert (record["x"], record["y"], record["z"]) == (["a", 2, True], 7, False)


def test_too_many_columns_and_too_long_cells_are_refused() -> None:
    wide = ",".join([*HEAD.decode().strip().split(","),
                     *(f"c{i}" for i in range(MAX_COLUMNS))]).encode() + b"\n"
    with pytest.raises(ValidationError, match=f"more than the limit {MAX_COLUMNS}"):
        import_registry(wide + b"U1,n,b,active,low\n", kind="units", fmt="csv")
    keys = {f"k{i}": 1 for i in range(MAX_COLUMNS)}
    with pytest.raises(ValidationError, match=f"more than the limit {MAX_COLUMNS}"):
        import_registry(json.dumps({**BASE, **keys}).encode() + b"\n", kind="units",
                        fmt="jsonl")
    long = HEAD + f"U1,{'x' * (MAX_CELL + 1)},b,active,low\n".encode()
    with pytest.raises(ValidationError, match=f"more than the limit {MAX_CELL}"):
        import_registry(long, kind="units", fmt="csv")


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_bounds() -> None:
    header = ["id", "name", "brigade", "status", "risk_level"]
    with pytest.raises(ValidationError, match=f"more than the limit {MAX_COLUMNS}"):
        import_registry(_xlsx([[*header, *(f"c{i}" for i in range(MAX_COLUMNS))]]),
                        kind="units", fmt="xlsx")
    with pytest.raises(ValidationError, match="no records"):
        import_registry(_xlsx([header]), kind="units", fmt="xlsx")
    with pytest.raises(ValidationError, match="not an XLSX workbook"):
        import_registry(b"PK\x03\x04 not a zip", kind="units", fmt="xlsx")


def test_xlsx_zip_bomb_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    import draw_engine.registry as registry

    data = _xlsx([["id", "name", "brigade", "status", "risk_level"],
                  ["U1", "n", "b", "active", "low"]])
    assert import_registry(data, kind="units", fmt="xlsx")
    monkeypatch.setattr(registry, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(ValidationError, match="unpacks to"):
        import_registry(data, kind="units", fmt="xlsx")


@pytest.mark.parametrize(("data", "fmt"), [(b"", "csv"), (HEAD, "csv"), (HEAD + b",,,,\n", "csv"),
                                           (b"\xef\xbb\xbf" + HEAD, "csv"), (b"", "jsonl"),
                                           (b"\n", "jsonl")])
def test_empty_or_header_only_files_are_always_refused(world: World, data: bytes,
                                                       fmt: str) -> None:
    with pytest.raises(ValidationError, match=r"no (header|records)|not JSON"):
        world.service.import_registry("units", data, fmt=fmt, source_name="empty",
                                      allow_mass_removal=True)
    assert _versions(world) == 1


# -- no mass removal by accident -------------------------------------------------------


def test_mass_removal_is_refused_with_the_counts(world: World) -> None:
    s = world.service
    lines = UNITS_CSV.split(b"\n")
    few = b"\n".join(lines[:30]) + b"\n"  # header + U001..U029: 11 of 40 active retired
    with pytest.raises(MassRemovalError) as info:
        s.import_registry("units", few, fmt="csv", source_name="cut.csv")
    assert (info.value.active, info.value.retired, info.value.limit_percent) == (40, 11, 20)
    assert "11 of the 40 active units" in str(info.value)
    assert _versions(world) == 1
    # marking them defunct in the file counts the same as dropping them
    defunct = UNITS_CSV.replace(b",active,", b",defunct,", 9)
    with pytest.raises(MassRemovalError, match="9 of the 40"):
        s.import_registry("units", defunct, fmt="csv", source_name="defunct.csv")
    # 8 of 40 (20%) is within the limit
    ok = UNITS_CSV.replace(b",active,", b",defunct,", 8)
    assert s.import_registry("units", ok, fmt="csv", source_name="ok.csv").version == 2
    v = s.import_registry("units", few, fmt="csv", source_name="cut.csv",
                          allow_mass_removal=True)
    assert v.version == 3


def test_mass_removal_share_is_a_setting(world: World) -> None:
    from dataclasses import replace

    world.service.settings = replace(world.service.settings, mass_removal_percent=50)
    few = b"\n".join(UNITS_CSV.split(b"\n")[:30]) + b"\n"
    assert world.service.import_registry("units", few, fmt="csv", source_name="c").version == 2


# -- over HTTP ---------------------------------------------------------------------------


def test_http_refusals_are_4xx_and_change_nothing(world: World) -> None:
    client = _client(world)
    url = "/api/registries/units/import?format=jsonl"
    r = client.post(url, content=_deep_line(1000)[:4000], headers=AUTH)
    assert r.status_code == 400, r.text
    assert "nested more than" in r.json()["detail"]["problems"][0]["what"]
    r = client.post(url, content=json.dumps({**BASE, "x": {"a": 1}}).encode(), headers=AUTH)
    assert r.status_code == 400
    assert r.json()["detail"]["problems"][0]["column"] == "x"
    r = client.post("/api/registries/units/import?format=csv", content=HEAD, headers=AUTH)
    assert r.status_code == 400
    assert "no records" in r.json()["detail"]["message"]
    few = b"\n".join(UNITS_CSV.split(b"\n")[:30]) + b"\n"
    r = client.post("/api/registries/units/import?format=csv", content=few, headers=AUTH)
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert (detail["error"], detail["field"]) == ("MassRemovalError", "allow_mass_removal")
    assert (detail["active"], detail["retired"], detail["limit_percent"]) == (40, 11, 20)
    assert _versions(world) == 1
    r = client.post("/api/registries/units/import?format=csv&allow_mass_removal=true",
                    content=few, headers=AUTH)
    assert r.status_code == 200
    assert r.json()["version"] == 2


def test_http_outcome_with_bad_evidence_is_400(world: World) -> None:
    s = world.service
    s.announce(world.plan())
    s.publish_checkpoint()
    drawn = s.execute("d-2026-01")
    unit = s.entry(drawn.result_index or 0)["selected"][0]["unit_id"]
    client = _client(world)
    size = world.storage.tree_size()
    for evidence in (5, "ab", {"a": 1}, [1], None, True):
        body = {"unit_id": unit, "date": "2026-01-10", "result": "compliant",
                "evidence_sha256": evidence}
        r = client.post("/api/draws/d-2026-01/outcomes", json=body, headers=AUTH)
        assert r.status_code in (400, 422), (evidence, r.text)
        assert "evidence_sha256" in r.text
    assert world.storage.tree_size() == size
    assert s.outcomes() == []


@pytest.mark.parametrize("route", ["/api/draws", "/api/draws/plan", "/api/snapshots",
                                   "/api/draws/d-2026-01/outcomes",
                                   "/api/draws/d-2026-01/cancel",
                                   "/api/return-visits/snapshot"])
def test_deeply_nested_json_bodies_are_4xx(world: World, route: str) -> None:
    client = _client(world)
    size = world.storage.tree_size()
    for body in ('{"a":' + "[" * 5000 + "]" * 5000 + "}", "[" * 100 + "]" * 100):
        r = client.post(route, content=body, headers={**AUTH,
                                                      "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (route, r.status_code, r.text[:300])
    assert world.storage.tree_size() == size


# -- nothing written before the log accepts it ----------------------------------------


def test_read_only_service_refuses_snapshots_and_imports_leaving_no_row(world: World) -> None:
    reader = DrawService(store=world.store, storage=world.storage, sequencer=None,
                         beacon=world.source, settings=world.service.settings,
                         clock=world.clock)
    before = _snapshot_names(world)
    with pytest.raises(LifecycleError, match="read-only"):
        reader.create_snapshot("units", "units-ro")
    with pytest.raises(LifecycleError, match="read-only"):
        reader.import_registry("units", UNITS_CSV, fmt="csv", source_name="ro.csv")
    assert _snapshot_names(world) == before
    assert _versions(world) == 1
    world.service = reader
    r = _client(world).post("/api/snapshots", json={"kind": "units", "name": "units-ro"},
                            headers=AUTH)
    assert r.status_code == 409
    assert "read-only" in r.json()["detail"]["message"]
    assert _snapshot_names(world) == before


class _FailingSequencer:
    """A sequencer whose append fails (a crash, a lost lease) after the row was written."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def append(self, entries: list[bytes]) -> list[int]:
        raise LifecycleError("the log refused the append")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_refused_append_leaves_no_snapshot_row(world: World) -> None:
    s = world.service
    s.sequencer = _FailingSequencer(world.sequencer)  # type: ignore[assignment]
    before = _snapshot_names(world)
    with pytest.raises(LifecycleError, match="refused the append"):
        s.create_snapshot("units", "units-2026-02")
    assert _snapshot_names(world) == before
    s.sequencer = world.sequencer
    snap = s.create_snapshot("units", "units-2026-02")  # the name is free again
    assert snap.log_index is not None


def test_orphans_of_a_crash_are_dropped_by_the_writer_only(world: World) -> None:
    from datetime import UTC, datetime

    orphan = StoredSnapshot(name="orphan", kind="units", root="00" * 32, count=0,
                            publish="at_announce", records=b"", source="registry:units:1",
                            prev=None, log_index=None, created_at=datetime.now(UTC))
    with world.store.transaction() as tx:
        tx.add_snapshot(orphan)
    reader = DrawService(store=world.store, storage=world.storage, sequencer=None,
                         beacon=world.source, clock=world.clock)
    reader.recover()
    assert "orphan" in _snapshot_names(world)  # a reader cannot tell it from a write in flight
    world.service.recover()
    assert "orphan" not in _snapshot_names(world)
    assert _snapshot_names(world) == ["units-2026-01", "inspectors-2026-01"]
    with world.store.transaction() as tx:
        tx.add_snapshot(orphan)
    # a failed append drops its own row only: another pending row may be a write in flight
    world.service.sequencer = _FailingSequencer(world.sequencer)  # type: ignore[assignment]
    with pytest.raises(LifecycleError):
        world.service.create_snapshot("units", "units-2026-02")
    assert _snapshot_names(world) == ["units-2026-01", "inspectors-2026-01", "orphan"]


# -- the command line --------------------------------------------------------------------


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer

    write_signer_key_file(tmp_path / "log.key", generate_signer("localhost/k3/log"))
    config = tmp_path / "fairdraw.json"
    config.write_text(json.dumps({"database_url": f"sqlite:///{tmp_path / 'fd.db'}",
                                  "data_dir": str(tmp_path), "log_origin": "localhost/k3/log",
                                  "beacon_relay_url": "http://127.0.0.1:9"}))
    return config


def test_cli_registry_import_refusals_exit_1_without_traceback(cli_config: Path,
                                                               tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fairdraw.cli import _register, app

    if not any(group.name == "registry" for group in app.registered_groups):
        _register()

    def run(name: str, data: bytes, *extra: str) -> Any:
        path = tmp_path / name
        path.write_bytes(data)
        return CliRunner().invoke(app, ["registry", "import", "--kind", "units", str(path),
                                        "--config", str(cli_config), *extra])

    ok = run("units.csv", UNITS_CSV)
    assert ok.exit_code == 0, ok.output
    for name, data, words in (
            ("deep.jsonl", _deep_line(1000), "nested more than"),
            ("nested.jsonl", json.dumps({**BASE, "x": {"a": 1}}).encode(), "nested JSON"),
            ("empty.csv", HEAD, "no records"),
            ("cut.csv", b"\n".join(UNITS_CSV.split(b"\n")[:30]) + b"\n",
             "11 of the 40 active units")):
        result = run(name, data)
        assert result.exit_code == 1, (name, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), result.exception
        assert words in " ".join(result.output.split()), (name, result.output)
    allowed = run("cut.csv", b"\n".join(UNITS_CSV.split(b"\n")[:30]) + b"\n",
                  "--allow-mass-removal")
    assert allowed.exit_code == 0, allowed.output
    assert "units version 2: 41 records" in allowed.output


# -- request schemas ---------------------------------------------------------------------


def test_every_write_route_documents_its_body(world: World) -> None:
    spec = _client(world).get("/openapi.json").json()
    wanted = {"/api/snapshots": {"kind", "name"}, "/api/draws/plan": {"kind"},
              "/api/draws": {"kind"}, "/api/draws/{draw_id}/execute": set(),
              "/api/draws/{draw_id}/cancel": {"reason"},
              "/api/draws/{draw_id}/outcomes": {"unit_id", "date", "result"},
              "/api/return-visits/snapshot": {"quarter"}}
    for path, required in wanted.items():
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        schema = body["schema"]
        assert schema["type"] == "object", path
        assert schema["properties"], path
        assert set(schema.get("required", [])) == required, path


def test_shape_errors_keep_the_400_field_answer(world: World) -> None:
    client = _client(world)
    r = client.post("/api/snapshots", json={"kind": "units"}, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == "name"
    assert r.json()["detail"]["message"] == "name is missing"
    r = client.post("/api/snapshots", json=["units"], headers=AUTH)
    assert (r.status_code, r.json()["detail"]["message"]) == (400, "body must be an object")
    r = client.post("/api/draws/d-x/execute", json={"timeout": -1}, headers=AUTH)
    assert (r.status_code, r.json()["detail"]["field"]) == (400, "timeout")
    r = client.post("/api/draws/d-x/execute", json={"timeout": True}, headers=AUTH)
    assert (r.status_code, r.json()["detail"]["field"]) == (400, "timeout")
    r = client.post("/api/draws", json={**world.plan(), "strata": "all"}, headers=AUTH)
    assert (r.status_code, r.json()["detail"]["field"]) == (400, "strata")
    assert world.storage.tree_size() == 2

"""The service's one error → HTTP table (fairdraw.http_errors; issue 16.2).

- each package has one exception tree (one root; private control-flow classes aside);
- every deliberate error class has an explicit status (a row for it or a branch above it),
  the roots and the builtins none (the command line's own classes, in fairdraw.cli, are
  never raised in the service and need none);
- through a real app: a deliberate error answers its status and body, a bare ValueError,
  LookupError or KeyError escaping a route is a 500 (never a 4xx that blames the client),
  and a lost database connection is a 503 with no SQL in the answer;
- the witness app keeps its own table (witnesses.server.STATUS_BY_ERROR, C2SP tlog-witness
  statuses): every refusal class has its row there, with no default.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from draw_engine.errors import DrawEngineError, ValidationError, ValidationProblem
from draw_engine.lifecycle_errors import (
    CancelTooLateError,
    CheckpointNotCosignedError,
    SupersedeError,
    UnknownDrawError,
)
from fairdraw.auth import AuthError
from fairdraw.errors import FairdrawError
from fairdraw.http_errors import ROOTS, STATUS, install_error_handlers, status_for
from public_portal.errors import PortalError
from transparency.errors import FencedError, StorageError, TransparencyError
from witnesses.errors import AddCheckpointError, CollectionError, WitnessError
from witnesses.server import STATUS_BY_ERROR
from witnesses.server import status_for as witness_status_for

PACKAGES = {"transparency": TransparencyError, "witnesses": WitnessError,
            "draw_engine": DrawEngineError, "public_portal": PortalError,
            "fairdraw": FairdrawError}


def _classes(package: str) -> dict[type[BaseException], str]:
    """Every exception class defined in the package's modules (migrations aside)."""
    found: dict[type[BaseException], str] = {}
    root = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, f"{package}.")
                         if ".migrations" not in m.name]
    for name in names:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == name):
                found[obj] = name
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_has_one_exception_tree(package: str) -> None:
    classes = _classes(package)
    roots = [c for c in classes if not c.__name__.startswith("_")
             and not any(b in classes for b in c.__mro__[1:])]
    assert roots == [PACKAGES[package]], [f"{classes[c]}.{c.__name__}" for c in roots]


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_deliberate_error_has_an_explicit_status(package: str) -> None:
    unmapped = [f"{module}.{cls.__name__}" for cls, module in _classes(package).items()
                if not cls.__name__.startswith("_") and cls not in ROOTS
                and not module.startswith("fairdraw.cli")
                and status_for(cls.__new__(cls)) is None]
    assert unmapped == []


def test_no_builtin_and_no_package_root_has_a_row() -> None:
    assert [c for c in STATUS if c.__module__ == "builtins"] == []
    for exc in (ValueError("x"), LookupError("x"), KeyError("x"), TypeError("x"),
                RuntimeError("x"), DrawEngineError("x"), TransparencyError("x"),
                WitnessError("x"), FairdrawError("x")):
        assert status_for(exc) is None, exc


def _app(exc: BaseException) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("exc", [ValueError("bad"), LookupError("gone"), KeyError("k"),
                                 DrawEngineError("a root raised by itself")])
def test_a_bug_is_a_500_not_a_4xx(exc: BaseException) -> None:
    r = _app(exc).get("/boom")
    assert r.status_code == 500


@pytest.mark.parametrize(("exc", "status", "detail"), [
    (UnknownDrawError("no draw 'x'"), 404,
     {"error": "UnknownDrawError", "message": "no draw 'x'"}),
    (SupersedeError("self-supersede", "draw d cannot supersede itself"), 400,
     {"error": "SupersedeError", "field": "supersedes", "rule": "self-supersede",
      "message": "supersedes: self-supersede: draw d cannot supersede itself"}),
    (ValidationError([ValidationProblem(2, "id", "is empty")]), 400,
     {"error": "ValidationError", "message": "row 2, column 'id': is empty",
      "problems": [{"row": 2, "column": "id", "what": "is empty"}]}),
    (CheckpointNotCosignedError("not co-signed", reasons={"w1": "down"}), 503,
     {"error": "CheckpointNotCosignedError", "message": "not co-signed (w1: down)",
      "reasons": {"w1": "down"}}),
])
def test_a_draw_api_error_answers_its_status_and_evidence(
        exc: BaseException, status: int, detail: dict[str, Any]) -> None:
    r = _app(exc).get("/boom")
    assert (r.status_code, r.json()) == (status, {"detail": detail})


def test_a_cancel_too_late_carries_its_deadline() -> None:
    exc = CancelTooLateError(draw_id="d1", round=7, round_time=1_800_000_000, margin=60,
                             now=1_800_000_000.0, commitment_size=3)
    r = _app(exc).get("/boom")
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert (detail["round"], detail["margin"]) == (7, 60)
    assert (detail["round_time"], detail["deadline"]) == ("2027-01-15T08:00:00Z",
                                                          "2027-01-15T07:59:00Z")


@pytest.mark.parametrize(("exc", "status"), [
    (AuthError("role must be one of operator, admin"), 400),
    (FencedError("lost the log's write lease", epoch=1, current_epoch=2), 503),
    (CollectionError("policy not met", reasons={"w1": "down"}), 503),
    (StorageError("node (0, 3) is not stored"), 500),
    (PortalError("cannot build"), 500),
])
def test_other_errors_answer_a_message(exc: BaseException, status: int) -> None:
    r = _app(exc).get("/boom")
    assert r.status_code == status
    assert r.json() == {"detail": str(exc), "error": type(exc).__name__}


def test_a_lost_database_connection_is_a_503_without_sql() -> None:
    exc = sa.exc.OperationalError("SELECT secret FROM t WHERE x = ?", {"x": 1},
                                  Exception("server closed the connection"))
    r = _app(exc).get("/boom")
    assert r.status_code == 503
    assert r.json()["error"] == "DatabaseUnavailable"
    assert "SELECT" not in r.text


def test_every_witness_refusal_has_its_own_row() -> None:
    refusals = [c for c in _classes("witnesses") if issubclass(c, AddCheckpointError)
                and c is not AddCheckpointError]
    assert refusals
    for cls in refusals:
        assert witness_status_for(cls.__new__(cls)) in {400, 403, 404, 409, 413, 422, 429}
    assert AddCheckpointError not in STATUS_BY_ERROR
    with pytest.raises(LookupError):  # no default: a refusal without a row is a bug (500)
        witness_status_for(AddCheckpointError("a refusal nobody classified"))

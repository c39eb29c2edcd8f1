"""The service's one table from exceptions to HTTP answers (STYLE §6; issue 16.2).

`STATUS` maps every deliberate error class of the packages the service runs
(`transparency`, `witnesses`, `draw_engine`, `public_portal`, `fairdraw`) to its
HTTP status.
An exception takes the row of the nearest class in its MRO (`status_for`).
No builtin exception has a row: a bare `ValueError`, `LookupError`,
`KeyError`… escaping a route is a bug, so the service answers it 500 and
logs it with its traceback, never a 4xx that blames the client. The roots
of the big trees (`TransparencyError`, `WitnessError`, `DrawEngineError`,
`FairdrawError`) have no row either, so a new error class must be given its
status here (tests/fairdraw/test_http_errors.py checks every class but the
command line's own, `fairdraw.cli`, which no request reaches).

Bodies (`body_for`), as the API documents them (docs/operations.md §5,
docs/spec/lifecycle.md §API):

- errors of the draw lifecycle API (`draw_engine`): `{"detail": {"error":
  class name, "message", …evidence}}`, the evidence being what the error
  carries: `field`, `rule`, `problems`, `reasons`, the cancel deadline…;
- every other error: `{"detail": message, "error": class name}`;
- a lost database connection (SQLAlchemy `OperationalError`,
  `InterfaceError`: a terminated session, a restarting server): 503 with no
  SQL or parameters in the answer.

Routes still answer their own request-shape problems (a bad query parameter,
a body of the wrong JSON shape) with `HTTPException`: those are not errors
of a package and need no row. The witness server is another app, run by
another administration, and keeps its own table for the C2SP tlog-witness
statuses (`witnesses.server.STATUS_BY_ERROR`; docs/architecture.md says why).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from draw_engine.beacon_errors import (
    BeaconError,
    BeaconFormatError,
    BeaconUnavailableError,
    BeaconVerificationError,
    RoundNotFoundError,
    UnsupportedSchemeError,
)
from draw_engine.calendar import CalendarError
from draw_engine.entries import format_utc
from draw_engine.errors import AnnounceError, DrawEngineError, ValidationError
from draw_engine.errors import FormatError as DrawFormatError
from draw_engine.errors import VerificationError as DrawVerificationError
from draw_engine.lifecycle_errors import (
    BeaconWaitError,
    CancelTooLateError,
    CheckpointNotCosignedError,
    CommitmentError,
    DrawStateError,
    LifecycleError,
    MassRemovalError,
    PlanError,
    SupersedeError,
    UnknownDrawError,
)
from draw_engine.registry_sources import MappingError
from draw_engine.schedule import ScheduleError
from draw_engine.store import StoreError
from draw_engine.yearplan import YearPlanError
from fairdraw.auth import AuthError, UnknownTokenError
from fairdraw.console.templates import TemplateError, TemplateNotFoundError
from fairdraw.deploy import DeployConfigError
from fairdraw.errors import FairdrawError
from fairdraw.evidence import EvidenceError
from fairdraw.local_processes import ClusterError
from fairdraw.notices import NoticeError
from fairdraw.portal_source import ClientError
from fairdraw.settings import SettingsError
from fairdraw.verify import SkipCheckError
from public_portal.errors import PortalError
from transparency.errors import FencedError, SequencerBusyError, StorageError, TransparencyError
from transparency.errors import FormatError as LogFormatError
from transparency.errors import VerificationError as LogVerificationError
from transparency.export import FetchError
from transparency.keyfile import KeyFileError
from witnesses.errors import (
    AddCheckpointError,
    CollectionError,
    CosignatureFormatError,
    CosignatureVerificationError,
    PolicyError,
    StateError,
    WitnessConfigError,
    WitnessError,
)

log = logging.getLogger("fairdraw.app")

DATABASE_GONE: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)
"""Connection-level database failures (terminated session, server restarting): 503."""

STATUS: Mapping[type[Exception], int] = MappingProxyType({
    # -- transparency: the log -------------------------------------------------------
    LogFormatError: 400,  # a value not in its canonical form
    LogVerificationError: 400,  # a proof, root or signature that does not verify
    StorageError: 500,  # the log's storage refused a write or holds inconsistent data
    SequencerBusyError: 503,  # another process is the log's writer
    FencedError: 503,  # this server lost the write lease
    KeyFileError: 500,  # the server's own key file
    FetchError: 502,  # a remote log could not be fetched
    # -- witnesses: co-signing --------------------------------------------------------
    CosignatureFormatError: 400,
    CosignatureVerificationError: 400,
    PolicyError: 422,  # a policy not met, or malformed
    CollectionError: 503,  # the witnesses did not co-sign (down, refusing)
    AddCheckpointError: 500,  # the witness server's own refusals never arise in this app
    StateError: 500,  # a witness's state store
    WitnessConfigError: 500,  # a witness's configuration
    # -- draw_engine: the draw lifecycle API ------------------------------------------
    DrawFormatError: 400,  # announce, records, registry files, entries, canonical JSON
    CalendarError: 400,  # a calendar file, or a date it does not cover
    MappingError: 400,  # a registry column mapping file
    ScheduleError: 409,  # a draw that cannot be scheduled in its period (its data, not the request)
    YearPlanError: 400,  # a yearly plan's rules, or draws, that cannot be planned; names its field
    DrawVerificationError: 422,  # data that does not match a commitment
    StoreError: 409,  # the draw index refused a conflicting write
    LifecycleError: 409,  # a step refused in this state (e.g. a read-only server)
    PlanError: 400,  # a request that cannot be accepted as given; names its field
    UnknownDrawError: 404,
    DrawStateError: 409,  # wrong state, a second result, a cancel too late
    CommitmentError: 409,  # the announce is not committed in time
    CheckpointNotCosignedError: 503,  # the witnesses did not meet the policy
    BeaconWaitError: 503,  # the beacon round could not be had in time
    BeaconError: 422,  # a beacon refused (subclasses below say why)
    BeaconFormatError: 422,
    UnsupportedSchemeError: 422,
    BeaconVerificationError: 422,  # a beacon that does not verify is refused, never used
    BeaconUnavailableError: 503,
    RoundNotFoundError: 404,
    # -- fairdraw: the composition root ------------------------------------------------
    AuthError: 400,  # a token request with a bad role or name
    UnknownTokenError: 404,  # no active token with this id
    NoticeError: 400,  # a notices request for a bad date
    TemplateError: 400,  # a console plan template; names its field
    TemplateNotFoundError: 404,
    SettingsError: 500,  # the server's settings
    DeployConfigError: 500,  # the server's nginx settings
    ClusterError: 500,  # local child processes (demo, tests)
    ClientError: 500,  # a verifying client's error inside the server is the server's
    EvidenceError: 500,  # local evidence files (`fairdraw evidence hash`) only
    SkipCheckError: 500,  # control flow inside `fairdraw.verify`; never escapes it
    # -- public_portal: the static site ---------------------------------------------------
    PortalError: 500,  # the portal is built from the server's own data, off the request path
})
"""Error class → HTTP status. The nearest class of an exception's MRO decides."""

ROOTS: tuple[type[Exception], ...] = (
    TransparencyError, WitnessError, DrawEngineError, PortalError, FairdrawError)
"""The package roots the handler is registered for (with `DATABASE_GONE`)."""


def status_for(exc: BaseException) -> int | None:
    """The HTTP status of a deliberate error; None for anything else (a bug: 500)."""
    for cls in type(exc).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return None


def evidence_for(exc: BaseException) -> dict[str, Any]:
    """What a draw lifecycle error carries, as JSON fields of its answer's `detail`."""
    out: dict[str, Any] = {}
    if isinstance(exc, ValidationError):
        out["problems"] = [{"row": p.row, "column": p.column, "what": p.what,
                            **({"source": p.source} if p.source is not None else {})}
                           for p in exc.problems]
    if isinstance(exc, PlanError | AnnounceError | YearPlanError):
        out["field"] = exc.field
    if isinstance(exc, SupersedeError):
        out["rule"] = exc.rule
    if isinstance(exc, MassRemovalError):
        out.update(active=exc.active, retired=exc.retired, limit_percent=exc.limit_percent)
    if isinstance(exc, CommitmentError):
        out["reasons"] = exc.reasons
    if isinstance(exc, CancelTooLateError):
        out.update(round=exc.round, round_time=format_utc(exc.round_time),
                   margin=exc.margin, deadline=format_utc(exc.deadline))
    return out


def body_for(exc: BaseException) -> dict[str, Any]:
    """The JSON body answering a deliberate error (module docstring: two shapes)."""
    name = type(exc).__name__
    if isinstance(exc, DrawEngineError):
        return {"detail": {"error": name, "message": str(exc), **evidence_for(exc)}}
    return {"detail": str(exc) or name, "error": name}


async def _handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DATABASE_GONE):
        log.error("%s %s: the database is unavailable: %r", request.method, request.url.path,
                  exc)
        return JSONResponse({"detail": "the database is unavailable; retry shortly",
                             "error": "DatabaseUnavailable"}, status_code=503)
    status = status_for(exc)
    if status is None:
        raise exc  # no row: a bug, answered 500 and logged with its traceback by the server
    if status >= 500:
        log.error("%s %s failed: %r", request.method, request.url.path, exc)
    return JSONResponse(body_for(exc), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer the packages' errors from `STATUS`. Registered per root class, not for bare
    `Exception`, so the inner ExceptionMiddleware answers (the metrics and audit middlewares
    see the real status); anything else reaches Starlette's ServerErrorMiddleware: 500."""
    for root in (*ROOTS, *DATABASE_GONE):
        app.add_exception_handler(root, _handle)

"""The operator console (issue 17): a browser UI at `/console/` over the operator API.

`mount_console(app, runtime)` adds to the service app:

- `/console/`: the static console (fairdraw/console/static: HTML, CSS, ES
  modules; Chinese with an English toggle), sent with a strict
  Content-Security-Policy (scripts and requests to this origin only) and
  `Cache-Control: no-store`;
- `/console/lib/`: the portal's own ES modules (public_portal/static/js), so
  the console hashes evidence files with the portal's SHA-256 code
  (WebCrypto, or the vendored noble fallback outside secure contexts);
- the console's read and dry-run endpoints under `/api` (fairdraw.console.api).

The console writes only through the ordinary operator API (draw_engine.api);
its token lives in the tab's session storage, sent as `Authorization: Bearer`,
never in a URL. Left out: server-side sessions or cookies (nothing to steal
from a CSRF), and the CLI-only operations (tokens, migrations, log export).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

import public_portal
from fairdraw.console.api import create_console_router

STATIC = Path(__file__).parent / "static"
PORTAL_JS = Path(public_portal.__file__).parent / "static" / "js"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class ConsoleFiles(StaticFiles):
    """Static files with the console's security and caching headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def mount_console(app: FastAPI, runtime: Any) -> None:
    """Mount the console's files at /console/ and its endpoints under /api."""
    app.include_router(create_console_router(runtime), prefix="/api")
    app.mount("/console/lib", ConsoleFiles(directory=PORTAL_JS), name="console-lib")
    app.mount("/console", ConsoleFiles(directory=STATIC, html=True), name="console")

    @app.get("/console", include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse("/console/")

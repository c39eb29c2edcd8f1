"""Operator tokens, role checks and the audit trail of every write (DESIGN §8; issue 6 item 2).

- A token is `fdt_` + 32 random bytes (url-safe base64), shown ONCE when created
  (`fairdraw token create --role admin|operator|commission`). Only its SHA-256 is stored
  (`fairdraw_tokens.token_sha256`): the token has 256 bits of entropy, so a fast
  hash is enough and lookups stay one indexed query.
- A request authenticates with `Authorization: Bearer <token>`. Roles
  (`GRANTS`): `operator` runs the lifecycle (registries, snapshots, ordinary
  draws, outcomes) and may also do what `commission` may; `commission` (the
  discipline commission, 纪委监委) may only plan, announce and execute
  return-visit draws and publish checkpoints (and read, which needs no
  token); `admin` may do everything, plus tokens and the audit trail.
- `Auth.require_role(role)` is the FastAPI dependency factory handed to every
  operator router: a missing or malformed header is 401, an unknown or revoked
  token 401, a token of too weak a role 403. Public reads use none.
- `TokenGate` authenticates every write request under `/api/` before routing,
  so a missing or unknown token is 401 before any body is parsed;
- `Auth.record` writes one `fairdraw_audit` row (fairdraw.middleware's
  `AuditMiddleware` calls it for every request with a write method, POST, PUT,
  PATCH or DELETE, whatever its outcome): who (token id, name, role, or nothing
  when refused), what (method, path, status), when;
- `create_admin_router(auth)`: token management and the audit trail over HTTP,
  admin only.

Tables are created by `fairdraw.migrations` (version table
`alembic_version_fairdraw`). Left out: token expiry, per-draw scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from fairdraw.errors import FairdrawError

ROLES = ("operator", "admin", "commission")
GRANTS: dict[str, frozenset[str]] = {
    "commission": frozenset({"commission"}),
    "operator": frozenset({"operator", "commission"}),
    "admin": frozenset({"admin", "operator", "commission"}),
}
"""What each token role may do: a route guarded by `require_role(r)` admits a token whose
role grants `r`. The commission may not import registries or run ordinary draws."""
TOKEN_PREFIX = "fdt_"  # noqa: S105 (a prefix, not a secret)
_TOKEN = re.compile(r"fdt_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9._:@-]{1,64}")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

metadata = sa.MetaData()
tokens_table = sa.Table(
    "fairdraw_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
audit_table = sa.Table(
    "fairdraw_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("token_id", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(64), nullable=True),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
)


class AuthError(FairdrawError, ValueError):
    """A token operation was refused (bad role or name); the message says why."""


class UnknownTokenError(AuthError):
    """No active token with this id (unknown, or already revoked)."""


@dataclass(frozen=True)
class Principal:
    """Who made an authenticated request."""

    token_id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        return role in GRANTS.get(self.role, frozenset())


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


class Auth:
    """Token store and the role-checking dependency, over the service database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- tokens ------------------------------------------------------------------

    def create_token(self, role: str, name: str = "operator") -> tuple[int, str]:
        """Create a token; returns (id, token). The token is not stored, only its hash."""
        check_role(role)
        if _NAME.fullmatch(name) is None:
            raise AuthError(f"token name must match {_NAME.pattern}, got {name!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            row = conn.execute(
                tokens_table.insert()
                .values(name=name, role=role, token_sha256=hash_token(token),
                        created_at=self._clock())
                .returning(tokens_table.c.id)
            ).scalar_one()
        return int(row), token

    def revoke_token(self, token_id: int) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                tokens_table.update()
                .where(tokens_table.c.id == token_id, tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            ).rowcount
        if done != 1:
            raise UnknownTokenError(f"no active token with id {token_id}")

    def list_tokens(self) -> list[dict[str, Any]]:
        t = tokens_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.name, t.c.role, t.c.created_at, t.c.revoked_at)
                .order_by(t.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]

    def authenticate(self, header: str | None) -> Principal:
        """The principal for an `Authorization` header value; HTTPException 401 otherwise."""
        if not header:
            raise _unauthorized("missing Authorization header (expected 'Bearer <token>')")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Authorization header must be 'Bearer <token>'")
        token = token.strip()
        if _TOKEN.fullmatch(token) is None:
            raise _unauthorized("malformed token")
        digest = hash_token(token)
        t = tokens_table
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.c.id, t.c.name, t.c.role, t.c.token_sha256)
                .where(t.c.token_sha256 == digest, t.c.revoked_at.is_(None))
            ).first()
        if row is None or not hmac.compare_digest(row.token_sha256, digest):
            raise _unauthorized("unknown or revoked token")
        return Principal(int(row.id), row.name, row.role)

    def require_role(self, role: str) -> Callable[[Request], Principal]:
        """A FastAPI dependency admitting tokens of `role` or stronger (401/403 otherwise)."""
        check_role(role)

        def dependency(request: Request) -> Principal:
            principal = self.authenticate(request.headers.get("authorization"))
            request.state.principal = principal
            if not principal.may(role):
                raise HTTPException(
                    403, detail=f"this action needs role {role!r}; the token has {principal.role!r}"
                )
            return principal

        dependency.required_role = role  # type: ignore[attr-defined]  # for route audits
        return dependency

    # -- audit -------------------------------------------------------------------

    def record(self, *, principal: Principal | None, method: str, path: str, status: int,
               detail: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                audit_table.insert().values(
                    at=self._clock(),
                    token_id=principal.token_id if principal else None,
                    actor=principal.name if principal else None,
                    role=principal.role if principal else None,
                    method=method,
                    path=path[:512],
                    status=status,
                    detail=detail,
                )
            )

    def audit_trail(self, limit: int = 1000) -> list[dict[str, Any]]:
        a = audit_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(a).order_by(a.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]


def create_admin_router(auth: Auth) -> Any:
    """Token management and the audit trail over HTTP, for `admin` tokens only:
    `POST /admin/tokens` {"role", "name"} (the token is in the answer, once),
    `GET /admin/tokens`, `POST /admin/tokens/{id}/revoke`, `GET /admin/audit?limit=N`.
    A refused token request raises `AuthError` (400) or `UnknownTokenError` (404), answered
    by the app's one error table (fairdraw.http_errors)."""
    admin = auth.require_role("admin")
    router = APIRouter(tags=["admin"], dependencies=[Depends(admin)])

    @router.post("/admin/tokens", status_code=201)
    def create_token(role: str = Body(embed=True), name: str = Body(embed=True)
                     ) -> dict[str, Any]:
        token_id, token = auth.create_token(role, name)
        return {"id": token_id, "role": role, "name": name, "token": token}

    @router.get("/admin/tokens")
    def list_tokens() -> list[dict[str, Any]]:
        return [{**t, "created_at": t["created_at"].isoformat(),
                 "revoked_at": t["revoked_at"].isoformat() if t["revoked_at"] else None}
                for t in auth.list_tokens()]

    @router.post("/admin/tokens/{token_id}/revoke")
    def revoke_token(token_id: int) -> dict[str, Any]:
        auth.revoke_token(token_id)
        return {"id": token_id, "revoked": True}

    @router.get("/admin/audit")
    def audit(limit: int = Query(100, ge=1, le=10_000)) -> list[dict[str, Any]]:
        return [{**a, "at": a["at"].isoformat()} for a in auth.audit_trail(limit)]

    return router


class TokenGate:
    """Authenticates every write request under `prefix` BEFORE routing and body parsing,
    so a missing or unknown token is always 401 (never a 422 about the body). The role
    check stays in each route's `require_role` dependency."""

    def __init__(self, app: ASGIApp, auth: Auth, prefix: str = "/api/") -> None:
        self.app = app
        self.auth = auth
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in WRITE_METHODS
                and scope["path"].startswith(self.prefix)):
            header = None
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    header = value.decode("latin-1")
            try:
                principal = await run_in_threadpool(self.auth.authenticate, header)
            except HTTPException as e:
                response = JSONResponse({"detail": e.detail}, status_code=e.status_code,
                                        headers=e.headers)
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

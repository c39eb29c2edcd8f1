"""`fairdraw serve`, `fairdraw token …`, `fairdraw db upgrade`, `fairdraw notices`.

All read the service settings (environment `FAIRDRAW_*`, or `--config FILE`,
TOML or JSON; see fairdraw.settings).

- `fairdraw serve [--host H] [--port P]` runs the service app (fairdraw.app) under
  uvicorn, after bringing the database schema up to date; as the log's writer it
  re-co-signs the checkpoint every `checkpoint_refresh_seconds` (fairdraw.refresh).
- `fairdraw token create --role admin|operator|commission [--name N]` prints a new operator
  token ONCE on stdout (only its hash is stored); `token list`, `token revoke ID`.
- `fairdraw db upgrade` runs every package's migrations (fairdraw.db).
- `fairdraw notices --date YYYY-MM-DD --out FILE.csv | --by-brigade DIR` writes the
  units to notify on that date with their message texts (for an SMS/WeChat gateway),
  see fairdraw.notices; `fairdraw team-load --month YYYY-MM` the duty spread.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Settings file (TOML or JSON).")
]
token_app = typer.Typer(help="Operator tokens (stored hashed).", no_args_is_help=True)
db_app = typer.Typer(help="The service database.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code)


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from fairdraw.settings import SettingsError, load_settings

    try:
        return load_settings(config)
    except (SettingsError, ValidationError) as e:
        raise _fail(f"bad settings: {e}", 2) from e


def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker threads")] = 1,
) -> None:
    """Serve the log read API, the operator API, the portal, /healthz and /metrics."""
    from fairdraw import httpserver
    from fairdraw.app import create_app, open_runtime

    settings = _settings(config)
    try:
        runtime = open_runtime(settings)
    except Exception as e:
        raise _fail(f"cannot open the service: {e}") from e
    from fairdraw.refresh import start_checkpoint_refresh

    app = create_app(settings, runtime=runtime)
    sys.stderr.write(f"fairdraw serving on http://{host}:{port}/ (database "
                     f"{runtime.engine.dialect.name}; request heads within "
                     f"{settings.http_header_timeout_seconds:g} s, keep-alive "
                     f"{settings.http_keep_alive_seconds} s, at most "
                     f"{settings.http_max_connections} connections)\n")
    if start_checkpoint_refresh(app, runtime) is not None:
        sys.stderr.write(f"the checkpoint is co-signed again when "
                         f"{settings.checkpoint_refresh_seconds} s old "
                         "(checkpoint_refresh_seconds)\n")
    try:
        httpserver.run(app, host=host, port=port, settings=settings)
    finally:
        runtime.close()


def nginx_config(  # noqa: PLR0917 (typer options)
    portal: Annotated[Path, typer.Option("--portal", help="The exported portal directory "
                                         "(portal_dir, or `fairdraw portal build --out`).")],
    upstream: Annotated[str, typer.Option("--upstream", help="`fairdraw serve` HOST:PORT.")] = (
        "127.0.0.1:8000"
    ),
    listen: Annotated[str, typer.Option("--listen", help="nginx's PORT or ADDRESS:PORT.")] = "80",
    run_dir: Annotated[Path, typer.Option("--run-dir", help="pid, temp and log files.")] = (
        Path("/run/fairdraw-nginx")
    ),
    user: Annotated[str, typer.Option("--user", help="Workers' user when started as root "
                                      "(e.g. www-data).")] = "",
    access_log: Annotated[str, typer.Option("--access-log", help="PATH or off.")] = "off",
    error_log: Annotated[str, typer.Option("--error-log", help="Default RUN_DIR/error.log.")] = "",
    header_timeout: Annotated[str, typer.Option("--header-timeout")] = "10s",
    body_timeout: Annotated[str, typer.Option("--body-timeout")] = "30s",
    keepalive_timeout: Annotated[str, typer.Option("--keepalive-timeout")] = "15s",
    worker_processes: Annotated[str, typer.Option("--worker-processes")] = "auto",
    worker_connections: Annotated[int, typer.Option("--worker-connections")] = 16384,
    per_ip: Annotated[int, typer.Option("--per-ip", help="Requests in progress per client "
                                        "address.")] = 256,
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default stdout).")] = None,
) -> None:
    """Print the nginx.conf that serves the exported portal and log as static files (C2SP
    cache headers) in front of `fairdraw serve`, bounding slow clients (docs/operations.md)."""
    from fairdraw.deploy import DeployConfigError, NginxConfig, render_nginx_config

    try:
        text = render_nginx_config(NginxConfig(
            portal=portal.absolute(), upstream=upstream, listen=listen,
            run_dir=run_dir.absolute(), user=user, access_log=access_log, error_log=error_log,
            header_timeout=header_timeout, body_timeout=body_timeout,
            keepalive_timeout=keepalive_timeout, worker_processes=worker_processes,
            worker_connections=worker_connections, per_ip=per_ip))
    except DeployConfigError as e:
        raise _fail(str(e), 2) from e
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out}; run: nginx -c {out.absolute()} (mkdir -p {run_dir})\n")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option("--role", help="operator, commission or admin")],
    name: Annotated[str, typer.Option("--name", help="Who holds it (for the audit trail).")] = (
        "operator"
    ),
    config: ConfigOpt = None,
) -> None:
    """Create a token and print it once; only its SHA-256 is stored."""
    from fairdraw.app import open_runtime
    from fairdraw.auth import AuthError

    rt = open_runtime(_settings(config))
    try:
        token_id, token = rt.auth.create_token(role, name)
    except AuthError as e:
        raise _fail(str(e), 2) from e
    finally:
        rt.close()
    sys.stderr.write(f"token {token_id} ({role}, {name}); shown once, store it now:\n")
    typer.echo(token)


@token_app.command("list")
def token_list(config: ConfigOpt = None) -> None:
    """List tokens (ids, names, roles; never the tokens)."""
    from fairdraw.app import open_runtime

    rt = open_runtime(_settings(config))
    try:
        for t in rt.auth.list_tokens():
            state = "revoked" if t["revoked_at"] else "active"
            typer.echo(f"{t['id']}\t{t['role']}\t{t['name']}\t{state}")
    finally:
        rt.close()


@token_app.command("revoke")
def token_revoke(token_id: int, config: ConfigOpt = None) -> None:
    """Revoke a token by id."""
    from fairdraw.app import open_runtime
    from fairdraw.auth import AuthError

    rt = open_runtime(_settings(config))
    try:
        rt.auth.revoke_token(token_id)
    except AuthError as e:
        raise _fail(str(e)) from e
    finally:
        rt.close()
    typer.echo(f"token {token_id} revoked")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Run every package's Alembic migrations, in order."""
    from fairdraw.db import upgrade_all

    settings = _settings(config)
    try:
        done = upgrade_all(settings.database_url)
    except Exception as e:
        raise _fail(f"migration failed: {e}") from e
    typer.echo(f"database up to date: {', '.join(done)}")


def notices(  # noqa: PLR0917 (typer options)
    date: Annotated[str, typer.Option("--date", help="Notice date YYYY-MM-DD.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="file to write, all brigades ('-': CSV to stdout)")] = None,
    by_brigade: Annotated[Path | None, typer.Option(
        "--by-brigade", help="directory: one file per brigade, notices-DATE-BRIGADE.FORMAT")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    brigade: Annotated[str | None, typer.Option(
        "--brigade", help="only this brigade (code or name)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Export the units to notify on DATE (one working day before their inspection date),
    with a message text per unit; says "provisional 临时" while a year's holiday notice is
    not loaded (setting calendar_file)."""
    from fairdraw.app import open_runtime
    from fairdraw.notices import (
        FORMATS,
        FORMATTERS,
        NoticeError,
        notice_run,
        parse_date,
        write_per_brigade,
    )

    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}", 2)
    if (out is None) == (by_brigade is None):
        raise _fail("give exactly one of --out FILE and --by-brigade DIR", 2)
    if fmt == "xlsx" and out is not None and str(out) == "-":
        raise _fail("--format xlsx needs a file, not '-'", 2)
    settings = _settings(config)
    rt = open_runtime(settings)
    try:
        run = notice_run(rt, parse_date(date), brigade=brigade)
    except NoticeError as e:
        raise _fail(str(e), 2) from e
    finally:
        rt.close()
    for note in run.notes():
        sys.stderr.write(note + "\n")
    if run.rows and not settings.portal_url:
        sys.stderr.write("note: setting portal_url is empty, so the messages carry no portal "
                         "link (未设置 portal_url，短信中无核实链接)\n")
    if by_brigade is not None:
        for path in write_per_brigade(run, by_brigade, fmt):
            sys.stderr.write(f"wrote {path}\n")
    elif str(out) == "-":
        sys.stdout.write(FORMATTERS["csv"](run.rows).decode("utf-8"))
    else:
        assert out is not None
        out.write_bytes(FORMATTERS[fmt](run.rows))
    label = " PROVISIONAL 临时" if run.provisional else ""
    sys.stderr.write(f"{len(run.rows)} notice(s) for {date}{label}\n")


def team_load(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM: the draws whose period "
                                       "starts in this month")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
    config: ConfigOpt = None,
) -> None:
    """Report how evenly the month's drawn draws spread duties over the officers: per draw
    and summed over the month, per collaboration zone (docs/draw-v2-notes.md)."""
    import json

    from fairdraw.app import open_runtime
    from fairdraw.notices import NoticeError, team_load_report

    rt = open_runtime(_settings(config))
    try:
        per_draw, per_month = team_load_report(rt, month)
    except NoticeError as e:
        raise _fail(str(e), 2) from e
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps({"draws": [r.to_json() for r in per_draw],
                               "month": [r.to_json() for r in per_month]},
                              ensure_ascii=False, indent=1))
        return
    from draw_engine.team_load import format_spreads

    typer.echo("per draw 每次抽查:")
    typer.echo(format_spreads(per_draw), nl=False)
    typer.echo(f"month 月度 {month}:")
    typer.echo(format_spreads(per_month), nl=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("nginx-config")(nginx_config)
    app.add_typer(token_app, name="token")
    app.add_typer(db_app, name="db")
    app.command("notices")(notices)
    app.command("team-load")(team_load)

"""`fairdraw witness …`: run a C2SP tlog-witness for fairdraw logs (and any other log)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import typer

witness_app = typer.Typer(help="A witness: init, add-log, serve, restore.", no_args_is_help=True)

DirOpt = Annotated[Path, typer.Option("--dir", help="The witness directory.")]


def _fail(e: Exception) -> typer.Exit:
    typer.echo(f"error: {e}", err=True)
    return typer.Exit(1)


@witness_app.command("init")
def init(
    directory: DirOpt,
    name: Annotated[str, typer.Option("--name", help="Witness key name, e.g. witness.example.org")],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: DIR/witness.db (SQLite).")
    ] = None,
) -> None:
    """Create the witness key and state database; print the cosigner verifier key (type 0x04)."""
    from witnesses.directory import init_witness
    from witnesses.errors import WitnessError

    try:
        cosigner = init_witness(directory, name, database_url=database_url)
    except WitnessError as e:
        raise _fail(e) from e
    typer.echo(cosigner.verifier_key)


@witness_app.command("add-log")
def add_log(
    directory: DirOpt,
    origin: Annotated[str, typer.Option("--origin", help="The log's checkpoint origin line.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key (type 0x01).")],
) -> None:
    """Trust a log key for an origin."""
    from witnesses.directory import add_log as add
    from witnesses.errors import WitnessError

    try:
        config = add(directory, origin, vkey)
    except WitnessError as e:
        raise _fail(e) from e
    typer.echo(f"{config.origin}: {len(config.verifier_keys)} key(s)")


@witness_app.command("restore")
def restore(
    directory: DirOpt,
    checkpoint: Annotated[
        list[Path],
        typer.Option("--checkpoint", help="A published checkpoint this witness cosigned."),
    ],
) -> None:
    """Recover from a lost database (docs/spec/witness.md §7)."""
    from witnesses.directory import restore_state
    from witnesses.errors import WitnessError

    try:
        records = restore_state(directory, [p.read_bytes() for p in checkpoint])
    except (WitnessError, OSError) as e:
        raise _fail(e) from e
    for r in records:
        typer.echo(f"restored {r.origin} at size {r.tree_size}")


@witness_app.command("serve")
def serve(  # noqa: PLR0917 (typer options)
    directory: DirOpt,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 7380,
    rate: Annotated[float, typer.Option("--rate", help="Requests/s per origin.")] = 20.0,
    burst: Annotated[int, typer.Option("--burst", help="Burst per origin.")] = 40,
    max_request_size: Annotated[int, typer.Option("--max-request-size")] = 128 * 1024,
    test_stall_ms: Annotated[int, typer.Option("--test-stall-ms", hidden=True)] = 0,
) -> None:
    """Serve POST /add-checkpoint."""
    import uvicorn

    from witnesses.directory import open_witness
    from witnesses.errors import WitnessError
    from witnesses.server import RateLimiter, WitnessService, create_app

    try:
        witness = open_witness(directory)
    except WitnessError as e:
        raise _fail(e) from e
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    service = WitnessService(
        witness.cosigner,
        witness.logs,
        witness.state,
        rate_limiter=RateLimiter(rate, burst, clock=time.monotonic),
        stall_seconds=test_stall_ms / 1000,
    )
    app = create_app(service, max_request_size=max_request_size)
    typer.echo(f"witness {witness.cosigner.verifier_key} on http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")

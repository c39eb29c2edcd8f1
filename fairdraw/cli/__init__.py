"""The `fairdraw` command line: one typer app composed of per-area sub-apps."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fairdraw",
    help="Publicly verifiable 双随机、一公开 inspection draws on a Merkle transparency log.",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    # Each area owns one module defining `register(app)`; importing lazily keeps
    # `fairdraw --help` fast and the areas independent.
    from fairdraw.cli import log

    log.register(app)
    from fairdraw.cli import witness

    witness.register(app)
    from fairdraw.cli import demo

    demo.register(app)
    from fairdraw.cli import beacon

    beacon.register(app)
    from fairdraw.cli import draw

    draw.register(app)
    from fairdraw.cli import operate

    operate.register(app)
    from fairdraw.cli import client

    client.register(app)
    from fairdraw.cli import serve

    serve.register(app)
    from fairdraw.cli import portal

    portal.register(app)
    from fairdraw.cli import practice

    practice.register(app)


def main() -> None:
    _register()
    app()

"""`fairdraw log …`: operator commands for the transparency log."""

from __future__ import annotations

import typer

log_app = typer.Typer(help="The transparency log: init, append, checkpoint, serve, export, fsck.")


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")

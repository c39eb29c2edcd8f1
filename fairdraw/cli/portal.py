"""`fairdraw portal build --out DIR [--db URL] [--config FILE]`: write the static portal.

Reads the log and the draw store from the service database (settings, or
`--db`), the trust material from the settings (log key file -> verifier key,
witness policy, pinned beacon chain, margin), and writes or updates the
portal directory (docs/spec/portal-data.md, docs/spec/portal.md). Rebuilding
is incremental: tiles, checkpoints and snapshot files are write-once.
`--trust FILE` uses a given trust.json instead of deriving it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

portal_app = typer.Typer(help="The public portal: build its static files.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@portal_app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", help="The portal directory to write.")],
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: settings).")] = (
        None
    ),
    config: Annotated[Path | None, typer.Option("--config", help="Settings file.")] = None,
    trust: Annotated[Path | None, typer.Option("--trust", help="Use this trust.json.")] = None,
) -> None:
    """Write or update the static portal (incremental)."""
    from draw_engine.sql_store import SqlDrawStore
    from fairdraw.settings import load_settings
    from public_portal.builder import PortalBuildError, build_portal, inputs_from_store
    from transparency.errors import TransparencyError
    from transparency.sql import SqlStorage

    try:
        settings = load_settings(config, **({"database_url": db} if db else {}))
        if trust is not None:
            trust_doc = json.loads(trust.read_bytes()[: 1 << 20])
        else:
            from fairdraw.draw_service import portal_trust

            trust_doc = portal_trust(settings)
    except (OSError, ValueError) as e:
        raise _fail(str(e)) from e
    storage = SqlStorage.open(settings.database_url, migrate=False)
    store = SqlDrawStore.open(settings.database_url, migrate=False)
    try:
        report = build_portal(out, inputs_from_store(storage, store, trust_doc))
    except (PortalBuildError, TransparencyError) as e:
        raise _fail(str(e)) from e
    finally:
        storage.close()
        store.close()
    typer.echo(f"portal {out}: log size {report.tree_size}, {report.draws} draw(s), "
               f"{report.tiles_written} tile(s) written, {report.tiles_skipped} kept, "
               f"{len(report.files_written)} file(s) written, {report.files_unchanged} unchanged")


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")

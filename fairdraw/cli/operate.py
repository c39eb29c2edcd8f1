"""Operator commands of the draw lifecycle (docs/spec/lifecycle.md), on the service settings.

- `fairdraw registry import --kind units|inspectors|experts FILE [--allow-mass-removal]`
  (.csv, .xlsx, .jsonl)
- `fairdraw snapshot create --kind K --name N [--publish at_announce|after_inspection]`
- `fairdraw snapshot return-visit --quarter 2026Q1 [--name N]`
- `fairdraw draw announce PLAN.json [--dry-run]`
- `fairdraw draw publish` (sign a checkpoint and have the witnesses co-sign it)
- `fairdraw draw execute DRAW_ID [--timeout S]` (a progress bar while waiting for the round)
- `fairdraw draw cancel DRAW_ID --reason TEXT` (then publishes a co-signed checkpoint)
- `fairdraw draw status [DRAW_ID]`
- `fairdraw outcome record --draw D --unit U --date YYYY-MM-DD --result R
  [--note T] [--evidence-sha256 HEX]...`

Settings come from `--config FILE` or the `FAIRDRAW_*` environment (fairdraw.settings).
Refusals print one clear line (and the witnesses' reasons) on stderr and exit 1;
bad settings exit 2; a cancel logged but not proven to come before round time − margin
exits 3. A draw on the local beacon is flagged on stderr every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fairdraw.cli.draw import snapshot_app

LOCAL_WARNING = "LOCAL BEACON: development randomness from one key, NOT public randomness"
MAX_PLAN = 1 << 20

registry_app = typer.Typer(help="Registries: import a new version.", no_args_is_help=True)
draw_app = typer.Typer(help="Draws: announce, publish, execute, cancel, status.",
                       no_args_is_help=True)
outcome_app = typer.Typer(help="Inspection outcomes (一公开).", no_args_is_help=True)
err = Console(stderr=True)
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (TOML/JSON).")]


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
    app.add_typer(draw_app, name="draw")
    app.add_typer(outcome_app, name="outcome")
    snapshot_app.command("create")(snapshot_create)
    snapshot_app.command("return-visit")(snapshot_return_visit)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _service(config: Path | None) -> Iterator[Any]:
    from pydantic import ValidationError

    from fairdraw.app import open_runtime
    from fairdraw.draw_service import open_service
    from fairdraw.settings import SettingsError, load_settings

    try:
        settings = load_settings(config)
        runtime = open_runtime(settings)
    except (SettingsError, ValidationError) as e:
        raise _fail(f"bad settings: {e}", 2) from e
    try:
        try:
            service = open_service(runtime)
        except Exception as e:
            raise _fail(f"cannot open the draw service: {e}", 2) from e
        try:
            yield service
        except typer.Exit:
            raise
        except Exception as e:
            raise _refused(e) from e
    finally:
        runtime.close()


def _refused(e: Exception) -> typer.Exit:
    from draw_engine.errors import DrawEngineError, ValidationError
    from draw_engine.lifecycle_errors import CommitmentError

    if isinstance(e, ValidationError):
        for p in e.problems:
            err.print(f"  {p}", highlight=False, soft_wrap=True)
    if isinstance(e, CommitmentError):
        for name, why in sorted(e.reasons.items()):
            err.print(f"  witness {name}: {why}", highlight=False, soft_wrap=True)
    from draw_engine.beacon_errors import BeaconError
    from transparency.errors import TransparencyError
    from witnesses.errors import WitnessError

    if isinstance(e, DrawEngineError | BeaconError | WitnessError | TransparencyError
                  | ValueError | LookupError):
        return _fail(str(e))
    raise e


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True))


def _warn_local(view: dict[str, Any]) -> None:
    if view.get("beacon", {}).get("local"):
        err.print(f"[bold red]{LOCAL_WARNING}[/bold red]", highlight=False)


@registry_app.command("import")
def registry_import(
    files: Annotated[list[Path], typer.Argument(help=(
        "Registry files: .csv, .xlsx or .jsonl. Several files (one per department) are "
        "merged by 统一社会信用代码 or id; the first file wins, so list the most "
        "authoritative register first."))],
    *,
    kind: Annotated[str, typer.Option("--kind", help="units, inspectors or experts")],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="Column mapping file (JSON, fairdraw-registry-mapping-v1): "
        "headers -> fields or null, code lists, defaults, id_from.")] = None,
    preview: Annotated[bool, typer.Option(
        "--preview", help="Print what the import would change (ids and names added, removed, "
        "changed with their fields; merge decisions; every bad row) as JSON and write "
        "nothing. Exit 1 when a row is bad.")] = False,
    allow_mass_removal: Annotated[bool, typer.Option(
        "--allow-mass-removal",
        help="Accept a file that retires more than the allowed share of the active records "
             "(setting mass_removal_percent, default 20).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Import registry files as the next version (all or nothing)."""
    from draw_engine.registry import FORMATS, MAX_FILE_SIZE
    from draw_engine.registry_sources import (
        MAX_MAPPING_SIZE,
        ImportSource,
        MappingError,
        parse_mapping,
    )

    sources = []
    for file in files:
        fmt = file.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise _fail(f"{file.name}: unknown format {fmt!r} (use .csv, .xlsx or .jsonl)")
        sources.append(ImportSource(file.name, _read_bounded(file, MAX_FILE_SIZE), fmt))
    parsed = None
    if mapping is not None:
        try:
            parsed = parse_mapping(_read_bounded(mapping, MAX_MAPPING_SIZE))
        except MappingError as e:
            raise _fail(f"{mapping}: {e}") from e
        if parsed.kind != kind:
            raise _fail(f"{mapping}: the mapping file is for {parsed.kind}, not {kind}")
    with _service(config) as service:
        if preview:
            result = service.preview_sources(kind, sources, mapping=parsed)
            _print_json(result.to_json())
            if result.errors:
                raise typer.Exit(1)
            return
        v, merged = service.import_sources(kind, sources, mapping=parsed,
                                           allow_mass_removal=allow_mass_removal)
    typer.echo(f"{v.kind} version {v.version}: {v.count} records (sha256 {v.source_sha256})")
    if len(sources) > 1 or merged.decisions:
        typer.echo(f"{merged.rows} rows from {len(sources)} files, {len(merged.decisions)} "
                   f"units found in several rows (合并):")
        for decision in merged.decisions:
            typer.echo(f"  {decision.reason}")


def _read_bounded(file: Path, limit: int) -> bytes:
    try:
        if file.stat().st_size > limit:
            raise _fail(f"{file} is larger than {limit} bytes")
        return file.read_bytes()
    except OSError as e:
        raise _fail(f"cannot read {file}: {e.strerror or e}") from e


def snapshot_create(
    kind: Annotated[str, typer.Option("--kind", help="units, inspectors or experts")],
    name: Annotated[str, typer.Option("--name", help="Snapshot name (ASCII identifier).")],
    publish: Annotated[str, typer.Option("--publish", help="at_announce or after_inspection")]
    = "at_announce",
    config: ConfigOpt = None,
) -> None:
    """Snapshot the latest registry version and append its registry.snapshot entry."""
    with _service(config) as service:
        s = service.create_snapshot(kind, name, publish=publish)
    typer.echo(f"{s.name} {s.kind} root {s.root} count {s.count} at log index {s.log_index}")


def snapshot_return_visit(
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q1")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    config: ConfigOpt = None,
) -> None:
    """Snapshot the units inspected or penalised in a quarter (return-visit pool)."""
    with _service(config) as service:
        s = service.create_return_visit_snapshot(quarter, name=name)
    typer.echo(f"{s.name} root {s.root} count {s.count} at log index {s.log_index}")


@draw_app.command("announce")
def draw_announce(
    plan_file: Annotated[Path, typer.Argument(help="The draw plan (JSON).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the announce only.")]
    = False,
    config: ConfigOpt = None,
) -> None:
    """Check a plan and append its draw.announce entry."""
    from draw_engine.canonical import parse_json
    from draw_engine.errors import CanonicalError

    try:
        if plan_file.stat().st_size > MAX_PLAN:
            raise _fail(f"{plan_file} is larger than {MAX_PLAN} bytes")
        plan = parse_json(plan_file.read_bytes(), max_size=MAX_PLAN)
    except OSError as e:
        raise _fail(f"cannot read {plan_file}: {e.strerror or e}") from e
    except CanonicalError as e:
        raise _fail(f"{plan_file}: {e}") from e
    with _service(config) as service:
        if dry_run:
            _print_json(service.plan_draw(plan))
            return
        from draw_engine.draw_view import draw_view

        view = draw_view(service.announce(plan))
    _warn_local(view)
    typer.echo(f"announced {view['draw_id']} at log index {view['announce_index']}; beacon "
               f"round {view['beacon']['round']} at {view['beacon']['round_time']}")


@draw_app.command("publish")
def draw_publish(config: ConfigOpt = None) -> None:
    """Sign a checkpoint and have the witness quorum co-sign it (fails closed)."""
    with _service(config) as service:
        p = service.publish_checkpoint()
    typer.echo(f"co-signed checkpoint of size {p.tree_size}; commits "
               f"{', '.join(p.committed) or 'no new draw'}")


@draw_app.command("execute")
def draw_execute(
    draw_id: Annotated[str, typer.Argument()],
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds to keep asking "
                                                   "for the round after its time.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Wait for the draw's beacon round, verify it, compute and append draw.result."""
    from draw_engine.draw_view import draw_view

    with _service(config) as service:
        _warn_local(draw_view(service.draw(draw_id)))
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, disable=not err.is_terminal) as bar:
            task = bar.add_task("checking the commitment", total=None)

            def on_wait(message: str, waited: float, total: float) -> None:
                bar.update(task, description=message, completed=waited, total=total)

            view = draw_view(service.execute(draw_id, timeout=timeout, on_wait=on_wait))
    typer.echo(f"{view['draw_id']} drawn: result at log index {view['result_index']}")


@draw_app.command("cancel")
def draw_cancel(
    draw_id: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="Why it will never get a result.")],
    config: ConfigOpt = None,
) -> None:
    """Append draw.cancel with a reason, then publish a co-signed checkpoint covering it.

    Refused (exit 1) for a committed draw once its round time minus the margin has passed:
    it must be executed. Exit 3 when the cancel is logged but no checkpoint co-signed by that
    time covers it yet: run `fairdraw draw publish` before then."""
    from draw_engine.cancel import cancel_warning

    with _service(config) as service:
        report = service.cancel(draw_id, reason)
    d = report.draw
    typer.echo(f"{d.draw_id} cancelled at log index {d.cancel_index}")
    cp = report.checkpoint
    if cp is not None:
        typer.echo(f"co-signed checkpoint of size {cp.tree_size} covers the cancel"
                   + ("; in time" if report.in_time else ""))
    warning = cancel_warning(report)
    if warning is not None:
        for name, why in sorted(report.reasons.items()):
            err.print(f"  witness {name}: {why}", highlight=False, soft_wrap=True)
        raise _fail(warning, 3)
    if report.problem is not None:  # an uncommitted draw: its cancel needs no proof
        err.print(f"note: {report.problem} (draw {d.draw_id} was never committed, so its "
                  "cancel needs no proof of timing)", highlight=False, soft_wrap=True)


@draw_app.command("status")
def draw_status(
    draw_id: Annotated[str | None, typer.Argument()] = None,
    config: ConfigOpt = None,
) -> None:
    """Print one draw's status as JSON, or a table of all draws."""
    from draw_engine.draw_view import draw_view

    with _service(config) as service:
        service.sync()
        if draw_id is not None:
            view = draw_view(service.draw(draw_id))
            _warn_local(view)
            _print_json(view)
            return
        for d in service.draws():
            v = draw_view(d)
            local = " LOCAL-BEACON" if v["beacon"].get("local") else ""
            typer.echo(f"{v['draw_id']}\t{v['status']}\t{v['kind']}\tround "
                       f"{v['beacon']['round']} {v['beacon']['round_time']}{local}")


@outcome_app.command("record")
def outcome_record(  # noqa: PLR0917 (typer options)
    draw_id: Annotated[str, typer.Option("--draw")],
    unit_id: Annotated[str, typer.Option("--unit")],
    date: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
    result: Annotated[str, typer.Option("--result", help="compliant, rectification_ordered, "
                                        "penalised or not_inspected")],
    note: Annotated[str, typer.Option("--note")] = "",
    evidence: Annotated[list[str] | None, typer.Option("--evidence-sha256")] = None,
    supersedes: Annotated[int | None, typer.Option(
        "--supersedes", help="a correction: the log index of the unit's outcome in force "
                             "(both stay in the log; --note says why)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Append an inspection.outcome entry for a unit of a drawn draw (or a correction)."""
    with _service(config) as service:
        o = service.record_outcome(draw_id, unit_id, date=date, result=result, note=note,
                                   evidence_sha256=evidence or [], supersedes=supersedes)
    typer.echo(f"outcome of {o.unit_id} in {o.draw_id} at log index {o.log_index}")

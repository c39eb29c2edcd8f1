"""The practice around the draws: the yearly plan, evidence files, the commission's
return visits (issue 18 points 4–6; docs/yearplan.md, docs/operations.md §6).

- `fairdraw plan year RULES.json --units SNAP [--inspectors S] [--experts S] --out DIR`
  announces the order draws the first time, then (once they are drawn) writes one draw
  plan per batch and `year-plan.json`; exit 3 while order draws are still to be executed;
- `fairdraw evidence hash FILE…` prints each file's SHA-256 as outcome entries carry it
  (`sha256sum` layout; `--json` for a list);
- `fairdraw return-visit plan --quarter 2026Q4` logs the quarter's pool snapshot (units
  inspected or penalised) and announces its 10% draw (kind return_visit).

The service commands open the database like the other operator commands (fairdraw.cli.
operate); while `fairdraw serve` runs, use its API (`POST /api/return-visits/plan` with a
`commission` token). Bad input: one line naming the field on stderr, exit 1 (2 for bad
usage or an unreadable file), nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fairdraw.cli.operate import ConfigOpt, _fail, _print_json, _service, _warn_local

plan_app = typer.Typer(help="Plans: the yearly plan (年度抽查计划).", no_args_is_help=True)
evidence_app = typer.Typer(help="Evidence files of inspection outcomes.", no_args_is_help=True)
return_visit_app = typer.Typer(help="The discipline commission's return-visit draws (回访).",
                               no_args_is_help=True)

EXIT_PENDING = 3


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(return_visit_app, name="return-visit")


@plan_app.command("year")
def plan_year(  # noqa: PLR0917 (typer options)
    rules_file: Annotated[Path, typer.Argument(help="The rules file (docs/yearplan.md).")],
    units: Annotated[str, typer.Option("--units", help="Units snapshot the plan is built "
                                       "from (logged).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the plan files.")],
    inspectors: Annotated[str | None, typer.Option("--inspectors",
                                                   help="Inspectors snapshot (teams).")] = None,
    experts: Annotated[str | None, typer.Option("--experts", help="Experts snapshot.")]
    = None,
    config: ConfigOpt = None,
) -> None:
    """Announce the year's order draws, or (once drawn) write one plan per batch."""
    from draw_engine.yearplan import YearPlanError, parse_rules
    from fairdraw.year_plan import read_rules, run_year_plan, write_files

    try:
        data = read_rules(rules_file)
    except YearPlanError as e:
        raise _fail(str(e), 2) from e  # unreadable or too large: bad usage
    try:
        rules = parse_rules(data)
    except YearPlanError as e:
        raise _fail(f"{rules_file}: {e}") from e
    with _service(config) as service:
        run = run_year_plan(service, rules, units=units, inspectors=inspectors,
                            experts=experts)
        for draw_id in run.announced:
            _warn_local({"beacon": json.loads(service.draw(draw_id).announce)["beacon"]})
    try:
        written = write_files(run, out)
    except YearPlanError as e:
        raise _fail(str(e), 2) from e
    typer.echo(f"rules sha256 {rules.sha256}: " + ", ".join(
        f"{name} {count} units" for name, count in run.members.items()))
    for draw_id in run.announced:
        typer.echo(f"announced order draw {draw_id}")
    for path in written:
        typer.echo(f"wrote {path}")
    if run.cancelled:
        raise _fail(f"order draw(s) {', '.join(run.cancelled)} were cancelled: announce a "
                    "redraw with \"supersedes\" (docs/yearplan.md §Order draws)")
    if run.pending:
        typer.echo(f"waiting for order draw(s) {', '.join(run.pending)}: run `fairdraw draw "
                   "publish`, then `fairdraw draw execute ID` for each, then this command "
                   "again", err=True)
        raise typer.Exit(EXIT_PENDING)
    typer.echo(f"{sum(1 for b in run.batches if b['status'] == 'planned')} batch plan(s) "
               "ready: announce each with `fairdraw draw announce FILE` a day before its "
               "period")


@evidence_app.command("hash")
def evidence_hash(
    files: Annotated[list[Path], typer.Argument(help="Evidence files (photos, records…).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Print each file's SHA-256 (lowercase hex), the digest `evidence_sha256` carries."""
    from fairdraw.evidence import EvidenceError, hash_files

    try:
        digests = hash_files(files)
    except EvidenceError as e:
        raise _fail(str(e), 2) from e
    if as_json:
        _print_json([{"file": str(d.path), "sha256": d.sha256, "bytes": d.size}
                     for d in digests])
        return
    for d in digests:
        typer.echo(f"{d.sha256}  {d.path}")


@return_visit_app.command("plan")
def return_visit_plan(
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q4")],
    draw_id: Annotated[str | None, typer.Option("--draw-id",
                                                help="default return-visit-<quarter>")] = None,
    ratio: Annotated[str, typer.Option("--ratio", help="share of the pool drawn")] = "1/10",
    authority: Annotated[str | None, typer.Option(
        "--authority", help="who orders the draw (default 纪检监察机关 (discipline commission))")]
    = None,
    config: ConfigOpt = None,
) -> None:
    """Log the quarter's pool (units inspected or penalised) and announce its draw."""
    from draw_engine.draw_view import draw_view
    from draw_engine.return_visit import DEFAULT_AUTHORITY, plan_return_visit

    with _service(config) as service:
        planned = plan_return_visit(service, quarter, draw_id=draw_id, ratio=ratio,
                                    authority=authority or DEFAULT_AUTHORITY)
    view = draw_view(planned.draw)
    _warn_local(view)
    pool = planned.pool
    typer.echo(f"pool {pool.name}: {pool.count} units inspected in {quarter}, root {pool.root} "
               f"at log index {pool.log_index}" + (" (logged before)" if planned.pool_reused
                                                    else ""))
    typer.echo(f"announced {view['draw_id']} (ratio {ratio}) at log index "
               f"{view['announce_index']}; beacon round {view['beacon']['round']} at "
               f"{view['beacon']['round_time']}")

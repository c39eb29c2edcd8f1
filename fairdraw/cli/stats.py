"""`fairdraw stats SOURCE`: fairness over many draws, the numbers of the portal's stats.html.

SOURCE is a portal directory, a base URL or an offline bundle file, like `fairdraw verify`.
Every draw of the proven log is verified first (the draw checklist); then the figures of
docs/spec/stats.md are computed (fairdraw.stats). Exit codes as the other clients: 0 all
verified, 1 a check failed (nothing is printed on stdout), 2 bad usage or unreadable input,
3 something is pending (the figures use what verified).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from fairdraw.cli.client import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_PENDING,
    MARK,
    JsonOpt,
    MaxAgeOpt,
    TrustOpt,
    _err,
    _open,
    _trust,
    _usage,
)
from fairdraw.cli.trustroot import print_trust_root


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(  # noqa: PLR0917 (typer options)
    source: Annotated[str, typer.Argument(help="portal URL or DIR, or an offline bundle FILE")],
    trust: TrustOpt = None,
    as_json: JsonOpt = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="also write a standalone HTML report with the plots (report.html)")] = None,
    max_age: MaxAgeOpt = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", help="print this unit's whole history instead (each draw: stratum, ticket, "
                       "cut-off, rank)")] = None,
) -> None:
    """Fairness over many draws (公平性统计): drawn vs expected per stratum, brigade and unit,
    officers' duties and pairs, the registry over time; every draw verified first."""
    from draw_engine.stats import unit_history
    from fairdraw.bundle import read_bundle
    from fairdraw.portal_source import ClientError, PortalSource
    from fairdraw.report import FAIL, PASS
    from fairdraw.stats import format_report_html, format_stats_json, portal_stats, settled

    try:
        src: PortalSource
        if not source.startswith(("http://", "https://")) and Path(source).is_file():
            try:
                data = Path(source).read_bytes()
            except OSError as e:
                raise _usage(f"cannot read {source}: {e.strerror or e}") from e
            _manifest, src = read_bundle(data, source)
        else:
            src = _open(source)
        pinned = _trust(src, trust)
        print_trust_root(pinned, to_stderr=True)
        report = portal_stats(src, pinned, now=int(time.time()), max_age=max_age)
    except ClientError as e:
        raise _usage(str(e)) from e
    for r in report.draws:
        bad = [c for c in r.checks if c.status != PASS]
        verdict = "cancelled" if r.verdict != PASS and settled(r) else r.verdict
        _err(f"{MARK[r.verdict]} draw {r.draw_id}: {verdict}"
             + "".join(f"\n    {MARK[c.status]} {c.name}: {c.reason}" for c in bad))
    if report.failure is not None:
        _err(f"✗ {report.failure}")
    if report.verdict == FAIL or report.stats is None:
        _err("REFUSED: the log or a draw does not verify; no figures printed")
        raise typer.Exit(EXIT_FAIL)
    figures = report.stats
    if unit is not None:
        rows = unit_history(report.entries, report.records, unit)
        print(json.dumps(rows, ensure_ascii=False, indent=1) if as_json else _history(unit, rows))
        raise typer.Exit(EXIT_OK if report.verdict == PASS else EXIT_PENDING)
    if as_json:
        print(format_stats_json(figures))
    else:
        print(_summary(figures))
    if out is not None:
        out.write_text(format_report_html(figures, source=src.description), encoding="utf-8")
        _err(f"report written to {out}")
    raise typer.Exit(EXIT_OK if report.verdict == PASS else EXIT_PENDING)


def _summary(s: dict[str, Any]) -> str:
    lines = [f"{len(s['draws'])} drawn draws 次抽取, tree size {s['tree_size']}; "
             f"flags at family-wise alpha {s['alpha']} per table"]
    if s["pending"]:
        lines.append(f"pending 未公布名单: {', '.join(s['pending'])}")
    lines.append("strata 分层: stratum, pool, quota, drawn, ratio only, flag")
    lines += [f"  {r['stratum']}  {r['pool']}  {r['quota']}  {r['drawn']}  {r['expected']}"
              f"  {r['flag'] or ''}" for r in s["strata"]]
    lines.append("brigades 大队: brigade, drawn, expected, interval, flag")
    lines += [f"  {r['brigade']}  {r['drawn']}  {r['expected']}  [{r['low']}, {r['high']}]"
              f"  {r['flag'] or ''}" for r in s["brigades"]]
    cells = [c for c in s["cells"] if c["flag"]]
    lines.append(f"brigade x stratum 大队×分层: {len(s['cells'])} cells, {len(cells)} flagged")
    u = s["units"]
    lines.append(f"units 单位: {u['pooled']} pooled, {len(u['flagged'])} outside their interval; "
                 "times drawn: " + ", ".join(f"{h['times']}x {h['units']} (exp {h['expected']})"
                                             for h in u["histogram"]))
    lines.append(f"officers 执法人员: {len(s['officers'])}, {s['pairs']} officer-unit pairs, "
                 f"{len(s['repeated_pairs'])} repeated")
    lines.append("duty spread 任务分布: scope, zone, officers, duties, low-high, even, excess")
    lines += [f"  {r['scope']}  {r['group']}  {r['officers']}  {r['duties']}  "
              f"{r['low']}-{r['high']}  {r['best_low']}-{r['best_high']}  {r['excess']}"
              for r in s["spread"]]
    reg = s["registry"]
    lines.append(f"registry 名录库: {len(reg['snapshots'])} snapshots, {len(reg['gaps'])} "
                 f"registry gaps, {len(reg['gaps_pending'])} pending")
    lines += [f"  gap: draw {g['draw_id']} unit {g['unit_id']} left in {g['left_in']} "
              f"({g['left_how']}), back in {g['back_in']} ({g['back_how']})" for g in reg["gaps"]]
    return "\n".join(lines)


def _history(unit: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"unit 单位 {unit}: draw, in snapshot, stratum, ticket, cut-off, rank"]
    for r in rows:
        inside = "?" if r["in_snapshot"] is None else "yes" if r["in_snapshot"] else "no"
        ticket = r["ticket"][:16] + "…" if r["ticket"] else "-"
        cutoff = r["cutoff"][:16] + "…" if r["cutoff"] else "-"
        rank = f"#{r['rank']} selected 抽中" if r["rank"] is not None else "-"
        lines.append(f"  {r['draw_id']}  {inside}  {r['stratum'] or '-'}  {ticket}  {cutoff}  "
                     f"{rank}")
    return "\n".join(lines)

"""`fairdraw assignments`, `fairdraw bundle`, `fairdraw verify`, `fairdraw audit`: the clients.

All four read a portal (a directory or a base URL; `verify` also an offline
bundle file), verify with the same checklist as the browser
(`fairdraw.verify`), and print what they checked. Exit codes (docs/clients.md):

    0  everything verified            3  nothing failed, something is pending
    1  a check failed (tampering)     4  rollback or fork against the state file
    2  bad usage or unreadable input (missing source, malformed trust.json…)

`assignments` and `verify` keep the last verified checkpoint per (origin, log
key) in a state file (`--state`, default
$XDG_STATE_HOME/fairdraw/client-state.json; `audit --state PATH|default` shares
it) so a portal can never roll this client back (fairdraw.clientstate;
`fairdraw state list|forget`). Each command first prints the trust.json
fingerprint and keys (fairdraw.cli.trustroot). Without `--trust` the portal's
own trust.json is used and a warning says so: compare its fingerprint with the
one the detachment publishes in the draw plan's 公告.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fairdraw.cli.trustroot import log_key_of, print_trust_root, state_notes

# The verifying modules (requests, cryptography, the draw engine, openpyxl…) are imported
# by the functions that use them, so `fairdraw --help` stays fast (issue 13 point 9).
if TYPE_CHECKING:
    from fairdraw.clientstate import ClientState, RollbackOrForkError
    from fairdraw.portal_source import PortalSource, TileReader
    from fairdraw.report import DrawReport
    from fairdraw.trust import Trust
    from transparency.checkpoint import Checkpoint

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_PENDING, EXIT_ROLLBACK = 0, 1, 2, 3, 4
MARK = {"pass": "✓", "fail": "✗", "skipped": "…", "pending": "…"}

SourceOpt = Annotated[str, typer.Option("--source", help="portal base URL or directory")]
TrustOpt = Annotated[Path | None, typer.Option("--trust", help="pinned trust.json")]
StateOpt = Annotated[Path | None, typer.Option("--state", help="client state file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
MaxAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--max-age",
        help="seconds the newest quorum of co-signatures may be old (checkpoint-freshness; "
        "default: trust.json max_age_seconds, else 86400)",
    ),
]


def register(app: typer.Typer) -> None:
    from fairdraw.cli import trustroot

    app.command("assignments")(assignments)
    app.command("bundle")(bundle)
    app.command("verify")(verify)
    app.command("audit")(audit)
    trustroot.register(app)


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _usage(message: str) -> typer.Exit:
    _err(f"error: {message}")
    return typer.Exit(EXIT_USAGE)


def _trust(source: PortalSource, path: Path | None) -> Trust:
    from fairdraw.portal_source import read_required
    from fairdraw.trust import load_trust

    if path is not None:
        try:
            return load_trust(path.read_bytes())
        except OSError as e:
            raise _usage(f"cannot read trust file {path}: {e.strerror or e}") from e
    _err(
        f"warning: no --trust given; using {source.description}/trust.json as served. Compare "
        "its keys with the ones the detachment publishes elsewhere."
    )
    return load_trust(read_required(source, "trust.json", 1 << 20))


def _open(location: str) -> PortalSource:
    from fairdraw.portal_source import MAX_CHECKPOINT_SIZE, open_source

    if not location.startswith(("http://", "https://")) and not Path(location).is_dir():
        raise _usage(f"{location} is neither a portal directory nor an http(s) URL")
    source = open_source(location)
    # Every portal serves log/checkpoint: without it the address is wrong, and saying so
    # beats "log/checkpoint does not exist" later (issue 13 point 10).
    if source.read("log/checkpoint", MAX_CHECKPOINT_SIZE) is None:
        web = location.startswith(("http://", "https://"))
        raise _usage(
            f"{source.description} is not a fairdraw portal: "
            f"{source.description}/log/checkpoint "
            f"{'answers HTTP 404 (not found)' if web else 'does not exist'}. Check the address: "
            "give the portal's base, the "
            f"{'URL' if web else 'directory'} that holds index.html, trust.json and log/ "
            "(e.g. http://127.0.0.1:8080/portal/ or fairdraw-demo/portal)"
        )
    return source


class _Session:
    """One verified view of a portal: its checkpoint, checked against the state file."""

    def __init__(
        self,
        source: PortalSource,
        trust: Trust,
        state_path: Path | None,
        max_age: int | None = None,
    ) -> None:
        from fairdraw.clientstate import ClientState, default_state_path
        from fairdraw.portal_source import MAX_CHECKPOINT_SIZE, TileReader, read_required

        self.source, self.trust, self.max_age = source, trust, max_age
        self.note = read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
        self.readers: dict[int, TileReader] = {}
        self.cache: dict[Any, Any] = {}
        self.seen: list[bytes] = []
        self.state = ClientState.load(state_path or default_state_path())
        self.memory = _StateKey.of(self.note, trust, self.state)
        if self.memory is None:
            self.cp = None  # the checklist reports checkpoint-signature as failed
            return
        self.cp = self.memory.cp
        self.readers[self.cp.tree_size] = TileReader(source, self.cp.tree_size)
        # Before anything else: this portal must extend what this client saw before.
        self.memory.check(self.readers[self.cp.tree_size])
        self.seen = self.memory.seen()  # evidence even if the portal stops listing it

    def verify(self, draw_id: str) -> DrawReport:
        from fairdraw.portal_inputs import verify_portal_draw

        report = verify_portal_draw(
            self.source,
            self.trust,
            draw_id,
            now=int(time.time()),
            checkpoint=self.note,
            readers=self.readers,
            max_age=self.max_age,
            cache=self.cache,
            remembered=self.seen,
        )
        self._remember(report)
        return report

    def _remember(self, report: DrawReport) -> None:
        from fairdraw.report import PASS

        if self.memory is not None and all(
            report.check(n).status == PASS for n in ("checkpoint-signature", "witness-cosignatures")
        ):
            self.memory.remember()


class _StateKey:
    """The state-file side of one verified checkpoint: (origin, log key id) and trust.json
    fingerprint (docs/clients.md "State file")."""

    def __init__(self, note: bytes, cp: Checkpoint, vkey: str, trust: Trust,
                 state: ClientState) -> None:
        from fairdraw.clientstate import key_id_of

        self.note, self.cp, self.vkey, self.state = note, cp, vkey, state
        self.key_id = key_id_of(vkey)
        self.fingerprint = trust.fingerprint.full

    @classmethod
    def of(cls, note: bytes, trust: Trust, state: ClientState) -> _StateKey | None:
        """None if the checkpoint does not open with trust.json's log keys."""
        from fairdraw.portal_source import ClientError
        from transparency.checkpoint import open_checkpoint
        from transparency.errors import TransparencyError

        try:
            cp, opened = open_checkpoint(note, list(trust.log_vkeys), origin=trust.origin)
        except TransparencyError:
            return None
        sig = opened.verified[0]
        vkey = log_key_of(trust, sig.name, sig.key_id)
        if vkey is None:  # open_checkpoint verified it with one of these keys
            raise ClientError(f"no trust.json log key has key id {sig.key_id:08x}")
        key = cls(note, cp, vkey, trust, state)
        for line in state_notes(state, cp.origin, key.key_id):
            _err(line)
        return key

    def check(self, reader: TileReader) -> None:
        self.state.check(self.note, self.cp, reader, key_id=self.key_id,
                         trust_fingerprint=self.fingerprint)

    def seen(self) -> list[bytes]:
        """The checkpoint this client verified before for this log (none on a first run)."""
        note = self.state.last_checkpoint(self.cp.origin, self.key_id)
        return [note] if note is not None else []

    def cosigned(self, trust: Trust) -> bool:
        """Does the witness quorum of trust.json co-sign this checkpoint?"""
        from transparency.errors import TransparencyError
        from witnesses.errors import WitnessError

        try:
            trust.policy.check(self.note)
        except (TransparencyError, WitnessError):
            return False
        return True

    def remember(self) -> None:
        self.state.remember(self.note, now=int(time.time()), key_id=self.key_id,
                            log_key=self.vkey, trust_fingerprint=self.fingerprint)


def _audit_state(src: PortalSource, trust: Trust, state: str | None) -> _StateKey | None:
    """With `--state`, the served checkpoint must extend the one this client remembers
    (checked before the audit); None without `--state` or if the checkpoint does not open
    (the audit reports that)."""
    from fairdraw.clientstate import ClientState, default_state_path
    from fairdraw.portal_source import MAX_CHECKPOINT_SIZE, TileReader, read_required

    if state is None:
        return None
    path = default_state_path() if state == "default" else Path(state)
    note = read_required(src, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    memory = _StateKey.of(note, trust, ClientState.load(path))
    if memory is not None:
        memory.check(TileReader(src, memory.cp.tree_size))
    return memory


def _print_report(report: DrawReport) -> None:
    banner = "  [LOCAL development beacon: not public randomness]" if report.local else ""
    print(f"draw {report.draw_id}: {report.verdict}{banner}")
    if report.chain_hash is not None:
        print(f"  beacon chain {report.chain_hash}  key {report.key_fingerprint}")
    for c in report.checks:
        print(f"  {MARK[c.status]} {c.name}: {c.reason}")


def _exit_for(verdicts: list[str]) -> int:
    from fairdraw.report import FAIL, PASS

    if FAIL in verdicts:
        return EXIT_FAIL
    return EXIT_OK if all(v == PASS for v in verdicts) else EXIT_PENDING


def _rollback(e: RollbackOrForkError, as_json: bool) -> typer.Exit:
    if as_json:
        print(
            json.dumps(
                {"error": "rollback-or-fork", "message": str(e), **e.evidence()},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        _err(
            f"REFUSED: {e}\n--- checkpoint seen before ---\n"
            f"{e.previous_note.decode()}--- checkpoint served now ---\n{e.current_note.decode()}"
            f"--- to forget this log (only if you know why it changed) ---\n{e.forget_command}"
        )
    return typer.Exit(EXIT_ROLLBACK)


def assignments(  # noqa: PLR0917 (typer options)
    source: SourceOpt,
    brigade: Annotated[str, typer.Option(
        "--brigade", help="brigade code or name, e.g. heshan or 合山")],
    trust: TrustOpt = None,
    state: StateOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | xlsx")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="write to this file")] = None,
    draw: Annotated[
        str | None, typer.Option("--draw", help="one draw id (default: all drawn)")
    ] = None,
    max_age: MaxAgeOpt = None,
    calendar: Annotated[Path | None, typer.Option(
        "--calendar", help="the detachment's holiday-notice file (calendar_file), if it loaded "
                           "one: inspection dates are then the same as its notices")] = None,
) -> None:
    """Verify every draw first; then print this brigade's assignments with each unit's
    inspection and notice dates (cancelled draws have none and are skipped, saying so)."""
    from draw_engine.calendar import CalendarError, load_calendar
    from fairdraw.assignments import (
        FORMATS,
        AssignmentError,
        UnknownBrigadeError,
        brigade_assignments,
        format_csv,
        format_table,
        format_xlsx,
        schedule_notes,
    )
    from fairdraw.clientstate import RollbackOrForkError
    from fairdraw.portal_inputs import draw_ids
    from fairdraw.portal_source import ClientError
    from fairdraw.report import FAIL, PASS

    if fmt not in FORMATS:
        raise _usage(f"--format must be one of {', '.join(FORMATS)}")
    if fmt == "xlsx" and out is None:
        raise _usage("--format xlsx needs --out FILE")
    try:
        work_calendar = load_calendar(calendar)
    except CalendarError as e:
        raise _usage(str(e)) from e
    try:
        src = _open(source)
        pinned = _trust(src, trust)
        print_trust_root(pinned, to_stderr=True)  # stdout is the table/CSV
        session = _Session(src, pinned, state, max_age)
        ids = [draw] if draw else draw_ids(src)
        rows = []
        notes: list[str] = []
        known_in: list[str] = []  # draws whose verified unit records know the brigade
        unknown: UnknownBrigadeError | None = None
        for draw_id in ids:
            report = session.verify(draw_id)
            if report.verdict == PASS:
                try:
                    mine = brigade_assignments(report, report.records, brigade, work_calendar)
                    known_in.append(draw_id)
                    if mine:
                        notes.append(schedule_notes(report, work_calendar))
                    rows += mine
                except UnknownBrigadeError as e:
                    unknown = e
                except AssignmentError:
                    if draw:
                        raise
                continue
            cancelled = _cancelled(report)
            if cancelled is not None and report.verdict != FAIL:
                # SPEC(lifecycle.md): a cancelled draw never gets a result; its re-draw, if
                # any, is a draw of its own. Never a reason to refuse the other draws.
                if draw:
                    raise _usage(f"draw {draw_id} was cancelled ({cancelled}): it has no "
                                 "assignments")
                _err(f"skipped: draw {draw_id} was cancelled ({cancelled}), no assignments")
                continue
            if report.result_index is None and report.verdict != FAIL and not draw:
                continue  # announced, not drawn yet: nothing to assign
            _print_report(report)
            failed = ", ".join(c.name for c in report.failed) or "pending checks"
            _err(f"REFUSED: draw {draw_id} does not verify ({failed}); no assignments printed")
            raise typer.Exit(EXIT_FAIL if report.verdict == FAIL else EXIT_PENDING)
        if unknown is not None and not known_in:
            raise unknown  # a misspelt brigade is an error, never an empty list
    except RollbackOrForkError as e:
        raise _rollback(e, False) from e
    except AssignmentError as e:
        raise _usage(str(e)) from e
    except ClientError as e:
        raise _usage(str(e)) from e
    for note in notes:
        _err(f"dates 日期: {note}")
    data = {
        "table": lambda: format_table(rows).encode(),
        "csv": lambda: format_csv(rows),
        "xlsx": lambda: format_xlsx(rows, title=brigade),
    }[fmt]()
    if out is not None:
        out.write_bytes(data)
        _err(f"{len(rows)} assignments for {brigade} written to {out}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _cancelled(report: Any) -> str | None:
    """"entry N" if the proven history of the report's draw holds a cancel and no result."""
    history = getattr(report, "history", None)
    if history is None or history.results or not history.cancels:
        return None
    return f"entry {history.cancels[0]}"


def bundle(
    draw_id: Annotated[str, typer.Argument(help="draw id")],
    source: SourceOpt,
    out: Annotated[Path, typer.Option("--out", help="bundle file to write")],
    trust: TrustOpt = None,
    proofs: Annotated[Path | None, typer.Option(
        "--proofs", help="also write each announce/result/cancel entry of the draw as "
        "DIR/<draw>-<kind>-<index>.tlog-proof (C2SP tlog-proof@v1)")] = None,
) -> None:
    """Write one JSON file with everything needed to verify DRAW_ID offline."""
    from fairdraw.bundle import format_bundle_file, make_bundle
    from fairdraw.portal_source import ClientError
    from fairdraw.proofs import draw_proofs

    try:
        src = _open(source)
        pinned = _trust(src, trust)
        b, report = make_bundle(src, pinned, draw_id, now=int(time.time()))
        files = draw_proofs(src, pinned, draw_id) if proofs is not None else []
    except ClientError as e:
        raise _usage(str(e)) from e
    out.write_bytes(format_bundle_file(b))
    _print_report(report)
    _err(f"bundle of {len(b['files'])} files written to {out}")
    if proofs is not None:
        proofs.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (proofs / name).write_bytes(data)
        _err(f"{len(files)} tlog-proof file(s) written to {proofs}")
    raise typer.Exit(_exit_for([report.verdict]))


def verify(  # noqa: PLR0917 (typer options)
    target: Annotated[
        str | None, typer.Argument(help="bundle FILE, portal URL or DIR")] = None,
    draw: Annotated[str | None, typer.Option("--draw", help="draw id (default: all)")] = None,
    trust: TrustOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
    proof: Annotated[list[Path] | None, typer.Option(
        "--proof", help="check a .tlog-proof FILE instead (repeatable; needs --trust or a "
        "portal TARGET for trust.json)")] = None,
    max_age: MaxAgeOpt = None,
    inputs: Annotated[Path | None, typer.Option(
        "--inputs", help="once the --draw verifies, write what `fairdraw recompute` needs to "
        "DIR: announce.json, units/inspectors/experts.jsonl, randomness.hex (and result.json)")
    ] = None,
) -> None:
    """Verify a bundle or a live draw and print each check with ✓/✗ and its reason."""
    from fairdraw.bundle import read_bundle
    from fairdraw.clientstate import RollbackOrForkError
    from fairdraw.portal_inputs import draw_ids
    from fairdraw.portal_source import ClientError
    from fairdraw.proofs import check_proof_files, format_proof_results
    from fairdraw.report import PASS
    from fairdraw.trust import load_trust

    if inputs is not None and draw is None and (target is None or not Path(target).is_file()):
        raise _usage("--inputs needs --draw DRAW_ID (one draw)")
    if proof:
        if trust is None and target is None:
            raise _usage("--proof needs --trust trust.json (or a portal to read it from)")
        try:
            if trust is not None:
                pinned = load_trust(trust.read_bytes())
            else:
                pinned = _trust(_open(target or ""), None)
            results, ok = check_proof_files(proof, pinned)
        except OSError as e:
            raise _usage(f"cannot read trust file {trust}: {e.strerror or e}") from e
        except ClientError as e:
            raise _usage(str(e)) from e
        print(json.dumps(results, ensure_ascii=False, indent=1) if as_json
              else format_proof_results(results))
        raise typer.Exit(EXIT_OK if ok else EXIT_FAIL)
    if target is None:
        raise _usage("give a bundle FILE, portal URL or DIR (or --proof FILE)")
    try:
        src: PortalSource
        if not target.startswith(("http://", "https://")) and Path(target).is_file():
            try:
                data = Path(target).read_bytes()
            except OSError as e:
                raise _usage(f"cannot read {target}: {e.strerror or e}") from e
            manifest, src = read_bundle(data, target)
            draw = draw or manifest["draw_id"]
        else:
            src = _open(target)
        pinned = _trust(src, trust)
        print_trust_root(pinned, to_stderr=as_json)
        session = _Session(src, pinned, state, max_age)
        reports = [session.verify(d) for d in ([draw] if draw else draw_ids(src))]
    except RollbackOrForkError as e:
        raise _rollback(e, as_json) from e
    except ClientError as e:
        raise _usage(str(e)) from e
    if as_json:
        print(json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=1))
    else:
        for r in reports:
            _print_report(r)
    if inputs is not None:
        if reports[0].verdict != PASS:
            _err(f"--inputs: nothing written, draw {reports[0].draw_id} did not verify")
        else:
            written = _write_inputs(reports[0], inputs)
            _err(f"recompute inputs of {reports[0].draw_id} written to {inputs}: "
                 f"{', '.join(written)}")
    raise typer.Exit(_exit_for([r.verdict for r in reports]))


def _write_inputs(report: DrawReport, directory: Path) -> list[str]:
    """The inputs of a draw that verified, taken from what was verified: the proven announce
    entry (canonical JSON, the leaf's bytes), the snapshot records whose roots matched, the
    randomness of the verified beacon round, and the proven result entry to compare with; so
    `fairdraw recompute` can redo the draw on its own (README "Checking a draw")."""
    from draw_engine.canonical import canonical_json

    assert report.announce is not None
    assert report.result is not None
    directory.mkdir(parents=True, exist_ok=True)
    files = {"announce.json": canonical_json(report.announce) + b"\n",
             "randomness.hex": report.result["beacon"]["randomness"].encode() + b"\n",
             "result.json": canonical_json(report.result) + b"\n"}
    for kind, records in sorted(report.records.items()):
        ordered = sorted(records, key=lambda r: r["id"].encode())
        files[f"{kind}.jsonl"] = b"".join(canonical_json(r) + b"\n" for r in ordered)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return list(files)


def audit(  # noqa: PLR0917 (typer options)
    source: Annotated[str, typer.Argument(help="portal URL or DIR")],
    trust: TrustOpt = None,
    as_json: JsonOpt = False,
    grace: Annotated[int, typer.Option("--grace", help="seconds a draw may lag its round")] = 0,
    state: Annotated[str | None, typer.Option(
        "--state", help="share the client state file with verify: a PATH, or 'default' "
                        "for $XDG_STATE_HOME/fairdraw/client-state.json (default: no state)",
    )] = None,
    max_age: MaxAgeOpt = None,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="a yearly plan's rules file (docs/yearplan.md): also report coverage "
                       "against it")] = None,
) -> None:
    """Replay the whole log; exit 0 only if every draw and every checkpoint holds."""
    from draw_engine.yearplan import YearPlanError, parse_rules
    from fairdraw.audit import audit_portal
    from fairdraw.clientstate import RollbackOrForkError
    from fairdraw.portal_source import ClientError
    from fairdraw.year_plan import read_rules

    try:
        rules = parse_rules(read_rules(plan)) if plan is not None else None
    except YearPlanError as e:
        raise _usage(f"{plan}: {e}") from e
    try:
        src = _open(source)
        pinned = _trust(src, trust)
        print_trust_root(pinned, to_stderr=as_json)
        memory = _audit_state(src, pinned, state)
        report = audit_portal(
            src,
            pinned,
            now=int(time.time()),
            grace=grace,
            max_age=max_age,
            remembered=memory.seen() if memory is not None else (),
            plan=rules,
        )
    except RollbackOrForkError as e:
        raise _rollback(e, as_json) from e
    except ClientError as e:
        raise _usage(str(e)) from e
    if memory is not None and memory.cosigned(pinned):
        memory.remember()
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        print(f"audit of {report.source}: log {report.origin}, size {report.tree_size}")
        for f in report.findings:
            print(f"  {MARK[f.status]} {f.check} [{f.subject}]: {f.reason}")
        print(
            "OK: every check holds" if report.ok else f"FAILED: {len(report.failures)} problem(s)"
        )
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAIL)

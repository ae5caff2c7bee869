"""The `permitwatch` command: one sub-command group per domain, each a thin layer over
service functions. Every command and group has --help."""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.settings import REPO_ROOT, get_settings

app = typer.Typer(help="permitwatch: Texas drilling-permit alerts. Ingests RRC permits into PostGIS.",
                  no_args_is_help=True, rich_markup_mode="rich")
stack_app = typer.Typer(help="The local stack: project-owned PostgreSQL+PostGIS and Redis under .local/.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations (Alembic), run as the owner role.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo and test data in the real daf420.dat layout.", no_args_is_help=True)
ingest_app = typer.Typer(help="Ingest RRC permit files: one run, a backfill, run history and QA.", no_args_is_help=True)
rrc_app = typer.Typer(help="Tools for RRC source files that never touch the database.", no_args_is_help=True)
operators_app = typer.Typer(help="Operator identity: P-5 numbers, name aliases, manual merges.", no_args_is_help=True)
from services.cli_alerts import alerts_app, mail_app, workspaces_app  # noqa: E402

for sub, name in ((workspaces_app, "workspaces"), (alerts_app, "alerts"), (mail_app, "mail"),
                  (stack_app, "stack"), (db_app, "db"), (demo_app, "demo"), (ingest_app, "ingest"),
                  (rrc_app, "rrc"), (operators_app, "operators")):
    app.add_typer(sub, name=name)

console = Console(stderr=True)
out = Console()
DEMO_DIR = REPO_ROOT / "demo-data"


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _connect(owner: bool = False) -> psycopg.Connection:
    s = get_settings()
    try:
        return psycopg.connect(s.database_owner_url if owner else s.database_url)
    except psycopg.OperationalError as exc:
        _fail(f"cannot reach the database ({exc.__class__.__name__}); is the stack up? try `permitwatch stack up`")
        raise


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)


def _ingest_progress(bar: Progress):
    """A bar on a terminal; in logs (CronJob, CI) a line every 10 seconds instead."""
    task = bar.add_task("ingesting", total=None)
    last = [0.0]

    def report(phase: str, done: int, total: int | None) -> None:
        bar.update(task, description=phase, completed=done, total=total)
        now = time.monotonic()
        if not console.is_terminal and now - last[0] >= 10:
            last[0] = now
            console.print(f"  {phase}: {done:,}{f' of {total:,}' if total else ''} records")
    return report


# ---- stack -------------------------------------------------------------------------------
@stack_app.command("up")
def stack_up() -> None:
    """Start PostgreSQL (with PostGIS) and Redis as project processes; create roles and the database."""
    from services import localstack

    try:
        localstack.up()
    except localstack.StackError as exc:
        _fail(str(exc))
    get_settings.cache_clear()
    s = get_settings()
    console.print(f"[green]stack up[/]: postgresql 127.0.0.1:{s.stack_pg_port}, redis 127.0.0.1:{s.stack_redis_port} "
                  "(credentials in .local/stack.env)")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the project's PostgreSQL and Redis (data stays in .local/)."""
    from services import localstack

    stopped = localstack.down()
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_app.command("status")
def stack_status() -> None:
    """Show whether the project's PostgreSQL and Redis are running."""
    from services import localstack

    for name, running in localstack.status().items():
        out.print(f"{name}: {'running' if running else 'stopped'}")


# ---- db ----------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the schema up (default: to the newest revision)."""
    from services.db import migrate

    migrate.upgrade(get_settings().database_owner_url, revision)
    console.print(f"schema at {migrate.current(get_settings().database_owner_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. -1 or base")]) -> None:
    """Migrate the schema down. `base` removes every table (and its data)."""
    from services.db import migrate

    migrate.downgrade(get_settings().database_owner_url, revision)
    console.print(f"schema at {migrate.current(get_settings().database_owner_url) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the current schema revision."""
    from services.db import migrate

    out.print(migrate.current(get_settings().database_owner_url) or "base")


# ---- demo --------------------------------------------------------------------------------
@demo_app.command("generate")
def demo_generate(
    out_dir: Annotated[Path, typer.Argument(help="folder for the daily files")] = DEMO_DIR,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same bytes")] = 42,
    permits: Annotated[int, typer.Option(help="permits in the universe (1 to 1,000,000+)", min=1)] = 3000,
    start: Annotated[str, typer.Option(help="first issue day, YYYY-MM-DD")] = "2026-06-01",
    days: Annotated[int, typer.Option(help="days the permits are issued over", min=1)] = 61,
    weekends: Annotated[bool, typer.Option(help="also write weekend files (copies of Friday)")] = False,
    only_last: Annotated[bool, typer.Option(help="write only the last day's file (benchmarks)")] = False,
) -> None:
    """Write one daf420-YYYY-MM-DD.dat file per business day, as RRC publishes them."""
    from services.ingestion.demo import write_demo

    with _progress() as bar:
        task = bar.add_task("generating daily files", total=None)
        files = write_demo(out_dir, seed=seed, permits=permits, start=date.fromisoformat(start), days=days,
                           weekends=weekends, only_last=only_last,
                           progress=lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"{len(files)} files in {out_dir}")


def _demo_days() -> list[date]:
    from services.ingestion.fetch import snapshot_date

    return sorted(d.date() for d in (snapshot_date(p.name) for p in DEMO_DIR.glob("daf420-*.dat")) if d)


@demo_app.command("next")
def demo_next() -> None:
    """Ingest the next demo day not ingested yet (the alert worker picks its changes up)."""
    from services.ingestion.pipeline import ingest

    settings = get_settings()
    with _connect() as conn:
        done = {r[0] for r in conn.execute("SELECT file_sha256 FROM ingestion_runs WHERE promoted")}
    from services.ingestion.fetch import open_source

    for day in _demo_days():
        path = DEMO_DIR / f"daf420-{day.isoformat()}.dat"
        if open_source(str(path), settings.data_dir).sha256 not in done:
            _print_result(ingest(settings, str(path)))
            return
    console.print("every demo day is ingested; `permitwatch demo generate --start ...` makes more")


# ---- ingest ------------------------------------------------------------------------------
def _print_result(r) -> None:
    colour = {"success": "green", "warning": "yellow", "failed": "red", "skipped": "cyan"}[r.status]
    m = r.metrics
    line = f"[{colour}]{r.status}[/] {Path(r.uri).name} snapshot {r.snapshot_at.date()} run {r.run_id}"
    if r.status == "skipped":
        console.print(f"{line}: {r.reason}")
        return
    changes = ", ".join(f"{k.removeprefix('changes_')} {v}" for k, v in sorted(m.items()) if k.startswith("changes_"))
    console.print(f"{line}\n  records {m.get('records', 0)}, new raw {m.get('raw_new', 0)}, versions {m.get('versions', 0)}, "
                  f"changes {m.get('changes', 0)}{f' ({changes})' if changes else ''}, quarantined lines/records "
                  f"{m.get('quarantine_rows', 0)}, {m.get('timings', {}).get('total_s', 0)} s")
    for c in r.checks:
        if c.status != "pass":
            console.print(f"  QA [{'red' if c.failed else 'yellow'}]{c.status}[/] {c.name}: "
                          f"{json.dumps({k: v for k, v in c.details.items() if k != 'null_rates'})}")
    if not r.promoted:
        console.print("  [red]not promoted[/]: raw records kept for audit, the clean layer is unchanged")


@ingest_app.command("file")
def ingest_file(
    uri: Annotated[str | None, typer.Argument(help="path (.dat, .gz, .zip) or URL; default: the configured RRC URL")] = None,
    source: Annotated[str, typer.Option(help="source adapter")] = "rrc_daf420",
    seen_at: Annotated[datetime | None, typer.Option(help="snapshot time, if the file name has no date")] = None,
    force: Annotated[bool, typer.Option(help="ingest even an unchanged or out-of-order file")] = False,
) -> None:
    """Ingest one file as one atomic run (also what the Kubernetes CronJob runs)."""
    from services.ingestion.pipeline import IngestError, ingest

    settings = get_settings()
    uri = uri or settings.rrc_daily_url
    if not uri:
        _fail("no file given and PERMITWATCH_RRC_DAILY_URL is not set")
    if seen_at and seen_at.tzinfo is None:
        seen_at = seen_at.replace(tzinfo=UTC)
    try:
        with _progress() as bar:
            result = ingest(settings, uri, source=source, seen_at=seen_at, force=force, progress=_ingest_progress(bar))
    except (IngestError, OSError, ValueError) as exc:
        _fail(str(exc))
    _print_result(result)
    if result.status == "failed":
        raise typer.Exit(2)


@ingest_app.command("backfill")
def ingest_backfill(
    folder: Annotated[Path | None, typer.Argument(help="folder of daily files named with their date")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="a file to ingest instead of a folder (repeatable)")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="first snapshot day, YYYY-MM-DD")] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="last snapshot day, YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option(help="source adapter")] = "rrc_daf420",
    force: Annotated[bool, typer.Option(help="re-run files that were already ingested")] = False,
) -> None:
    """Ingest every file of a folder (or the --file list) in snapshot order; safe to rerun (done files are skipped)."""
    from services.ingestion import backfill
    from services.ingestion.pipeline import IngestError

    if (folder is None) == (not file):
        _fail("give either a folder or --file options (one of the two)", 2)
    try:
        if file:
            files, undated = backfill.plan_files(file), []
        else:
            files, undated = backfill.plan(folder, date.fromisoformat(from_date) if from_date else None,
                                           date.fromisoformat(to_date) if to_date else None)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    for path in undated:
        console.print(f"[yellow]skipped[/] {path.name}: no date in the name (use `ingest file --seen-at`)")
    failed = 0
    with _progress() as bar:
        task = bar.add_task("backfill", total=len(files))

        def done(planned, result):
            nonlocal failed
            failed += result.status == "failed"
            bar.advance(task)
            bar.console.print(f"  {planned.snapshot} {result.status} {result.metrics.get('changes', 0)} changes"
                              + (f" ({result.reason})" if result.reason else ""))
        try:
            backfill.run(get_settings(), files, source=source, force=force, on_result=done)
        except IngestError as exc:
            _fail(str(exc))
    console.print(f"backfill: {len(files)} files, {failed} failed")
    if failed:
        raise typer.Exit(2)


@ingest_app.command("enqueue")
def ingest_enqueue(
    uri: Annotated[str, typer.Argument(help="path or URL the worker can read")],
    source: Annotated[str, typer.Option(help="source adapter")] = "rrc_daf420",
) -> None:
    """Queue a run for the ingest RQ workers (`python -m workers --queues ingest`)."""
    from services.queueing import enqueue_ingest

    job = enqueue_ingest(get_settings(), uri, source)
    out.print(job.id)


@ingest_app.command("runs")
def ingest_runs(limit: Annotated[int, typer.Option(help="how many")] = 20,
                source: Annotated[str | None, typer.Option(help="only this source")] = None) -> None:
    """List recent runs, newest first."""
    from services.ingestion import report

    with _connect() as conn:
        rows = report.runs(conn, limit, source)
    table = Table("run", "status", "snapshot", "records", "versions", "changes", "s", "note")
    for r in rows:
        table.add_row(str(r["id"])[:8], r["status"], str(r["snapshot_at"].date() if r["snapshot_at"] else ""),
                      r["records"] or "", r["versions"] or "", r["changes"] or "", r["seconds"] or "", (r["error"] or "")[:60])
    out.print(table)


@ingest_app.command("show")
def ingest_show(run_id: Annotated[str, typer.Argument(help="run id (or its first characters)")]) -> None:
    """A run's metrics, QA checks and quarantine summary, as JSON."""
    from services.ingestion import report

    with _connect() as conn:
        full = conn.execute("SELECT id FROM ingestion_runs WHERE id::text LIKE %s || '%%' ORDER BY started_at DESC LIMIT 2",
                            (run_id,)).fetchall()
        if len(full) != 1:
            _fail(f"{'no' if not full else 'more than one'} run matches {run_id!r}")
        detail = report.run_detail(conn, full[0][0])
    out.print_json(json.dumps(detail, default=str))


@ingest_app.command("quarantine")
def ingest_quarantine(run_id: Annotated[str | None, typer.Argument(help="run id; default: all runs")] = None,
                      limit: Annotated[int, typer.Option(help="how many rows")] = 50) -> None:
    """Records and lines that were not promoted, with the reason."""
    from services.ingestion import report

    with _connect() as conn:
        rows = report.quarantine(conn, uuid.UUID(run_id) if run_id else None, limit)
    for r in rows:
        out.print(json.dumps(r, default=str))


# ---- rrc ---------------------------------------------------------------------------------
@rrc_app.command("parse")
def rrc_parse(
    file: Annotated[Path, typer.Argument(help="daf420.dat (plain, .gz or .zip)")],
    problems_only: Annotated[bool, typer.Option(help="only versions with problems, and skipped lines")] = False,
) -> None:
    """Print one JSON object per permit version (status number + sequence), decoded, with
    per-record problems; skipped lines too. Touches no database."""
    from services.ingestion.fetch import SourceError, open_source
    from services.ingestion.sources.rrc import SkippedLine, parse_lines

    try:
        sf = open_source(str(file), get_settings().data_dir / "downloads")
    except SourceError as exc:
        _fail(str(exc))
    write = sys.stdout.write
    with sf.lines(("daf420.dat",)) as lines:
        for item in parse_lines(lines):
            if isinstance(item, SkippedLine):
                obj = {"skipped_line": item.line_no, "reason": item.reason, "status_number": item.status_number,
                       "text": item.text}
            else:
                if problems_only and not item.problems:
                    continue
                obj = {"status_number": item.status_number, "sequence": item.sequence, "line": item.line_no,
                       "quarantined": item.fatal, **item.fields, "problems": [p.as_dict() for p in item.problems]}
            write(json.dumps(obj, default=str) + "\n")


# ---- operators ---------------------------------------------------------------------------
@operators_app.command("list")
def operators_list(search: Annotated[str | None, typer.Option(help="name contains")] = None,
                   limit: Annotated[int, typer.Option(help="how many")] = 30) -> None:
    """Operators with their P-5 number, alias count and permits."""
    with _connect() as conn:
        rows = conn.execute("""
            SELECT o.id, o.p5_number, o.canonical_name, count(DISTINCT a.id), count(DISTINCT c.permit_id)
            FROM operators o LEFT JOIN operator_aliases a ON a.operator_id = o.id
            LEFT JOIN permits_current c ON c.operator_id = o.id
            WHERE o.merged_into IS NULL AND (%(q)s::text IS NULL OR o.canonical_name ILIKE '%%' || %(q)s || '%%')
            GROUP BY o.id ORDER BY 5 DESC, 3 LIMIT %(n)s""", {"q": search, "n": limit}).fetchall()
    table = Table("id", "P-5", "name", "aliases", "permits")
    for r in rows:
        table.add_row(str(r[0]), r[1] or "", r[2], str(r[3]), str(r[4]))
    out.print(table)


@operators_app.command("resolve")
def operators_resolve(name: Annotated[str, typer.Argument(help="an operator name as any source spells it")],
                      create: Annotated[bool, typer.Option(help="create an operator when none matches")] = False) -> None:
    """Which operator a name belongs to: exact normalized alias, or an RRC name cut at 32 characters."""
    from services.operators.identity import resolve_name
    from services.operators.names import name_key

    with _connect() as conn:
        res = resolve_name(conn.cursor(), name, create=create)
        conn.commit()
    out.print_json(json.dumps({"name": name, "key": name_key(name), "operator_id": res.operator_id, "how": res.how,
                               "candidates": res.candidates}, default=str))
    if res.operator_id is None:
        raise typer.Exit(3)


@operators_app.command("merge")
def operators_merge(keep: Annotated[str, typer.Argument(help="operator id to keep")],
                    absorb: Annotated[str, typer.Argument(help="operator id to fold into KEEP")],
                    reason: Annotated[str, typer.Option(help="why (goes to the audit log)")],
                    actor: Annotated[str, typer.Option(help="who")] = "cli") -> None:
    """Merge two operators (audited). Runs as the owner role: it spans every workspace."""
    from services.operators.identity import MergeError, merge

    with _connect(owner=True) as conn:
        try:
            moved = merge(conn.cursor(), uuid.UUID(keep), uuid.UUID(absorb), actor=actor, reason=reason)
        except (MergeError, ValueError) as exc:
            _fail(str(exc))
        conn.commit()
    out.print_json(json.dumps({"kept": keep, "absorbed": absorb, "moved": moved}))


# ---- the main job ----------------------------------------------------------------------------
@app.command("status")
def status() -> None:
    """Data summary: permits, versions, changes, QA of the last run, last updated."""
    from services.ingestion import report

    with _connect() as conn:
        s = report.summary(conn)
    last = s["last_success"]
    out.print(f"permits {s['permits']}  versions {s['versions']}  changes {s['changes']}  located {s['located']}  "
              f"operators {s['operators']}  raw records {s['raw_records']}  quarantined {s['quarantined']}")
    out.print("changes by type: " + ", ".join(f"{k} {v}" for k, v in s["changes_by_type"].items()))
    if s["last_run"]:
        r = s["last_run"]
        out.print(f"last run: {r['status']} at {r['finished_at'] or r['started_at']:%Y-%m-%d %H:%M:%S %Z}"
                  + (f" ({r['error'] or r['skipped']})" if r["error"] or r["skipped"] else ""))
        if s["last_checks"]:
            out.print("QA of last run: " + ", ".join(f"{c['check_name']} {c['status']}" for c in s["last_checks"]))
    if last:
        age = datetime.now(UTC) - last["finished_at"]
        out.print(f"last updated: {last['finished_at']:%Y-%m-%d %H:%M:%S %Z} (snapshot {last['snapshot_at']:%Y-%m-%d}, "
                  f"{int(age.total_seconds() // 60)} min ago)")
    else:
        out.print("last updated: never")


@app.command("up")
def up(permits: Annotated[int, typer.Option(help="demo universe size")] = 3000,
       seed: Annotated[int, typer.Option(help="demo seed")] = 42) -> None:
    """The main job on the local stack: start it (with the alert worker and the mail
    catcher), migrate, generate demo files, ingest them, summarize."""
    from services import localstack

    stack_up()
    db_upgrade("head")
    exe = [sys.executable, "-m", "services"]
    localstack.start_daemon("mail-catcher", [*exe, "mail", "catch"])
    localstack.start_daemon("alert-worker", [*exe, "alerts", "worker"])
    localstack.start_daemon("web", [*exe, "web"])
    console.print("alert worker, mail catcher and web app running (logs in .local/log/, mail in .local/mail/, SMS in .local/sms/)")
    demo_generate(DEMO_DIR, seed=seed, permits=permits, start="2026-06-01", days=61, weekends=False, only_last=False)
    from services.tenancy.demo import ensure_demo_workspace

    ensure_demo_workspace(get_settings())
    try:
        # Every demo day but the last: `permitwatch demo next` ingests it and shows alerts arrive.
        ingest_backfill(DEMO_DIR, None, _demo_days()[-2].isoformat(), "rrc_daf420", False)
    finally:
        status()  # shown whatever happened, failed runs included
    s = get_settings()
    console.print(f"web app: http://{s.web_host}:{s.web_port}/ (sign up there; e-mails land in .local/mail/)")
    console.print("next: `permitwatch demo next` ingests the next demo day; its alerts land in .local/mail/ and "
                  ".local/sms/ within seconds (`permitwatch alerts events`)")


@app.command("web")
def web(host: Annotated[str | None, typer.Option(help="address to listen on (default: settings web_host)")] = None,
        port: Annotated[int | None, typer.Option(help="port (default: settings web_port)")] = None,
        workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1) -> None:
    """Serve the web app, the /v1 API and the map tiles (uvicorn)."""
    import uvicorn

    s = get_settings()
    console.print(f"permitwatch web on http://{host or s.web_host}:{port or s.web_port}/ (API docs at /docs)")
    uvicorn.run("services.api.app:create_app", factory=True, host=host or s.web_host, port=port or s.web_port,
                workers=workers, log_level="info", proxy_headers=True)


@app.command("openapi")
def openapi(indent: Annotated[int, typer.Option(help="JSON indent; 0 for one line")] = 2) -> None:
    """Print the OpenAPI document of the web API as JSON."""
    from services.api.app import openapi_document

    sys.stdout.write(json.dumps(openapi_document(), indent=indent or None) + "\n")


@app.command("down")
def down() -> None:
    """Stop the alert worker, the mail catcher and the local stack (data is kept)."""
    from services import localstack

    stopped = localstack.stop_daemons()
    console.print(f"stopped: {', '.join(stopped) or 'no app processes'}")
    stack_down()

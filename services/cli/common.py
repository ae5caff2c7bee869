"""What every command module shares: the consoles, failing with a message, database
connections by role, progress display, and the printed forms of run results and status."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from services.settings import get_settings

console = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def connect(role: str = "app") -> psycopg.Connection:
    """app: the web app's role under RLS; owner: migrations and cross-workspace admin;
    worker: the alerting role that reads every workspace's alerting tables."""
    s = get_settings()
    url = {"app": s.database_url, "owner": s.database_owner_url, "worker": s.worker_database_url}[role]
    try:
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        fail(f"cannot reach the database ({exc.__class__.__name__}); is the stack up? try `permitwatch stack up`")


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{what} {value!r} is not an id")


def progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)


def ingest_progress(bar: Progress):
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


def print_result(r) -> None:
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


def print_status() -> None:
    """The data summary: counts, the last run and its QA, and how new the data is."""
    from services.ingestion import report

    with connect() as conn:
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
        published = last["snapshot_at"]
        when = f"{published:%Y-%m-%d}" if (published.hour, published.minute, published.second) == (0, 0, 0) else f"{published:%Y-%m-%d %H:%M %Z}"
        out.print(f"RRC published the newest file {when}; loaded {last['finished_at']:%Y-%m-%d %H:%M:%S %Z}, "
                  f"{int(age.total_seconds() // 60)} min ago")
    else:
        out.print("RRC data: none loaded yet")


def history_with_progress(items) -> int:
    """Loads published demo items as history (services.ingestion.demo.load_history), a line
    per daily file and a count of pending sets; the number that failed."""
    from services.ingestion.demo import load_history
    from services.ingestion.pipeline import IngestError

    failed = 0
    with progress() as bar:
        task = bar.add_task("loading the RRC's history", total=len(items))

        def done(item, result) -> None:
            nonlocal failed
            failed += result.status == "failed"
            bar.advance(task)
            if item.source == "rrc_daf420" or result.status == "failed":
                bar.console.print(f"  {item.at:%Y-%m-%d %H:%M} {item.source} {result.status} {result.metrics.get('changes', 0)} changes"
                                  + (f" ({result.reason})" if result.reason else ""))
        try:
            load_history(get_settings(), items, on_result=done)
        except IngestError as exc:
            fail(str(exc))
    console.print(f"history: {sum(i.source == 'rrc_daf420' for i in items)} daily files and "
                  f"{sum(i.source == 'rrc_pending' for i in items)} pending sets, {failed} failed")
    return failed


def backfill_with_progress(*, files, source: str, force: bool) -> int:
    """Runs planned files through services.ingestion.backfill, a line per file; the number that failed."""
    from services.ingestion import backfill
    from services.ingestion.pipeline import IngestError

    failed = 0
    with progress() as bar:
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
            fail(str(exc))
    console.print(f"backfill: {len(files)} files, {failed} failed")
    return failed

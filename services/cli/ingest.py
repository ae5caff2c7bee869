"""`permitwatch ingest ...`: one run, a backfill, run history, QA and quarantine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from services.cli.common import backfill_with_progress, connect, console, fail, ingest_progress, out, parse_uuid, print_result, progress
from services.ingestion import backfill, report
from services.settings import get_settings

app = typer.Typer(help="Ingest RRC permit files: one run, a backfill, run history and QA.", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@app.command("file")
def file(
    uri: Annotated[str | None, typer.Argument(help="path (.dat, .gz, .zip, or a pending set's folder) or URL; "
                                                   "default: the configured RRC URL")] = None,
    source: Annotated[str, typer.Option(help="source adapter: rrc_daf420 (daily file) or rrc_pending (pending set)")] = "rrc_daf420",
    seen_at: Annotated[datetime | None, typer.Option(help="snapshot time, if the file name has no date")] = None,
    force: Annotated[bool, typer.Option(help="ingest even an unchanged or out-of-order file")] = False,
    history: Annotated[bool | None, typer.Option("--history/--news", help="record without notifying anyone, or notify "
                                                 "(default: history for a source's first load or a snapshot published long ago)")] = None,
) -> None:
    """Ingest one file (or a pending set's folder or ZIP) as one atomic run."""
    from services.ingestion.pipeline import IngestError, ingest

    settings = get_settings()
    uri = uri or settings.rrc_daily_url
    if not uri:
        fail("no file given and PERMITWATCH_RRC_DAILY_URL is not set")
    if seen_at and seen_at.tzinfo is None:
        seen_at = seen_at.replace(tzinfo=UTC)
    try:
        with progress() as bar:
            result = ingest(settings, uri, source=source, seen_at=seen_at, force=force, history=history,
                            progress=ingest_progress(bar))
    except (IngestError, OSError, ValueError) as exc:
        fail(str(exc))
    print_result(result)
    if result.status == "failed":
        raise typer.Exit(2)


@app.command("backfill")
def backfill_cmd(
    folder: Annotated[Path | None, typer.Argument(help="folder of daily files named with their date")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="a file to ingest instead of a folder (repeatable)")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="first snapshot day, YYYY-MM-DD")] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="last snapshot day, YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option(help="source adapter")] = "rrc_daf420",
    force: Annotated[bool, typer.Option(help="re-run files that were already ingested")] = False,
) -> None:
    """Ingest every file of a folder (or the --file list) in snapshot order; safe to rerun (done files are skipped)."""
    if (folder is None) == (not file):
        fail("give either a folder or --file options (one of the two)", 2)
    try:
        if file:
            files, undated = backfill.plan_files(file), []
        else:
            files, undated = backfill.plan(folder, _day(from_date, "--from"), _day(to_date, "--to"))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    for path in undated:
        console.print(f"[yellow]skipped[/] {path.name}: no date in the name (use `ingest file --seen-at`)")
    if backfill_with_progress(files=files, source=source, force=force):
        raise typer.Exit(2)


@app.command("enqueue")
def enqueue(
    uri: Annotated[str, typer.Argument(help="path or URL the worker can read")],
    source: Annotated[str, typer.Option(help="source adapter")] = "rrc_daf420",
) -> None:
    """Queue a run for the ingest RQ workers (`python -m workers --queues ingest`)."""
    from services.queueing import enqueue_ingest

    out.print(enqueue_ingest(get_settings(), uri, source).id)


@app.command("runs")
def runs(limit: Annotated[int, typer.Option(help="how many", min=1, max=1000)] = 20,
         source: Annotated[str | None, typer.Option(help="only this source")] = None) -> None:
    """List recent runs, newest first."""
    with connect() as conn:
        rows = report.runs(conn, limit, source)
    table = Table("run", "status", "snapshot", "records", "versions", "changes", "s", "note")
    for r in rows:
        table.add_row(str(r["id"])[:8], r["status"], str(r["snapshot_at"].date() if r["snapshot_at"] else ""),
                      r["records"] or "", r["versions"] or "", r["changes"] or "", r["seconds"] or "", (r["error"] or "")[:60])
    out.print(table)


@app.command("show")
def show(run_id: Annotated[str, typer.Argument(help="run id (or its first characters)")]) -> None:
    """A run's metrics, QA checks and quarantine summary, as JSON."""
    with connect() as conn:
        found = report.find_runs(conn, run_id)
        if len(found) != 1:
            fail(f"{'no' if not found else 'more than one'} run matches {run_id!r}")
        detail = report.run_detail(conn, found[0])
    out.print_json(json.dumps(detail, default=str))


@app.command("quarantine")
def quarantine(run_id: Annotated[str | None, typer.Argument(help="run id; default: all runs")] = None,
               limit: Annotated[int, typer.Option(help="how many rows", min=1, max=10000)] = 50) -> None:
    """Records and lines that were not promoted, with the reason."""
    with connect() as conn:
        rows = report.quarantine(conn, parse_uuid(run_id, "run") if run_id else None, limit)
    for r in rows:
        out.print(json.dumps(r, default=str))

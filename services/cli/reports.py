"""`permitwatch reports ...`: make an AOI Activity Report from the command line, through the
same job, worker and storage as the web app."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from services.cli.common import connect, console, fail, out
from services.settings import get_settings

app = typer.Typer(help="AOI Activity Reports: a PDF (and workbook) of an area's permits over a period.", no_args_is_help=True)


@app.command("make")
def make(email: Annotated[str, typer.Option(help="the member asking (their time zone sets the days)")],
         area: Annotated[str, typer.Option(help="the name of one of their areas")],
         start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
         end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD (included)")],
         to: Annotated[list[str] | None, typer.Option("--to", help="also e-mail it to this address (repeat for more)")] = None,
         wait: Annotated[float, typer.Option(help="seconds to wait for the export worker to make it", min=0)] = 180) -> None:
    """Queue a report for the export worker and wait for it; prints where the PDF and workbook are."""
    from services.db.engine import set_tenant
    from services.errors import DomainError
    from services.exports import jobs
    from services.exports import report_jobs as reports
    from services.storage import storage

    settings = get_settings()
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        fail(f"dates are YYYY-MM-DD ({exc})")
    try:
        with connect("owner") as owner:
            user, workspace, aoi = reports.member_area(owner, email, area)
        with connect("app") as conn, conn.transaction():
            cur = conn.cursor()
            set_tenant(cur, workspace, user)
            job = reports.ask(cur, settings, workspace, user, aoi, first, last, to or [])
    except DomainError as exc:
        fail(str(exc))
    jobs.enqueue(settings, job, workspace)
    console.print(f"report {job} queued; waiting for the export worker (up to {wait:.0f} s)")
    seen = [None]

    def show(row: dict) -> None:
        if row["status"] != seen[0]:
            seen[0] = row["status"]
            console.print(f"  {row['status']}")
    with connect("owner") as owner:
        row = reports.wait_done(owner, job, wait, show)
    if row["status"] != "completed":
        fail(row["error"] or f"the report is still {row['status']} after {wait:.0f} s; is the export worker running (`permitwatch up`)?")
    store = storage(settings)
    pdf, xlsx = store.path(row["storage_key"]), store.path(row["attachment_key"])
    pages, rows = row["summary"]["pages"], row["summary"]["rows"]
    out.print(f"report made: {pages} pages; {rows['new']} new permits, {rows['amended']} amendments, {rows['pending']} filings pending approval")
    out.print(f"PDF: {pdf or row['storage_key']}", soft_wrap=True)
    out.print(f"workbook: {xlsx or row['attachment_key']}", soft_wrap=True)
    if to:
        out.print(f"e-mailed to {', '.join(to)} through the outbox")

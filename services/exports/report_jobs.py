"""AOI Activity Reports as export jobs: asked for (by a person, or by a schedule), written by
the `export` workers (the PDF and its workbook, from one snapshot), and mailed through the
outbox with the PDF and the workbook attached, in the same transaction that completes the
job: a report is either done and on its way to every recipient, or not done at all."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from services.audit.trail import audit
from services.errors import FieldError
from services.exports import report_content as content
from services.exports import report_map as mapsvg
from services.exports import report_render as render
from services.exports.quota import check_quota
from services.exports.report_period import Period, checked
from services.settings import Settings

MOST_RECIPIENTS = 10


def recipients_checked(addresses: list[str]) -> list[str]:
    """PURE: the e-mail addresses, trimmed and deduplicated, or FieldError naming the bad one."""
    out = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    if len(out) > MOST_RECIPIENTS:
        raise FieldError("recipients", f"a report goes to at most {MOST_RECIPIENTS} addresses")
    for a in out:
        local, _, domain = a.partition("@")
        if not local or "." not in domain or any(ch.isspace() or ch in "<>,;\"" for ch in a) or len(a) > 254:
            raise FieldError("recipients", f"{a!r} is not an e-mail address")
    return out


def area_name(cur: psycopg.Cursor, aoi_id: uuid.UUID) -> str:
    row = cur.connection.cursor().execute("SELECT name FROM aois WHERE id = %s", (aoi_id,)).fetchone()
    if row is None:
        raise FieldError("aoi_id", f"no area {aoi_id} in this workspace")
    return row[0]


def insert_job(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID | None, aoi_id: uuid.UUID, period: Period, tz: str,
               recipients: list[str], schedule_id: uuid.UUID | None = None) -> uuid.UUID:
    """A queued report job for the area and period (the caller enqueues it after commit)."""
    name = area_name(cur, aoi_id)
    title = f"Activity report: {name}, {period.label()}"
    params = {"start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": tz, "recipients": recipients}
    job = cur.connection.cursor().execute("""INSERT INTO export_jobs (workspace_id, created_by, job_type, format, title, params, aoi_id, schedule_id)
                         SELECT %s, coalesce(%s, (SELECT created_by FROM report_schedules WHERE id = %s)), 'report', 'pdf', %s, %s, %s, %s
                         RETURNING id""",
                      (workspace_id, user_id, schedule_id, title[:200], json.dumps(params), aoi_id, schedule_id)).fetchone()[0]
    audit(cur, workspace_id, user_id, "report.created", "export", job,
          {"area": name, "period": params["start"] + "/" + params["end"], "recipients": recipients, "scheduled": schedule_id is not None})
    return job


def ask(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, user_id: uuid.UUID, aoi_id: uuid.UUID, start: date, end: date,
        recipients: list[str]) -> uuid.UUID:
    """A report asked for now, over the asker's time zone, within the daily export limit."""
    tz = cur.execute("SELECT timezone FROM users WHERE id = %s", (user_id,)).fetchone()
    tz = tz[0] if tz else "America/Chicago"
    period = checked(start, end, datetime.now(ZoneInfo(tz)).date())
    area_name(cur, aoi_id)
    check_quota(cur, settings, workspace_id)
    return insert_job(cur, workspace_id, user_id, aoi_id, period, tz, recipients_checked(recipients))


@dataclass
class Written:
    pdf: Path
    xlsx: Path
    pages: int
    summary: dict


def write(conn: psycopg.Connection, job: dict, workspace_name: str, tmp: Path) -> Written:
    """Both files of a report job, from one read-only snapshot (the caller sets the tenant)."""
    spec = job["params"]
    period = Period(date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"]))
    since = conn.execute("""SELECT max(finished_at) FROM export_jobs WHERE job_type = 'report' AND aoi_id = %s AND id <> %s
                            AND status IN ('completed', 'expired') AND finished_at < now()""", (job["aoi_id"], job["id"])).fetchone()[0]
    report = content.gather(conn, job["aoi_id"], period, spec["timezone"], since=since)
    svg = mapsvg.draw(conn, job["aoi_id"], period.start, period.end)
    stem = f"activity-report-{_slug(report.area['name'])}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    out = Written(tmp / f"{stem}.pdf", tmp / f"{stem}.xlsx", 0, report.summary())
    out.pages = render.pdf(render.html(report, svg, workspace=workspace_name, report_id=str(job["id"])), out.pdf)
    render.workbook(report, out.xlsx, job["title"])
    out.summary["pages"] = out.pages
    out.summary["rows"] = {t.key: len(t.rows) for t in report.tables}
    return out


def _slug(name: str) -> str:
    return "-".join("".join(ch.lower() if ch.isalnum() else " " for ch in name).split())[:60] or "area"


def queue_emails(cur: psycopg.Cursor, job: dict, link: str, files: list[dict], summary: dict) -> int:
    """One outbox e-mail per recipient, the files attached (by storage key; the delivery worker
    reads them), in the caller's transaction."""
    recipients = job["params"].get("recipients") or []
    numbers = summary["numbers"]
    subject = job["title"]
    lines = [f"{job['title']}.", "",
             f"New permits approved: {numbers.get('permits', 0)}; amendments: {numbers.get('amended', 0)}; "
             f"filings pending approval: {numbers.get('filed', 0)}.", "",
             "The PDF report and a workbook with every row are attached.",
             f"Share or open it online (the link expires): {link}", "", "permitwatch"]
    items = "".join(f"<li>{label}: <b>{numbers.get(key, 0)}</b></li>" for key, label in
                    (("permits", "New permits approved"), ("amended", "Amendments"), ("filed", "Filings pending approval")))
    html = (f"<p>{_h(job['title'])}.</p><ul>{items}</ul><p>The PDF report and a workbook with every row are attached.</p>"
            f'<p><a href="{_h(link)}">Open the report online</a> (the link expires).</p><p>permitwatch</p>')
    payload = {"subject": subject, "text": "\n".join(lines), "html": html, "attachments": files}
    for to in recipients:
        cur.execute("""INSERT INTO notification_outbox (workspace_id, channel, to_address, status, kind, payload)
                       VALUES (%s, 'email', %s, 'pending', 'report', %s)""", (job["workspace_id"], to, json.dumps(payload)))
    return len(recipients)


def _h(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def member_area(owner: psycopg.Connection, email: str, area: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(user, workspace, area) for a member's e-mail and the name of an area of one of their
    workspaces: how an operator names a report on the command line."""
    row = owner.execute("""SELECT u.id, a.workspace_id, a.id FROM users u JOIN workspace_members m ON m.user_id = u.id
                           JOIN aois a ON a.workspace_id = m.workspace_id AND lower(a.name) = lower(%s)
                           WHERE lower(u.email) = lower(%s) ORDER BY a.created_at LIMIT 1""", (area, email)).fetchone()
    if row is None:
        raise FieldError("area", f"{email} has no area named {area!r} in any of their workspaces")
    return row


def wait_done(conn: psycopg.Connection, job_id: uuid.UUID, timeout: float, on_progress=None) -> dict:
    """Poll a job (as the owner role) until it completes or fails, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        with conn.transaction():
            row = conn.cursor(row_factory=dict_row).execute(
                "SELECT status, progress, error, storage_key, attachment_key, summary FROM export_jobs WHERE id = %s", (job_id,)).fetchone()
        if on_progress:
            on_progress(row)
        if row["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return row
        time.sleep(0.5)

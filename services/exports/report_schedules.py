"""Report schedules: kept per workspace (RLS), audited, and started when due by the export
sweep (the owner role's maintenance path across workspaces): each due schedule gets one
report job for the period before its send time, and its next send time, in one transaction,
so a sweep that dies halfway starts nothing twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

import psycopg
from psycopg.rows import dict_row

from services.alerting.schedule import ScheduleError, zone
from services.audit.trail import audit, delete_audited
from services.errors import FieldError, Missing
from services.exports import report_jobs
from services.exports.quota import check_quota
from services.exports.report_period import describe_schedule, next_run, scheduled
from services.settings import Settings

_FIELDS = ("cadence", "weekday", "send_at", "timezone", "recipients", "enabled")
_SELECT = """SELECT s.id, s.aoi_id, a.name AS area_name, s.cadence, s.weekday, to_char(s.send_at, 'HH24:MI') AS send_at, s.timezone,
                    s.recipients, s.enabled, s.next_run_at, s.last_run_at, s.created_at
             FROM report_schedules s JOIN aois a ON a.id = s.aoi_id"""


def _shown(r: dict) -> dict:
    return {**r, "description": describe_schedule(r["cadence"], r["weekday"], time.fromisoformat(r["send_at"]), r["timezone"])}


def _checked(spec: dict) -> dict:
    try:
        zone(spec["timezone"])
    except ScheduleError as exc:
        raise FieldError("timezone", str(exc)) from None
    return {**spec, "recipients": report_jobs.recipients_checked(spec["recipients"]) or _no_recipients()}


def _no_recipients() -> list[str]:
    raise FieldError("recipients", "give at least one e-mail address")


def list_schedules(cur: psycopg.Cursor) -> list[dict]:
    rows = cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " ORDER BY a.name, s.created_at").fetchall()
    return [_shown(r) for r in rows]


def get(cur: psycopg.Cursor, schedule_id: uuid.UUID) -> dict:
    row = cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " WHERE s.id = %s", (schedule_id,)).fetchone()
    if row is None:
        raise Missing(f"report schedule {schedule_id} does not exist in this workspace")
    return _shown(row)


def create(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, spec: dict) -> uuid.UUID:
    if spec.get("timezone") is None:
        spec = {**spec, "timezone": cur.execute("SELECT timezone FROM users WHERE id = %s", (user_id,)).fetchone()[0]}
    spec = _checked(spec)
    report_jobs.area_name(cur, spec["aoi_id"])
    due = next_run(spec["cadence"], spec["weekday"], time.fromisoformat(spec["send_at"]), spec["timezone"], datetime.now(UTC))
    sid = cur.execute("""INSERT INTO report_schedules (workspace_id, aoi_id, cadence, weekday, send_at, timezone, recipients, enabled,
                                                        next_run_at, created_by)
                         VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                      (workspace_id, spec["aoi_id"], spec["cadence"], spec["weekday"], spec["send_at"], spec["timezone"], spec["recipients"],
                       spec["enabled"], due, user_id)).fetchone()[0]
    audit(cur, workspace_id, user_id, "report_schedule.created", "report_schedule", sid,
          {k: str(spec[k]) if k == "aoi_id" else spec[k] for k in ("aoi_id", *_FIELDS)})
    return sid


def update(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, schedule_id: uuid.UUID, changes: dict) -> None:
    now = get(cur, schedule_id)
    spec = _checked({**{k: now[k] for k in _FIELDS}, **{k: v for k, v in changes.items() if v is not None}})
    due = next_run(spec["cadence"], spec["weekday"], time.fromisoformat(spec["send_at"]), spec["timezone"], datetime.now(UTC))
    cur.execute("""UPDATE report_schedules SET cadence = %s, weekday = %s, send_at = %s, timezone = %s, recipients = %s, enabled = %s,
                          next_run_at = %s WHERE id = %s""",
                (spec["cadence"], spec["weekday"], spec["send_at"], spec["timezone"], spec["recipients"], spec["enabled"], due, schedule_id))
    audit(cur, workspace_id, user_id, "report_schedule.updated", "report_schedule", schedule_id,
          {k: spec[k] for k in _FIELDS if spec[k] != now[k]})


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
    delete_audited(cur, "report_schedules", "report_schedule", schedule_id, workspace_id, user_id, Missing)


def run_now(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, user_id: uuid.UUID, schedule_id: uuid.UUID) -> uuid.UUID:
    """The schedule's report for the period it would cover if it sent today, now."""
    s = get(cur, schedule_id)
    period = scheduled(s["cadence"], datetime.now(zone(s["timezone"])).date())
    check_quota(cur, settings, workspace_id)
    return report_jobs.insert_job(cur, workspace_id, user_id, s["aoi_id"], period, s["timezone"], s["recipients"], schedule_id)


def start_due(conn: psycopg.Connection, now: datetime | None = None) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(job, workspace) of each report started for a due schedule; the caller commits, then
    enqueues. A schedule that was due several times while nothing ran sends once, for the
    latest period, and moves on."""
    now = now or datetime.now(UTC)
    cur = conn.cursor(row_factory=dict_row)
    due = cur.execute("""SELECT id, workspace_id, aoi_id, cadence, weekday, send_at, timezone, recipients, next_run_at FROM report_schedules
                         WHERE enabled AND next_run_at <= %s ORDER BY next_run_at FOR UPDATE SKIP LOCKED""", (now,)).fetchall()
    started = []
    for s in due:
        tz, at = s["timezone"], s["next_run_at"]
        while (later := next_run(s["cadence"], s["weekday"], s["send_at"], tz, at)) <= now:
            at = later  # missed sends: only the latest period goes out
        period = scheduled(s["cadence"], at.astimezone(zone(tz)).date())
        job = report_jobs.insert_job(cur, s["workspace_id"], None, s["aoi_id"], period, tz, s["recipients"], s["id"])
        cur.execute("UPDATE report_schedules SET last_run_at = %s, next_run_at = %s WHERE id = %s", (now, later, s["id"]))
        started.append((job, s["workspace_id"]))
    return started

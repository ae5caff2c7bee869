"""A workspace's billing as stored, its entitlements now, and its usage against them.
Runs in the caller's RLS context (the app role sees its own workspace; the worker role
reads every workspace's billing columns)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from services.entitlements.decide import Billing, Entitlements, entitlements, require_feature, require_room, require_writable
from services.entitlements.plans import TRIAL_DAYS
from services.errors import Missing

OVERRIDES = ("sms_per_month", "email_per_month", "exports_per_day", "api_calls_per_month")
COLUMNS = ("w.plan, w.billing_status, w.trial_ends_at, w.past_due_since, w.current_period_end, w.cancel_at_period_end, w.addons, "
           + ", ".join(f"q.{c}" for c in OVERRIDES))
FROM = "workspaces w LEFT JOIN workspace_quotas q ON q.workspace_id = w.id"


def billing_of(row) -> Billing:
    """A Billing from COLUMNS' values, in order."""
    plan, status, trial_end, past_due, period_end, cancels, addons, *overrides = row
    return Billing(plan, status, trial_end, past_due, period_end, bool(cancels), dict(addons or {}), dict(zip(OVERRIDES, overrides, strict=True)))


def load(cur: psycopg.Cursor, workspace: uuid.UUID) -> Billing:
    row = cur.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE w.id = %s", (workspace,)).fetchone()
    if row is None:
        raise Missing("no such workspace")
    return billing_of(row)


def load_many(cur: psycopg.Cursor, workspaces: list[uuid.UUID]) -> dict[uuid.UUID, Billing]:
    return {r[0]: billing_of(r[1:]) for r in cur.execute(f"SELECT w.id, {COLUMNS} FROM {FROM} WHERE w.id = ANY(%s)", (workspaces,))}


def now_for(cur: psycopg.Cursor, workspace: uuid.UUID, at: datetime | None = None) -> Entitlements:
    return entitlements(load(cur, workspace), at or datetime.now(UTC))


def check_writable(cur: psycopg.Cursor, workspace: uuid.UUID) -> None:
    require_writable(now_for(cur, workspace))


COUNTS = {
    "areas": "SELECT count(*) FROM aois WHERE workspace_id = %(w)s",
    "alert_rules": "SELECT count(*) FROM alert_rules WHERE workspace_id = %(w)s",
    "seats": """SELECT (SELECT count(*) FROM workspace_members WHERE workspace_id = %(w)s)
                + (SELECT count(*) FROM workspace_invitations WHERE workspace_id = %(w)s AND accepted_at IS NULL
                   AND revoked_at IS NULL AND expires_at > now())""",
}


def check_feature(cur: psycopg.Cursor, workspace: uuid.UUID, feature: str) -> None:
    require_feature(now_for(cur, workspace), feature)


def check_room(cur: psycopg.Cursor, workspace: uuid.UUID, limit: str) -> None:
    """Room for one more area, alert rule or member under the plan."""
    require_room(now_for(cur, workspace), limit, cur.execute(COUNTS[limit], {"w": workspace}).fetchone()[0])


def start_trial(cur: psycopg.Cursor, workspace: uuid.UUID, now: datetime) -> datetime:
    ends = now + timedelta(days=TRIAL_DAYS)
    cur.execute("UPDATE workspaces SET plan = 'trial', billing_status = 'trialing', trial_ends_at = %s WHERE id = %s", (ends, workspace))
    return ends


def usage(cur: psycopg.Cursor, workspace: uuid.UUID, now: datetime) -> dict[str, int]:
    """This month's (and today's) use of everything a plan limits, keyed like Limits. Text
    messages are those sent (what services.billing.metering bills beyond the plan)."""
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    row = cur.execute(f"""
      SELECT ({COUNTS["areas"]}), ({COUNTS["alert_rules"]}), ({COUNTS["seats"]}),
             (SELECT count(*) FROM notification_outbox WHERE workspace_id = %(w)s AND channel = 'sms' AND status = 'sent' AND updated_at >= %(m)s),
             (SELECT count(*) FROM notification_outbox WHERE workspace_id = %(w)s AND channel = 'email' AND kind = 'alert'
                AND status = 'sent' AND updated_at >= %(m)s),
             (SELECT count(*) FROM export_jobs WHERE workspace_id = %(w)s AND created_at >= %(d)s),
             (SELECT coalesce(sum(requests), 0) FROM api_usage_daily WHERE workspace_id = %(w)s AND day >= %(m)s::date)""",
                      {"w": workspace, "m": month, "d": day}).fetchone()
    names = ("areas", "alert_rules", "seats", "sms_per_month", "email_per_month", "exports_per_day", "api_calls_per_month")
    return {n: int(v) for n, v in zip(names, row, strict=True)}


def alerts_by_channel(cur: psycopg.Cursor, workspace: uuid.UUID, now: datetime) -> dict[str, int]:
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # An in-app alert is its inbox row (one outbox row may deliver a batch of them).
    rows = cur.execute("""SELECT channel, count(*) FROM notification_outbox WHERE workspace_id = %(w)s AND kind IN ('alert', 'digest')
                          AND channel <> 'in_app' AND status = 'sent' AND updated_at >= %(m)s GROUP BY channel
                          UNION ALL
                          SELECT 'in_app', count(*) FROM notifications WHERE workspace_id = %(w)s AND alert_event_id IS NOT NULL
                          AND created_at >= %(m)s""", {"w": workspace, "m": month}).fetchall()
    return {"sms": 0, "email": 0, "in_app": 0, "webhook": 0} | {r[0]: r[1] for r in rows}

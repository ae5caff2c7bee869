"""Billing notices sent once each (billing_notices): the trial's value three days before it
ends, a failed payment, alerts paused when a workspace lapses. They go to the workspace's
owners and admins; a notice whose e-mail could not go is forgotten, so the next sweep
tries again. Runs in the caller's context: a workspace's RLS context, or the owner role's
maintenance policy in the sweep."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from services.alerting.channels import DeliveryError, Message
from services.billing import mail
from services.entitlements import checks as account
from services.entitlements.decide import entitlements
from services.entitlements.plans import GRACE_DAYS, TRIAL_DAYS
from services.settings import Settings

log = logging.getLogger("permitwatch.billing")
TRIAL_NOTICE_DAYS = 3


def value(cur: psycopg.Cursor, ws: uuid.UUID, since: datetime) -> mail.Value:
    row = cur.execute("""
      WITH ev AS (SELECT e.id, e.permit_id, r.snapshot_at FROM alert_rules ar JOIN alert_events e ON e.alert_rule_id = ar.id
                  LEFT JOIN permit_changes c ON c.id = e.permit_change_id LEFT JOIN ingestion_runs r ON r.id = c.ingestion_run_id
                  WHERE ar.workspace_id = %(w)s AND e.triggered_at >= %(s)s),
           sent AS (SELECT x.alert_event_id, min(x.at) AS at
                    FROM (SELECT o.alert_event_id, o.updated_at AS at FROM notification_outbox o
                          WHERE o.workspace_id = %(w)s AND o.status = 'sent' AND o.alert_event_id IN (SELECT id FROM ev)
                          UNION ALL
                          SELECT n.alert_event_id, n.created_at FROM notifications n
                          WHERE n.workspace_id = %(w)s AND n.alert_event_id IN (SELECT id FROM ev)) x GROUP BY 1)
      SELECT (SELECT count(DISTINCT permit_id) FROM ev),
             (SELECT count(*) FROM notification_outbox WHERE workspace_id = %(w)s AND status = 'sent' AND kind IN ('alert', 'digest')
                AND channel NOT IN ('webhook', 'in_app') AND created_at >= %(s)s)
             + (SELECT count(*) FROM notifications WHERE workspace_id = %(w)s AND alert_event_id IS NOT NULL AND created_at >= %(s)s),
             (SELECT count(*) FROM notifications WHERE workspace_id = %(w)s AND read_at IS NOT NULL AND created_at >= %(s)s),
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.at - ev.snapshot_at) / 60)
                FROM ev JOIN sent s ON s.alert_event_id = ev.id WHERE ev.snapshot_at IS NOT NULL),
             (SELECT count(DISTINCT operator_id) FROM operator_watchlist_items WHERE workspace_id = %(w)s),
             (SELECT count(*) FROM export_jobs WHERE workspace_id = %(w)s AND created_at >= %(s)s)""",
                      {"w": ws, "s": since}).fetchone()
    return mail.Value(int(row[0]), int(row[1]), int(row[2]), float(row[3]) if row[3] is not None else None, int(row[4]), int(row[5]))


def _admins(cur: psycopg.Cursor, ws: uuid.UUID) -> tuple[str, list[str]]:
    rows = cur.execute("""SELECT w.name, u.email FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
                          JOIN users u ON u.id = m.user_id
                          WHERE w.id = %s AND m.role IN ('owner', 'admin') AND u.disabled_at IS NULL AND u.email_verified_at IS NOT NULL
                          ORDER BY u.email""", (ws,)).fetchall()
    if not rows:
        return cur.execute("SELECT name FROM workspaces WHERE id = %s", (ws,)).fetchone()[0], []
    return rows[0][0], [r[1] for r in rows]


def _once(cur: psycopg.Cursor, settings: Settings, ws: uuid.UUID, kind: str, period: str, compose) -> bool:
    """Send the notice unless it was sent; True when it went out now."""
    with cur.connection.transaction():
        cur.execute("INSERT INTO billing_notices (workspace_id, kind, period) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (ws, kind, period))
        if cur.rowcount != 1:
            return False
        name, to = _admins(cur, ws)
        provider = _email(settings)
        if provider is None or not to:
            log.warning("billing notice %s for %s: nobody to e-mail (or no e-mail provider); recorded", kind, ws)
            return False
        payload = compose(name)
        try:
            for address in to:
                provider.send(Message(0, "email", address, payload, ref=f"billing-{kind}-{ws}-{period}"))
        except DeliveryError as exc:
            log.error("billing notice %s for %s not sent (%s); the next sweep tries again", kind, ws, exc)
            cur.execute("DELETE FROM billing_notices WHERE workspace_id = %s AND kind = %s AND period = %s", (ws, kind, period))
            return False
    return True


def _email(settings: Settings):
    from services.alerting.delivery import providers_from

    return providers_from(settings).get("email")


def trial_ending(cur: psycopg.Cursor, settings: Settings, ws: uuid.UUID, now: datetime) -> bool:
    b = account.load(cur, ws)
    ends = b.trial_ends_at
    if ends is None or ends <= now:
        return False
    since = ends - timedelta(days=TRIAL_DAYS)
    v = value(cur, ws, since)
    return _once(cur, settings, ws, "trial_ending", ends.date().isoformat(),
                 lambda name: mail.trial_ending(settings.public_base_url, name, ends, v))


def payment_failed(cur: psycopg.Cursor, settings: Settings, ws: uuid.UUID, invoice: str) -> bool:
    b = account.load(cur, ws)
    grace_ends = (b.past_due_since or datetime.now(UTC)) + timedelta(days=GRACE_DAYS)
    return _once(cur, settings, ws, "payment_failed", invoice[:80], lambda name: mail.payment_failed(settings.public_base_url, name, grace_ends))


def sweep(cur: psycopg.Cursor, settings: Settings, now: datetime) -> dict:
    """Across workspaces (owner role): trials ending within three days, and workspaces that
    lapsed since their last 'paused' notice."""
    done = {"trial_ending": 0, "paused": 0}
    for (ws,) in cur.execute("""SELECT id FROM workspaces w WHERE billing_status = 'trialing' AND trial_ends_at > %s AND trial_ends_at <= %s
                                AND NOT EXISTS (SELECT 1 FROM billing_notices n WHERE n.workspace_id = w.id AND n.kind = 'trial_ending'
                                                AND n.period = (w.trial_ends_at AT TIME ZONE 'UTC')::date::text)""",
                             (now, now + timedelta(days=TRIAL_NOTICE_DAYS))).fetchall():
        done["trial_ending"] += trial_ending(cur, settings, ws, now)
    candidates = cur.execute(f"SELECT w.id, {account.COLUMNS} FROM {account.FROM} WHERE w.billing_status IN ('trialing', 'past_due', 'canceled')").fetchall()
    for row in candidates:
        ws, st = row[0], entitlements(account.billing_of(row[1:]), now).standing
        if st.state != "lapsed":
            continue
        period = f"{st.reason}:{st.until.date().isoformat() if st.until else ''}"
        done["paused"] += _once(cur, settings, ws, "alerts_paused", period,
                                lambda name, why=st.message: mail.alerts_paused(settings.public_base_url, name, why))
    return done

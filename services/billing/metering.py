"""Text messages beyond the plan, reported to Stripe's meter one by one: each sent message
past the month's included number gets a meter event whose identifier is its outbox id
(Stripe keeps one event per identifier) and a billing_meter_reports row, so neither a
re-run nor a crash between the two bills a message twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import psycopg

from services.billing.stripe_api import BillingUnavailable, client, report_sms
from services.entitlements import checks as account
from services.entitlements.decide import entitlements
from services.entitlements.plans import SMS_OVERAGE
from services.settings import Settings

log = logging.getLogger("permitwatch.billing")

BEYOND = """
SELECT s.id, s.updated_at FROM (
  SELECT id, updated_at, row_number() OVER (ORDER BY updated_at, id) AS n FROM notification_outbox
  WHERE workspace_id = %(w)s AND channel = 'sms' AND status = 'sent' AND updated_at >= %(m)s) s
WHERE s.n > %(included)s AND NOT EXISTS (SELECT 1 FROM billing_meter_reports r WHERE r.outbox_id = s.id)
ORDER BY s.n LIMIT 1000"""


def report_overage(conn: psycopg.Connection, settings: Settings, now: datetime) -> int:
    """Across billed workspaces (owner role); the number of messages reported."""
    if not settings.stripe_secret_key:
        return 0
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = conn.execute(f"""SELECT w.id, w.stripe_customer_id, {account.COLUMNS} FROM {account.FROM}
                            WHERE w.billing_status IN ('active', 'past_due') AND w.stripe_customer_id IS NOT NULL""").fetchall()
    sc, reported = client(settings), 0
    for ws, customer, *billing in rows:
        ent = entitlements(account.billing_of(billing), now)
        for outbox_id, sent_at in conn.execute(BEYOND, {"w": ws, "m": month, "included": ent.limits.sms_per_month}).fetchall():
            try:
                report_sms(sc, customer, outbox_id, sent_at)
            except BillingUnavailable as exc:
                log.error("SMS overage of %s not reported (%s); the next sweep tries again", ws, exc)
                conn.commit()
                return reported
            conn.execute("INSERT INTO billing_meter_reports (outbox_id, workspace_id, meter_event) VALUES (%s, %s, %s)",
                         (outbox_id, ws, SMS_OVERAGE.meter_event))
            conn.commit()
            reported += 1
    return reported

"""Webhook deliveries from the outbox (channel `webhook`), as the delivery worker's role.

Alert events are queued by the evaluator in the transaction that writes the events
(its WEBHOOK_SQL); permit changes by `fan_out_changes`, which reads the change feed after each
subscribed endpoint's cursor and queues up to 100 changes an event, advancing the cursor in
the same transaction (so each change goes to each endpoint once, in feed order). Sending
reuses the outbox's claim, retries with backoff and dead letters; every attempt is logged."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from services.alerting import delivery
from services.alerting.channels import Permanent, Retryable
from services.errors import FieldError
from services.metrics import registry as metrics
from services.permits import feed
from services.settings import Settings
from services.webhooks import endpoints, sender, signing

CHANGES_PER_EVENT = 100
PAGES_PER_ROUND = 10


def fan_out_changes(conn: psycopg.Connection, *, pages: int = PAGES_PER_ROUND) -> int:
    """Queue `permit.changed` events for the changes each subscribed endpoint has not had."""
    made = 0
    with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        subscribed = cur.execute("""SELECT id, workspace_id, url, changes_cursor FROM webhook_endpoints
                                    WHERE enabled AND 'permit.changed' = ANY(events) FOR UPDATE SKIP LOCKED""").fetchall()
        for ep in subscribed:
            cursor = ep["changes_cursor"]
            for _ in range(pages):
                page = feed.page(conn, cursor, CHANGES_PER_EVENT)
                if not page["items"]:
                    break
                cur.execute("""INSERT INTO notification_outbox (workspace_id, channel, to_address, status, kind, event_type,
                                                                webhook_endpoint_id, payload)
                               VALUES (%s, 'webhook', %s, 'pending', 'webhook', 'permit.changed', %s, %s)""",
                            (ep["workspace_id"], ep["url"], ep["id"],
                             json.dumps({"changes": page["items"], "next_cursor": page["next_cursor"]}, default=str)))
                cursor, made = page["next_cursor"], made + 1
                if not page["more"]:
                    break
            if cursor != ep["changes_cursor"]:
                cur.execute("UPDATE webhook_endpoints SET changes_cursor = %s WHERE id = %s", (cursor, ep["id"]))
    return made


def body_of(row: dict, alert_payload: dict | None) -> bytes:
    """PURE: the JSON a receiver gets: the event's id, type, time and data."""
    if row["event_type"] == "alert.created":
        data = {"alert_id": str(row["alert_event_id"]), **(alert_payload or {})}
    else:
        data = row["payload"] or {}
    envelope = {"id": endpoints.event_id(row["id"]), "type": row["event_type"], "created_at": row["created_at"].isoformat(),
                "api_version": "v1", "data": data}
    return json.dumps(envelope, default=str, separators=(",", ":")).encode()


def live_secrets(settings: Settings, ep: dict, now: datetime) -> list[str]:
    out = [signing.secret_for(settings.secret_key, bytes(ep["secret_salt"]))]
    if ep["previous_salt"] is not None and ep["previous_until"] and ep["previous_until"] > now:
        out.append(signing.secret_for(settings.secret_key, bytes(ep["previous_salt"])))
    return out


def deliver(conn: psycopg.Connection, settings: Settings, post: sender.Sender, *, limit: int = 100,
            now: datetime | None = None) -> delivery.DeliveryResult:
    now = now or datetime.now(UTC)
    res = delivery.DeliveryResult()
    rows = delivery.claim(conn, ["webhook"], limit=limit, lease=timedelta(seconds=settings.delivery_lease_seconds), now=now)
    if not rows:
        return res
    with conn.transaction():
        eps = {r["id"]: r for r in conn.cursor(row_factory=dict_row).execute(
            "SELECT id, url, enabled, secret_salt, previous_salt, previous_until FROM webhook_endpoints WHERE id = ANY(%s)",
            (list({r["webhook_endpoint_id"] for r in rows}),)).fetchall()}
    alerts = delivery.event_payloads(conn, [r["alert_event_id"] for r in rows if r["alert_event_id"]])
    for row in rows:
        ep = eps.get(row["webhook_endpoint_id"])
        if ep is None or not ep["enabled"]:
            delivery.settle(conn, settings, row, Permanent("the endpoint was turned off"), res)
            continue
        body = body_of(row, alerts.get(row["alert_event_id"]))
        stamp = int(time.time())
        headers = {signing.HEADER: signing.header(live_secrets(settings, ep, datetime.now(UTC)), stamp, body),
                   "Permitwatch-Event-Id": endpoints.event_id(row["id"]), "Permitwatch-Event-Type": row["event_type"],
                   "Permitwatch-Delivery-Attempt": str(row["attempts"])}
        try:
            attempt = post.post(ep["url"], body, headers)
            failure = Retryable(attempt.error) if attempt.error else None
        except (sender.Refused, FieldError) as exc:
            attempt, failure = sender.Attempt(None, None, 0, str(exc)), Permanent(str(exc))
        except sender.Unreachable as exc:
            attempt, failure = sender.Attempt(None, None, 0, str(exc)), Retryable(str(exc))
        with conn.transaction():
            conn.execute("""INSERT INTO webhook_attempts (workspace_id, outbox_id, address, status_code, duration_ms, error)
                            VALUES (%s, %s, %s, %s, %s, %s)""",
                         (row["workspace_id"], row["id"], attempt.address, attempt.status_code, attempt.duration_ms, attempt.error))
        metrics.webhook_seconds.observe(attempt.duration_ms / 1000)
        delivery.settle(conn, settings, row, failure, res, provider_id=None if failure else f"HTTP {attempt.status_code}")
    return res

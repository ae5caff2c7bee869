"""Delivery from the outbox: claim due rows, send, record the outcome.

- External channels (SMS, email): rows are claimed (`FOR UPDATE SKIP LOCKED`, status
  `sending` with a lease) and committed before the provider is called, then marked `sent`
  with the provider's message id, or `failed` with a retry time (exponential backoff with
  jitter), or `dead` after the last attempt or a permanent error. A row whose lease ran out
  (its worker died) is claimed again. Neither Twilio's Messages API nor SendGrid's mail send
  accepts an idempotency key, so this is AT-LEAST-ONCE: a worker killed after the provider
  accepted a message and before its row was marked sent causes that one message to be sent
  again; the outbox id travels with it (SendGrid custom_args, SMTP Message-ID) so the
  duplicate is recognisable. The alternative, at-most-once, would lose alerts on a crash;
  for this product a rare duplicate is the lesser harm.
- In-app: the notification row and `sent` are written in one transaction: exactly once.
- Digests: held rows whose digest time came are folded into one message per rule, channel
  and recipient, itself an outbox row delivered like any other.
Runs as the worker role.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from services.alerting import messages
from services.alerting.channels import Message, Permanent, Retryable
from services.alerting.schedule import backoff
from services.engagement.links import token as link_token
from services.metrics import registry as metrics
from services.settings import Settings


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    in_app: int = 0
    digests: int = 0


def providers_from(settings: Settings) -> dict:
    from services.alerting.channels import providers as p

    out = {}
    if settings.sms_provider == "twilio":
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
            raise ValueError("sms_provider=twilio needs PERMITWATCH_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM")
        out["sms"] = p.TwilioSMS(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                                 base_url=settings.twilio_base_url, timeout=settings.provider_timeout_seconds,
                                 status_callback=settings.twilio_status_callback_url or f"{settings.public_base_url.rstrip('/')}/webhooks/twilio/status")
    elif settings.sms_provider == "folder":
        out["sms"] = p.FolderSMS(settings.sms_folder)
    if settings.email_provider == "sendgrid":
        if not settings.sendgrid_api_key:
            raise ValueError("email_provider=sendgrid needs PERMITWATCH_SENDGRID_API_KEY")
        out["email"] = p.SendGridEmail(settings.sendgrid_api_key, settings.email_from, host=settings.sendgrid_host,
                                       timeout=settings.provider_timeout_seconds)
    elif settings.email_provider == "smtp":
        out["email"] = p.SMTPEmail(settings.smtp_host, settings.smtp_port, settings.email_from, username=settings.smtp_username,
                                   password=settings.smtp_password, starttls=settings.smtp_starttls,
                                   timeout=settings.provider_timeout_seconds)
    return out


def claim(conn: psycopg.Connection, channels: list[str], *, limit: int, lease: timedelta, now: datetime) -> list[dict]:
    with conn.transaction():
        return conn.cursor(row_factory=dict_row).execute("""
            UPDATE notification_outbox o SET status = 'sending', attempts = o.attempts + 1,
                   leased_until = %(now)s + %(lease)s, updated_at = now()
            WHERE o.id IN (SELECT id FROM notification_outbox
                           WHERE channel = ANY(%(channels)s)
                             AND ((status IN ('pending', 'failed') AND next_attempt_at <= %(now)s)
                                  OR (status = 'sending' AND leased_until < %(now)s))
                           ORDER BY next_attempt_at, id LIMIT %(n)s FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.channel, o.to_address, o.payload, o.attempts, o.kind, o.alert_event_id, o.created_at,
                      o.workspace_id, o.webhook_endpoint_id, o.event_type""",
            {"now": now, "lease": lease, "channels": channels, "n": limit}).fetchall()


def deliver_external(conn: psycopg.Connection, settings: Settings, providers: dict, *, limit: int = 100,
                     now: datetime | None = None) -> DeliveryResult:
    now = now or datetime.now(UTC)
    res = DeliveryResult()
    channels = [c for c in ("sms", "email") if c in providers]
    if not channels:
        return res
    rows = claim(conn, channels, limit=limit, lease=timedelta(seconds=settings.delivery_lease_seconds), now=now)
    events = event_payloads(conn, [r["alert_event_id"] for r in rows if r["alert_event_id"]])
    for row in rows:
        body = row["payload"] if row["kind"] in ("digest", "report") else messages.render(
            row["channel"], events[row["alert_event_id"]], settings.public_base_url, (row["payload"] or {}).get("note"), now,
            link_token(settings.secret_key, row["id"]))
        try:
            msg = Message(row["id"], row["channel"], row["to_address"], body, attachments=_attachments(settings, body))
            provider_id = providers[row["channel"]].send(msg)
        except (Retryable, Permanent) as exc:
            settle(conn, settings, row, exc, res)
            continue
        settle(conn, settings, row, None, res, provider_id=provider_id)
    return res


def _attachments(settings: Settings, body: dict) -> tuple[tuple[str, str, bytes], ...]:
    """A report e-mail's files, read from export storage (the link and the files expire
    together, long after the outbox gives up)."""
    from services.storage import storage

    out = []
    for a in body.get("attachments") or ():
        try:
            content = storage(settings).read(a["key"])
        except Exception as exc:  # the store is down or refuses: the outbox retries later
            raise Retryable(f"reading the attachment {a['name']}: {type(exc).__name__}: {exc}") from exc
        if content is None:
            raise Permanent(f"the attachment {a['name']} is no longer stored")
        out.append((a["name"], a["media_type"], content))
    return tuple(out)


def _observe_sent(channel: str, kind: str, created_at: datetime) -> None:
    metrics.deliveries.labels(channel, "sent").inc()
    if kind == "alert":  # a digest waits for its hour on purpose; its latency says nothing
        metrics.delivery_latency.labels(channel).observe(max(0.0, (datetime.now(UTC) - created_at).total_seconds()))


def settle(conn: psycopg.Connection, settings: Settings, row: dict, failure: Exception | None, res: DeliveryResult, *,
           provider_id: str | None = None) -> None:
    """Record a claimed row's attempt: sent; or failed, to be retried after a backoff; or
    dead after the last attempt or a permanent error."""
    channel = row["channel"]
    if failure is None:
        _finish(conn, row["id"], "sent", provider_id=provider_id)
        res.sent += 1
        _observe_sent(channel, row["kind"], row["created_at"])
    elif isinstance(failure, Retryable) and row["attempts"] < settings.delivery_max_attempts:
        wait = backoff(row["attempts"], base=settings.delivery_backoff_base_seconds, cap=settings.delivery_backoff_cap_seconds)
        _finish(conn, row["id"], "failed", error=str(failure), next_at=datetime.now(UTC) + wait)
        res.retried += 1
        metrics.deliveries.labels(channel, "retry").inc()
    else:
        why = f"gave up after {row['attempts']} attempts: {failure}" if isinstance(failure, Retryable) else f"permanent: {failure}"
        _finish(conn, row["id"], "dead", error=why)
        res.dead += 1
        metrics.deliveries.labels(channel, "dead").inc()


def event_payloads(conn: psycopg.Connection, ids: list) -> dict:
    if not ids:
        return {}
    with conn.transaction():
        return dict(conn.execute("SELECT id, payload FROM alert_event_messages WHERE id = ANY(%s)", (ids,)).fetchall())


def _finish(conn: psycopg.Connection, outbox_id: int, status: str, *, error: str | None = None,
            provider_id: str | None = None, next_at: datetime | None = None) -> None:
    with conn.transaction():
        conn.execute("""UPDATE notification_outbox SET status = %s, last_error = %s, provider_message_id = coalesce(%s, provider_message_id),
                          next_attempt_at = coalesce(%s, next_attempt_at), leased_until = NULL, updated_at = now(),
                          sent_at = CASE WHEN %s = 'sent' THEN now() ELSE sent_at END
                        WHERE id = %s AND status = 'sending'""",
                     (status, error[:2000] if error else None, provider_id, next_at, status, outbox_id))


# The events an outbox row `o` stands for: its own event, or for a batch row its rule's
# events `e` in its changes (found by range on alert_events_once).
IN_BATCH = "e.alert_rule_id = o.alert_rule_id AND e.permit_change_id BETWEEN o.change_from AND o.change_upto"
COVERS = f"(e.id = o.alert_event_id OR (o.change_from IS NOT NULL AND {IN_BATCH}))"
# A due in-app row's events, in change order (the two kinds apart, so each finds its index).
IN_APP_EVENTS_SQL = f"""
SELECT o.id AS outbox_id, e.id AS event_id, e.payload AS event_payload, e.permit_change_id
FROM notification_outbox o JOIN alert_event_messages e ON e.id = o.alert_event_id WHERE o.id = ANY(%(ids)s)
UNION ALL
SELECT o.id, e.id, e.payload, e.permit_change_id
FROM notification_outbox o JOIN alert_event_messages e ON {IN_BATCH}
WHERE o.id = ANY(%(ids)s) AND o.change_from IS NOT NULL
ORDER BY 1, 4
"""


def deliver_in_app(conn: psycopg.Connection, *, limit: int = 500, now: datetime | None = None) -> int:
    """Due in-app rows become inbox rows, one per event and member, in one transaction with
    their rows marked sent: exactly once (and `notifications_once` holds it should two rows
    cover one event). Returns the notifications written."""
    now = now or datetime.now(UTC)
    with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        rows = cur.execute("""SELECT o.id, o.workspace_id, o.user_id, o.payload, o.kind, o.created_at
                              FROM notification_outbox o
                              WHERE o.channel = 'in_app' AND o.status IN ('pending', 'failed') AND o.next_attempt_at <= %s
                              ORDER BY o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED""", (now, limit)).fetchall()
        if not rows:
            return 0
        by_id = {r["id"]: r for r in rows}
        items = cur.execute(IN_APP_EVENTS_SQL, {"ids": list(by_id)}).fetchall()
        made = []
        for it in items:
            r = by_id[it["outbox_id"]]
            shown = messages.in_app(it["event_payload"], (r["payload"] or {}).get("note"), now)
            made.append((uuid.uuid4(), r["workspace_id"], r["user_id"], it["event_id"], shown["title"], shown["body"], r["id"]))
        written = 0
        if made:
            cur.executemany("""INSERT INTO notifications (id, workspace_id, user_id, alert_event_id, title, body, outbox_id)
                               VALUES (%s, %s, %s, %s, %s, %s, %s)
                               ON CONFLICT (alert_event_id, user_id) WHERE alert_event_id IS NOT NULL DO NOTHING""", made)
            written = cur.rowcount
        cur.execute("UPDATE notification_outbox SET status = 'sent', attempts = attempts + 1, sent_at = now(), updated_at = now() "
                    "WHERE id = ANY(%s)", (list(by_id),))
    for r in rows:
        _observe_sent("in_app", r["kind"], r["created_at"])
    return written


def assemble_digests(conn: psycopg.Connection, *, base_url: str, now: datetime | None = None, secret: str = "") -> int:
    """Fold due held rows into one digest row per (digest key, channel, recipient)."""
    now = now or datetime.now(UTC)
    with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        rows = cur.execute("""SELECT o.id, o.workspace_id, o.digest_key, o.channel, o.user_id, o.to_address, o.payload, e.payload AS event_payload
                              FROM notification_outbox o JOIN alert_event_messages e ON e.id = o.alert_event_id
                              WHERE o.status = 'held' AND o.next_attempt_at <= %s ORDER BY o.id FOR UPDATE OF o SKIP LOCKED""",
                           (now,)).fetchall()
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in rows:
            groups[(r["digest_key"], r["channel"], r["user_id"])].append(r)
        made = 0
        for (key, channel, user_id), members in groups.items():
            first = members[0]["payload"]
            items = [{**m["event_payload"], "link_token": link_token(secret, m["id"]),
                      **({"note": m["payload"]["note"]} if m["payload"].get("note") else {})} for m in members]
            body = messages.digest(items, first.get("rule_name", "your alerts"),
                                   first.get("mode", "daily"), base_url)
            payload = {"text": body["sms"]} if channel == "sms" else body
            row = cur.execute("""INSERT INTO notification_outbox (workspace_id, user_id, channel, to_address, status, kind, digest_key, payload)
                                 VALUES (%s, %s, %s, %s, 'pending', 'digest', %s, %s)
                                 ON CONFLICT (digest_key, channel, user_id) WHERE kind = 'digest' DO NOTHING RETURNING id""",
                              (members[0]["workspace_id"], user_id, channel, members[0]["to_address"], key, json.dumps(payload))).fetchone()
            digest_id = row["id"] if row else cur.execute(
                "SELECT id FROM notification_outbox WHERE kind = 'digest' AND digest_key = %s AND channel = %s AND user_id = %s",
                (key, channel, user_id)).fetchone()["id"]
            cur.execute("UPDATE notification_outbox SET status = 'digested', digest_id = %s, updated_at = now() WHERE id = ANY(%s)",
                        (digest_id, [m["id"] for m in members]))
            made += 1 if row else 0
    return made


def requeue_dead(conn: psycopg.Connection, ids: list[int] | None = None) -> int:
    with conn.transaction():
        cur = conn.execute("""UPDATE notification_outbox SET status = 'pending', attempts = 0, next_attempt_at = now(),
                                last_error = 'requeued: ' || coalesce(last_error, ''), updated_at = now()
                              WHERE status = 'dead' AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s))""", {"ids": ids})
        return cur.rowcount


def deliver_due(conn: psycopg.Connection, settings: Settings, providers: dict, *, now: datetime | None = None) -> DeliveryResult:
    """One round: digests due, in-app, then SMS and email."""
    res = DeliveryResult()
    res.digests = assemble_digests(conn, base_url=settings.public_base_url, now=now, secret=settings.secret_key)
    res.in_app = deliver_in_app(conn, now=now)
    ext = deliver_external(conn, settings, providers, now=now)
    res.sent, res.retried, res.dead = ext.sent, ext.retried, ext.dead
    return res

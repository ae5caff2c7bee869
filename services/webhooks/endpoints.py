"""A workspace's webhook endpoints (RLS): registered, changed, turned off, deleted, their
secret rotated with an overlap, a test event sent, and their delivery log read. The secret is
in the answer to creation and rotation only. Every change is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from services.audit.trail import audit
from services.entitlements import checks as entitled
from services.entitlements.plans import WEBHOOKS
from services.errors import FieldError, Missing
from services.permits import feed
from services.settings import Settings
from services.webhooks import addresses, sender, signing

EVENTS = {
    "alert.created": "an alert rule matched a permit (one event per alert)",
    "permit.changed": "permits were filed, approved, amended or otherwise changed, statewide (up to 100 changes an event, in feed order)",
}
MOST_OVERLAP_HOURS = 24 * 7
LOG_DAYS = 30

_SELECT = """SELECT w.id, w.url, w.description, w.events, w.enabled, w.created_at, w.updated_at,
                    CASE WHEN w.previous_until > now() THEN w.previous_until END AS previous_until,
                    last.status AS last_status, last.at AS last_delivery_at
             FROM webhook_endpoints w
             LEFT JOIN LATERAL (SELECT o.status, o.updated_at AS at FROM notification_outbox o
                                WHERE o.webhook_endpoint_id = w.id AND o.channel = 'webhook' AND o.attempts > 0
                                ORDER BY o.id DESC LIMIT 1) last ON true"""


def checked_url(settings: Settings, url: str) -> str:
    """The URL as stored, or a FieldError naming what is wrong with it (where it points too)."""
    target = addresses.parse(url)
    try:
        sender.destination(target, addresses.networks(settings.webhook_allow_networks))
    except sender.Refused as exc:
        raise FieldError("url", str(exc)) from None
    except sender.Unreachable as exc:
        raise FieldError("url", f"{exc}; register a name that resolves") from None
    return url.strip()


def checked_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - EVENTS.keys())
    if unknown or not events:
        raise FieldError("events", f"choose one or more of {', '.join(EVENTS)}" + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    return sorted(set(events))


def create(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, actor: uuid.UUID | None, url: str,
           events: list[str], description: str) -> tuple[uuid.UUID, str]:
    """(the endpoint's id, its signing secret: shown this once)."""
    entitled.check_feature(cur, workspace_id, WEBHOOKS)
    url, events = checked_url(settings, url), checked_events(events)
    count = cur.execute("SELECT count(*) FROM webhook_endpoints").fetchone()[0]
    if count >= settings.webhook_endpoints_per_workspace:
        raise FieldError("url", f"a workspace has at most {settings.webhook_endpoints_per_workspace} webhook endpoints; delete one first")
    salt = signing.new_salt()
    eid = cur.execute("""INSERT INTO webhook_endpoints (workspace_id, url, description, events, secret_salt, changes_cursor, created_by)
                         VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                      (workspace_id, url, description.strip(), events, salt, feed.head(cur.connection), actor)).fetchone()[0]
    audit(cur, workspace_id, actor, "webhook.created", "webhook_endpoint", eid, {"url": url, "events": events})
    return eid, signing.secret_for(settings.secret_key, salt)


def list_endpoints(cur: psycopg.Cursor) -> list[dict]:
    return cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " ORDER BY w.created_at").fetchall()


def get(cur: psycopg.Cursor, endpoint_id: uuid.UUID) -> dict:
    row = cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " WHERE w.id = %s", (endpoint_id,)).fetchone()
    if row is None:
        raise Missing(f"webhook endpoint {endpoint_id} does not exist in this workspace")
    return row


def update(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, actor: uuid.UUID | None, endpoint_id: uuid.UUID,
           changes: dict) -> None:
    was = get(cur, endpoint_id)
    # An unchanged URL is not resolved again: an endpoint whose name stopped resolving can
    # still be turned off or described (every send checks where it goes anyway).
    url = checked_url(settings, changes["url"]) if changes.get("url") and changes["url"].strip() != was["url"] else was["url"]
    events = checked_events(changes["events"]) if changes.get("events") else was["events"]
    description = changes["description"].strip() if changes.get("description") is not None else was["description"]
    enabled = changes["enabled"] if changes.get("enabled") is not None else was["enabled"]
    # Turned back on, an endpoint starts at the feed's head: what changed while it was off
    # is in /v1/changes, not in a burst of old events.
    restart_at = feed.head(cur.connection) if enabled and not was["enabled"] else None
    cur.execute("""UPDATE webhook_endpoints SET url = %s, events = %s, description = %s, enabled = %s, updated_at = now(),
                     changes_cursor = coalesce(%s, changes_cursor)
                   WHERE id = %s""", (url, events, description, enabled, restart_at, endpoint_id))
    if not enabled:  # queued deliveries to an endpoint turned off are not sent
        cur.execute("""UPDATE notification_outbox SET status = 'dead', last_error = 'the endpoint was turned off', updated_at = now()
                       WHERE webhook_endpoint_id = %s AND channel = 'webhook' AND status IN ('pending', 'failed')""", (endpoint_id,))
    said = {k: v for k, v in {"url": url, "events": events, "description": description, "enabled": enabled}.items() if v != was[k]}
    audit(cur, workspace_id, actor, "webhook.updated", "webhook_endpoint", endpoint_id, said)


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, endpoint_id: uuid.UUID) -> None:
    url = get(cur, endpoint_id)["url"]
    cur.execute("DELETE FROM webhook_endpoints WHERE id = %s", (endpoint_id,))
    audit(cur, workspace_id, actor, "webhook.deleted", "webhook_endpoint", endpoint_id, {"url": url})


def rotate(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, actor: uuid.UUID | None, endpoint_id: uuid.UUID,
           overlap_hours: int) -> str:
    """A new secret; deliveries are signed with the old one too until the overlap ends."""
    if not 0 <= overlap_hours <= MOST_OVERLAP_HOURS:
        raise FieldError("overlap_hours", f"the overlap is 0 to {MOST_OVERLAP_HOURS} hours")
    get(cur, endpoint_id)
    salt = signing.new_salt()
    until = datetime.now(UTC) + timedelta(hours=overlap_hours)
    cur.execute("""UPDATE webhook_endpoints SET previous_salt = CASE WHEN %s > 0 THEN secret_salt END,
                     previous_until = CASE WHEN %s > 0 THEN %s::timestamptz END, secret_salt = %s, updated_at = now() WHERE id = %s""",
                (overlap_hours, overlap_hours, until, salt, endpoint_id))
    audit(cur, workspace_id, actor, "webhook.secret_rotated", "webhook_endpoint", endpoint_id, {"overlap_hours": overlap_hours})
    return signing.secret_for(settings.secret_key, salt)


def send_test(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, endpoint_id: uuid.UUID) -> int:
    """Queue a `ping` event to the endpoint now; the delivery's id, to follow in the log."""
    ep = get(cur, endpoint_id)
    if not ep["enabled"]:
        raise FieldError("enabled", "this endpoint is turned off; turn it on to send it a test event")
    oid = cur.execute("""INSERT INTO notification_outbox (workspace_id, channel, to_address, status, kind, event_type, webhook_endpoint_id, payload)
                         VALUES (%s, 'webhook', %s, 'pending', 'webhook', 'ping', %s, %s) RETURNING id""",
                      (workspace_id, ep["url"], endpoint_id, '{"message": "A test event from permitwatch. Your endpoint is set up."}')
                      ).fetchone()[0]
    audit(cur, workspace_id, actor, "webhook.test_sent", "webhook_endpoint", endpoint_id, {"delivery": oid})
    return oid


def deliveries(cur: psycopg.Cursor, endpoint_id: uuid.UUID, limit: int) -> list[dict]:
    """The endpoint's latest deliveries, newest first, each with its attempts."""
    get(cur, endpoint_id)
    c = cur.connection.cursor(row_factory=dict_row)
    rows = c.execute("""SELECT o.id, o.event_type, o.status, o.attempts, o.created_at, o.sent_at, o.next_attempt_at, o.last_error,
                               coalesce(jsonb_array_length(o.payload->'changes'), 0) AS changes
                        FROM notification_outbox o
                        WHERE o.webhook_endpoint_id = %s AND o.channel = 'webhook' AND o.created_at > now() - make_interval(days => %s)
                        ORDER BY o.id DESC LIMIT %s""", (endpoint_id, LOG_DAYS, limit)).fetchall()
    tries: dict[int, list] = {r["id"]: [] for r in rows}
    if rows:
        for a in c.execute("""SELECT outbox_id, attempted_at, host(address) AS address, status_code, duration_ms, error
                              FROM webhook_attempts WHERE outbox_id = ANY(%s) ORDER BY id""", (list(tries),)).fetchall():
            tries[a.pop("outbox_id")].append(a)
    return [{**r, "event_id": event_id(r["id"]), "tries": tries[r["id"]],
             "next_attempt_at": r["next_attempt_at"] if r["status"] in ("pending", "failed") else None} for r in rows]


def event_id(outbox_id: int) -> str:
    return f"evt_{outbox_id}"

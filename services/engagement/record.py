"""Recording what the product metrics count: an alert opened through its signed link (no
session needed: a text is often opened on a phone that is not signed in), and the map
viewed by a signed-in member."""

from __future__ import annotations

import uuid

import psycopg

from services.engagement.links import outbox_of
from services.errors import Missing


def alert_opened(cur: psycopg.Cursor, secret: str, token: str | None) -> bool:
    """True when this was the first open of that alert by its recipient. A missing or
    forged token opens the permit all the same, uncounted."""
    outbox_id = outbox_of(secret, token)
    if outbox_id is None:
        return False
    return cur.execute("SELECT record_alert_open(%s)", (outbox_id,)).fetchone()[0]


def map_viewed(cur: psycopg.Cursor, workspace: uuid.UUID, user: uuid.UUID) -> None:
    cur.execute("INSERT INTO product_events (workspace_id, user_id, kind) VALUES (%s, %s, 'map_viewed')", (workspace, user))


def notification_opened(cur: psycopg.Cursor, user: uuid.UUID, notification: uuid.UUID) -> bool:
    """An in-app alert opened from the inbox: read, and counted as opened (first time)."""
    cur.execute("UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = %s AND user_id = %s", (notification, user))
    if cur.rowcount != 1:
        raise Missing("no such notification in your inbox")
    cur.execute("""INSERT INTO product_events (workspace_id, user_id, kind, outbox_id, alert_event_id, channel)
                   SELECT n.workspace_id, n.user_id, 'alert_opened', n.outbox_id, n.alert_event_id, 'in_app' FROM notifications n
                   WHERE n.id = %s AND n.alert_event_id IS NOT NULL ON CONFLICT DO NOTHING""", (notification,))
    return cur.rowcount == 1

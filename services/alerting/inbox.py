"""The notification center: a member's in-app notifications in the workspace in context
(RLS), each with the permit it is about and how its SMS and e-mail copies fared."""

from __future__ import annotations

import uuid

import psycopg


def unread_count(cur: psycopg.Cursor, user_id: uuid.UUID) -> int:
    return cur.execute("SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL", (user_id,)).fetchone()[0]


def list_notifications(cur: psycopg.Cursor, user_id: uuid.UUID, *, unread_only: bool = False, limit: int = 50,
                       before: str | None = None) -> list[dict]:
    rows = cur.execute(
        "SELECT n.id, n.title, n.body, n.created_at, n.read_at, e.permit_id, e.payload, r.name, "
        "(SELECT coalesce(json_agg(json_build_object('channel', o.channel, 'to', o.to_address, 'status', o.status, "
        "  'attempts', o.attempts, 'sent_at', o.sent_at, 'error', o.last_error, 'receipt', o.receipt, 'receipt_code', o.receipt_code) "
        "  ORDER BY o.channel), '[]') "
        " FROM notification_outbox o WHERE o.alert_event_id = n.alert_event_id AND o.channel <> 'in_app') "
        "FROM notifications n LEFT JOIN alert_event_messages e ON e.id = n.alert_event_id LEFT JOIN alert_rules r ON r.id = e.alert_rule_id "
        "WHERE n.user_id = %(user)s AND (NOT %(unread)s OR n.read_at IS NULL) AND (%(before)s::timestamptz IS NULL OR n.created_at < %(before)s) "
        "ORDER BY n.created_at DESC LIMIT %(limit)s",
        {"user": user_id, "unread": unread_only, "before": before, "limit": limit}).fetchall()
    out = []
    for nid, title, body, created, read, permit_id, payload, rule, deliveries in rows:
        payload = payload or {}
        out.append({"id": nid, "title": title, "body": body, "created_at": created,
                    "read": read is not None, "permit_id": permit_id,
                    "status_number": payload.get("status_number"), "lon": payload.get("lon"), "lat": payload.get("lat"),
                    "rule": rule, "deliveries": deliveries})
    return out


def mark_read(cur: psycopg.Cursor, user_id: uuid.UUID, ids: list[uuid.UUID] | None) -> int:
    """ids None: all of this member's notifications."""
    cur.execute("UPDATE notifications SET read_at = now() WHERE user_id = %s AND read_at IS NULL AND (%s::uuid[] IS NULL OR id = ANY(%s))",
                (user_id, ids, ids))
    return cur.rowcount

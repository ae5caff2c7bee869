"""Read-only views of alerting for the CLI (and later the UI); worker role."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from services.alerting.delivery import COVERS


def rules(conn: psycopg.Connection) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute("""
        SELECT r.id, w.name AS workspace, r.name, r.enabled, r.notify_on, r.channels, r.digest_mode,
               r.aoi_id IS NOT NULL AS aoi, r.saved_search_id IS NOT NULL AS search, r.watchlist_id IS NOT NULL AS watchlist,
               (SELECT count(*) FROM alert_events e WHERE e.alert_rule_id = r.id) AS events
        FROM alert_rules r JOIN workspaces w ON w.id = r.workspace_id ORDER BY w.name, r.name""").fetchall()


def events(conn: psycopg.Connection, limit: int = 20) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute(f"""
        SELECT e.triggered_at, r.name AS rule, e.payload->>'change_type' AS change, e.payload->>'status_number' AS permit,
               e.payload->>'operator_name' AS operator, e.payload->>'county' AS county,
               -- its own rows, and the in-app rows of its rule's batch that cover it
               (SELECT string_agg(o.channel || ':' || o.status, ' ' ORDER BY o.channel) FROM notification_outbox o
                WHERE {COVERS}) AS delivery
        FROM alert_event_messages e JOIN alert_rules r ON r.id = e.alert_rule_id ORDER BY e.triggered_at DESC LIMIT %s""", (limit,)).fetchall()


def outbox_counts(conn: psycopg.Connection) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute("""
        SELECT channel, status, count(*) AS n, min(next_attempt_at) FILTER (WHERE status IN ('pending', 'failed', 'held')) AS next_due
        FROM notification_outbox GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()


def dead_letters(conn: psycopg.Connection, limit: int = 50) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute("""
        SELECT id, channel, to_address, attempts, last_error, updated_at FROM notification_outbox
        WHERE status = 'dead' ORDER BY updated_at DESC LIMIT %s""", (limit,)).fetchall()



def run_deliveries(conn: psycopg.Connection, run_id=None) -> dict:
    """The alerts raised by one ingestion run's changes (default: the newest promoted run that
    raised any, else the newest promoted run): the run, its sent e-mail and SMS outbox ids,
    and how many in-app inbox rows it made."""
    run = conn.execute("""SELECT r.id, r.started_at FROM ingestion_runs r WHERE r.promoted AND (%(r)s::uuid IS NULL OR r.id = %(r)s)
                          ORDER BY EXISTS (SELECT 1 FROM permit_changes c JOIN alert_events e ON e.permit_change_id = c.id
                                           WHERE c.ingestion_run_id = r.id) DESC, r.finished_at DESC LIMIT 1""",
                       {"r": run_id}).fetchone()
    if run is None:
        return {"run_id": None, "started_at": None, "email": [], "sms": [], "in_app": 0}
    events = "SELECT e.id FROM alert_events e JOIN permit_changes c ON c.id = e.permit_change_id WHERE c.ingestion_run_id = %(r)s"
    sent = conn.execute(f"SELECT channel, array_agg(id ORDER BY id) FROM notification_outbox WHERE status = 'sent' "
                        f"AND channel IN ('email', 'sms') AND alert_event_id IN ({events}) GROUP BY 1", {"r": run[0]}).fetchall()
    inbox = conn.execute(f"SELECT count(*) FROM notifications WHERE alert_event_id IN ({events})", {"r": run[0]}).fetchone()[0]
    return {"run_id": run[0], "started_at": run[1], "email": [], "sms": [], **dict(sent), "in_app": inbox}

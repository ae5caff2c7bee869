"""The weekly product metrics over a seeded week of events, checked against counts made by
hand: opens and the actionable ones (a follow-up within 10 minutes, spilling past the
week's end), active accounts, activation in the first session, and trial-to-paid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.engagement import compute
from services.engagement.weekly import Week, week

MONDAY = date(2026, 11, 23)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """`day` days after the week's Monday, UTC."""
    return datetime(2026, 11, 23, hh, mm, tzinfo=UTC) + timedelta(days=day)


def seed(conn) -> None:
    ws = {k: uuid.uuid4() for k in "ABCDEFG"}
    users = {k: uuid.uuid4() for k in ("u1", "u2", "u3", "u4", "u5", "u6")}
    for k, w in ws.items():
        conn.execute("INSERT INTO workspaces (id, name) VALUES (%s, %s)", (w, f"Workspace {k}"))
    for u in users.values():
        conn.execute("INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')", (u, f"{u.hex[:8]}@example.com"))
    member = {"u1": "A", "u2": "A", "u3": "B", "u4": "C", "u5": "E", "u6": "F"}
    for u, w in member.items():
        conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')", (ws[w], users[u]))

    def opened(u, when):
        conn.execute("INSERT INTO product_events (workspace_id, user_id, kind, alert_event_id, channel, at) VALUES (%s, %s, 'alert_opened', %s, 'sms', %s)",
                     (ws[member[u]], users[u], uuid.uuid4(), when))

    def viewed(u, when):
        conn.execute("INSERT INTO product_events (workspace_id, user_id, kind, at) VALUES (%s, %s, 'map_viewed', %s)", (ws[member[u]], users[u], when))

    opened("u1", at(0, 10))          # actionable (5 min)
    viewed("u1", at(0, 10, 5))
    opened("u1", at(1, 9))           # not: 11 minutes later
    viewed("u1", at(1, 9, 11))
    opened("u2", at(2, 12))                                       # actionable by an export 9 minutes later
    conn.execute("INSERT INTO export_jobs (workspace_id, created_by, job_type, format, params, created_at) VALUES (%s, %s, 'permits', 'csv', '{}', %s)",
                 (ws["A"], users["u2"], at(2, 12, 9)))
    opened("u3", at(6, 23, 58))       # actionable: the follow-up is in the next week
    viewed("u3", at(7, 0, 3))
    opened("u3", at(-1, 12))        # last week: not this week's
    viewed("u3", at(-1, 12, 1))
    viewed("u1", at(3, 8))                                        # a map view with no open before it counts for nothing
    conn.execute("INSERT INTO user_activity_days (user_id, workspace_id, day) VALUES (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)",
                 (users["u1"], ws["A"], MONDAY, users["u4"], ws["C"], MONDAY + timedelta(days=3), users["u4"], ws["C"], MONDAY - timedelta(days=2)))
    # sign-ups: u5 made an area in the sign-up session (activated), u6 only in a later one
    for u, first, later in (("u5", "s5-first", "s5-later"), ("u6", "s6-first", "s6-later")):
        conn.execute("INSERT INTO user_sessions (token_hash, user_id, workspace_id, created_at, expires_at) VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)",
                     (first, users[u], ws[member[u]], at(1, 8), at(20, 0), later, users[u], ws[member[u]], at(2, 8), at(20, 0)))
        conn.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id, metadata, created_at) "
                     "VALUES (%s, %s, 'user.signed_up', 'user', %s, '{}', %s)", (ws[member[u]], users[u], users[u], at(1, 8)))
    conn.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id, metadata, created_at, session_ref) "
                 "VALUES (%s, %s, 'aoi.created', 'aoi', 'x', '{}', %s, 's5-first'), (%s, %s, 'aoi.created', 'aoi', 'y', '{}', %s, 's6-later')",
                 (ws["E"], users["u5"], at(1, 8, 20), ws["F"], users["u6"], at(2, 8, 30)))
    # trials: D ended Wednesday and subscribed Tuesday; E ended Friday without; G ends next week
    for w, ends in (("D", at(2, 15)), ("E", at(4, 15)), ("G", at(9, 15))):
        conn.execute("UPDATE workspaces SET plan = 'trial', billing_status = 'trialing', trial_ends_at = %s WHERE id = %s", (ends, ws[w]))
    conn.execute("INSERT INTO audit_log (workspace_id, action, entity_type, entity_id, metadata, created_at) "
                 "VALUES (%s, 'billing.subscribed', 'subscription', 'sub_1', '{}', %s)", (ws["D"], at(1, 10)))
    conn.commit()


def test_a_seeded_week_gives_the_hand_counted_figures(owner_conn):
    seed(owner_conn)
    got = compute.inputs(owner_conn, MONDAY)
    assert len(got.opens) == 4
    figures = week(got)
    # by hand: 4 opens this week, 3 actionable (u1 Monday, u2 by export, u3 spilling into next week);
    # active accounts A (activity), B (an open), C (activity) = 3; 3 / 3 = 1.0 per account;
    # 2 sign-ups, 1 activated in its first session; 2 trials ended, 1 paid
    assert figures == Week(alerts_opened=4, actionable_alerts_opened=3, active_accounts=3, actionable_per_active_account=1.0,
                           signups=2, activation_rate=0.5, trials_ended=2, trial_to_paid_rate=0.5)


def test_refresh_stores_the_weeks_the_exporter_and_admin_page_read(owner_conn):
    seed(owner_conn)
    now = at(3, 12)
    done = compute.refresh(owner_conn, now, weeks=2)
    assert [start for start, _ in done] == [MONDAY, MONDAY - timedelta(days=7)]
    last_week = done[1][1]
    assert (last_week.alerts_opened, last_week.actionable_alerts_opened) == (1, 1)
    stored = compute.stored(owner_conn.cursor(), weeks=2)
    assert [w["week_start"] for w in stored] == [MONDAY, MONDAY - timedelta(days=7)]
    assert stored[0]["actionable_per_active_account"] == 1.0 and stored[0]["trial_to_paid_rate"] == 0.5

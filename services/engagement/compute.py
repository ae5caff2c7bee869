"""The weekly product figures, computed by the platform sweep (owner role, across
workspaces) into product_metrics_weekly, which the metrics exporter and the platform
admin page read. Weeks run Monday to Monday, UTC."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta

import psycopg

from services.engagement.weekly import FOLLOW_UP, Inputs, Open, Week, week

METRICS = tuple(Week.__dataclass_fields__)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def inputs(conn: psycopg.Connection, start: date) -> Inputs:
    lo = datetime.combine(start, time(0), UTC)
    hi = lo + timedelta(days=7)
    args = {"lo": lo, "hi": hi, "hi_follow": hi + FOLLOW_UP}
    opens = [Open(*r) for r in conn.execute("""SELECT user_id, workspace_id, alert_event_id, at FROM product_events
                                               WHERE kind = 'alert_opened' AND at >= %(lo)s AND at < %(hi)s AND user_id IS NOT NULL""", args)]
    follow: dict = {}
    for user, at in conn.execute("""SELECT user_id, at FROM product_events WHERE kind = 'map_viewed' AND at >= %(lo)s AND at < %(hi_follow)s
                                    UNION ALL
                                    SELECT created_by, created_at FROM export_jobs WHERE created_at >= %(lo)s AND created_at < %(hi_follow)s
                                      AND created_by IS NOT NULL""", args):
        follow.setdefault(user, []).append(at)
    active = {r[0] for r in conn.execute("SELECT DISTINCT workspace_id FROM user_activity_days WHERE day >= %(lo)s::date AND day < %(hi)s::date",
                                         args)}
    # sign-ups of the week, and those whose first session made an area or saved search
    signups, activated = conn.execute("""
      WITH s AS (SELECT a.actor_user_id AS u, (SELECT token_hash FROM user_sessions x WHERE x.user_id = a.actor_user_id
                                                ORDER BY x.created_at LIMIT 1) AS first_session
                 FROM audit_log a WHERE a.action = 'user.signed_up' AND a.created_at >= %(lo)s AND a.created_at < %(hi)s)
      SELECT count(*), count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM audit_log b WHERE b.actor_user_id = s.u AND b.action IN ('aoi.created', 'saved_search.created')
           AND b.session_ref = s.first_session))
      FROM s""", args).fetchone()
    ended, converted = conn.execute("""
      SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM audit_log a WHERE a.workspace_id = w.id
                                                       AND a.action = 'billing.subscribed' AND a.created_at < %(hi)s))
      FROM workspaces w WHERE w.trial_ends_at >= %(lo)s AND w.trial_ends_at < %(hi)s""", args).fetchone()
    return Inputs(opens, follow, active, signups, activated, ended, converted)


def refresh(conn: psycopg.Connection, now: datetime, weeks: int = 2) -> list[tuple[date, Week]]:
    """Compute this week so far and the `weeks - 1` before it; store and return them."""
    this = week_start(now.astimezone(UTC).date())
    done = []
    for n in range(weeks):
        start = this - timedelta(weeks=n)
        figures = week(inputs(conn, start))
        conn.cursor().executemany(
            """INSERT INTO product_metrics_weekly (week_start, metric, value, computed_at) VALUES (%s, %s, %s, %s)
               ON CONFLICT (week_start, metric) DO UPDATE SET value = EXCLUDED.value, computed_at = EXCLUDED.computed_at""",
            [(start, k, v, now) for k, v in asdict(figures).items()])
        done.append((start, figures))
    conn.commit()
    return done


def stored(cur: psycopg.Cursor, weeks: int = 12) -> list[dict]:
    """The stored weeks, newest first, each with its figures."""
    rows = cur.execute("""SELECT week_start, metric, value, computed_at FROM product_metrics_weekly
                          WHERE week_start >= (SELECT max(week_start) FROM product_metrics_weekly) - %s * 7
                          ORDER BY week_start DESC""", (weeks - 1,)).fetchall()
    out: dict[date, dict] = {}
    for start, metric, value, at in rows:
        out.setdefault(start, {"week_start": start, "computed_at": at})[metric] = value
    return list(out.values())

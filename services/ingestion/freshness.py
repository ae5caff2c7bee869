"""Freshness for the app's "last updated" line: the latest successful ingestion run, and
whether the data is stale by the source's rhythm (PURE verdict)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from services.reference.calendar import missed_publications


def is_stale(last_published: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Late by the RRC's calendar: a publication day (not a weekend, not a state closure
    day) has passed its usual hour plus `grace` without a newer file."""
    return missed_publications(last_published, now, grace=grace) > 0


def is_history(*, first_load: bool, published_at: datetime, now: datetime, after: timedelta) -> bool:
    """A run whose changes are recorded but notify nobody: the first load of a source
    (everything in it is old to the user), or a snapshot published longer ago than `after`
    (a backfill, a late mirror). Timelines, sample alerts and exports still use them."""
    return first_load or now - published_at > after


def status(cur: psycopg.Cursor) -> dict:
    row = cur.execute("SELECT max(finished_at) FILTER (WHERE status IN ('success', 'warning') AND promoted), "
                      "max(snapshot_at) FILTER (WHERE promoted), max(finished_at) FILTER (WHERE status = 'failed'), now(), "
                      "max(coalesce(finished_at, started_at)), "
                      # the planner's estimate: exact enough for "about N permits", and free
                      "(SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'permits_current') "
                      "FROM ingestion_runs").fetchone()
    return {"last_success_at": row[0], "latest_snapshot_at": row[1], "last_failure_at": row[2], "now": row[3], "last_checked_at": row[4],
            "permits": row[5]}


def source_freshness(conn: psycopg.Connection, source: str) -> dict:
    """One source's last run, last success and ingestion lag (source availability, the
    snapshot time, to the promoted run's end), for the operator's status."""
    row = conn.execute("""
        SELECT latest.started_at, latest.status, promoted.finished_at, extract(epoch FROM promoted.finished_at - promoted.snapshot_at)::bigint
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT started_at, status FROM ingestion_runs WHERE source = %(s)s ORDER BY started_at DESC LIMIT 1) latest ON true
        LEFT JOIN LATERAL (SELECT finished_at, snapshot_at FROM ingestion_runs WHERE source = %(s)s AND promoted
                           ORDER BY finished_at DESC LIMIT 1) promoted ON true""", {"s": source}).fetchone()
    return {"last_run_at": row[0], "last_run_status": row[1], "last_success_at": row[2], "lag_seconds": row[3]}

"""Read-only views of ingestion for the CLI (and later the UI): runs, checks, quarantine,
and the data summary with its "last updated" time."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.rows import dict_row


def summary(conn: psycopg.Connection, source: str | None = None) -> dict:
    cur = conn.cursor(row_factory=dict_row)
    cur.execute("""SELECT (SELECT count(*) FROM permits) AS permits,
                          (SELECT count(*) FROM permit_versions) AS versions,
                          (SELECT count(*) FROM permit_changes) AS changes,
                          (SELECT count(*) FROM permits_current WHERE geom IS NOT NULL) AS located,
                          (SELECT count(*) FROM operators WHERE merged_into IS NULL) AS operators,
                          (SELECT count(*) FROM permit_raw_records) AS raw_records,
                          (SELECT count(*) FROM ingestion_quarantine) AS quarantined""")
    out = cur.fetchone()
    cur.execute("SELECT change_type, count(*) AS n FROM permit_changes GROUP BY 1 ORDER BY 2 DESC")
    out["changes_by_type"] = {r["change_type"]: r["n"] for r in cur.fetchall()}
    cur.execute("""SELECT id, source, status, snapshot_at, finished_at FROM ingestion_runs
                   WHERE promoted AND (%(s)s::text IS NULL OR source = %(s)s) ORDER BY finished_at DESC LIMIT 1""", {"s": source})
    out["last_success"] = cur.fetchone()
    cur.execute("""SELECT id, source, status, source_uri, started_at, finished_at, error, metrics->>'skipped' AS skipped FROM ingestion_runs
                   WHERE (%(s)s::text IS NULL OR source = %(s)s) ORDER BY started_at DESC LIMIT 1""", {"s": source})
    out["last_run"] = cur.fetchone()
    out["last_checks"] = checks(conn, out["last_run"]["id"]) if out["last_run"] else []
    return out


def runs(conn: psycopg.Connection, limit: int = 20, source: str | None = None) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    cur.execute("""SELECT id, source, status, promoted, snapshot_at, started_at, finished_at, source_uri, error,
                          metrics->>'records' AS records, metrics->>'versions' AS versions, metrics->>'changes' AS changes,
                          metrics->'timings'->>'total_s' AS seconds
                   FROM ingestion_runs WHERE (%(s)s::text IS NULL OR source = %(s)s)
                   ORDER BY started_at DESC LIMIT %(n)s""", {"s": source, "n": limit})
    return cur.fetchall()


def find_runs(conn: psycopg.Connection, prefix: str) -> list[uuid.UUID]:
    """Runs whose id starts with PREFIX (at most two: enough to tell "ambiguous")."""
    return [r[0] for r in conn.execute("SELECT id FROM ingestion_runs WHERE id::text LIKE %s || '%%' ORDER BY started_at DESC LIMIT 2",
                                       (prefix.lower(),))]


def run_detail(conn: psycopg.Connection, run_id: uuid.UUID) -> dict | None:
    cur = conn.cursor(row_factory=dict_row)
    cur.execute("SELECT * FROM ingestion_runs WHERE id = %s", (run_id,))
    run = cur.fetchone()
    if run is None:
        return None
    run["checks"] = checks(conn, run_id)
    cur.execute("""SELECT reason, count(*) AS n, min(line_no) AS first_line FROM ingestion_quarantine
                   WHERE ingestion_run_id = %s GROUP BY reason ORDER BY 2 DESC""", (run_id,))
    run["quarantine"] = cur.fetchall()
    return run


def checks(conn: psycopg.Connection, run_id: uuid.UUID) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    cur.execute("SELECT check_name, status, details FROM data_quality_checks WHERE ingestion_run_id = %s ORDER BY id", (run_id,))
    return cur.fetchall()


def quarantine(conn: psycopg.Connection, run_id: uuid.UUID | None, limit: int = 50) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    cur.execute("""SELECT ingestion_run_id, source_record_id, line_no, reason, details, left(raw_text, 200) AS raw_text, created_at
                   FROM ingestion_quarantine WHERE (%(r)s::uuid IS NULL OR ingestion_run_id = %(r)s)
                   ORDER BY id DESC LIMIT %(n)s""", {"r": run_id, "n": limit})
    return cur.fetchall()

"""A filing's life across the two RRC sources, in the ingestion batch's transaction.

The pending-approval sets (source `rrc_pending`) and the approved daily file
(`rrc_daf420`) name an application by the same RRC status number. So:
- a pending run's new applications are `filed` changes;
- a daily run's new permit whose status number was filed becomes an `approved` change
  (not `new`: one alert per permit), with the time from filing to approval, and the
  filing leaves the current permits (its history stays); while the daily file has no
  coordinates for the permit, the filing's location is carried to it, said as such;
- a filing with no approval `left_pending`: a later set lists it with a closing status
  (withdrawn, dismissed, denied ...), or it went unapproved for `expire_days`; the
  evidence is kept in the change and the permit stays visible as no longer pending.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg

from services.ingestion.sources.pending import SOURCE as PENDING
from services.ingestion.sources.rrc import SOURCE as DAILY

CLOSING_STATUSES = ("withdrawn", "dismissed", "denied", "closed", "deleted", "cancelled")


def after_pending_run(cur: psycopg.Cursor, run_id: uuid.UUID, seen_at: datetime, expire_days: int) -> dict[str, int]:
    # An amendment filed for an application is a filing too, pending its own approval.
    cur.execute("UPDATE permit_changes SET change_type = 'filed' WHERE ingestion_run_id = %s AND change_type IN ('new', 'amended')",
                (run_id,))
    filed = cur.rowcount
    # Applications already approved stay off the current permits: the approved permit stands for them.
    cur.execute("""DELETE FROM permits_current c USING permits p, permits d
                   WHERE c.source = %s AND p.id = c.permit_id AND d.source = %s AND d.source_permit_no = p.source_permit_no""",
                (PENDING, DAILY))
    # An application a later set lists with a closing status.
    cur.execute("""
        UPDATE permit_changes c SET change_type = 'left_pending',
               details = coalesce(c.details, '{}'::jsonb) || jsonb_build_object('evidence',
                 'the pending set of ' || to_char(%(seen)s AT TIME ZONE 'America/Chicago', 'YYYY-MM-DD HH24:MI') ||
                 ' lists it as ' || v.status)
        FROM permit_versions v
        WHERE c.ingestion_run_id = %(run)s AND c.change_type = 'status_changed'
          AND v.id = c.permit_version_id AND v.source_seen_at = c.source_seen_at AND v.status = ANY(%(closing)s)
    """, {"run": run_id, "seen": seen_at, "closing": list(CLOSING_STATUSES)})
    closed = cur.rowcount
    return {"filed": filed, "closed": closed, "expired": expire(cur, run_id, expire_days)}


def expire(cur: psycopg.Cursor, run_id: uuid.UUID, expire_days: int) -> int:
    """Filings still pending `expire_days` after submission with no approval. Days count on
    the filings' own calendar (the newest filing date seen), not the clock: a replay of old
    sets, or a pause in publication, expires nothing by itself."""
    cur.execute("""
        WITH newest AS (SELECT max(filed_date) AS d FROM permits_current WHERE source = %(pending)s),
        gone AS (
          SELECT c.permit_id, c.version_id, c.sequence, c.filed_date, c.source_seen_at, c.status
          FROM permits_current c, newest
          WHERE c.source = %(pending)s AND c.status = 'pending' AND c.filed_date < newest.d - %(days)s
            AND NOT EXISTS (SELECT 1 FROM permits d WHERE d.source = %(daily)s AND d.source_permit_no = c.status_number)
          FOR UPDATE OF c),
        changed AS (
          INSERT INTO permit_changes (permit_id, permit_version_id, sequence, change_type, details, ingestion_run_id, source_seen_at)
          SELECT g.permit_id, g.version_id, g.sequence, 'left_pending',
                 jsonb_build_object('evidence', 'not approved within ' || %(days)s || ' days of filing (filed ' || g.filed_date || ')'),
                 %(run)s, v.source_seen_at
          FROM gone g JOIN permit_versions v ON v.id = g.version_id
          ON CONFLICT (permit_version_id, change_type) DO NOTHING
          RETURNING permit_id)
        UPDATE permits_current c SET status = 'no longer pending', updated_at = now() FROM changed WHERE c.permit_id = changed.permit_id
    """, {"pending": PENDING, "daily": DAILY, "days": expire_days, "run": run_id})
    return cur.rowcount


def after_daily_run(cur: psycopg.Cursor, run_id: uuid.UUID, seen_at: datetime) -> dict[str, int]:
    """Approvals of filings seen pending, in this daily run."""
    cur.execute("""
        CREATE TEMP TABLE approvals ON COMMIT DROP AS
        SELECT ch.id AS change_id, ch.permit_id, ch.permit_version_id, f.id AS filing_id, fc.geom AS filing_geom,
               fc.bhl_geom AS filing_bhl, fv.attributes->>'submitted_at' AS submitted_at,
               fv.attributes->>'location_source' AS filing_location_source, v.geom IS NULL AS unlocated
        FROM permit_changes ch
        JOIN permits p ON p.id = ch.permit_id
        JOIN permits f ON f.source = %(pending)s AND f.source_permit_no = p.source_permit_no
        JOIN permits_current fc ON fc.permit_id = f.id
        JOIN permit_versions fv ON fv.id = fc.version_id AND fv.source_seen_at = fc.source_seen_at
        JOIN permit_versions v ON v.id = ch.permit_version_id AND v.source_seen_at = ch.source_seen_at
        WHERE ch.ingestion_run_id = %(run)s AND ch.change_type = 'new'
    """, {"pending": PENDING, "run": run_id})
    cur.execute("""
        UPDATE permit_changes c SET change_type = 'approved', details = coalesce(c.details, '{}'::jsonb) || jsonb_build_object(
            'filing_permit_id', a.filing_id, 'submitted_at', a.submitted_at,
            'hours_to_approval', round((extract(epoch FROM %(seen)s - a.submitted_at::timestamptz) / 3600)::numeric, 1),
            'location_from_filing', a.unlocated AND a.filing_geom IS NOT NULL)
        FROM approvals a WHERE c.id = a.change_id""", {"seen": seen_at})
    approved = cur.rowcount
    carried = carry_locations(cur, run_id, seen_at)
    cur.execute("DELETE FROM permits_current c USING approvals a WHERE c.permit_id = a.filing_id")
    cur.execute("DROP TABLE approvals")
    return {"approved": approved, "located_from_filing": carried}


def carry_locations(cur: psycopg.Cursor, run_id: uuid.UUID, seen_at: datetime) -> int:
    """Until the daily file has coordinates for a permit, its filing's location stands in,
    said as such: on every version this run wrote without them, and on the current row."""
    # Found from the filings' side into a small table first: as one UPDATE over the run's
    # changes, a first load (no statistics yet on the rows it just wrote) planned a scan of
    # the versions per change, and 100,000 permits spent over five minutes here with no
    # filing to carry from.
    cur.execute("""
        CREATE TEMP TABLE tmp_carry ON COMMIT DROP AS
        SELECT ch.permit_version_id AS version_id, fv.geom, fv.bhl_geom, fv.attributes->>'location_source' AS location_source
        FROM permits f
        JOIN permits p ON p.source_permit_no = f.source_permit_no AND p.id <> f.id
        JOIN permit_changes ch ON ch.permit_id = p.id AND ch.ingestion_run_id = %(run)s
        JOIN LATERAL (SELECT x.geom, x.bhl_geom, x.attributes FROM permit_versions x WHERE x.permit_id = f.id AND x.geom IS NOT NULL
                      ORDER BY x.source_seen_at DESC LIMIT 1) fv ON true
        WHERE f.source = %(pending)s
    """, {"pending": PENDING, "run": run_id})
    if not cur.rowcount:
        cur.execute("DROP TABLE tmp_carry")
        return 0
    cur.execute("ANALYZE tmp_carry")
    cur.execute("""
        UPDATE permit_versions v SET geom = t.geom, bhl_geom = coalesce(v.bhl_geom, t.bhl_geom), location_carried = true,
               attributes = v.attributes || jsonb_build_object('location_source', coalesce(t.location_source, 'pending filing'))
        FROM tmp_carry t WHERE v.id = t.version_id AND v.source_seen_at = %(seen)s AND v.geom IS NULL
    """, {"seen": seen_at})
    cur.execute("""
        UPDATE permits_current c SET geom = v.geom, bhl_geom = v.bhl_geom, location_carried = true
        FROM tmp_carry t JOIN permit_versions v ON v.id = t.version_id AND v.source_seen_at = %(seen)s
        WHERE c.version_id = v.id AND c.geom IS NULL AND v.geom IS NOT NULL
    """, {"seen": seen_at})
    carried = cur.rowcount
    cur.execute("DROP TABLE tmp_carry")
    return carried


"""Wells: one per API number, derived from the current permits that carry it. The newest
permit (by issue date) speaks for the operator, lease, status and location; the spud date
is the earliest any permit reports; completion is the latest date any of its fields
reports. Recomputed for the API numbers a run's changed permits ever carried."""

from __future__ import annotations

import re
from datetime import date

import psycopg

# The newest permit first within each API number: array_agg(... ORDER BY newest)[1].
_NEWEST = "ORDER BY c.issued_date DESC NULLS LAST, c.effective_at DESC"
WELL_SQL = f"""
SELECT c.api_number,
       (array_agg(c.operator_id {_NEWEST}))[1], (array_agg(c.lease_name {_NEWEST}))[1], (array_agg(c.well_number {_NEWEST}))[1],
       (array_agg(c.county_code {_NEWEST}))[1], (array_agg(c.county {_NEWEST}))[1], (array_agg(c.district {_NEWEST}))[1],
       (array_agg(c.geom {_NEWEST}) FILTER (WHERE c.geom IS NOT NULL))[1],
       (array_agg(c.bhl_geom {_NEWEST}) FILTER (WHERE c.bhl_geom IS NOT NULL))[1],
       min(c.spud_date), (array_agg(c.well_status {_NEWEST}) FILTER (WHERE c.well_status IS NOT NULL))[1],
       max(c.completion_date), min(c.issued_date), max(c.issued_date), count(*),
       array_agg(c.status_number ORDER BY c.issued_date NULLS LAST, c.status_number), now()
FROM permits_current c WHERE c.api_number IS NOT NULL
"""
_EIGHT_DIGITS = re.compile(r"[0-9]{8}")


def latest_completion(fields: object) -> date | None:
    """PURE: the latest completion date a filing's field lines report (YYYYMMDD), kept on
    its current row so a well's completion is a column to aggregate, not JSON to parse per
    permit (4.4 s of a 100,000-permit first load). A date that is no date (20260230) is
    left out rather than failing the run; the version keeps the text as filed."""
    best = None
    for f in fields if isinstance(fields, list) else ():
        text = f.get("completion_date") if isinstance(f, dict) else None
        if not isinstance(text, str) or not _EIGHT_DIGITS.fullmatch(text):
            continue
        try:
            day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if day.year >= 1900 and (best is None or day > best):
            best = day
    return best


def refresh_touched(cur: psycopg.Cursor) -> int:
    """Recompute the wells of every API number the run's changed permits ever carried
    (`tmp_run_versions`, see services.ingestion.pipeline)."""
    cur.execute("DROP TABLE IF EXISTS pg_temp.tmp_well_keys")
    cur.execute("""CREATE TEMP TABLE tmp_well_keys ON COMMIT DROP AS
                   SELECT DISTINCT api_number FROM tmp_run_versions WHERE api_number IS NOT NULL""")
    cur.execute("DELETE FROM wells w USING tmp_well_keys k WHERE w.api_number = k.api_number")
    cur.execute(f"INSERT INTO wells {WELL_SQL} AND c.api_number IN (SELECT api_number FROM tmp_well_keys) GROUP BY c.api_number")
    return cur.rowcount


def well_of(cur: psycopg.Cursor, api_number: str | None) -> dict | None:
    if not api_number:
        return None
    row = cur.execute("""SELECT api_number, spud_date, well_status, completion_date, first_issued, last_issued, permits, status_numbers
                         FROM wells WHERE api_number = %s""", (api_number,)).fetchone()
    if row is None:
        return None
    keys = ("api_number", "spud_date", "well_status", "completion_date", "first_issued", "last_issued", "permits", "status_numbers")
    return dict(zip(keys, row, strict=True))

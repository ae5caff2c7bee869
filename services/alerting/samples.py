"""Sample alerts: the recent permits a rule would have matched, shown the moment a rule
is made so a new user sees what their alerts will look like (and that the area works)."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.rows import dict_row

from services.alerting.filters import new_ground_predicate, sql_predicate, watchlist_predicate

_MATCHES = f"""
FROM alert_rules r
LEFT JOIN aois a ON a.id = r.aoi_id
LEFT JOIN saved_searches s ON s.id = r.saved_search_id
JOIN permits_current c ON (r.aoi_id IS NULL OR ST_Intersects(a.match_geom, c.geom)
                           OR (c.bhl_geom IS NOT NULL AND ST_Intersects(a.match_geom, c.bhl_geom)))
WHERE r.id = %(rule)s
  -- "Recent" is counted back from the newest permit we hold, so a backfill of older
  -- data still shows what the rule would have caught.
  AND coalesce(c.issued_date, c.filed_date) >= (SELECT max(issued_date) FROM permits_current) - %(days)s
  AND {watchlist_predicate("r", "c")}
  AND (r.saved_search_id IS NULL OR {sql_predicate("s.filters", "c")})
  AND (NOT r.new_acreage_only OR {new_ground_predicate("c", "coalesce(c.issued_date, c.filed_date)",
                                                      "CASE WHEN r.aoi_id IS NULL THEN o.county_code = c.county_code "
                                                      "ELSE ST_Intersects(a.match_geom, o.geom) END")})
"""
SAMPLE_SQL = f"""
SELECT c.permit_id, c.status_number, c.api_number, c.operator_name, c.lease_name, c.well_number, c.county, c.district,
       c.filing_purpose, c.wellbore_profile, c.total_depth, c.status, c.filed_date, c.issued_date,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, count(*) OVER () AS total
{_MATCHES}
ORDER BY coalesce(c.issued_date, c.filed_date) DESC, c.status_number DESC
LIMIT %(limit)s
"""


def sample_matches(cur: psycopg.Cursor, rule_id: uuid.UUID, *, days: int = 90, limit: int = 20) -> tuple[list[dict], int]:
    """(the newest matches, up to LIMIT; how many there are in all)."""
    rows = cur.connection.cursor(row_factory=dict_row).execute(SAMPLE_SQL, {"rule": rule_id, "days": days, "limit": limit}).fetchall()
    total = rows[0]["total"] if rows else 0
    for r in rows:
        del r["total"]
    return rows, total

"""The operator comparison aggregates, pure functions of `permits_current`:
`operator_stats_daily` per operator, county and issue day (the depths and days to spud as
lists, and the month to date as value counts), and `operator_stats_monthly` per operator, county and month (the same as distinct
values with counts, so a month's median reads a few hundred values, not every permit's).
Both are maintained by recomputing exactly the groups a change could have touched: every
(operator, county, issue day) any version of a changed permit ever had, old and new, and
their months."""

from __future__ import annotations

import uuid

import psycopg

# One group's figures, from the permits themselves (also the reference the tests and the
# benchmark compare the aggregate with).
GROUP_SQL = """
SELECT operator_id, coalesce(county_code, '') AS county_code, issued_date, min(district) AS district, count(*) AS permits,
       count(*) FILTER (WHERE wellbore_profile = 'horizontal') AS horizontal,
       coalesce(array_agg(total_depth ORDER BY total_depth) FILTER (WHERE total_depth IS NOT NULL), '{}') AS depths,
       count(spud_date) AS spudded,
       coalesce(array_agg(spud_date - issued_date ORDER BY spud_date - issued_date) FILTER (WHERE spud_date IS NOT NULL), '{}')
         AS days_to_spud
FROM permits_current WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL
"""

# Month to date on each daily row (its operator and county, from the 1st through that day), for
# the days of the touched months (`tmp_stat_months`): what a comparison subtracts to read a
# stretch of a month in two rows per operator. Running sums over the days in order: each
# value's count as of each day it occurs on, held until its next occurrence, so no day
# re-reads the days before it (joining every day to its earlier days re-counted a month of
# 1,000,000 permits about 15 times and spilled for over 20 minutes). The days and the value
# runs go through analysed temporary tables: the daily rows were written in this same
# transaction, and planned blind the range join became a nested loop (100,000 permits: over
# 13 minutes); each day's lists are joined to its row by key, not the other way round (a
# misjudged nested loop over the lists took 6 s). One string of statements, no parameters
# (migration 0018 runs it too).
MTD_SQL = """
DROP TABLE IF EXISTS pg_temp.tmp_mtd_days, pg_temp.tmp_mtd_runs;
CREATE TEMP TABLE tmp_mtd_days ON COMMIT DROP AS
SELECT s.operator_id, s.county_code, s.issued_date, date_trunc('month', s.issued_date)::date AS month,
       sum(s.permits) OVER w::int AS p, sum(s.horizontal) OVER w::int AS h, sum(s.spudded) OVER w::int AS sp
FROM operator_stats_daily s
WHERE (s.operator_id, s.county_code, date_trunc('month', s.issued_date)::date) IN (SELECT * FROM tmp_stat_months)
WINDOW w AS (PARTITION BY s.operator_id, s.county_code, date_trunc('month', s.issued_date) ORDER BY s.issued_date ROWS UNBOUNDED PRECEDING);
CREATE TEMP TABLE tmp_mtd_runs ON COMMIT DROP AS
SELECT list, operator_id, county_code, month, issued_date, v,
       sum(n) OVER (PARTITION BY list, operator_id, county_code, month, v ORDER BY issued_date)::int AS n,
       lead(issued_date) OVER (PARTITION BY list, operator_id, county_code, month, v ORDER BY issued_date) AS until
FROM (SELECT u.list, s.operator_id, s.county_code, date_trunc('month', s.issued_date)::date AS month, s.issued_date, u.v, count(*) AS n
      FROM operator_stats_daily s
      CROSS JOIN LATERAL (SELECT 'depth' AS list, d AS v FROM unnest(s.depths) d UNION ALL SELECT 'spud', d FROM unnest(s.days_to_spud) d) u
      WHERE (s.operator_id, s.county_code, date_trunc('month', s.issued_date)::date) IN (SELECT * FROM tmp_stat_months)
      GROUP BY 1, 2, 3, 4, 5, 6) x;
ANALYZE tmp_mtd_days;
ANALYZE tmp_mtd_runs;
WITH lists AS (
  SELECT t.operator_id, t.county_code, t.issued_date, min(t.p) AS p, min(t.h) AS h, min(t.sp) AS sp,
         array_agg(x.v ORDER BY x.v) FILTER (WHERE x.list = 'depth') AS dv, array_agg(x.n ORDER BY x.v) FILTER (WHERE x.list = 'depth') AS dc,
         array_agg(x.v ORDER BY x.v) FILTER (WHERE x.list = 'spud') AS sv, array_agg(x.n ORDER BY x.v) FILTER (WHERE x.list = 'spud') AS sc
  FROM tmp_mtd_days t LEFT JOIN tmp_mtd_runs x ON x.operator_id = t.operator_id AND x.county_code = t.county_code AND x.month = t.month
   AND x.issued_date <= t.issued_date AND (x.until IS NULL OR x.until > t.issued_date)
  GROUP BY 1, 2, 3)
UPDATE operator_stats_daily s SET mtd_permits = l.p, mtd_horizontal = l.h, mtd_spudded = l.sp,
       mtd_depth_values = coalesce(l.dv, '{}'), mtd_depth_counts = coalesce(l.dc, '{}'),
       mtd_spud_values = coalesce(l.sv, '{}'), mtd_spud_counts = coalesce(l.sc, '{}')
FROM lists l
WHERE s.operator_id = l.operator_id AND s.county_code = l.county_code AND s.issued_date = l.issued_date;
DROP TABLE tmp_mtd_days, tmp_mtd_runs;
"""

# The months of the touched days, from the daily rows (`tmp_stat_keys` holds the days).
MONTH_SQL = """
WITH d AS (SELECT s.* , date_trunc('month', s.issued_date)::date AS month FROM operator_stats_daily s
           WHERE (s.operator_id, s.county_code, date_trunc('month', s.issued_date)::date) IN (SELECT * FROM tmp_stat_months)),
tot AS (SELECT operator_id, county_code, month, min(district) AS district, sum(permits)::int AS permits,
               sum(horizontal)::int AS horizontal, sum(spudded)::int AS spudded FROM d GROUP BY 1, 2, 3),
dep AS (SELECT operator_id, county_code, month, array_agg(v ORDER BY v) AS vals, array_agg(n ORDER BY v) AS cnts
        FROM (SELECT operator_id, county_code, month, v, count(*)::int AS n FROM d, unnest(d.depths) v GROUP BY 1, 2, 3, 4) x GROUP BY 1, 2, 3),
spd AS (SELECT operator_id, county_code, month, array_agg(v ORDER BY v) AS vals, array_agg(n ORDER BY v) AS cnts
        FROM (SELECT operator_id, county_code, month, v, count(*)::int AS n FROM d, unnest(d.days_to_spud) v GROUP BY 1, 2, 3, 4) x GROUP BY 1, 2, 3)
SELECT t.operator_id, t.county_code, t.month, t.district, t.permits, t.horizontal, coalesce(dep.vals, '{}'), coalesce(dep.cnts, '{}'),
       t.spudded, coalesce(spd.vals, '{}'), coalesce(spd.cnts, '{}')
FROM tot t LEFT JOIN dep USING (operator_id, county_code, month) LEFT JOIN spd USING (operator_id, county_code, month)
"""


def refresh_touched(cur: psycopg.Cursor, *, everything: bool = False) -> int:
    """Recompute the groups any version of the run's changed permits belongs to
    (`tmp_run_versions`, see services.ingestion.pipeline); returns how many. `everything`:
    the run wrote a good part of the permits (a first load), so every group is recomputed in
    one pass over them; picking the touched groups out key by key cost more (2.4 to 3.4 s of a
    100,000-permit first load for 12,682 keys, each an index probe that read every county's
    permits of the operator's day, against 0.35 s)."""
    cur.execute("DROP TABLE IF EXISTS pg_temp.tmp_stat_keys")
    if everything:
        cur.execute("""CREATE TEMP TABLE tmp_stat_keys ON COMMIT DROP AS
                       SELECT operator_id, county_code, issued_date FROM operator_stats_daily
                       UNION SELECT operator_id, coalesce(county_code, ''), issued_date FROM permits_current
                       WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL""")
        return _recompute(cur, everything=True)
    cur.execute("""CREATE TEMP TABLE tmp_stat_keys ON COMMIT DROP AS
                   SELECT DISTINCT operator_id, coalesce(county_code, '') AS county_code, issued_date FROM tmp_run_versions
                   WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL""")
    return _recompute(cur)


def refresh_operators(cur: psycopg.Cursor, operator_ids: list[uuid.UUID]) -> int:
    """Recompute every group of these operators (after a merge moved permits between them)."""
    cur.execute("DROP TABLE IF EXISTS pg_temp.tmp_stat_keys")
    cur.execute("""CREATE TEMP TABLE tmp_stat_keys ON COMMIT DROP AS
                   SELECT operator_id, county_code, issued_date FROM operator_stats_daily WHERE operator_id = ANY(%(ids)s)
                   UNION SELECT operator_id, coalesce(county_code, ''), issued_date FROM permits_current
                   WHERE operator_id = ANY(%(ids)s) AND issued_date IS NOT NULL""", {"ids": operator_ids})
    return _recompute(cur)


def _recompute(cur: psycopg.Cursor, *, everything: bool = False) -> int:
    cur.execute("ANALYZE tmp_stat_keys")
    if everything:
        cur.execute("DELETE FROM operator_stats_daily")
        cur.execute(f"INSERT INTO operator_stats_daily {GROUP_SQL} GROUP BY 1, 2, 3")
    else:
        cur.execute("""DELETE FROM operator_stats_daily s USING tmp_stat_keys k
                       WHERE s.operator_id = k.operator_id AND s.county_code = k.county_code AND s.issued_date = k.issued_date""")
        cur.execute(f"""INSERT INTO operator_stats_daily
                        {GROUP_SQL} AND (operator_id, coalesce(county_code, ''), issued_date) IN (SELECT * FROM tmp_stat_keys)
                        GROUP BY 1, 2, 3""")
    days = cur.rowcount
    cur.execute("DROP TABLE IF EXISTS pg_temp.tmp_stat_months")
    cur.execute("""CREATE TEMP TABLE tmp_stat_months ON COMMIT DROP AS
                   SELECT DISTINCT operator_id, county_code, date_trunc('month', issued_date)::date AS month FROM tmp_stat_keys""")
    cur.execute("ANALYZE tmp_stat_months")
    cur.execute("""DELETE FROM operator_stats_monthly s USING tmp_stat_months k
                   WHERE s.operator_id = k.operator_id AND s.county_code = k.county_code AND s.month = k.month""")
    cur.execute(f"INSERT INTO operator_stats_monthly {MONTH_SQL}")
    cur.execute(MTD_SQL)
    return days

"""Peer comparison: for a county, a district or one of the workspace's areas and a period,
operators ranked by permits, with their share, the change against the previous period of
the same length, horizontal share, median depth, permit-to-spud conversion and median days
to spud (over permits old enough to judge). A workspace's operator groups count as one.

Counties and districts read the aggregate (`operator_stats_daily`); an area is drawn, so its
figures come from the permits inside it (GIST index on the point). `source="permits"`
computes a county or district from the permits too: the reference the tests and the
benchmark hold the aggregate to."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, chain

import psycopg
from psycopg.rows import dict_row

from services.errors import FieldError, Missing
from services.operators.similar import suggest_pairs
from services.operators.stats import GROUP_SQL
from services.reference.counties import COUNTIES, DISTRICTS

# A permit needs this long before "not spudded yet" says something about it.
JUDGE_AFTER_DAYS = 180
MAX_PERIOD_DAYS = 3660
MAX_SERIES = 5
# The RRC's records start in the 1900s; the bounds keep the previous period's arithmetic in range.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class Scope:
    kind: str  # county | district | area
    value: str  # county code, district, or area id
    start: date
    end: date  # inclusive

    @property
    def previous(self) -> tuple[date, date]:
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days), self.start - timedelta(days=1)


def scope(*, county: str | None, district: str | None, aoi: str | None, start: date | None, end: date | None,
          today: date) -> Scope:
    """PURE: exactly one place and a sensible period (default: the last 365 days)."""
    given = [(k, v) for k, v in (("county", county), ("district", district), ("aoi", aoi)) if v]
    if len(given) != 1:
        raise FieldError("county", "give one county, one district or one area to compare in")
    kind, value = given[0]
    if kind == "county":
        code = value.strip().zfill(3) if value.strip().isdigit() else next(
            (c.code for c in COUNTIES.values() if c.name.lower() == value.strip().lower()), None)
        if code not in COUNTIES:
            raise FieldError("county", f"no Texas county {value!r}")
        value = code
    elif kind == "district" and value not in DISTRICTS:
        raise FieldError("district", f"no RRC district {value!r}; districts are {', '.join(DISTRICTS)}")
    elif kind == "aoi":
        try:
            value = str(uuid.UUID(value))
        except ValueError:
            raise FieldError("aoi", "must be an area id") from None
        kind = "area"
    for name, day in (("start", start), ("end", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise FieldError(name, f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    end = end or today
    start = start or end - timedelta(days=364)
    if start > end:
        raise FieldError("start", "the period starts after it ends")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise FieldError("start", "a period is at most ten years")
    return Scope(kind, value, start, end)


def split_months(first: date, last: date, cuts: list[date]) -> tuple[list[date], list[tuple[date, date]]]:
    """PURE: the days first..last as (whole months, the stretches left over): a month is
    whole when it lies inside the range and no cut (a day where a sum starts or stops) falls
    after its first day, so every one of its days lands on the same side of every cut. The
    rest of a month is one stretch (a, b) per run of days between cuts."""
    months, stretches = [], []
    m = first.replace(day=1)
    while m <= last:
        nxt = (m + timedelta(days=32)).replace(day=1)
        lo, hi = max(m, first), min(nxt - timedelta(days=1), last)
        inside = sorted({c for c in cuts if lo < c <= hi})
        if lo == m and hi == nxt - timedelta(days=1) and not any(m < c <= hi for c in cuts):
            months.append(m)
        else:
            starts = [lo, *inside]
            stretches += [(a, b - timedelta(days=1)) for a, b in zip(starts, [*inside, hi + timedelta(days=1)], strict=True)]
        m = nxt
    return months, stretches


# Facts: rows of (operator_id, issued_date, permits, horizontal, spudded, src, county_code,
# key_day, sign, depth_values, depth_counts, spud_values, spud_counts) for the place over both
# periods. A month row stands at its first day; a stretch (a, b) of a cut month is, per operator
# and county, its month-to-date row at b minus its month-to-date row at a - 1 (sign -1),
# standing at a. Rows from the aggregates carry only counts and the key of the row that holds
# their value lists (src, county_code, key_day): the lists are read for the ranked operators
# alone, and the counts come from the place's index (migration 0028), so ranking a district
# reads no table rows but the ranked ones'. Rows from the permits carry their lists.
_ONES = "array_fill(1, ARRAY[cardinality({0})])"
_FROM_PERMITS = f"""SELECT operator_id, issued_date, permits, horizontal, spudded, NULL::text AS src, NULL::text AS county_code,
       NULL::date AS key_day, 1 AS sign, depths AS depth_values, {_ONES.format('depths')} AS depth_counts,
       days_to_spud AS spud_values, {_ONES.format('days_to_spud')} AS spud_counts
FROM ({GROUP_SQL} AND issued_date BETWEEN %(from)s AND %(to)s AND <where> GROUP BY 1, 2, 3) g"""
_NO_LISTS = "NULL::int[] AS depth_values, NULL::int[] AS depth_counts, NULL::int[] AS spud_values, NULL::int[] AS spud_counts"
_MONTHS = f"""SELECT operator_id, month AS issued_date, permits, horizontal, spudded, 'month' AS src, county_code, month AS key_day,
       1 AS sign, {_NO_LISTS}
FROM operator_stats_monthly WHERE {{column}} = %(value)s AND month = ANY(%(months)s::date[])"""
_STRETCH = f"""SELECT k.operator_id, seg.a, {{sign}} * k.mtd_permits, {{sign}} * k.mtd_horizontal, {{sign}} * k.mtd_spudded, 'day',
       k.county_code, k.day, {{sign}}, {_NO_LISTS}
FROM unnest(%({{starts}})s::date[], %({{ends}})s::date[]) AS seg(a, b)
CROSS JOIN LATERAL (SELECT DISTINCT ON (d.operator_id, d.county_code) d.operator_id, d.county_code, d.issued_date AS day,
                           d.mtd_permits, d.mtd_horizontal, d.mtd_spudded
                    FROM operator_stats_daily d
                    WHERE d.{{column}} = %(value)s AND d.issued_date BETWEEN date_trunc('month', seg.a)::date AND {{until}}
                    ORDER BY d.operator_id, d.county_code, d.issued_date DESC) k"""


def _facts(s: Scope, source: str, judge: date) -> tuple[str, dict]:
    params = {"value": s.value, "from": s.previous[0], "to": s.end}
    if s.kind == "area":
        # per operator and day, as the reference for a county is: a ranked operator's depths
        # reach the median as a few lists, not one per permit
        return _FROM_PERMITS.replace("<where>", "ST_Intersects(geom, (SELECT match_geom FROM aois WHERE id = %(value)s::uuid))"), params
    column = "county_code" if s.kind == "county" else "district"
    if source == "permits":
        return _FROM_PERMITS.replace("<where>", f"{column} = %(value)s"), params
    params["months"], stretches = split_months(s.previous[0], s.end, [s.start, judge + timedelta(days=1)])
    params["seg_a"], params["seg_b"] = [a for a, _ in stretches], [b for _, b in stretches]
    sql = (_MONTHS.format(column=column) + "\nUNION ALL\n"
           + _STRETCH.format(sign=1, column=column, until="seg.b", starts="seg_a", ends="seg_b"))
    # only a stretch that starts after the 1st has an earlier month to date to subtract
    params["late_a"] = [a for a, _ in stretches if a.day > 1]
    if params["late_a"]:
        sql += "\nUNION ALL\n" + _STRETCH.format(sign=-1, column=column, until="seg.a - 1", starts="late_a", ends="late_a")
    return sql, params


_NEGATED = "CASE WHEN f.sign < 0 THEN ARRAY(SELECT -n FROM unnest({0}) WITH ORDINALITY AS u(n, i) ORDER BY i) ELSE {0} END"
# A ranked row's value lists: its own (from the permits), or those of the aggregate row its key names.
_LISTS_OF = f"""
SELECT m.depth_values, m.depth_counts, m.spud_values, m.spud_counts FROM operator_stats_monthly m
WHERE f.src = 'month' AND m.operator_id = f.operator_id AND m.county_code = f.county_code AND m.month = f.key_day
UNION ALL
SELECT d.mtd_depth_values, {_NEGATED.format("d.mtd_depth_counts")}, d.mtd_spud_values, {_NEGATED.format("d.mtd_spud_counts")}
FROM operator_stats_daily d
WHERE f.src = 'day' AND d.operator_id = f.operator_id AND d.county_code = f.county_code AND d.issued_date = f.key_day"""

# `who`: the workspace's group an operator belongs to (its first by name), else the operator.
# The medians, the costly part, are picked in Python (`merged_median`) from the value counts
# of the ranked rows shown (`top`): one output row per (ranked who, fact row that has depths
# or days to spud). Unnesting, grouping and sorting a county's few thousand value counts in
# SQL took two thirds of the comparison; the lists arrive sorted, so merging them is one cheap sort.
RANK_SQL = """
WITH facts AS MATERIALIZED ({facts}),
membership AS (SELECT DISTINCT ON (m.operator_id) m.operator_id, g.id AS group_id, g.name
               FROM operator_group_members m JOIN operator_groups g ON g.id = m.group_id ORDER BY m.operator_id, g.name),
f AS MATERIALIZED (SELECT coalesce(m.group_id, f.operator_id) AS who, m.group_id IS NOT NULL AS is_group, f.*
                   FROM facts f LEFT JOIN membership m ON m.operator_id = f.operator_id),
now_ AS (SELECT who, bool_or(is_group) AS is_group, sum(permits) AS permits, sum(horizontal) AS horizontal,
                sum(permits) FILTER (WHERE issued_date <= %(judge)s) AS judged, sum(spudded) FILTER (WHERE issued_date <= %(judge)s) AS spudded
         FROM f WHERE issued_date >= %(start)s GROUP BY who HAVING sum(permits) > 0),
total AS (SELECT sum(permits) AS n FROM now_),
top AS MATERIALIZED (SELECT n.*, coalesce(g.name, o.canonical_name) AS name, o.p5_number FROM now_ n
                     LEFT JOIN operator_groups g ON g.id = n.who LEFT JOIN operators o ON o.id = n.who AND NOT n.is_group
                     ORDER BY n.permits DESC, name LIMIT %(limit)s),
before AS (SELECT who, sum(permits) AS permits FROM f WHERE issued_date < %(start)s AND who IN (SELECT who FROM top)
           GROUP BY who HAVING sum(permits) > 0),
lists AS (SELECT * FROM (
            SELECT f.who, coalesce(f.depth_values, x.depth_values) AS depth_values, coalesce(f.depth_counts, x.depth_counts) AS depth_counts,
                   CASE WHEN f.issued_date <= %(judge)s THEN coalesce(f.spud_values, x.spud_values) ELSE '{{}}' END AS spud_values,
                   CASE WHEN f.issued_date <= %(judge)s THEN coalesce(f.spud_counts, x.spud_counts) ELSE '{{}}' END AS spud_counts
            FROM f LEFT JOIN LATERAL ({lists_of}) x ON true
            WHERE f.issued_date >= %(start)s AND f.who IN (SELECT who FROM top)) l
          WHERE cardinality(depth_values) > 0 OR cardinality(spud_values) > 0)
SELECT n.who, n.is_group, n.name, n.p5_number, n.permits::int, b.permits::int AS previous,
       round(n.permits * 100.0 / nullif(t.n, 0), 1)::float AS share, round(n.horizontal * 100.0 / nullif(n.permits, 0), 1)::float AS horizontal_share,
       coalesce(n.judged, 0)::int AS judged, coalesce(n.spudded, 0)::int AS spudded,
       round(n.spudded * 100.0 / nullif(n.judged, 0), 1)::float AS spud_rate,
       l.depth_values, l.depth_counts, l.spud_values, l.spud_counts
FROM top n CROSS JOIN total t
LEFT JOIN before b ON b.who = n.who LEFT JOIN lists l ON l.who = n.who
ORDER BY n.permits DESC, n.name
"""


def merged_median(lists: list[tuple[list[int], list[int]]]) -> float | None:
    """PURE: percentile_cont(0.5) of the values the lists stand for, each list a value-sorted
    (values, counts) pair; the mean of the two middle ones when their number is even. Counts
    may be negative (a stretch subtracts its earlier month to date), and a value whose counts
    cancel is gone."""
    lists = [(v, c) for v, c in lists if v]
    if len(lists) == 1 and min(lists[0][1]) > 0:
        # one list (a cut period's stretch, a single month): already in value order
        values, counts = lists[0]
        cumulative = list(accumulate(counts))
        total = cumulative[-1]
        return (values[bisect_right(cumulative, (total - 1) // 2)] + values[bisect_right(cumulative, total // 2)]) / 2
    values = list(chain.from_iterable(v for v, _ in lists))
    counts = list(chain.from_iterable(c for _, c in lists))
    if counts and min(counts) < 0:
        # net each value first: a running count through a value's +n and -n would pass the middle and come back
        tally: dict[int, int] = {}
        for v, n in zip(values, counts, strict=True):
            tally[v] = tally.get(v, 0) + n
        values = [v for v, n in tally.items() if n > 0]
        counts = [tally[v] for v in values]
    if not values:
        return None
    order = sorted(range(len(values)), key=values.__getitem__)  # one C sort, no tuples
    cumulative = list(accumulate(map(counts.__getitem__, order)))
    total = cumulative[-1]
    # the first value whose running count passes each middle rank (0-based)
    return (values[order[bisect_right(cumulative, (total - 1) // 2)]] + values[order[bisect_right(cumulative, total // 2)]]) / 2


def _with_medians(rows: list[dict]) -> list[dict]:
    """PURE: one row per ranked who, its medians merged from the value lists its rows carry."""
    ranked: dict = {}
    for row in rows:
        lists = [(row.pop("depth_values"), row.pop("depth_counts")), (row.pop("spud_values"), row.pop("spud_counts"))]
        entry = ranked.setdefault(row["who"], (row, [], []))
        for kept, (values, counts) in zip(entry[1:], lists, strict=True):
            if values:
                kept.append((values, counts))
    return [row | {"median_depth": merged_median(depths), "median_days_to_spud": merged_median(spuds)}
            for row, depths, spuds in ranked.values()]


SERIES_SQL = """
WITH facts AS MATERIALIZED ({facts}),
membership AS (SELECT DISTINCT ON (m.operator_id) m.operator_id, m.group_id
               FROM operator_group_members m JOIN operator_groups g ON g.id = m.group_id ORDER BY m.operator_id, g.name)
SELECT coalesce(m.group_id, f.operator_id) AS who, date_trunc('month', f.issued_date)::date AS month, sum(f.permits)::int AS permits
FROM facts f LEFT JOIN membership m ON m.operator_id = f.operator_id
WHERE f.issued_date >= %(start)s AND coalesce(m.group_id, f.operator_id) = ANY(%(who)s)
GROUP BY 1, 2 HAVING sum(f.permits) > 0 ORDER BY 2, 1
"""


def place_name(cur: psycopg.Cursor, s: Scope) -> str:
    if s.kind == "county":
        return f"{COUNTIES[s.value].name} County"
    if s.kind == "district":
        return f"District {s.value}"
    row = cur.execute("SELECT name FROM aois WHERE id = %s", (s.value,)).fetchone()
    if row is None:
        raise Missing(f"no area {s.value} in this workspace")
    return row[0]


def rank(cur: psycopg.Cursor, s: Scope, *, today: date, limit: int = 50, source: str = "aggregate") -> list[dict]:
    judge = judged_before(s, today)
    facts, params = _facts(s, source, judge)
    params |= {"start": s.start, "judge": judge, "limit": limit}
    return _with_medians(_fetch(cur, RANK_SQL.format(facts=facts, lists_of=_LISTS_OF), params, planned_once=_planned_once(s, source)))


def _planned_once(s: Scope, source: str) -> bool:
    """PURE: a county or district read from the aggregates is index probes whatever the
    place and period, so one (generic) plan serves them all: planned each call, a county
    comparison took 4.2 to 7.2 ms, against 2.3 to 3.6 ms with the one plan. Over the permits (an area, the reference) the place decides
    between index and scan, so those are planned every time."""
    return source == "aggregate" and s.kind != "area"


def _fetch(cur: psycopg.Cursor, sql: str, params: dict, *, planned_once: bool) -> list[dict]:
    """The rows, in binary (the value lists decode in half the time). A statement planned
    once is prepared, with the generic plan asked for in the caller's transaction and the
    setting put back after it (PostgreSQL's own choice kept re-planning it)."""
    c = cur.connection.cursor(row_factory=dict_row, binary=True)
    if not planned_once:
        return c.execute(sql, params, prepare=False).fetchall()
    was = c.execute("SELECT current_setting('plan_cache_mode') AS was, set_config('plan_cache_mode', 'force_generic_plan', true)").fetchone()
    rows = c.execute(sql, params, prepare=True).fetchall()
    c.execute("SELECT set_config('plan_cache_mode', %s, true)", (was["was"],))
    return rows


def judged_before(s: Scope, today: date) -> date:
    """PURE: the last issue day old enough to say whether a permit spudded."""
    return min(s.end, today - timedelta(days=JUDGE_AFTER_DAYS))


def likely_same(rows: list[dict]) -> list[dict]:
    """PURE: pairs of ranked operators (not groups) whose names look like one company."""
    names = {r["who"]: r["name"] for r in rows if not r["is_group"]}
    return [{"a": a, "a_name": names[a], "b": b, "b_name": names[b], "score": s}
            for a, b, s in suggest_pairs(list(names.items()), limit=10)]


def series(cur: psycopg.Cursor, s: Scope, who: list[uuid.UUID]) -> list[dict]:
    """Permits per month over the period for up to five operators or groups."""
    if len(who) > MAX_SERIES:
        raise FieldError("series", f"pick at most {MAX_SERIES} operators to chart side by side")
    if not who:
        return []
    facts, params = _facts(s, "aggregate", s.end)
    params |= {"start": s.start, "who": who}
    return _fetch(cur, SERIES_SQL.format(facts=facts), params, planned_once=_planned_once(s, "aggregate"))

"""What an AOI Activity Report says, read in one snapshot inside the area's workspace (RLS):
the key numbers for the period and the one before, the new permits, amendments and filings
pending approval as tables, the operators ranked, what changed since the last report of the
area, and where every row came from (RRC file and publication time).

A permit is in the area when its surface location lies in the area with its buffer (the
area's `match_geom`, as alerts match). A change is in the period when the RRC published it
then (the file's publication time), in the report's time zone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from services.alerting.messages import CHANGE_WORDS
from services.errors import Missing
from services.exports.report_period import Period
from services.ingestion.sources.pending import SOURCE as PENDING
from services.ingestion.sources.rrc import SOURCE as DAILY
from services.permits.history import describe

SHOWN_ROWS = 200  # per table in the PDF; the workbook has them all, up to MOST_ROWS
MOST_ROWS = 50_000  # a whole basin over a year: the report says so and points to an export
SOURCE_NAMES = {DAILY: "RRC daily permit file", PENDING: "RRC filings pending approval"}

_AREA = "WITH area AS (SELECT match_geom AS g FROM aois WHERE id = %(aoi)s)"
_LEASE = "concat_ws(' ', {0}.lease_name, nullif({0}.well_number, ''))"


@dataclass
class Table:
    key: str
    title: str
    labels: list[str]
    types: list[str]  # text | int | num | date, per column (the workbook's cell types)
    rows: list[list] = field(default_factory=list)
    empty: str = "None in this period."
    more: bool = False  # past MOST_ROWS: the workbook holds the first MOST_ROWS

    def __post_init__(self) -> None:
        if len(self.rows) > MOST_ROWS:
            self.rows, self.more = self.rows[:MOST_ROWS], True


@dataclass
class Report:
    area: dict
    period: Period
    previous: Period
    timezone: str
    numbers: list[dict]
    tables: list[Table]
    changes: dict
    provenance: list[dict]
    made_at: datetime

    def summary(self) -> dict:
        """What the next report of the area compares with (kept with the job)."""
        return {"period": [self.period.start.isoformat(), self.period.end.isoformat()],
                "numbers": {n["key"]: n["now"] for n in self.numbers}, "made_at": self.made_at.isoformat()}


def _bounds(p: Period, tz: ZoneInfo) -> dict:
    return {"s": p.start, "e": p.end, "ts": datetime.combine(p.start, time(), tz), "te": datetime.combine(p.end + timedelta(days=1), time(), tz)}


def gather(conn: psycopg.Connection, aoi_id: uuid.UUID, period: Period, tz_name: str, *, since: datetime | None = None) -> Report:
    """Everything the report shows; the caller holds the transaction (one snapshot) and the
    workspace context."""
    tz = ZoneInfo(tz_name)
    cur = conn.cursor(row_factory=dict_row)
    area = cur.execute("""SELECT id, name, coalesce(buffer_meters, 0) AS buffer_m, buffer_unit,
                                 round((ST_Area(geom::geography) / 2589988.11)::numeric, 1) AS sq_mi,
                                 (SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM ref_counties r WHERE ST_Intersects(r.geom, a.match_geom)) AS counties
                          FROM aois a WHERE id = %s""", (aoi_id,)).fetchone()
    if area is None:
        raise Missing(f"area {aoi_id} does not exist in this workspace")
    now_b, before_b = _bounds(period, tz), _bounds(period.previous(), tz)
    numbers = _numbers(cur, aoi_id, now_b, before_b)
    tables = [_new_permits(cur, aoi_id, now_b), _amendments(cur, aoi_id, now_b, tz), _pending(cur, aoi_id),
              _operators(cur, aoi_id, now_b, before_b)]
    return Report(area=dict(area), period=period, previous=period.previous(), timezone=tz_name, numbers=numbers, tables=tables,
                  changes=_changes_since(cur, aoi_id, since, tz), provenance=_provenance(cur, aoi_id, now_b),
                  made_at=cur.execute("SELECT now()").fetchone()["now"])


_NUMBERS = _AREA + """, permits AS (
    SELECT c.* FROM permits_current c, area WHERE c.source = %(daily)s AND c.issued_date BETWEEN %(s)s AND %(e)s AND ST_Intersects(c.geom, area.g)),
  changes AS (
    SELECT pc.change_type FROM permit_changes pc JOIN permit_versions v ON v.id = pc.permit_version_id, area
    WHERE pc.source_seen_at >= %(ts)s AND pc.source_seen_at < %(te)s AND pc.change_type IN ('amended', 'filed', 'spudded', 'left_pending')
      AND ST_Intersects(v.geom, area.g))
SELECT (SELECT count(*) FROM permits) AS permits,
       (SELECT count(*) FILTER (WHERE wellbore_profile = 'horizontal') FROM permits) AS horizontal,
       (SELECT count(DISTINCT operator_id) FROM permits) AS operators,
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY total_depth) FROM permits) AS median_depth,
       (SELECT count(*) FILTER (WHERE change_type = 'amended') FROM changes) AS amended,
       (SELECT count(*) FILTER (WHERE change_type = 'filed') FROM changes) AS filed,
       (SELECT count(*) FILTER (WHERE change_type = 'spudded') FROM changes) AS spudded,
       (SELECT count(*) FILTER (WHERE change_type = 'left_pending') FROM changes) AS left_pending"""
_NUMBER_LABELS = [("permits", "New permits approved"), ("horizontal", "of them horizontal"), ("operators", "Operators with new permits"),
                  ("amended", "Amendments published"), ("filed", "Applications filed (pending approval)"), ("left_pending", "Applications withdrawn or denied"),
                  ("spudded", "Wells spudded"), ("median_depth", "Median total depth (ft)")]


def _numbers(cur: psycopg.Cursor, aoi_id: uuid.UUID, now_b: dict, before_b: dict) -> list[dict]:
    now = cur.execute(_NUMBERS, {"aoi": aoi_id, "daily": DAILY, **now_b}).fetchone()
    before = cur.execute(_NUMBERS, {"aoi": aoi_id, "daily": DAILY, **before_b}).fetchone()
    return [{"key": k, "label": label, "now": now[k], "before": before[k]} for k, label in _NUMBER_LABELS]


def _new_permits(cur: psycopg.Cursor, aoi_id: uuid.UUID, b: dict) -> Table:
    rows = cur.execute(_AREA + f"""
        SELECT c.issued_date, c.status_number, c.operator_name, {_LEASE.format('c')}, c.county, c.filing_purpose, c.wellbore_profile, c.total_depth
        FROM permits_current c, area WHERE c.source = %(daily)s AND c.issued_date BETWEEN %(s)s AND %(e)s AND ST_Intersects(c.geom, area.g)
        ORDER BY c.issued_date DESC, c.status_number DESC LIMIT {MOST_ROWS + 1}""", {"aoi": aoi_id, "daily": DAILY, **b}).fetchall()
    return Table("new", "New permits", ["Approved", "Status no.", "Operator", "Lease / well", "County", "Purpose", "Wellbore", "Depth (ft)"],
                 ["date", "text", "text", "text", "text", "text", "text", "int"], [list(r.values()) for r in rows])


def _amendments(cur: psycopg.Cursor, aoi_id: uuid.UUID, b: dict, tz: ZoneInfo) -> Table:
    rows = cur.execute(_AREA + f"""
        SELECT pc.source_seen_at, c.status_number, c.operator_name, {_LEASE.format('c')}, c.county, pc.details
        FROM permit_changes pc JOIN permit_versions v ON v.id = pc.permit_version_id JOIN permits_current c ON c.permit_id = pc.permit_id, area
        WHERE pc.change_type = 'amended' AND pc.source_seen_at >= %(ts)s AND pc.source_seen_at < %(te)s AND ST_Intersects(v.geom, area.g)
        ORDER BY pc.source_seen_at DESC, pc.id DESC LIMIT {MOST_ROWS + 1}""", {"aoi": aoi_id, **b}).fetchall()
    out = [[r["source_seen_at"].astimezone(tz).date(), r["status_number"], r["operator_name"], r["concat_ws"], r["county"],
            "; ".join(describe(r["details"])[:3]) or "amended"] for r in rows]
    return Table("amended", "Amendments", ["Published", "Status no.", "Operator", "Lease / well", "County", "What changed"],
                 ["date", "text", "text", "text", "text", "text"], out)


def _pending(cur: psycopg.Cursor, aoi_id: uuid.UUID) -> Table:
    rows = cur.execute(_AREA + f"""
        SELECT c.filed_date, c.status_number, c.operator_name, {_LEASE.format('c')}, c.county, c.filing_purpose, c.wellbore_profile, c.total_depth
        FROM permits_current c, area WHERE c.source = %(pending)s AND c.status = 'pending' AND ST_Intersects(c.geom, area.g)
        ORDER BY c.filed_date DESC NULLS LAST, c.status_number DESC LIMIT {MOST_ROWS + 1}""", {"aoi": aoi_id, "pending": PENDING}).fetchall()
    return Table("pending", "Filings pending approval", ["Filed", "Status no.", "Operator", "Lease / well", "County", "Purpose", "Wellbore",
                                                          "Depth (ft)"],
                 ["date", "text", "text", "text", "text", "text", "text", "int"], [list(r.values()) for r in rows],
                 empty="No filing in the area is waiting for approval now.")


def _operators(cur: psycopg.Cursor, aoi_id: uuid.UUID, now_b: dict, before_b: dict) -> Table:
    rows = cur.execute(_AREA + """, p AS (
            SELECT c.operator_id, c.wellbore_profile, c.total_depth, c.issued_date >= %(s)s AS now
            FROM permits_current c, area WHERE c.source = %(daily)s AND c.issued_date BETWEEN %(ps)s AND %(e)s AND ST_Intersects(c.geom, area.g))
        SELECT coalesce(o.canonical_name, 'Operator not named') AS name, count(*) FILTER (WHERE now) AS now, count(*) FILTER (WHERE NOT now) AS before,
               count(*) FILTER (WHERE now AND wellbore_profile = 'horizontal') AS horizontal,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY total_depth) FILTER (WHERE now) AS depth
        FROM p LEFT JOIN operators o ON o.id = p.operator_id
        GROUP BY o.canonical_name HAVING count(*) FILTER (WHERE now) > 0 ORDER BY now DESC, name LIMIT 100""",
                       {"aoi": aoi_id, "daily": DAILY, "s": now_b["s"], "e": now_b["e"], "ps": before_b["s"]}).fetchall()
    total = sum(r["now"] for r in rows) or 1
    out = [[i, r["name"], r["now"], round(100 * r["now"] / total, 1), r["before"], r["now"] - r["before"], r["horizontal"], r["depth"]]
           for i, r in enumerate(rows, 1)]
    return Table("operators", "Operators ranked by new permits", ["Rank", "Operator", "Permits", "Share %", "Period before", "Change",
                                                                   "Horizontal", "Median depth (ft)"],
                 ["int", "text", "int", "num", "int", "int", "int", "int"], out)


def _changes_since(cur: psycopg.Cursor, aoi_id: uuid.UUID, since: datetime | None, tz: ZoneInfo) -> dict:
    if since is None:
        return {"since": None, "counts": [], "rows": []}
    rows = cur.execute(_AREA + f"""
        SELECT pc.change_type, pc.source_seen_at, p.source_permit_no AS status_number, o.canonical_name AS operator_name,
               {_LEASE.format('v')} AS lease
        FROM permit_changes pc JOIN permit_versions v ON v.id = pc.permit_version_id JOIN permits p ON p.id = pc.permit_id
             LEFT JOIN operators o ON o.id = v.operator_id, area
        WHERE pc.created_at > %(since)s AND ST_Intersects(v.geom, area.g)
        ORDER BY pc.source_seen_at DESC, pc.id DESC LIMIT {MOST_ROWS + 1}""", {"aoi": aoi_id, "since": since}).fetchall()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["change_type"]] = counts.get(r["change_type"], 0) + 1
    return {"since": since.astimezone(tz),
            "counts": [{"label": CHANGE_WORDS.get(k, k), "count": n} for k, n in sorted(counts.items(), key=lambda kv: -kv[1])],
            "rows": [[r["source_seen_at"].astimezone(tz).date(), CHANGE_WORDS.get(r["change_type"], r["change_type"]), r["status_number"],
                      r["operator_name"], r["lease"]] for r in rows]}


def _provenance(cur: psycopg.Cursor, aoi_id: uuid.UUID, b: dict) -> list[dict]:
    """The RRC files behind the report's rows, with when the RRC published each."""
    rows = cur.execute(_AREA + """, shown AS (
            SELECT c.version_id FROM permits_current c, area
            WHERE ((c.source = %(daily)s AND c.issued_date BETWEEN %(s)s AND %(e)s) OR (c.source = %(pending)s AND c.status = 'pending'))
              AND ST_Intersects(c.geom, area.g)
            UNION SELECT pc.permit_version_id FROM permit_changes pc JOIN permit_versions v ON v.id = pc.permit_version_id, area
            WHERE pc.change_type = 'amended' AND pc.source_seen_at >= %(ts)s AND pc.source_seen_at < %(te)s AND ST_Intersects(v.geom, area.g))
        SELECT r.source, regexp_replace(r.source_uri, '^.*/', '') AS file, r.snapshot_at, count(*) AS rows
        FROM shown JOIN permit_versions v ON v.id = shown.version_id JOIN ingestion_runs r ON r.id = v.ingestion_run_id
        GROUP BY 1, 2, 3 ORDER BY r.snapshot_at DESC, 2""", {"aoi": aoi_id, "daily": DAILY, "pending": PENDING, **b}).fetchall()
    return [{**r, "source": SOURCE_NAMES.get(r["source"], r["source"])} for r in rows]

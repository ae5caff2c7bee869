"""One operator's profile: names and lineage, where it is active, permits per month by
filing purpose and wellbore profile, median depth, spud conversion, and its timeline of
events. With `follow_line`, predecessors and successors (operator_links) count as one."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import psycopg
from psycopg.rows import dict_row

from services.errors import FieldError, Missing
from services.operators.compare import JUDGE_AFTER_DAYS

# What each change means on an operator's timeline, in a landman's words.
EVENTS = {"filed": "filed", "approved": "approved", "new": "approved", "amended": "amended", "spudded": "spudded",
          "status_changed": "status changed", "left_pending": "withdrawn or denied", "location_changed": "location published",
          "corrected": "corrected"}
COMPLETIONS = ("completed", "final completion", "unperfed completion")
# A status change that completes the well or cancels the permit is named for that.
_KIND_SQL = ("CASE WHEN c.change_type = 'status_changed' AND c.details->'fields'->'well_status'->>1 = ANY(%(completions)s) THEN 'completed' "
             "WHEN c.change_type = 'status_changed' AND (c.details->'fields'->'cancelled_date'->>1 IS NOT NULL "
             "OR c.details->'fields'->'application_status'->>1 = 'cancelled') THEN 'cancelled' "
             "ELSE (%(events)s::jsonb)->>c.change_type END")
TIMELINE_KINDS = ("filed", "approved", "amended", "spudded", "completed", "cancelled", "status changed", "withdrawn or denied",
                  "location published", "corrected")

_LINE = """
WITH RECURSIVE line(id) AS (
  SELECT %(id)s::uuid
  UNION
  SELECT CASE WHEN l.predecessor_id = line.id THEN l.successor_id ELSE l.predecessor_id END
  FROM operator_links l JOIN line ON line.id IN (l.predecessor_id, l.successor_id) WHERE %(follow)s
)
"""


_OPERATOR = """SELECT id, p5_number, canonical_name AS name, merged_into, p5_name, p5_status, p5_organization, p5_seen_at
               FROM operators WHERE id = %s"""


def line_of(cur: psycopg.Cursor, operator_id: uuid.UUID, follow: bool) -> list[uuid.UUID]:
    return [r[0] for r in cur.execute(_LINE + "SELECT id FROM line", {"id": operator_id, "follow": follow}).fetchall()]


def profile(cur: psycopg.Cursor, operator_id: uuid.UUID, *, follow_line: bool, today: date) -> dict:
    d = cur.connection.cursor(row_factory=dict_row)
    op = d.execute(_OPERATOR, (operator_id,)).fetchone()
    if op is None:
        raise Missing(f"no operator {operator_id}")
    if op["merged_into"] is not None:
        op = d.execute(_OPERATOR, (op["merged_into"],)).fetchone()
    ids = line_of(cur, op["id"], follow_line)
    names = d.execute("""SELECT alias_name AS name, source, min(created_at) AS first_seen FROM operator_aliases
                         WHERE operator_id = %s GROUP BY 1, 2 ORDER BY 3""", (op["id"],)).fetchall()
    lineage = d.execute("""SELECT l.id AS link_id, CASE WHEN l.successor_id = %(id)s THEN 'predecessor' ELSE 'successor' END AS relation,
                                  o.id, o.canonical_name AS name, o.p5_number, l.note, l.created_at
                           FROM operator_links l JOIN operators o ON o.id = CASE WHEN l.successor_id = %(id)s THEN l.predecessor_id
                                                                                  ELSE l.successor_id END
                           WHERE %(id)s IN (l.predecessor_id, l.successor_id) ORDER BY l.created_at""", {"id": op["id"]}).fetchall()
    others = d.execute("SELECT id, canonical_name AS name, p5_number FROM operators WHERE id = ANY(%s) AND id <> %s",
                       (ids, op["id"])).fetchall()
    return {"id": op["id"], "p5_number": op["p5_number"], "name": op["name"], "names": names,
            "p5": {k: op[f"p5_{k}"] for k in ("name", "status", "organization", "seen_at")} if op["p5_seen_at"] else None, "lineage": lineage,
            "line": others, "follow_line": follow_line, **activity(cur, ids, today=today)}


def group_profile(cur: psycopg.Cursor, group_id: uuid.UUID, *, today: date) -> dict:
    """A workspace's operator group as one competitor: its members' activity together (RLS:
    another workspace's group is missing)."""
    d = cur.connection.cursor(row_factory=dict_row)
    group = d.execute("SELECT id, name FROM operator_groups WHERE id = %s", (group_id,)).fetchone()
    if group is None:
        raise Missing(f"no operator group {group_id} in this workspace")
    members = d.execute("""SELECT o.id, o.canonical_name AS name, o.p5_number FROM operator_group_members m
                           JOIN operators o ON o.id = m.operator_id WHERE m.group_id = %s ORDER BY 2""", (group_id,)).fetchall()
    return {**group, "operators": members, **activity(cur, group_member_ids(cur, group_id), today=today)}


def group_member_ids(cur: psycopg.Cursor, group_id: uuid.UUID) -> list[uuid.UUID]:
    if cur.execute("SELECT 1 FROM operator_groups WHERE id = %s", (group_id,)).fetchone() is None:
        raise Missing(f"no operator group {group_id} in this workspace")
    return [r[0] for r in cur.execute("SELECT operator_id FROM operator_group_members WHERE group_id = %s", (group_id,)).fetchall()]


def activity(cur: psycopg.Cursor, ids: list[uuid.UUID], *, today: date) -> dict:
    """What a set of operators did: totals, spud conversion, wells, counties, permits per month."""
    d = cur.connection.cursor(row_factory=dict_row)
    judge = today - timedelta(days=JUDGE_AFTER_DAYS)
    totals = d.execute("""SELECT count(*)::int AS permits, count(*) FILTER (WHERE wellbore_profile = 'horizontal')::int AS horizontal,
                                 percentile_cont(0.5) WITHIN GROUP (ORDER BY total_depth)::float AS median_depth,
                                 count(*) FILTER (WHERE issued_date <= %(judge)s)::int AS judged,
                                 count(spud_date) FILTER (WHERE issued_date <= %(judge)s)::int AS spudded,
                                 min(issued_date) AS first_issued, max(issued_date) AS last_issued,
                                 count(*) FILTER (WHERE status = 'pending')::int AS pending
                          FROM permits_current WHERE operator_id = ANY(%(ids)s)""", {"ids": ids, "judge": judge}).fetchone()
    counties = d.execute("""SELECT county_code, county, district, count(*)::int AS permits, max(issued_date) AS last_issued
                            FROM permits_current WHERE operator_id = ANY(%s) AND county_code IS NOT NULL
                            GROUP BY 1, 2, 3 ORDER BY 4 DESC, 2""", (ids,)).fetchall()
    monthly = d.execute("""SELECT date_trunc('month', issued_date)::date AS month, coalesce(filing_purpose, 'unknown') AS filing_purpose,
                                  coalesce(wellbore_profile, 'unknown') AS wellbore_profile, count(*)::int AS permits
                           FROM permits_current WHERE operator_id = ANY(%s) AND issued_date IS NOT NULL
                           GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""", (ids,)).fetchall()
    wells = d.execute("""SELECT count(*)::int AS wells, count(spud_date)::int AS wells_spudded, count(completion_date)::int AS wells_completed
                         FROM wells WHERE operator_id = ANY(%s)""", (ids,)).fetchone()
    return {**totals, **wells,
            "spud_rate": round(totals["spudded"] * 100.0 / totals["judged"], 1) if totals["judged"] else None,
            "horizontal_share": round(totals["horizontal"] * 100.0 / totals["permits"], 1) if totals["permits"] else None,
            "counties": counties, "districts": sorted({c["district"] for c in counties if c["district"]}), "monthly": monthly}


def operator_timeline(cur: psycopg.Cursor, operator_id: uuid.UUID, *, follow_line: bool, **page) -> dict:
    return timeline(cur, line_of(cur, operator_id, follow_line), **page)


def group_timeline(cur: psycopg.Cursor, group_id: uuid.UUID, **page) -> dict:
    return timeline(cur, group_member_ids(cur, group_id), **page)


def timeline(cur: psycopg.Cursor, ids: list[uuid.UUID], *, kinds: list[str] | None, before: int | None, limit: int) -> dict:
    """The events of a set of operators (one with its line, or a group), newest first,
    keyset-paged by change id."""
    unknown = set(kinds or []) - set(TIMELINE_KINDS)
    if unknown:
        raise FieldError("kinds", f"unknown event kind {sorted(unknown)[0]!r}; kinds are {', '.join(TIMELINE_KINDS)}")
    rows = cur.connection.cursor(row_factory=dict_row).execute(f"""
        SELECT * FROM (
          SELECT c.id, c.change_type, {_KIND_SQL} AS kind, c.source_seen_at AS published_at, c.details, p.source_permit_no AS status_number,
                 v.lease_name, v.well_number, v.county, v.filing_purpose_code, v.permit_type AS filing_purpose, v.status
          FROM permits p JOIN permit_changes c ON c.permit_id = p.id
          JOIN permit_versions v ON v.id = c.permit_version_id AND v.source_seen_at = c.source_seen_at
          WHERE p.operator_id = ANY(%(ids)s) AND c.change_type = ANY(%(types)s) AND (%(before)s::bigint IS NULL OR c.id < %(before)s)
        ) e WHERE %(kinds)s::text[] IS NULL OR e.kind = ANY(%(kinds)s)
        ORDER BY e.id DESC LIMIT %(n)s""", {"ids": ids, "types": list(EVENTS), "kinds": kinds or None, "before": before, "n": limit + 1,
                                            "events": json.dumps(EVENTS), "completions": list(COMPLETIONS)}).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"id": r["id"], "kind": r["kind"], "published_at": r["published_at"], "status_number": r["status_number"],
              "lease_name": r["lease_name"], "well_number": r["well_number"], "county": r["county"], "filing_purpose": r["filing_purpose"],
              "detail": _detail(r)} for r in rows]
    return {"items": items, "next_before": rows[-1]["id"] if more else None}


def _detail(r: dict) -> str | None:
    det = r["details"] or {}
    fields = det.get("fields") if isinstance(det.get("fields"), dict) else {}
    if r["kind"] in ("completed", "cancelled"):
        status, day = (fields.get("well_status") or [None, None])[1], (fields.get("well_status_date") or fields.get("cancelled_date") or [None, None])[1]
        return ", ".join(str(x) for x in (status if r["kind"] == "completed" else None, f"on {day}" if day else None) if x) or None
    if r["change_type"] == "status_changed":
        return f"now {r['status']}" if r["status"] else None
    if r["change_type"] == "approved" and det.get("hours_to_approval") is not None:
        return f"{float(det['hours_to_approval']) / 24:.1f} days after filing"
    if r["change_type"] == "amended" and isinstance(det.get("fields"), dict):
        return "changed: " + ", ".join(k.replace("_", " ") for k in sorted(det["fields"]))[:200]
    return None

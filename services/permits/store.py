"""Running permit searches (the I/O around the pure services.permits.search)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import psycopg
from psycopg.rows import dict_row

from services.alerting.filters import FILTERS
from services.areas.store import search_area
from services.operators.watchlists import with_group_members
from services.permits.search import MAX_AREA_KM2, Page, SearchError, SearchQuery, build_sql, count_sql, encode_cursor


def request_params(cur: psycopg.Cursor, q: dict) -> dict:
    """Search request parameters as `search.parse` takes them: lists may also come
    comma-separated; an area id becomes its area and buffer (RLS: only the workspace's)."""
    out = {k: v for k, v in q.items() if v not in (None, [], "")}
    for k, (_, kind, _) in FILTERS.items():
        if kind in ("in", "group") and k in out:
            out[k] = [p.strip() for v in out[k] for p in v.split(",") if p.strip()]
    if "aoi" in out:
        try:
            aoi_id = uuid.UUID(str(out.pop("aoi")))
        except ValueError:
            raise SearchError("aoi", "must be an area id") from None
        row = search_area(cur, aoi_id)
        if row is None:
            raise SearchError("aoi", f"no area {aoi_id} in this workspace")
        if out.get("bbox") or out.get("area"):
            raise SearchError("aoi", "give an aoi, a bbox or an area, not more than one")
        out["area"] = row[0]
        out.setdefault("buffer_m", row[1])
    return out


def search(conn: psycopg.Connection, q: SearchQuery, *, with_total: bool = False) -> Page:
    q = replace(q, filters=with_group_members(conn.cursor(), q.filters))
    if q.area:
        km2, valid = conn.execute("SELECT ST_Area(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)::geography) / 1e6, "
                                "ST_IsValid(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))",
                                (json.dumps(q.area), json.dumps(q.area))).fetchone()
        if not valid:
            raise SearchError("area", "is not a valid polygon (self-intersecting or badly closed)")
        if km2 > MAX_AREA_KM2:
            raise SearchError("area", f"is {km2:,.0f} km2, over the {MAX_AREA_KM2:,.0f} km2 limit")
    sql, params = build_sql(q)
    # The best plan depends on the area searched (its size and place). A generic plan, which
    # psycopg's prepared statements get after a few runs, scans by date instead: 6x slower at
    # 1M permits (docs/performance.md).
    conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = conn.cursor(row_factory=dict_row).execute(sql, params).fetchall()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    cursor = encode_cursor(rows[-1]["sort_key"], rows[-1]["permit_id"]) if more and rows else None
    for r in rows:
        del r["sort_key"]
    total = None
    if with_total:
        total = len(rows) if not more and not q.after else conn.execute(*count_sql(q)).fetchone()[0]
    return Page(rows, cursor, total)

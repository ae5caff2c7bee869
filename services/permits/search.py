"""Permit search over `permits_current`: the query the list, the API and exports share.

PURE: `parse` turns request parameters into a `SearchQuery` (a bad value raises
`SearchError` naming the parameter, for an RFC 9457 problem response) and `build_sql`
makes the SQL; `services.permits.store.search` runs it. Filters use the saved-search vocabulary
(services.alerting.filters), so a search can be saved as-is and alerted on. Pagination
is keyset (sort key, then permit id) with an opaque cursor: stable under concurrent
ingestion, no OFFSET scans.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from services.alerting.filters import FILTERS, FilterError, validate_filters
from services.areas.shapes import MAX_BUFFER_M  # an area searched with its own buffer must fit
from services.errors import FieldError
from services.permits import legal

# name -> (column, direction, stand-in for NULL). Keyset pagination compares (key, id)
# tuples, which NULLs would break; the stand-in sorts missing values last.
SORTS = {
    "issued_desc": ("issued_date", "DESC", "'0001-01-01'::date"),
    "issued_asc": ("issued_date", "ASC", "'9999-12-31'::date"),
    "filed_desc": ("filed_date", "DESC", "'0001-01-01'::date"),
    "depth_desc": ("total_depth", "DESC", "-1"),
}
MAX_LIMIT = 500
MAX_TEXT = 100
MAX_AREA_KM2 = 50_000.0


class SearchError(FieldError):
    """A search parameter that cannot be used."""


@dataclass(frozen=True)
class SearchQuery:
    filters: dict = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    area: dict | None = None  # a GeoJSON Polygon/MultiPolygon
    buffer_m: int = 0
    sort: str = "issued_desc"
    limit: int = 100
    after: tuple | None = None  # (sort value, permit id) from the cursor
    text: str | None = None  # the search box: a status or API number, or part of a lease name


def encode_cursor(sort_value, permit_id: uuid.UUID) -> str:
    raw = json.dumps([sort_value.isoformat() if isinstance(sort_value, date) else sort_value, str(permit_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple:
    try:
        value, pid = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if value is not None and SORTS[sort][0].endswith("_date"):
            value = date.fromisoformat(value)
        return value, uuid.UUID(pid)
    except (ValueError, TypeError, KeyError):
        raise SearchError("cursor", "is not a cursor this search returned") from None


def parse(params: dict) -> SearchQuery:
    """Request parameters (lists for repeatable ones) -> SearchQuery, or SearchError."""
    filters = parse_filters(params)
    sort = params.get("sort") or "issued_desc"
    if sort not in SORTS:
        raise SearchError("sort", f"must be one of {', '.join(SORTS)}")
    limit = _int_param(params, "limit", 100, 1, MAX_LIMIT)
    bbox = _bbox(params.get("bbox"))
    area = _area(params.get("area"))
    if bbox and area:
        raise SearchError("area", "give a bbox or an area, not both")
    buffer_m = _int_param(params, "buffer_m", 0, 0, MAX_BUFFER_M)
    after = decode_cursor(params["cursor"], sort) if params.get("cursor") else None
    text = (params.get("q") or "").strip() or None
    if text and len(text) > MAX_TEXT:
        raise SearchError("q", f"must be at most {MAX_TEXT} characters")
    return SearchQuery(filters, bbox, area, buffer_m, sort, limit, after, text)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_clause(text: str) -> tuple[str, dict]:
    """What the search box matches: an RRC status number (7 digits, leading zeros optional),
    an API number with or without dashes or the state code (42-003-12345, 00312345), part
    of a lease name, or part of the legal description (a survey, or an abstract as A-730)."""
    digits = re.sub(r"\D", "", text)
    if digits and re.fullmatch(r"[\d\s-]+", text):
        # A number is a status or an API number: two index lookups, never a scan of names.
        parts, params = [], {}
        if len(digits) <= 7:
            parts.append("c.status_number = %(q_status)s")
            params["q_status"] = digits.zfill(7)
        if len(digits) in (8, 10) and (len(digits) == 8 or digits.startswith("42")):
            api = digits[-8:]
            parts.append("c.api_number = %(q_api)s")
            params["q_api"] = f"42-{api[:3]}-{api[3:]}"
        return "(" + (" OR ".join(parts) or "false") + ")", params
    params = {"q_like": _like(text), "q_legal": _like(legal.search_pattern(text))}
    return "(c.lease_name ILIKE %(q_like)s OR c.legal_text ILIKE %(q_legal)s)", params


def _int_param(params: dict, name: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError:
        raise SearchError(name, "must be a whole number") from None
    if not lo <= value <= hi:
        raise SearchError(name, f"must be between {lo} and {hi}")
    return value


def _bbox(value) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in (value.split(",") if isinstance(value, str) else value))
    except (ValueError, TypeError):
        raise SearchError("bbox", "must be min_lon,min_lat,max_lon,max_lat") from None
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise SearchError("bbox", "must have min < max, in degrees of longitude and latitude")
    return x0, y0, x1, y1


def _area(value) -> dict | None:
    if not value:
        return None
    try:
        geom = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        raise SearchError("area", f"is not JSON: {exc.msg}") from None
    geom = geom.get("geometry", geom) if isinstance(geom, dict) else geom
    if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
        raise SearchError("area", "must be a GeoJSON Polygon or MultiPolygon (or a Feature with one)")
    return geom


def filter_clauses(filters: dict, alias: str, columns: dict[str, str] | None = None) -> tuple[list[str], dict]:
    """WHERE clauses (ANDed) and parameters for validated filters over rows `alias`;
    `columns` renames columns for tables that hold them under other names."""
    where, params = [], {}
    for fkey, value in filters.items():
        col, kind, _ = FILTERS[fkey]
        if kind == "group":
            # Groups are workspace rows: callers resolve them to operator ids first
            # (watchlists.with_group_members), so shared caches never key on a group.
            raise ValueError("operator_groups must be resolved to operator_ids before building SQL")
        col = (columns or {}).get(fkey, col)
        name = f"f_{fkey}"
        params[name] = value
        if kind == "in":
            where.append(f"{alias}.{col} = ANY(%({name})s)")
        else:
            op, cast = kind[:2], kind[2:]
            where.append(f"{alias}.{col} {op} %({name})s::{cast}")
    return where, params


def parse_filters(params: dict) -> dict:
    """The filter parameters of a request, validated (FILTERS vocabulary); {} for none."""
    filters = {}
    for k, (_, kind, _) in FILTERS.items():
        v = params.get(k)
        if v in (None, "", []):
            continue
        if kind.endswith("int") and isinstance(v, str):
            if not v.strip().isdigit():
                raise SearchError(k, "must be a whole number of feet")
            v = int(v)
        filters[k] = v
    try:
        return validate_filters(filters) if filters else {}
    except FilterError as exc:
        raise SearchError("filters", str(exc)) from None



# A permit as a list shows it (PermitSummary), over `permits_current c`.
ITEM_COLUMNS = ("c.permit_id, c.status_number, c.sequence, c.api_number, c.operator_id, c.operator_number, c.operator_name, "
                "c.lease_name, c.well_number, c.county, c.county_code, c.district, c.filing_purpose, c.wellbore_profile, "
                "c.total_depth, c.status, c.well_status, c.filed_date, c.issued_date, c.amended_date, c.spud_date, "
                "c.amendment_count, c.source_seen_at, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat")

def build_sql(q: SearchQuery) -> tuple[str, dict]:
    """SQL and parameters for one page (limit + 1 rows: the extra one says there is more)."""
    column, direction, null_as = SORTS[q.sort]
    key = f"coalesce(c.{column}, {null_as})"
    where, params = where_clauses(q)
    params["limit"] = q.limit + 1
    if q.after:
        params["after_value"], params["after_id"] = q.after
        cmp = "<" if direction == "DESC" else ">"
        where.append(f"({key}, c.permit_id) {cmp} (%(after_value)s, %(after_id)s)")
    sql = (f"SELECT {ITEM_COLUMNS}, {key} AS sort_key "
           f"FROM permits_current c"
           + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY {key} {direction}, c.permit_id {direction} LIMIT %(limit)s")
    return sql, params


def count_sql(q: SearchQuery) -> tuple[str, dict]:
    """How many permits the whole search matches (every page)."""
    where, params = where_clauses(q)
    return "SELECT count(*) FROM permits_current c" + (" WHERE " + " AND ".join(where) if where else ""), params


def where_clauses(q: SearchQuery) -> tuple[list[str], dict]:
    where, params = filter_clauses(q.filters, "c")
    if q.text:
        clause, more = text_clause(q.text)
        where.append(clause)
        params.update(more)
    region = None
    if q.bbox:
        params.update(zip(("x0", "y0", "x1", "y1"), q.bbox, strict=True))
        region = "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)"
    elif q.area:
        params["area"] = json.dumps(q.area)
        region = "ST_SetSRID(ST_GeomFromGeoJSON(%(area)s), 4326)"
    if region:
        if q.buffer_m:
            params["buffer"] = q.buffer_m
            # Metres on the ellipsoid; the bounding-box test first lets the GIST index work.
            where.append(f"c.geom && ST_Expand({region}, %(buffer)s / 90000.0) "
                         f"AND ST_DWithin(c.geom::geography, ({region})::geography, %(buffer)s)")
        else:
            where.append(f"ST_Intersects(c.geom, {region})")
    return where, params


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None
    total: int | None = None


def to_geojson(page: Page) -> dict:
    """A FeatureCollection; permits without coordinates have a null geometry."""
    feats = []
    for r in page.items:
        props = {k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, uuid.UUID) else v)
                 for k, v in r.items() if k not in ("lon", "lat")}
        geom = {"type": "Point", "coordinates": [r["lon"], r["lat"]]} if r["lon"] is not None else None
        feats.append({"type": "Feature", "id": str(r["permit_id"]), "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats, "next_cursor": page.next_cursor}

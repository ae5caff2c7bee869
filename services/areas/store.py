"""Areas of interest in the workspace in context (RLS): checked by PostGIS before they are
written (valid, not too large), audited, and listed as GeoJSON for the map."""

from __future__ import annotations

import json
import uuid

import psycopg

from services.alerting.rules import MAX_AOI_KM2
from services.areas.shapes import Area, ShapeError
from services.audit.trail import audit
from services.entitlements import checks as entitled
from services.errors import Missing

# The geometry as PostGIS sees it: drawn or imported polygons as given, circles made on
# the ellipsoid so the radius is exact metres.
_GEOM = ("ST_Multi(CASE WHEN %(geojson)s::text IS NOT NULL THEN ST_SetSRID(ST_GeomFromGeoJSON(%(geojson)s), 4326) "
         "ELSE ST_Buffer(ST_SetSRID(ST_MakePoint(%(cx)s, %(cy)s), 4326)::geography, %(radius)s, 'quad_segs=16')::geometry END)")


class AreaNotFound(Missing):
    pass


def _params(area: Area) -> dict:
    circle = area.shape.get("kind") == "circle"
    return {"geojson": None if circle else json.dumps(area.geometry),
            "cx": area.shape["center"][0] if circle else None, "cy": area.shape["center"][1] if circle else None,
            "radius": area.shape.get("radius_m"), "shape": json.dumps(area.shape), "buffer": area.buffer_m, "unit": area.buffer_unit}


def check(cur: psycopg.Cursor, area: Area) -> None:
    """PostGIS's verdict before writing: a clear reason instead of a failed constraint."""
    valid, reason, km2 = cur.execute(f"SELECT ST_IsValid(g), ST_IsValidReason(g), ST_Area(g::geography) / 1e6 FROM (SELECT {_GEOM} AS g) s",
                                     _params(area)).fetchone()
    if not valid:
        raise ShapeError("geometry", f"is not a valid polygon: {reason} (edges must not cross and rings must close)")
    if km2 > MAX_AOI_KM2:
        raise ShapeError("geometry", f"covers {km2:,.0f} km2, over the {MAX_AOI_KM2:,.0f} km2 limit for one area; split it, or use a saved search by county")


def create(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, name: str, area: Area, *, source: str = "drawn") -> uuid.UUID:
    name = _name(name)
    check(cur, area)
    entitled.check_room(cur, workspace_id, "areas")
    aoi = cur.execute(f"INSERT INTO aois (workspace_id, name, geom, buffer_meters, buffer_unit, shape, source, created_by) "
                      f"VALUES (%(ws)s, %(name)s, {_GEOM}, %(buffer)s, %(unit)s, %(shape)s, %(source)s, %(actor)s) RETURNING id",
                      {**_params(area), "ws": workspace_id, "name": name, "source": source, "actor": actor}).fetchone()[0]
    audit(cur, workspace_id, actor, "aoi.created", "aoi", aoi, {"name": name, "buffer_m": area.buffer_m, "source": source})
    return aoi


def update(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, aoi_id: uuid.UUID, *,
           name: str | None = None, area: Area | None = None, buffer_m: int | None = None, buffer_unit: str | None = None) -> None:
    sets, params = ["updated_at = now()"], {"id": aoi_id}
    if name is not None:
        sets.append("name = %(name)s")
        params["name"] = _name(name)
    if area is not None:
        check(cur, area)
        sets += [f"geom = {_GEOM}", "shape = %(shape)s", "buffer_meters = %(buffer)s", "buffer_unit = %(unit)s"]
        params.update(_params(area))
    elif buffer_m is not None:
        sets += ["buffer_meters = %(buffer)s", "buffer_unit = %(unit)s"]
        params.update(buffer=buffer_m, unit=buffer_unit or "m")
    cur.execute(f"UPDATE aois SET {', '.join(sets)} WHERE id = %(id)s", params)
    if cur.rowcount != 1:
        raise AreaNotFound(f"area {aoi_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, "aoi.updated", "aoi", aoi_id, {k: v for k, v in params.items() if k in ("name", "buffer")})


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, aoi_id: uuid.UUID) -> None:
    row = cur.execute("DELETE FROM aois WHERE id = %s RETURNING name", (aoi_id,)).fetchone()
    if row is None:
        raise AreaNotFound(f"area {aoi_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, "aoi.deleted", "aoi", aoi_id, {"name": row[0]})


def search_area(cur: psycopg.Cursor, aoi_id: uuid.UUID) -> tuple[dict, int] | None:
    """An area as a search region: (GeoJSON, buffer in metres), or None if not in this workspace."""
    row = cur.execute("SELECT ST_AsGeoJSON(geom)::json, coalesce(buffer_meters, 0) FROM aois WHERE id = %s", (aoi_id,)).fetchone()
    return (row[0], row[1]) if row else None


def as_features(cur: psycopg.Cursor, aoi_id: uuid.UUID | None = None) -> list[dict]:
    rows = cur.execute(
        "SELECT a.id, a.name, a.buffer_meters, a.buffer_unit, a.shape, a.source, a.created_at, "
        "round((ST_Area(a.geom::geography) / 1e6)::numeric, 2)::float, ST_AsGeoJSON(a.geom, 6)::json, "
        "(SELECT count(*) FROM alert_rules r WHERE r.aoi_id = a.id) "
        "FROM aois a WHERE (%(id)s::uuid IS NULL OR a.id = %(id)s) ORDER BY a.created_at DESC", {"id": aoi_id}).fetchall()
    return [{"type": "Feature", "id": str(r[0]), "geometry": r[8],
             "properties": {"id": str(r[0]), "name": r[1], "buffer_m": r[2] or 0, "buffer_unit": r[3], "shape": r[4],
                            "source": r[5], "created_at": r[6].isoformat(), "area_km2": r[7], "rules": r[9]}} for r in rows]


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ShapeError("name", "must be 1 to 120 characters")
    return name

"""PURE: areas of interest as users give them (a drawn polygon, a rectangle, a point with
a radius, or an imported polygon) and their buffer in the unit they chose."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.errors import FieldError

UNITS_M = {"m": 1.0, "ft": 0.3048, "mi": 1609.344}
MAX_BUFFER_M = 100_000  # as the aois.buffer_meters check
MAX_RADIUS_M = 50_000
MAX_VERTICES = 20_000


class ShapeError(FieldError):
    """An area that cannot be drawn or stored."""


@dataclass(frozen=True)
class Area:
    geometry: dict | None  # GeoJSON Polygon/MultiPolygon; None for a circle (made in PostGIS)
    shape: dict  # how it was drawn, to edit it as drawn
    buffer_m: int
    buffer_unit: str


def buffer_meters(value, unit: str) -> int:
    if unit not in UNITS_M:
        raise ShapeError("buffer_unit", f"must be one of {', '.join(UNITS_M)}")
    try:
        v = float(value or 0)
    except (TypeError, ValueError):
        raise ShapeError("buffer", "must be a number") from None
    meters = round(v * UNITS_M[unit])
    if not (math.isfinite(v) and 0 <= meters <= MAX_BUFFER_M):
        raise ShapeError("buffer", f"must be between 0 and {MAX_BUFFER_M / UNITS_M[unit]:,.0f} {unit}")
    return meters


def _lonlat(p, field: str) -> list[float]:
    try:
        lon, lat = float(p[0]), float(p[1])
    except (TypeError, ValueError, IndexError):
        raise ShapeError(field, f"has a position that is not [longitude, latitude]: {p!r}") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ShapeError(field, f"has a position outside longitude/latitude range: {p!r}")
    return [lon, lat]


def _ring(ring, field: str) -> list[list[float]]:
    if not isinstance(ring, list):
        raise ShapeError(field, "rings must be lists of positions")
    pts = [_lonlat(p, field) for p in ring]
    if pts and pts[0] != pts[-1]:
        pts.append(pts[0])  # drawing tools and hand-made files often leave rings open
    if len(pts) < 4 or len({tuple(p) for p in pts}) < 3:
        raise ShapeError(field, "a polygon needs at least three distinct corners")
    return pts


def polygon_geometry(geom, field: str = "geometry") -> dict:
    """A clean GeoJSON Polygon or MultiPolygon (rings closed, positions checked)."""
    if isinstance(geom, dict) and geom.get("type") == "Feature":
        geom = geom.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
        raise ShapeError(field, f"must be a GeoJSON Polygon or MultiPolygon, not {kind}")
    coords = geom.get("coordinates")
    polys = [coords] if geom["type"] == "Polygon" else coords
    if not isinstance(polys, list) or not polys or not all(isinstance(p, list) and p for p in polys):
        raise ShapeError(field, "has no coordinates")
    clean = [[_ring(r, field) for r in poly] for poly in polys]
    if sum(len(r) for poly in clean for r in poly) > MAX_VERTICES:
        raise ShapeError(field, f"has more than {MAX_VERTICES:,} vertices; simplify it first")
    return {"type": "MultiPolygon", "coordinates": clean}


def from_request(kind: str, data: dict, buffer, unit: str) -> Area:
    """kind: polygon | rectangle | circle."""
    buf = buffer_meters(buffer, unit)
    if kind == "polygon":
        return Area(polygon_geometry(data.get("geometry")), {"kind": "polygon"}, buf, unit)
    if kind == "rectangle":
        try:
            x0, y0, x1, y1 = (float(v) for v in data.get("bbox") or ())
        except (TypeError, ValueError):
            raise ShapeError("bbox", "must be [min_lon, min_lat, max_lon, max_lat]") from None
        if not (x0 < x1 and y0 < y1):
            raise ShapeError("bbox", "must have min < max")
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        return Area(polygon_geometry({"type": "Polygon", "coordinates": [ring]}, "bbox"), {"kind": "rectangle", "bbox": [x0, y0, x1, y1]}, buf, unit)
    if kind == "circle":
        center = _lonlat(data.get("center") or (), "center")
        radius = buffer_meters(data.get("radius"), data.get("radius_unit", unit))
        if not 0 < radius <= MAX_RADIUS_M:
            raise ShapeError("radius", f"must be more than 0 and at most {MAX_RADIUS_M / UNITS_M[unit]:,.0f} {unit}")
        return Area(None, {"kind": "circle", "center": center, "radius_m": radius}, buf, unit)
    raise ShapeError("kind", "must be polygon, rectangle or circle")

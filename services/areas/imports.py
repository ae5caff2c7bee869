"""PURE: areas of interest from files users already have: GeoJSON, KML (Google Earth) and
zipped shapefiles. Each polygon feature becomes one named area; anything else is reported,
never silently skipped."""

from __future__ import annotations

import io
import json
import zipfile

import shapefile
from defusedxml import ElementTree

from services.areas.shapes import ShapeError, polygon_geometry

MAX_FEATURES = 200
MAX_BYTES = 10 * 1024 * 1024
# A .prj naming a geographic CRS on WGS 84 or NAD 83 is taken as is (they differ by about a
# metre in Texas); projected coordinates would need reprojecting first.
GEOGRAPHIC = ("GEOGCS[\"GCS_WGS_1984\"", "GEOGCS[\"WGS 84\"", "GEOGCS[\"GCS_North_American_1983\"", "GEOGCS[\"NAD83\"")


def detect(filename: str, data: bytes) -> str:
    name = filename.lower()
    if name.endswith(".zip") or data[:2] == b"PK":
        return "shapefile"
    if name.endswith(".kml") or b"<kml" in data[:500]:
        return "kml"
    if name.endswith((".geojson", ".json")) or data.lstrip()[:1] == b"{":
        return "geojson"
    raise ShapeError("file", "must be GeoJSON (.geojson), KML (.kml) or a zipped shapefile (.zip)")


def parse(filename: str, data: bytes) -> tuple[str, list[tuple[str, dict]]]:
    """(format, [(name, MultiPolygon GeoJSON)])."""
    if len(data) > MAX_BYTES:
        raise ShapeError("file", f"is larger than {MAX_BYTES // 1024 // 1024} MB")
    kind = detect(filename, data)
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "Imported area"
    areas = {"geojson": _geojson, "kml": _kml, "shapefile": _shapefile}[kind](data, stem)
    if not areas:
        raise ShapeError("file", "holds no polygons")
    if len(areas) > MAX_FEATURES:
        raise ShapeError("file", f"holds {len(areas)} polygons; at most {MAX_FEATURES} can be imported at once")
    return kind, areas


def _name(props: dict | None, fallback: str) -> str:
    for key in ("name", "Name", "NAME", "title", "LEASE_NAME", "label"):
        if props and str(props.get(key) or "").strip():
            return str(props[key]).strip()[:120]
    return fallback


def _geojson(data: bytes, stem: str) -> list[tuple[str, dict]]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ShapeError("file", f"is not valid JSON: {exc}") from None
    feats = doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else [doc]
    out = []
    for i, f in enumerate(feats or [], 1):
        geom = f.get("geometry") if isinstance(f, dict) and f.get("type") == "Feature" else f
        label = _name(f.get("properties") if isinstance(f, dict) else None, f"{stem} {i}" if len(feats) > 1 else stem)
        out.append((label, polygon_geometry(geom, f"feature {i} ({label})")))
    return out


def _kml(data: bytes, stem: str) -> list[tuple[str, dict]]:
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # noqa: BLE001 -- defusedxml raises several kinds for hostile or broken XML
        raise ShapeError("file", f"is not readable KML: {exc}") from None
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    out = []
    for i, pm in enumerate(root.iter(f"{ns}Placemark"), 1):
        label = (pm.findtext(f"{ns}name") or "").strip() or f"{stem} {i}"
        polys = []
        for poly in pm.iter(f"{ns}Polygon"):
            outer = poly.find(f"{ns}outerBoundaryIs/{ns}LinearRing/{ns}coordinates")
            inners = poly.findall(f"{ns}innerBoundaryIs/{ns}LinearRing/{ns}coordinates")
            if outer is None:
                raise ShapeError("file", f"placemark {label!r} has a polygon without an outer boundary")
            polys.append([_kml_ring(outer.text, label)] + [_kml_ring(r.text, label) for r in inners])
        if polys:
            out.append((label[:120], polygon_geometry({"type": "MultiPolygon", "coordinates": polys}, f"placemark {label!r}")))
    return out


def _kml_ring(text: str | None, label: str) -> list[list[float]]:
    try:
        return [[float(v) for v in tok.split(",")[:2]] for tok in (text or "").split()]
    except ValueError:
        raise ShapeError("file", f"placemark {label!r} has coordinates that are not lon,lat[,alt]") from None


def _shapefile(data: bytes, stem: str) -> list[tuple[str, dict]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ShapeError("file", "is not a readable zip archive") from None
    members = {n.lower().rsplit(".", 1)[-1]: n for n in zf.namelist() if not n.startswith("__MACOSX") and "." in n}
    missing = [ext for ext in ("shp", "shx", "dbf") if ext not in members]
    if missing:
        raise ShapeError("file", f"the zip has no .{', .'.join(missing)} file (a shapefile needs .shp, .shx and .dbf)")
    if "prj" in members:
        prj = zf.read(members["prj"]).decode("latin-1")
        if not prj.startswith(GEOGRAPHIC):
            raise ShapeError("file", "the shapefile is in a projected coordinate system; export it as WGS 84 (EPSG:4326) longitude/latitude")
    stem = members["shp"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        reader = shapefile.Reader(shp=io.BytesIO(zf.read(members["shp"])), shx=io.BytesIO(zf.read(members["shx"])),
                                  dbf=io.BytesIO(zf.read(members["dbf"])))
        records = list(reader.iterShapeRecords())
    except shapefile.ShapefileException as exc:
        raise ShapeError("file", f"is not a readable shapefile: {exc}") from None
    out = []
    for i, sr in enumerate(records, 1):
        if sr.shape.shapeType not in (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM):
            raise ShapeError("file", f"shape {i} is a {sr.shape.shapeTypeName}, not a polygon")
        label = _name(sr.record.as_dict(), f"{stem} {i}" if len(records) > 1 else stem)
        out.append((label, polygon_geometry(sr.shape.__geo_interface__, f"shape {i} ({label})")))
    return out

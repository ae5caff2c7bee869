"""PURE: what an export can hold. Permit columns by key (a label a landman reads, and the SQL
over `permits_current c`, its version `v` and that version's ingestion run `r`), the
provenance every row carries whatever was chosen, and the export request's validation."""

from __future__ import annotations

from services.errors import FieldError

# key: (label, SQL, cell type: text | int | num | date)
PERMIT_COLUMNS: dict[str, tuple[str, str, str]] = {
    "api_number": ("API number", "c.api_number", "text"),
    "operator_name": ("Operator", "c.operator_name", "text"),
    "operator_number": ("Operator P-5", "c.operator_number", "text"),
    "lease_name": ("Lease", "c.lease_name", "text"),
    "well_number": ("Well", "c.well_number", "text"),
    "county": ("County", "c.county", "text"),
    "district": ("District", "c.district", "text"),
    "filing_purpose": ("Filing purpose", "c.filing_purpose", "text"),
    "wellbore_profile": ("Wellbore profile", "c.wellbore_profile", "text"),
    "total_depth": ("Total depth (ft)", "c.total_depth", "int"),
    "status": ("Application status", "c.status", "text"),
    "well_status": ("Well status", "c.well_status", "text"),
    "filed_date": ("Filed", "c.filed_date", "date"),
    "issued_date": ("Issued", "c.issued_date", "date"),
    "amended_date": ("Amended", "c.amended_date", "date"),
    "spud_date": ("Spudded", "c.spud_date", "date"),
    "expiration_date": ("Expires", "c.expiration_date", "date"),
    "amendment_count": ("Amendments", "c.amendment_count", "int"),
    "legal_description": ("Legal description", "c.legal_text", "text"),
    "latitude": ("Latitude", "round(ST_Y(c.geom)::numeric, 6)", "num"),
    "longitude": ("Longitude", "round(ST_X(c.geom)::numeric, 6)", "num"),
}
# Where each row comes from, in every export: the permit, its version, the RRC file and when
# the RRC published it.
PROVENANCE: dict[str, tuple[str, str, str]] = {
    "status_number": ("Status number", "c.status_number", "text"),
    "version": ("Version (filing sequence)", "c.sequence", "int"),
    "source_file": ("Source file", "regexp_replace(r.source_uri, '^.*/', '')", "text"),
    "published_at": ("RRC published (UTC)", "to_char(r.snapshot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", "text"),
}
AREA_COLUMNS: list[tuple[str, str, str]] = [
    ("Name", "name", "text"), ("Buffer (m)", "coalesce(buffer_meters, 0)", "int"),
    ("Area (km²)", "round((ST_Area(geom::geography) / 1e6)::numeric, 3)", "num"), ("Created", "created_at::date", "date"),
]
DEFAULT_COLUMNS = ("api_number", "operator_name", "lease_name", "well_number", "county", "district", "filing_purpose",
                   "wellbore_profile", "total_depth", "status", "filed_date", "issued_date", "spud_date", "latitude", "longitude")
FORMATS = {"permits": ("csv", "xlsx", "geojson", "kml", "shapefile"), "areas": ("csv", "xlsx", "geojson", "kml", "shapefile")}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "geojson": "geojson", "kml": "kml", "shapefile": "zip", "pdf": "pdf"}
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml", "shapefile": "application/zip",
               "pdf": "application/pdf"}


def choose(kind: str, fmt: str, columns: list[str] | None) -> list[str]:
    """The permit columns of an export in order (provenance comes first, always), or
    FieldError naming what is wrong."""
    if kind not in FORMATS:
        raise FieldError("kind", f"must be one of {', '.join(FORMATS)}")
    if fmt not in FORMATS[kind]:
        raise FieldError("format", f"{kind} export as {', '.join(FORMATS[kind])}")
    if kind == "areas":
        if columns:
            raise FieldError("columns", "an areas export has its own columns")
        return []
    chosen = list(columns) if columns else list(DEFAULT_COLUMNS)
    unknown = [c for c in chosen if c not in PERMIT_COLUMNS and c not in PROVENANCE]
    if unknown:
        raise FieldError("columns", f"unknown column {unknown[0]!r}; columns are {', '.join(PERMIT_COLUMNS)}")
    return [c for c in dict.fromkeys(chosen) if c not in PROVENANCE]


def select_list(columns: list[str]) -> list[tuple[str, str, str]]:
    """(label, SQL, cell type) of every column written: provenance, then the chosen ones."""
    return [PROVENANCE[k] for k in PROVENANCE] + [PERMIT_COLUMNS[k] for k in columns]

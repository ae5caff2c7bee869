"""PURE: the SQL for one map tile. Three shapes, all one ST_AsMVT layer named `permits`:

- `grid` (zoom <= GRID_MAX_ZOOM, filters the grid keeps): counts per grid cell summed from
  the `permit_grid` materialized view; no tile reads more than a few thousand rows.
- `grid_live` (the same zooms, filtered by operator, depth or dates): the same cells counted
  from permits_current, where those filters' indexes narrow the rows.
- `points` (deeper zooms): one feature per permit with thin attributes; details come on click.

Aggregated features carry `count`; points carry the RRC status number as their feature id
(zero-padded to 7 digits in RRC's files), and `p` (filing purpose code), `s` (status) and `w`
(wellbore profile). Both are placed at their true positions in
EPSG:3857, clipped with a 64-unit buffer so symbols on a tile edge are drawn whole.
"""

from __future__ import annotations

from services.errors import InvalidInput
from services.permits.search import filter_clauses

GRID_MAX_ZOOM = 10  # as in migration 0005_web_app
GRID_CELLS_PER_TILE = 16
WORLD_M = 40075016.685578488
EXTENT, BUFFER = 4096, 64
MAX_ZOOM = 22
# Filters the grid holds as columns (with '' for unknown); the rest need permits_current.
GRID_FILTERS = {"counties": "county_code", "districts": "district", "filing_purposes": "filing_purpose_code",
                "profiles": "wellbore_profile", "statuses": "status"}


class TileError(InvalidInput):
    pass


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise TileError(f"zoom must be between 0 and {MAX_ZOOM}")
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise TileError(f"x and y must be between 0 and {2 ** z - 1} at zoom {z}")


def mode(z: int, filters: dict) -> str:
    if z > GRID_MAX_ZOOM:
        return "points"
    return "grid" if set(filters) <= set(GRID_FILTERS) else "grid_live"


def _envelope(margin: bool) -> str:
    return "ST_TileEnvelope(%(z)s, %(x)s, %(y)s" + (f", margin => {BUFFER / EXTENT})" if margin else ")")


def _cells_out() -> str:
    return (f"SELECT ST_AsMVT(t, 'permits', {EXTENT}, 'geom') FROM ("
            f"SELECT n AS count, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(mx, my), 3857), {_envelope(False)}, {EXTENT}, {BUFFER}, true) AS geom "
            "FROM cells) t WHERE geom IS NOT NULL")


def tile_sql(z: int, x: int, y: int, filters: dict) -> tuple[str, dict]:
    check_tile(z, x, y)
    params = {"z": z, "x": x, "y": y}
    m = mode(z, filters)
    if m == "grid":
        where, fp = filter_clauses(filters, "g", GRID_FILTERS)
        # Neighbouring cells too: their mean point may fall in this tile's buffer.
        params.update(fp, level=z, cx0=x * GRID_CELLS_PER_TILE - 1, cx1=(x + 1) * GRID_CELLS_PER_TILE,
                      cy0=y * GRID_CELLS_PER_TILE - 1, cy1=(y + 1) * GRID_CELLS_PER_TILE)
        cond = " AND ".join(["g.level = %(level)s", "g.cx BETWEEN %(cx0)s AND %(cx1)s", "g.cy BETWEEN %(cy0)s AND %(cy1)s", *where])
        cells = f"SELECT sum(g.n)::int AS n, sum(g.sx) / sum(g.n) AS mx, sum(g.sy) / sum(g.n) AS my FROM permit_grid g WHERE {cond} GROUP BY g.cx, g.cy"
        return f"WITH cells AS ({cells}) {_cells_out()}", params
    where, fp = filter_clauses(filters, "c")
    params.update(fp)
    cond = " AND ".join([f"c.geom_3857 && {_envelope(True)}", *where])
    if m == "grid_live":
        cell = WORLD_M / (2 ** z * GRID_CELLS_PER_TILE)
        cells = (f"SELECT count(*)::int AS n, avg(ST_X(c.geom_3857)) AS mx, avg(ST_Y(c.geom_3857)) AS my FROM permits_current c "
                 f"WHERE {cond} GROUP BY floor(ST_X(c.geom_3857) / {cell!r}), floor(ST_Y(c.geom_3857) / {cell!r})")
        return f"WITH cells AS ({cells}) {_cells_out()}", params
    # The RRC status number is the feature id (an integer in the tile, not a string in
    # its value table): the densest zoom-10 tiles stay under 500 KB.
    return (f"SELECT ST_AsMVT(t, 'permits', {EXTENT}, 'geom', 'fid') FROM ("
            f"SELECT CASE WHEN c.status_number ~ '^[0-9]{{1,18}}$' THEN c.status_number::bigint END AS fid, "
            f"c.filing_purpose_code AS p, c.status AS s, c.wellbore_profile AS w, "
            f"ST_AsMVTGeom(c.geom_3857, {_envelope(False)}, {EXTENT}, {BUFFER}, true) AS geom "
            f"FROM permits_current c WHERE {cond}) t", params)


def aoi_tile_sql(z: int, x: int, y: int) -> tuple[str, dict]:
    """The workspace's AOIs (RLS picks the workspace) with their buffered outline."""
    check_tile(z, x, y)
    env = _envelope(False)
    return (f"SELECT ST_AsMVT(t, 'aois', {EXTENT}, 'geom') FROM ("
            f"SELECT a.id::text AS id, a.name, a.buffer_meters AS buffer_m, k.kind, "
            f"ST_AsMVTGeom(ST_Transform(k.g, 3857), {env}, {EXTENT}, {BUFFER}, true) AS geom "
            f"FROM aois a CROSS JOIN LATERAL (VALUES ('area', a.geom), ('buffer', a.match_geom)) AS k(kind, g) "
            f"WHERE k.g && ST_Transform({_envelope(True)}, 4326) AND (k.kind = 'area' OR coalesce(a.buffer_meters, 0) > 0)) t "
            f"WHERE geom IS NOT NULL", {"z": z, "x": x, "y": y})


def county_tile_sql(z: int, x: int, y: int) -> tuple[str, dict]:
    """County outlines and names: a base map that needs no outside tile server. Outlines
    are simplified to about a pixel at this zoom."""
    check_tile(z, x, y)
    tolerance = WORLD_M / (2 ** z * 512)
    return (f"SELECT ST_AsMVT(t, 'counties', {EXTENT}, 'geom') FROM ("
            f"SELECT r.code, r.name, r.district, ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform(r.geom, 3857), %(tol)s), "
            f"{_envelope(False)}, {EXTENT}, {BUFFER}, true) AS geom "
            f"FROM ref_counties r WHERE r.geom && ST_Transform({_envelope(True)}, 4326)) t WHERE geom IS NOT NULL",
            {"z": z, "x": x, "y": y, "tol": tolerance})

"""The report's map, drawn without internet: county lines, the area and its buffer, the
period's permits (by wellbore) and the filings pending approval, projected by PostGIS to the
Texas Centric Lambert projection (EPSG:3081, metres) and scaled to the picture; the SVG is
composed by a pure function, with a legend and a scale bar."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

import psycopg

from services.ingestion.sources.pending import SOURCE as PENDING
from services.ingestion.sources.rrc import SOURCE as DAILY

WIDTH = 1000
BAND = 90  # under the map: legend and scale bar
PROJECTION = 3081
PROFILE_COLOURS = {"horizontal": "#1b7a36", "vertical": "#1f5fbf", "directional": "#d9730d"}
OTHER_COLOUR = "#6b6b6b"
PENDING_COLOUR = "#8e3ca0"
METRES_PER_MILE = 1609.344
EVERY_PERMIT = 3_000  # up to this many, each permit is drawn with its laterals
CELL = 8  # pixels: beyond that, permits closer than this are drawn as one circle sized by their number


@dataclass(frozen=True)
class Frame:
    x0: float
    y0: float
    x1: float
    y1: float
    height: int

    @property
    def scale(self) -> float:  # pixels per metre
        return WIDTH / (self.x1 - self.x0)


def frame_for(xmin: float, ymin: float, xmax: float, ymax: float, *, pad: float = 0.18, least_m: float = 8_000) -> Frame:
    """PURE: the area's extent padded, at least `least_m` across, with an aspect between 16:9
    and 5:4 (a page-wide picture that leaves room for the key numbers under it)."""
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    w, h = max(xmax - xmin, least_m) * (1 + 2 * pad), max(ymax - ymin, least_m) * (1 + 2 * pad)
    ratio = min(max(h / w, 9 / 16), 4 / 5)
    if h / w < ratio:
        h = w * ratio
    else:
        w = h / ratio
    return Frame(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, round(WIDTH * ratio))


def scale_bar(frame: Frame) -> tuple[float, str]:
    """PURE: a round distance (1, 2 or 5 times a power of ten, in miles) near a fifth of the
    picture's width: its length in pixels and its words."""
    target = (frame.x1 - frame.x0) / 5 / METRES_PER_MILE
    power = 10 ** math.floor(math.log10(target))
    miles = max((m * power for m in (1, 2, 5) if m * power <= target), default=power)
    label = f"{miles:g} mile" + ("" if miles == 1 else "s")
    return miles * METRES_PER_MILE * frame.scale, label


def _projected(expr: str) -> str:
    return f"ST_Scale(ST_Translate(ST_Transform({expr}, {PROJECTION}), -%(x0)s, -%(y1)s), %(k)s, %(k)s)"


def draw(conn: psycopg.Connection, aoi_id: uuid.UUID, start, end) -> str:
    """The map of the area and the period's permits, as SVG text."""
    cur = conn.cursor()
    ext = cur.execute(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(ST_Transform(match_geom, {PROJECTION})) e "
                      "FROM aois WHERE id = %s) t", (aoi_id,)).fetchone()
    frame = frame_for(*ext)
    p = {"aoi": aoi_id, "x0": frame.x0, "y1": frame.y1, "k": frame.scale, "tol": 2 / frame.scale, "daily": DAILY, "pending": PENDING,
         "s": start, "e": end}
    env = f"ST_Transform(ST_MakeEnvelope({frame.x0}, {frame.y0}, {frame.x1}, {frame.y1}, {PROJECTION}), 4326)"
    counties = cur.execute(f"""
        SELECT ST_AsSVG({_projected(f"ST_Simplify(ST_Intersection(ST_Boundary(r.geom), {env}), 0.0005)")}, 0, 1),
               r.name, ST_X(l), -ST_Y(l)
        FROM ref_counties r, LATERAL (SELECT {_projected(f"ST_PointOnSurface(ST_Intersection(r.geom, {env}))")} AS l) pt
        WHERE r.geom && {env} ORDER BY r.name""", p).fetchall()
    area = cur.execute(f"""SELECT ST_AsSVG({_projected('geom')}, 0, 1), CASE WHEN coalesce(buffer_meters, 0) > 0
                                  THEN ST_AsSVG({_projected('match_geom')}, 0, 1) END FROM aois WHERE id = %(aoi)s""", p).fetchone()
    where = f"""FROM permits_current c, aois a, LATERAL (SELECT {_projected('c.geom')} AS pt) q
        WHERE a.id = %(aoi)s AND c.geom && {env}
          AND ((c.source = %(daily)s AND c.issued_date BETWEEN %(s)s AND %(e)s) OR (c.source = %(pending)s AND c.status = 'pending'))
          AND ST_Intersects(c.geom, a.match_geom)"""
    if cur.execute(f"SELECT count(*) {where}", p).fetchone()[0] <= EVERY_PERMIT:
        permits = cur.execute(f"""
            SELECT ST_X(pt), -ST_Y(pt), c.wellbore_profile, c.source = %(pending)s,
                   (SELECT string_agg(ST_AsSVG(ST_MakeLine({_projected('c.geom')}, {_projected('d.geom')}), 0, 1), ' ')
                    FROM ST_Dump(c.bhl_geom) d), 1
            {where}""", p).fetchall()
    else:  # too many to tell apart on paper: permits a few pixels apart become one circle sized by their number
        permits = cur.execute(f"""
            SELECT avg(ST_X(pt)), -avg(ST_Y(pt)), c.wellbore_profile, c.source = %(pending)s, NULL, count(*)
            {where} GROUP BY floor(ST_X(pt) / {CELL}), floor(ST_Y(pt) / {CELL}), 3, 4""", p).fetchall()
    return compose(frame, counties, area, permits)


def compose(frame: Frame, counties: list[tuple], area: tuple, permits: list[tuple]) -> str:
    """PURE: the SVG document from projected pieces (pixel coordinates, y down): the map, and
    under it a band with the legend and the scale bar."""
    h = frame.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h + BAND}" width="{WIDTH}" height="{h + BAND}" '
           'font-family="DejaVu Sans">', f'<clipPath id="map"><rect width="{WIDTH}" height="{h}"/></clipPath>',
           f'<rect width="{WIDTH}" height="{h}" fill="#f7f5ef"/><g clip-path="url(#map)">']
    for path, _, _, _ in counties:
        if path:
            out.append(f'<path d="{path}" fill="none" stroke="#a39e93" stroke-width="1.5" stroke-dasharray="6 4"/>')
    geom, buffer = area
    if buffer:
        out.append(f'<path d="{buffer}" fill="#f2c14e" fill-opacity="0.18" stroke="#c9971a" stroke-width="2" stroke-dasharray="8 5"/>')
    out.append(f'<path d="{geom}" fill="#f2c14e" fill-opacity="0.28" stroke="#8a6500" stroke-width="3"/>')
    for _, name, x, y in counties:
        # a name that would run off the picture is left out rather than cut
        if x is not None and 12 * len(name) + 20 < x < WIDTH - 12 * len(name) - 20 and 30 < y < h - 10:
            out.append(f'<text x="{x:.0f}" y="{y:.0f}" font-size="20" fill="#7a756b" text-anchor="middle" letter-spacing="2">'
                       f'{escape(name.upper())}</text>')
    for x, y, profile, pending, laterals, n in permits:
        colour = PENDING_COLOUR if pending else PROFILE_COLOURS.get(profile or "", OTHER_COLOUR)
        if laterals:
            out.append(f'<path d="{laterals}" stroke="{colour}" stroke-width="2" fill="none"/>')
        r = 6 if n == 1 else min(6 + 2.5 * math.log2(n), 24)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{"#ffffff" if pending else colour}" '
                   f'fill-opacity="{1 if n == 1 else 0.55}" stroke="{colour}" stroke-width="2.5"/>')
    out.append(f'</g><rect width="{WIDTH}" height="{h}" fill="none" stroke="#d8d3c4" stroke-width="2"/>'
               f'<g transform="translate({WIDTH - 20},{h + 44})"><path d="M0 -28 L12 8 L0 0 L-12 8 Z" fill="#333"/>'
               '<text y="30" font-size="20" text-anchor="middle" fill="#333">N</text></g>')
    out.extend(_legend(h))
    bar, words = scale_bar(frame)
    out.append(f'<g transform="translate({WIDTH - bar - 60:.0f},{h + 62})"><path d="M0 0 H{bar:.0f} M0 -8 V8 M{bar:.0f} -8 V8" '
               f'stroke="#333" stroke-width="3"/><text x="{bar / 2:.0f}" y="-14" font-size="18" text-anchor="middle" fill="#333">{words}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _legend(h: int) -> list[str]:
    """Two rows under the map: the permit symbols, then the area and the county lines."""
    out = []
    row1 = [(c, False, f"{p.capitalize()}") for p, c in PROFILE_COLOURS.items()] + [(PENDING_COLOUR, True, "Filing pending approval")]
    x = 10
    for colour, hollow, words in row1:
        out.append(f'<circle cx="{x + 8}" cy="{h + 28}" r="7" fill="{"#ffffff" if hollow else colour}" stroke="{colour}" stroke-width="2.5"/>'
                   f'<text x="{x + 24}" y="{h + 34}" font-size="18" fill="#333">{words}</text>')
        x += 40 + 11 * len(words)
    out.append(f'<rect x="10" y="{h + 58}" width="16" height="16" fill="#f2c14e" fill-opacity="0.5" stroke="#8a6500" stroke-width="2"/>'
               f'<text x="34" y="{h + 72}" font-size="18" fill="#333">The area (dashed: with its buffer)</text>'
               f'<path d="M360 {h + 66} H390" stroke="#a39e93" stroke-width="2" stroke-dasharray="6 4"/>'
               f'<text x="398" y="{h + 72}" font-size="18" fill="#333">County line</text>'
               f'<path d="M520 {h + 66} H550" stroke="{PROFILE_COLOURS["horizontal"]}" stroke-width="2"/>'
               f'<text x="558" y="{h + 72}" font-size="18" fill="#333">Lateral</text>'
               f'<text x="640" y="{h + 72}" font-size="16" fill="#555">(bigger circle: several permits)</text>')
    return out

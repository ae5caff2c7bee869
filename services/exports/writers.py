"""Writing an export file from a query, streamed: rows come from a server-side cursor (or
`COPY` for CSV, the fastest path PostgreSQL has) and go to a file on local disk; nothing
holds the whole result in memory. `progress(rows)` is called every few thousand rows.

Permits: CSV, XLSX (split into sheets at Excel's row limit, said in the file), GeoJSON,
KML (styled placemarks, laterals from the surface to each bottom hole) and a zipped
shapefile (points and laterals, with .prj). Areas: the same formats with polygons."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import psycopg
import shapefile
import xlsxwriter

Progress = Callable[[int], None]
EXCEL_ROWS = 1_048_576  # per sheet, the header included
EVERY = 5_000
WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')
# KML colours are aabbggrr; one per filing purpose as on the map, grey for the rest.
PURPOSE_COLOURS = {"New Drill": "ffd06d1a", "Amended Drill": "ffa03c8e", "Horizontal": "ff2e8b2f", "Recompletion": "ff1c7be8",
                   "Plug Back": "ff2b4f8b"}


def copy_csv(conn: psycopg.Connection, sql: str, params: dict, out: Path, progress: Progress) -> int:
    """CSV straight from PostgreSQL's COPY: a header of the column labels, dates ISO."""
    rows = 0
    with out.open("wb") as fh, conn.cursor().copy(f"COPY ({_inline(conn, sql, params)}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp:
        for chunk in cp:
            fh.write(chunk)
            before, rows = rows, rows + bytes(chunk).count(b"\n")
            if rows // EVERY != before // EVERY:
                progress(max(rows - 1, 0))
    return max(rows - 1, 0)


def _inline(conn: psycopg.Connection, sql: str, params: dict) -> str:
    # COPY takes no parameters; psycopg's client-side binding quotes each value safely.
    return psycopg.ClientCursor(conn).mogrify(sql, params)


def stream(conn: psycopg.Connection, sql: str, params: dict, name: str = "export") -> tuple[list[str], Iterator[tuple]]:
    """(column labels, rows) from a named (server-side) cursor, fetched in batches."""
    cur = conn.cursor(name=name)
    cur.itersize = 5_000
    cur.execute(sql, params)
    first = cur.fetchmany(1)
    labels = [d.name for d in cur.description]

    def rows() -> Iterator[tuple]:
        yield from first
        yield from cur
    return labels, rows()


def write_xlsx(labels: list[str], rows: Iterator[tuple], out: Path, progress: Progress, *, title: str, about: list[str],
               sheet_rows: int = EXCEL_ROWS) -> int:
    """XLSX in constant-memory mode; past `sheet_rows` (Excel's limit) the rows go on in a
    new sheet, and the About sheet says so."""
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                          "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
    info = book.add_worksheet("About")
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    sheets, n, sheet, r = 0, 0, None, 0
    for row in rows:
        if sheet is None or r == sheet_rows:
            sheets += 1
            sheet = book.add_worksheet(title[:25] if sheets == 1 else f"{title[:20]} ({sheets})")
            sheet.write_row(0, 0, labels, bold)
            sheet.freeze_panes(1, 0)
            r = 1
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                sheet.write_string(r, c, v)
            elif isinstance(v, date | datetime):
                sheet.write_datetime(r, c, v if isinstance(v, datetime) else datetime(v.year, v.month, v.day), day)
            elif isinstance(v, int | float | Decimal):
                sheet.write_number(r, c, float(v))
            else:
                sheet.write_string(r, c, str(v))
        r += 1
        n += 1
        if n % EVERY == 0:
            progress(n)
    if sheet is None:
        sheet = book.add_worksheet(title[:25])
        sheet.write_row(0, 0, labels, bold)
    lines = [*about, f"{n:,} rows."]
    if sheets > 1:
        lines.append(f"Split into {sheets} sheets: an Excel sheet holds at most {sheet_rows - 1:,} rows under its header.")
    for i, line in enumerate(lines):
        info.write_string(i, 0, line, bold if i == 0 else None)
    info.set_column(0, 0, 110)
    book.close()
    return n


def write_geojson(labels: list[str], rows: Iterator[tuple], out: Path, progress: Progress) -> int:
    """A FeatureCollection: each row a feature (its geometry from the `geometry` column, as
    GeoJSON text), the other columns its properties; `laterals` adds LineString features."""
    n = 0
    gi, li = labels.index("geometry"), labels.index("laterals") if "laterals" in labels else None
    props = [(i, lab) for i, lab in enumerate(labels) if i not in (gi, li)]
    with out.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        sep = ""
        for row in rows:
            p = {lab: _json_value(row[i]) for i, lab in props}
            geometry = row[gi] if row[gi] else "null"
            fh.write(f'{sep}{{"type": "Feature", "geometry": {geometry}, "properties": {json.dumps(p)}}}')
            sep = ",\n"
            if li is not None and row[li]:
                fh.write(f'{sep}{{"type": "Feature", "geometry": {row[li]}, "properties": '
                         f'{json.dumps({labels[props[0][0]]: p[props[0][1]], "feature": "lateral (surface to bottom holes)"})}}}')
            n += 1
            if n % EVERY == 0:
                progress(n)
        fh.write("\n]}\n")
    return n


def _json_value(v):
    if isinstance(v, date | datetime):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def write_kml(labels: list[str], rows: Iterator[tuple], out: Path, progress: Progress, *, title: str, name_of: Callable[[dict], str],
              style_of: Callable[[dict], str | None]) -> int:
    """KML for Google Earth: one placemark per row named by `name_of`, styled by `style_of`
    (a filing purpose), its columns as a description table and ExtendedData."""
    n = 0
    gi, li = labels.index("geometry"), labels.index("laterals") if "laterals" in labels else None
    shown = [(i, lab) for i, lab in enumerate(labels) if i not in (gi, li)]
    with out.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                 f"<name>{escape(title)}</name>")
        for purpose, colour in [*PURPOSE_COLOURS.items(), ("other", "ff7f7f7f")]:
            fh.write(f'<Style id="{_style_id(purpose)}"><IconStyle><color>{colour}</color><scale>0.9</scale>'
                     '<Icon><href>http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png</href></Icon></IconStyle>'
                     f"<LineStyle><color>{colour}</color><width>2</width></LineStyle>"
                     f"<PolyStyle><color>{'55' + colour[2:]}</color></PolyStyle></Style>")
        for row in rows:
            d = {lab: row[i] for i, lab in shown}
            style = style_of(d)
            table = "".join(f"<tr><th align='left'>{escape(lab)}</th><td>{escape(_text(v))}</td></tr>" for lab, v in d.items() if v is not None)
            data = "".join(f'<Data name="{escape(lab, {chr(34): "&quot;"})}"><value>{escape(_text(v))}</value></Data>' for lab, v in d.items())
            geoms = [_kml_geometry(json.loads(row[gi]))] if row[gi] else []
            if li is not None and row[li]:
                geoms.append(_kml_geometry(json.loads(row[li])))
            geometry = geoms[0] if len(geoms) == 1 else f"<MultiGeometry>{''.join(geoms)}</MultiGeometry>" if geoms else ""
            fh.write(f"<Placemark><name>{escape(name_of(d))}</name><styleUrl>#{_style_id(style if style in PURPOSE_COLOURS else 'other')}</styleUrl>"
                     f"<description><![CDATA[<table>{table.replace(']]>', ']]&gt;')}</table>]]></description>"
                     f"<ExtendedData>{data}</ExtendedData>{geometry}</Placemark>\n")
            n += 1
            if n % EVERY == 0:
                progress(n)
        fh.write("</Document></kml>\n")
    return n


def _style_id(purpose: str) -> str:
    return "p-" + "".join(ch for ch in purpose.lower() if ch.isalnum())


def _text(v) -> str:
    return v.isoformat() if isinstance(v, date | datetime) else "" if v is None else str(v)


def _kml_geometry(g: dict) -> str:
    def coords(ring):
        return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in ring)
    t, c = g["type"], g["coordinates"]
    if t == "Point":
        return f"<Point><coordinates>{c[0]:.6f},{c[1]:.6f}</coordinates></Point>"
    if t == "LineString":
        return f"<LineString><coordinates>{coords(c)}</coordinates></LineString>"
    if t == "MultiLineString":
        return "<MultiGeometry>" + "".join(f"<LineString><coordinates>{coords(line)}</coordinates></LineString>" for line in c) + "</MultiGeometry>"
    polys = [c] if t == "Polygon" else c
    return "<MultiGeometry>" + "".join(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>" + coords(p[0]) + "</coordinates></LinearRing></outerBoundaryIs>"
        + "".join(f"<innerBoundaryIs><LinearRing><coordinates>{coords(h)}</coordinates></LinearRing></innerBoundaryIs>" for h in p[1:])
        + "</Polygon>" for p in polys) + "</MultiGeometry>"


def write_shapefile(labels: list[str], rows: Iterator[tuple], out: Path, progress: Progress, *, layer: str) -> int:
    """A zip of shapefiles (WGS 84 .prj, UTF-8 .cpg): `layer` with the rows' geometry
    (points or polygons), and `<layer>_laterals` lines when the rows have laterals. DBF
    field names are at most 10 characters; the zip's README lists the full names."""
    gi, li = labels.index("geometry"), labels.index("laterals") if "laterals" in labels else None
    fields = [(i, lab) for i, lab in enumerate(labels) if i not in (gi, li)]
    names = _dbf_names([lab for _, lab in fields])
    tmp = out.with_suffix(".parts")
    tmp.mkdir(exist_ok=True)
    base, lat_base = tmp / layer, tmp / f"{layer}_laterals"
    n = 0
    with shapefile.Writer(str(base), encoding="utf-8") as w, shapefile.Writer(str(lat_base), shapeType=shapefile.POLYLINE, encoding="utf-8") as lw:
        for name in names:
            w.field(name, "C", size=254)
        lw.field(names[0], "C", size=254)
        for row in rows:
            geom = json.loads(row[gi]) if row[gi] else None
            if geom is None:
                w.null()
            elif geom["type"] == "Point":
                w.point(*geom["coordinates"][:2])
            else:
                w.poly([ring for poly in ([geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]) for ring in poly])
            w.record(*[_text(row[i])[:254] for i, _ in fields])
            if li is not None and row[li]:
                lines = json.loads(row[li])
                lw.line(lines["coordinates"] if lines["type"] == "MultiLineString" else [lines["coordinates"]])
                lw.record(_text(row[fields[0][0]]))
            n += 1
            if n % EVERY == 0:
                progress(n)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        parts = [base] + ([lat_base] if li is not None else [])
        for b in parts:
            for ext in ("shp", "shx", "dbf"):
                z.write(b.with_suffix(f".{ext}"), f"{b.name}.{ext}")
            z.writestr(f"{b.name}.prj", WGS84_PRJ)
            z.writestr(f"{b.name}.cpg", "UTF-8")
        z.writestr("README.txt", "Columns (DBF names are cut to 10 characters):\n"
                   + "".join(f"{short}: {lab}\n" for short, (_, lab) in zip(names, fields, strict=True)))
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return n


def _dbf_names(labels: list[str]) -> list[str]:
    out: list[str] = []
    for lab in labels:
        base = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in lab.upper()).strip("_")[:10] or "FIELD"
        name, k = base, 1
        while name in out:
            k += 1
            name = f"{base[:10 - len(str(k))]}{k}"
        out.append(name)
    return out

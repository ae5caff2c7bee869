"""Writing an export file from a query, streamed: rows come from a server-side cursor (or
`COPY` for CSV, the fastest path PostgreSQL has) and go to a file on local disk; nothing
holds the whole result in memory. `progress(rows)` is called every few thousand rows.

Permits: CSV and XLSX (rows rendered by PostgreSQL and streamed by COPY; a workbook splits
into sheets at Excel's row limit, said in the file), GeoJSON,
KML (styled placemarks, laterals from the surface to each bottom hole) and a zipped
shapefile (points and laterals, with .prj). Areas: the same formats with polygons."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import psycopg
import shapefile

Progress = Callable[[int], None]
EXCEL_ROWS = 1_048_576  # per sheet, the header included
EVERY = 5_000
WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')
# KML colours are aabbggrr; one per filing purpose as on the map, grey for the rest.
PURPOSE_COLOURS = {"New Drill": "ffd06d1a", "Amended Drill": "ffa03c8e", "Horizontal": "ff2e8b2f", "Recompletion": "ff1c7be8",
                   "Plug Back": "ff2b4f8b"}


class _Counted:
    """Rows passed through, counted, with progress every EVERY rows."""

    def __init__(self, rows: Iterator[tuple], progress: Progress):
        self.rows, self.progress, self.n = rows, progress, 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            yield row
            self.n += 1
            if self.n % EVERY == 0:
                self.progress(self.n)


def copy_csv(conn: psycopg.Connection, sql: str, params: dict, out: Path, progress: Progress) -> int:
    """CSV straight from PostgreSQL's COPY: a header of the column labels, dates ISO. The
    row count is COPY's own (a quoted value may hold a line break; progress counts lines)."""
    lines, cur = 0, conn.cursor()
    with out.open("wb") as fh, cur.copy(f"COPY ({_inline(conn, sql, params)}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp:
        for chunk in cp:
            fh.write(chunk)
            before, lines = lines, lines + bytes(chunk).count(b"\n")
            if lines // EVERY != before // EVERY:
                progress(max(lines - 1, 0))
    return cur.rowcount


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


# SpreadsheetML, written by PostgreSQL: each result row becomes one <row> of cells (inline
# strings, numbers, dates as serial days with the date style), streamed by COPY into the
# worksheet's zip entry. Empty cells are kept as <c/> so columns stay in place.
_TEXT = ("replace(replace(replace(regexp_replace(({0})::text, '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\r\\n]', ' ', 'g'), "
         "'&', '&amp;'), '<', '&lt;'), '>', '&gt;')")
_CELL = {"text": "'<c t=\"inlineStr\"><is><t xml:space=\"preserve\">' || " + _TEXT + " || '</t></is></c>'",
         "int": "'<c><v>' || ({0})::text || '</v></c>'", "num": "'<c><v>' || ({0})::text || '</v></c>'",
         "date": "'<c s=\"1\"><v>' || (({0})::date - date '1899-12-30')::text || '</v></c>'"}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + _NS + '><sheetViews><sheetView workbookViewId="0">'
               '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>')
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet ' + _NS + '>'
           '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def xlsx_row_sql(items: list[tuple[str, str, str]]) -> str:
    """The SQL expression of one spreadsheet row for (label, SQL, cell type) columns."""
    return "'<row>' || " + " || ".join(f"coalesce({_CELL[kind].format(expr)}, '<c/>')" for _, expr, kind in items) + " || '</row>'"


def _inline_row(values: list[str], style: int | None = None) -> str:
    s = f' s="{style}"' if style else ""
    return "<row>" + "".join(f'<c t="inlineStr"{s}><is><t xml:space="preserve">{escape(v)}</t></is></c>' for v in values) + "</row>"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(v, kind: str) -> str:
    if v is None or v == "":
        return "<c/>"
    if kind == "date":
        return f'<c s="1"><v>{(v - date(1899, 12, 30)).days}</v></c>'
    if kind in ("int", "num") and isinstance(v, int | float | Decimal):
        return f"<c><v>{v}</v></c>"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(_CONTROL.sub(" ", " ".join(str(v).split())))}</t></is></c>'


class XlsxStream:
    """A workbook written as a stream of zip entries: an About sheet, then the data sheets,
    each `sheet_rows` rows at most (Excel's limit, the header included); past that the rows
    go on in a new sheet and the About sheet says so."""

    def __init__(self, out: Path, labels: list[str], title: str, sheet_rows: int = EXCEL_ROWS):
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheet_rows = sheet_rows
        self.sheets: list[str] = []
        self.entry, self.in_sheet, self.rows = None, 0, 0
        self.table(title, labels)

    def table(self, title: str, labels: list[str]) -> None:
        """Rows written from here on are another table, on sheets of their own."""
        self._end_sheet()
        self.entry, self.part = None, 0
        self.header, self.title = _inline_row(labels, style=2), title

    def _new_sheet(self) -> None:
        self._end_sheet()
        self.part += 1
        self.sheets.append(self.title[:25] if self.part == 1 else f"{self.title[:20]} ({self.part})")
        self.entry = self.zip.open(f"xl/worksheets/sheet{len(self.sheets) + 1}.xml", "w", force_zip64=True)
        self.entry.write((_SHEET_HEAD + self.header).encode())
        self.in_sheet = 1

    def _end_sheet(self) -> None:
        if self.entry is not None:
            self.entry.write(b"</sheetData></worksheet>")
            self.entry.close()
            self.entry = None

    def write_rows(self, lines, progress: Progress) -> None:
        """Rows as rendered <row> lines (bytes, newline-terminated, several per chunk allowed)."""
        for chunk in lines:
            for line in bytes(chunk).splitlines():
                if self.entry is None or self.in_sheet == self.sheet_rows:
                    self._new_sheet()
                self.entry.write(line)
                self.in_sheet += 1
                self.rows += 1
                if self.rows % EVERY == 0:
                    progress(self.rows)

    def write_values(self, rows: list[list], types: list[str]) -> None:
        """Rows of Python values (str, int, float, date or None) as cells of the given types."""
        self.write_rows(("".join("<row>" + "".join(_cell(v, t) for v, t in zip(row, types, strict=True)) + "</row>")
                         .encode() for row in rows), lambda n: None)
        if self.entry is None:
            self._new_sheet()  # a table with no rows still has its sheet and header

    def close(self, about: list[str]) -> int:
        if self.entry is None and not self.sheets:
            self._new_sheet()
        self._end_sheet()
        lines = [*about, f"{self.rows:,} rows."]
        if len(self.sheets) > 1:
            lines.append(f"Split into {len(self.sheets)} sheets: an Excel sheet holds at most {self.sheet_rows - 1:,} rows under its header.")
        info = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + _NS + '><cols><col min="1" max="1" width="110"/></cols>'
                "<sheetData>" + "".join(_inline_row([line], style=2 if i == 0 else None) for i, line in enumerate(lines)) + "</sheetData></worksheet>")
        names = ["About", *self.sheets]
        z = self.zip
        z.writestr("xl/worksheets/sheet1.xml", info)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook ' + _NS
                   + ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   + "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
                   + "</sheets></workbook>")
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
                   + f'<Relationship Id="rId{len(names) + 1}" Type="{rel}/styles" Target="styles.xml"/></Relationships>')
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>' for i in range(1, len(names) + 1))
                   + "</Types>")
        z.close()
        return self.rows


def copy_xlsx(conn: psycopg.Connection, items: list[tuple[str, str, str]], rest: str, params: dict, out: Path, progress: Progress, *,
              title: str, about: list[str], sheet_rows: int = EXCEL_ROWS) -> int:
    """XLSX whose rows PostgreSQL renders (`SELECT <row> <rest>`), streamed by COPY: no cell
    passes through Python one by one. The odd delimiter and quote characters never occur in
    a rendered row (control characters are blanked), so each line is the row as rendered."""
    book = XlsxStream(out, [label for label, _, _ in items], title, sheet_rows)
    sql = f"SELECT {xlsx_row_sql(items)} {rest}"
    with conn.cursor().copy(f"COPY ({_inline(conn, sql, params)}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x03')") as cp:
        book.write_rows(cp, progress)
    return book.close(about)


def write_geojson(labels: list[str], rows: Iterator[tuple], out: Path, progress: Progress) -> int:
    """A FeatureCollection: each row a feature (its geometry from the `geometry` column, as
    GeoJSON text), the other columns its properties; `laterals` adds LineString features."""
    counted = _Counted(rows, progress)
    gi, li = labels.index("geometry"), labels.index("laterals") if "laterals" in labels else None
    props = [(i, lab) for i, lab in enumerate(labels) if i not in (gi, li)]
    with out.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        sep = ""
        for row in counted:
            p = {lab: _json_value(row[i]) for i, lab in props}
            geometry = row[gi] if row[gi] else "null"
            fh.write(f'{sep}{{"type": "Feature", "geometry": {geometry}, "properties": {json.dumps(p)}}}')
            sep = ",\n"
            if li is not None and row[li]:
                fh.write(f'{sep}{{"type": "Feature", "geometry": {row[li]}, "properties": '
                         f'{json.dumps({labels[props[0][0]]: p[props[0][1]], "feature": "lateral (surface to bottom holes)"})}}}')
        fh.write("\n]}\n")
    return counted.n


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
    counted = _Counted(rows, progress)
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
        for row in counted:
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
        fh.write("</Document></kml>\n")
    return counted.n


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
    counted = _Counted(rows, progress)
    with shapefile.Writer(str(base), encoding="utf-8") as w, shapefile.Writer(str(lat_base), shapeType=shapefile.POLYLINE, encoding="utf-8") as lw:
        for name in names:
            w.field(name, "C", size=254)
        lw.field(names[0], "C", size=254)
        for row in counted:
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
    return counted.n


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

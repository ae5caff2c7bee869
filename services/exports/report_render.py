"""An AOI Activity Report as files: the PDF from the project's HTML template (WeasyPrint,
fonts from the machine, the map inline as SVG, so nothing is fetched) and an XLSX with the
same tables, one sheet each."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.exports.report_content import SHOWN_ROWS, Report
from services.exports.writers import XlsxStream

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
# Column widths (percent of the page) per table: a fixed table layout, so typesetting does
# not measure every cell first (a third of the PDF's time, measured).
WIDTHS = {"new": (13, 9, 20, 16, 10, 14, 10, 8), "pending": (13, 9, 20, 16, 10, 14, 10, 8), "amended": (13, 9, 21, 18, 10, 29),
          "operators": (6, 32, 9, 9, 11, 9, 12, 12), "changes": (13, 21, 10, 30, 26)}
SHEETS = {"new": "New permits", "amended": "Amendments", "pending": "Pending approval", "operators": "Operators ranked"}
_BUFFER_UNITS = {"m": (1, "metres"), "ft": (0.3048, "feet"), "mi": (1609.344, "miles")}


def number(v) -> str:
    """PURE: a figure as a landman reads it; no value is a dash."""
    if v is None:
        return "–"
    if isinstance(v, float | Decimal):
        return f"{v:,.1f}".rstrip("0").rstrip(".")
    return f"{v:,}"


def change(n: dict) -> str:
    """PURE: the change of a key number against the period before, with its percentage."""
    now, before = n["now"], n["before"]
    if now is None or before is None:
        return "–"
    diff = now - before
    if diff == 0:
        return "no change"
    sign = "+" if diff > 0 else "−"
    pct = f" ({sign}{abs(diff) / before:.0%})" if before else ""
    return f"{sign}{number(abs(diff))}{pct}"


def trend(n: dict) -> str:
    if n["now"] is None or n["before"] is None or n["now"] == n["before"]:
        return ""
    return "up" if n["now"] > n["before"] else "down"


def cell(v, kind: str) -> str:
    if v is None or v == "":
        return ""
    if kind == "date" and isinstance(v, date):
        return v.strftime("%b %-d, %Y")
    if kind in ("int", "num"):
        return number(v) if not isinstance(v, int) or abs(v) >= 10_000 or kind == "num" else str(v)
    return str(v)


def buffer_words(metres: int, unit: str) -> str:
    """PURE: a buffer in the unit it was drawn in."""
    factor, words = _BUFFER_UNITS.get(unit, _BUFFER_UNITS["m"])
    value = round(metres / factor, 2)
    return f"{number(value) if value != int(value) else f'{int(value):,}'} {words[:-1] if value == 1 else words}"


def html(r: Report, svg: str, *, workspace: str, report_id: str) -> str:
    tz = ZoneInfo(r.timezone)

    def local(t: datetime | None) -> str:
        return t.astimezone(tz).strftime("%B %-d, %Y %-I:%M %p %Z") if t else "–"
    return _ENV.get_template("report.html").render(
        r=r, svg=svg, workspace=workspace, report_id=report_id, shown=SHOWN_ROWS, widths=WIDTHS, made=local(r.made_at),
        buffer=buffer_words(r.area["buffer_m"], r.area["buffer_unit"]), number=number, change=change, trend=trend, cell=cell, when=local)


def pdf(document: str, out: Path) -> int:
    """Writes the PDF; returns its page count."""
    from weasyprint import HTML  # imported here: it loads Pango, which only the report path needs

    doc = HTML(string=document).render()
    doc.write_pdf(out)
    return len(doc.pages)


def workbook(r: Report, out: Path, title: str) -> int:
    """The report's tables as sheets (every row, not only those the PDF shows)."""
    numbers = XlsxStream(out, ["Key number", r.period.label(), r.previous.label(), "Change"], "Key numbers")
    numbers.write_values([[n["label"], n["now"], n["before"], change(n)] for n in r.numbers], ["text", "num", "num", "text"])
    for t in r.tables:
        numbers.table(SHEETS[t.key], t.labels)
        numbers.write_values(t.rows, t.types)
    numbers.table("Changed since last report", ["Published", "Change", "Status no.", "Operator", "Lease / well"])
    numbers.write_values(r.changes["rows"], ["date", "text", "text", "text", "text"])
    numbers.table("Sources", ["Source", "File", "Published by the RRC (UTC)", "Rows"])
    numbers.write_values([[p["source"], p["file"], p["snapshot_at"].strftime("%Y-%m-%d %H:%M") if p["snapshot_at"] else None, p["rows"]]
                          for p in r.provenance], ["text", "text", "text", "int"])
    cut = [f"{t.title}: the first {len(t.rows):,} rows; there are more (export the area's permits for every row)." for t in r.tables if t.more]
    return numbers.close([title, f"{r.area['name']}, {r.period.label()} (days in {r.timezone}).",
                          "The same tables as the PDF report, every row; each permit's RRC source file is on the Sources sheet.", *cut])

"""PURE reading of GoDrive share pages: the listing (file rows, the form's ViewState and
hidden fields, the paginator) and the postback fields that download one row.

Structure as documented from working loaders (shared/rrc/more.md section 1): the form
`form#fileList`, the PrimeFaces table body `tbody#fileTable_data` with `tr[data-ri]`
rows, the cells `NameColumn`/`ModifiedOnColumn`/`SizeColumn`, and a name link whose
generated id (`fileTable:<ri>:j_id_2f`) changes between deployments, so it is read, never
assumed. Anything missing raises `PageChanged`, which is not retried: it needs a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

# The RRC is in Austin; the page prints local time without a zone.
RRC_TZ = ZoneInfo("America/Chicago")
FORM_ID = "fileList"
_UNITS = {"B": 1, "BYTES": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_SIZE = re.compile(r"^\s*([\d.,]+)\s*([KMGT]?B|bytes)\s*$", re.I)
_ROWCOUNT = re.compile(r"rowCount\s*:\s*(\d+)")
_SHOWING = re.compile(r"Showing\s+\d+\s*-\s*\d+\s+of\s+(\d+)")
_CDATA = re.compile(r'<update id="([^"]+)"><!\[CDATA\[(.*?)\]\]></update>', re.S)


class PageChanged(ValueError):
    """The page does not have the structure the postback needs."""


@dataclass(frozen=True)
class FileRow:
    index: int          # data-ri: absolute row index, also on later pages
    key: str            # data-rk
    link_id: str        # the name link's component id, posted back to download
    name: str
    modified_at: datetime  # "Modified On", as UTC
    size_text: str
    approx_bytes: int | None


@dataclass
class Listing:
    action: str
    view_state: str
    hidden: dict[str, str]
    rows: list[FileRow]
    row_count: int
    problems: list[str] = field(default_factory=list)

    def find(self, name: str) -> FileRow | None:
        return next((r for r in self.rows if r.name == name), None)


def parse_modified(text: str) -> datetime:
    """`7/2/26 10:00:54 AM` (Central time, 2-digit year) as UTC."""
    local = datetime.strptime(text.strip(), "%m/%d/%y %I:%M:%S %p")
    return local.replace(tzinfo=RRC_TZ).astimezone(UTC)


def format_modified(at: datetime) -> str:
    local = at.astimezone(RRC_TZ)
    return f"{local.month}/{local.day}/{local:%y} {int(local.strftime('%I'))}:{local:%M:%S %p}"


def parse_size(text: str) -> int | None:
    m = _SIZE.match(text)
    if not m:
        return None
    return round(float(m.group(1).replace(",", "")) * _UNITS[m.group(2).upper()])


def format_size(n: int) -> str:
    for unit in ("GB", "MB", "KB"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.2f} {unit}"
    return f"{n} bytes"


class _Reader(HTMLParser):
    """Collects the fileList form's hidden inputs, the table rows and their cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form_depth = 0          # >0 while inside form#fileList
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self.other_view_states: list[str] = []
        self.in_body = False
        self.rows: list[dict] = []
        self.row: dict | None = None
        self.cell: str | None = None
        self.text: list[str] = []
        self.script: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if a.get("id") == FORM_ID:
                self.form_depth = 1
                self.action = a.get("action")
            elif self.form_depth:
                self.form_depth += 1
        elif tag == "input" and (a.get("type") or "").lower() == "hidden" and a.get("name"):
            if self.form_depth:
                self.hidden[a["name"]] = a.get("value") or ""
            elif a["name"] == "javax.faces.ViewState":
                self.other_view_states.append(a.get("value") or "")
        elif tag == "tbody" and a.get("id") == "fileTable_data":
            self.in_body = True
        elif tag == "tr" and self.in_body and "data-ri" in a:
            self.row = {"ri": a.get("data-ri"), "rk": a.get("data-rk") or "", "cells": {}, "link": None}
        elif tag == "td" and self.row is not None:
            classes = (a.get("class") or "").split()
            self.cell = next((c for c in classes if c.endswith("Column")), None)
            self.text = []
        elif tag == "a" and self.row is not None and self.cell == "NameColumn":
            self.row["link"] = a.get("id")
        elif tag == "script":
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "form" and self.form_depth:
            self.form_depth -= 1
        elif tag == "tbody" and self.in_body:
            self.in_body = False
        elif tag == "td" and self.row is not None and self.cell:
            self.row["cells"][self.cell] = " ".join("".join(self.text).split())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.cell:
            self.text.append(data)
        if self.in_script:
            self.script.append(data)
        elif "Showing" in data:
            self.script.append(data)


def _rows(reader: _Reader, problems: list[str]) -> list[FileRow]:
    rows = []
    for r in reader.rows:
        cells = r["cells"]
        name, modified, size = cells.get("NameColumn"), cells.get("ModifiedOnColumn"), cells.get("SizeColumn", "")
        if not (name and modified and r["link"]):
            raise PageChanged(f"file row {r['ri']} lacks its name link or Modified On cell (cells: {sorted(cells)})")
        try:
            at = parse_modified(modified)
        except ValueError:
            raise PageChanged(f"file row {r['ri']}: Modified On {modified!r} is not M/D/YY h:mm:ss AM") from None
        approx = parse_size(size)
        if approx is None:
            problems.append(f"{name}: size {size!r} not understood")
        rows.append(FileRow(int(r["ri"]), r["rk"], r["link"], unescape(name), at, size, approx))
    return rows


def parse_listing(html: str) -> Listing:
    reader = _Reader()
    reader.feed(html)
    if reader.action is None:
        raise PageChanged("no form#fileList on the share page")
    view_state = reader.hidden.get("javax.faces.ViewState")
    if not view_state:
        raise PageChanged("form#fileList carries no javax.faces.ViewState")
    problems: list[str] = []
    rows = _rows(reader, problems)
    script = "".join(reader.script)
    m = _ROWCOUNT.search(script) or _SHOWING.search(script)
    row_count = int(m.group(1)) if m else len(rows)
    return Listing(reader.action, view_state, reader.hidden, rows, row_count, problems)


def parse_partial(xml: str, listing: Listing) -> Listing:
    """A paging reply (JSF partial-response): the next rows and the renewed ViewState."""
    updates = dict(_CDATA.findall(xml))
    body = next((v for k, v in updates.items() if k == "fileTable"), None)
    if body is None:
        raise PageChanged("the paging reply has no fileTable update")
    reader = _Reader()
    reader.in_body = True
    reader.feed(body)
    problems: list[str] = []
    rows = _rows(reader, problems)
    view_state = next((v for k, v in updates.items() if "javax.faces.ViewState" in k), listing.view_state)
    return Listing(listing.action, view_state, {**listing.hidden, "javax.faces.ViewState": view_state},
                   rows, listing.row_count, problems)


def download_fields(listing: Listing, row: FileRow) -> dict[str, str]:
    """The form post that asks for one row: the form's own hidden fields, the name link's
    id as both name and value (a plain JSF command-link submit), an empty selection."""
    return {**listing.hidden, f"{FORM_ID}_SUBMIT": "1", FORM_ID: FORM_ID, "fileTable_selection": "",
            row.link_id: row.link_id}


def page_fields(listing: Listing, first: int, rows: int) -> dict[str, str]:
    return {"javax.faces.partial.ajax": "true", "javax.faces.source": "fileTable", "javax.faces.partial.execute": "fileTable",
            "javax.faces.partial.render": "fileTable", "javax.faces.behavior.event": "page", "javax.faces.partial.event": "page",
            FORM_ID: FORM_ID, "fileTable_pagination": "true", "fileTable_first": str(first), "fileTable_rows": str(rows),
            "fileTable_skipChildren": "true", "fileTable_encodeFeature": "true", f"{FORM_ID}_SUBMIT": "1",
            "javax.faces.ViewState": listing.view_state}

"""Export writers without a database: Excel's row limit splits a sheet and the file says so;
shapefile field names fit DBF's ten ASCII characters without clashing."""

from datetime import date

import openpyxl

from services.exports import writers


def test_rows_past_the_sheet_limit_go_on_in_new_sheets_and_the_about_sheet_says_so(tmp_path):
    out = tmp_path / "split.xlsx"
    rows = [(f"09{i:05d}", i, date(2026, 7, 1 + i % 28)) for i in range(25)]
    seen = []
    n = writers.write_xlsx(["Status number", "Depth", "Issued"], iter(rows), out, seen.append, title="Permits",
                           about=["Permits in Midland County"], sheet_rows=11)
    assert n == 25
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["About", "Permits", "Permits (2)", "Permits (3)"]
    body = [r for name in book.sheetnames[1:] for r in list(book[name].iter_rows(values_only=True))[1:]]
    assert [(s, int(d), i.date()) for s, d, i in body] == rows
    about = [r[0] for r in book["About"].iter_rows(values_only=True)]
    assert "Split into 3 sheets: an Excel sheet holds at most 10 rows under its header." in about


def test_dbf_field_names_are_short_unique_and_readable():
    names = writers._dbf_names(["Status number", "Status number (old)", "Version (filing sequence)", "RRC published (UTC)", "Áreá"])
    assert names == ["STATUS_NUM", "STATUS_NU2", "VERSION__F", "RRC_PUBLIS", "RE"]
    assert all(len(n) <= 10 for n in names)

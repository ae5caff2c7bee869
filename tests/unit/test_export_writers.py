"""Export writers without a database: Excel's row limit splits a sheet and the file says so;
shapefile field names fit DBF's ten ASCII characters without clashing."""

from datetime import date

import openpyxl

from services.exports import writers


def test_rows_past_the_sheet_limit_go_on_in_new_sheets_and_the_about_sheet_says_so(tmp_path):
    out = tmp_path / "split.xlsx"
    rows = [(f"09{i:05d}", i, date(2026, 7, 1 + i % 28)) for i in range(25)]
    # rows as PostgreSQL renders them (writers.xlsx_row_sql), a few per chunk as COPY may send them
    rendered = [f'<row><c t="inlineStr"><is><t>{s}</t></is></c><c><v>{d}</v></c><c s="1"><v>{(i - date(1899, 12, 30)).days}</v></c></row>\n'
                for s, d, i in rows]
    chunks = ["".join(rendered[k:k + 4]).encode() for k in range(0, 25, 4)]
    seen = []
    book = writers.XlsxStream(out, ["Status number", "Depth", "Issued"], "Permits", sheet_rows=11)
    book.write_rows(chunks, seen.append)
    assert book.close(["Permits in Midland County"]) == 25
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["About", "Permits", "Permits (2)", "Permits (3)"]
    assert [r for r in wb["Permits"].iter_rows(values_only=True)][0] == ("Status number", "Depth", "Issued")
    body = [r for name in wb.sheetnames[1:] for r in list(wb[name].iter_rows(values_only=True))[1:]]
    assert [(s, int(d), i.date()) for s, d, i in body] == rows
    about = [r[0] for r in wb["About"].iter_rows(values_only=True)]
    assert about[0] == "Permits in Midland County" and "25 rows." in about
    assert "Split into 3 sheets: an Excel sheet holds at most 10 rows under its header." in about


def test_dbf_field_names_are_short_unique_and_readable():
    names = writers._dbf_names(["Status number", "Status number (old)", "Version (filing sequence)", "RRC published (UTC)", "Áreá"])
    assert names == ["STATUS_NUM", "STATUS_NU2", "VERSION__F", "RRC_PUBLIS", "RE"]
    assert all(len(n) <= 10 for n in names)

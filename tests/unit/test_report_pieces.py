"""The AOI Activity Report's pure parts: the periods and send times of schedules (time zones,
month ends, daylight saving), the map's frame and scale bar, and the figures' words."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

import openpyxl
import pytest

from services.errors import FieldError
from services.exports import report_map as mapsvg
from services.exports import report_render as render
from services.exports.report_jobs import recipients_checked
from services.exports.report_period import Period, checked, describe_schedule, next_run, scheduled
from services.exports.writers import XlsxStream


def test_a_weekly_report_covers_the_seven_days_before_its_send_day():
    assert scheduled("weekly", date(2026, 11, 30)) == Period(date(2026, 11, 23), date(2026, 11, 29))


def test_a_monthly_report_covers_the_whole_month_before_and_compares_with_the_month_before_that():
    p = scheduled("monthly", date(2026, 3, 1))
    assert p == Period(date(2026, 2, 1), date(2026, 2, 28)) and p.label() == "February 2026"
    assert p.previous() == Period(date(2026, 1, 1), date(2026, 1, 31))


def test_a_period_of_days_compares_with_as_many_days_just_before():
    p = Period(date(2026, 6, 1), date(2026, 6, 14))
    assert p.previous() == Period(date(2026, 5, 18), date(2026, 5, 31)) and p.days == 14
    assert p.label() == "Jun 1 – Jun 14, 2026"
    assert Period(date(2025, 12, 20), date(2026, 1, 5)).label() == "Dec 20, 2025 – Jan 5, 2026"


def test_a_period_asked_for_by_hand_is_in_order_not_in_the_future_and_at_most_a_year():
    today = date(2026, 11, 29)
    assert checked(date(2026, 11, 1), today, today).days == 29
    for start, end, field in ((date(2026, 11, 5), date(2026, 11, 1), "end"), (date(2026, 11, 1), date(2026, 11, 30), "end"),
                              (date(2025, 1, 1), date(2026, 11, 1), "start")):
        with pytest.raises(FieldError) as e:
            checked(start, end, today)
        assert e.value.field == field


def test_the_next_send_is_on_the_weekday_or_the_first_at_local_time_across_daylight_saving():
    # Sunday Nov 1 2026 is when Central time falls back: 7:00 CST is 13:00 UTC
    assert next_run("monthly", 0, time(7), "America/Chicago", datetime(2026, 10, 15, tzinfo=UTC)) == datetime(2026, 11, 1, 13, tzinfo=UTC)
    assert next_run("monthly", 0, time(7), "America/Chicago", datetime(2026, 11, 1, 13, tzinfo=UTC)) == datetime(2026, 12, 1, 13, tzinfo=UTC)
    assert next_run("monthly", 0, time(7), "America/Chicago", datetime(2026, 12, 20, tzinfo=UTC)) == datetime(2027, 1, 1, 13, tzinfo=UTC)
    assert next_run("weekly", 0, time(7), "America/Chicago", datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 7, 6, 12, tzinfo=UTC)
    assert describe_schedule("weekly", 4, time(16, 30), "America/Denver") == (
        "every Friday at 4:30 PM (America/Denver), covering the week before")


def test_recipients_are_trimmed_lowercased_deduplicated_and_checked():
    assert recipients_checked([" A@Example.com", "a@example.com", "", "b@example.org"]) == ["a@example.com", "b@example.org"]
    for bad in (["no-at-sign"], ["x@localhost"], ["a b@example.com"], [f"{n}@example.com" for n in range(11)]):
        with pytest.raises(FieldError):
            recipients_checked(bad)


def test_the_map_frame_keeps_a_page_wide_aspect_around_the_area():
    tall = mapsvg.frame_for(0, 0, 10_000, 100_000)
    wide = mapsvg.frame_for(0, 0, 100_000, 1_000)
    for f in (tall, wide):
        ratio = (f.y1 - f.y0) / (f.x1 - f.x0)
        assert 9 / 16 - 1e-9 <= ratio <= 4 / 5 + 1e-9 and f.height == round(mapsvg.WIDTH * ratio)
    assert tall.x0 < 0 and tall.x1 > 10_000 and tall.y0 < 0 and tall.y1 > 100_000  # the whole area, padded, is in the picture
    assert wide.x0 < 0 and wide.x1 > 100_000


def test_the_scale_bar_is_a_round_number_of_miles_near_a_fifth_of_the_width():
    f = mapsvg.frame_for(0, 0, 150_000, 100_000)
    pixels, words = mapsvg.scale_bar(f)
    miles = float(words.split()[0])
    assert miles in (1, 2, 5, 10, 20, 50) and pixels == pytest.approx(miles * mapsvg.METRES_PER_MILE * f.scale)
    assert mapsvg.WIDTH / 10 < pixels <= mapsvg.WIDTH / 5


def test_the_map_svg_draws_each_permit_and_leaves_out_names_that_would_be_cut():
    f = mapsvg.frame_for(0, 0, 50_000, 40_000)
    svg = mapsvg.compose(f, [("M 0 0 L 10 10", "Midland", 500, 300), ("M 0 0", "Reagan", 3, 300)], ("M 1 1 L 2 2 Z", None),
                         [(100, 120, "horizontal", False, "M 100 120 L 140 160", 1), (200, 220, None, True, None, 1),
                          (300, 320, "vertical", False, None, 16)])
    assert svg.count("<circle") == 3 + 4  # two permits, a cell of sixteen, and four legend symbols
    assert 'r="16.0"' in svg  # sixteen permits a few pixels apart: one circle sized by their number
    assert "MIDLAND" in svg and "REAGAN" not in svg
    assert 'fill="#ffffff" stroke="#8e3ca0"' in svg  # a pending filing is hollow


def test_key_numbers_read_as_words_with_their_change():
    assert render.change({"now": 12, "before": 8}) == "+4 (+50%)"
    assert render.change({"now": 3, "before": 6}) == "−3 (−50%)"
    assert render.change({"now": 5, "before": 0}) == "+5" and render.change({"now": 2, "before": 2}) == "no change"
    assert render.change({"now": None, "before": 9}) == "–" and render.number(12345) == "12,345"
    assert render.buffer_words(1609, "mi") == "1 mile" and render.buffer_words(805, "mi") == "0.5 miles"
    assert render.buffer_words(2000, "m") == "2,000 metres" and render.buffer_words(152, "ft") == "498.7 feet"


def test_a_workbook_of_several_tables_has_one_sheet_each_with_typed_cells(tmp_path):
    out = tmp_path / "t.xlsx"
    book = XlsxStream(out, ["Name", "Count"], "First")
    book.write_values([["a\x01<b>", 3], [None, 4.5]], ["text", "int"])
    book.table("Second", ["Day"])
    book.write_values([[date(2026, 6, 1)]], ["date"])
    book.table("Empty", ["Nothing"])
    book.write_values([], ["text"])
    assert book.close(["About it"]) == 3
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    assert wb.sheetnames == ["About", "First", "Second", "Empty"]
    assert list(wb["First"].iter_rows(values_only=True)) == [("Name", "Count"), ("a <b>", 3), (None, 4.5)]
    assert list(wb["Second"].iter_rows(values_only=True))[1][0] == datetime(2026, 6, 1)
    assert list(wb["Empty"].iter_rows(values_only=True)) == [("Nothing",)]


def test_a_table_past_the_workbook_limit_keeps_the_first_rows_and_says_there_are_more(monkeypatch):
    from services.exports import report_content as content

    monkeypatch.setattr(content, "MOST_ROWS", 3)
    t = content.Table("new", "New permits", ["A"], ["int"], [[1], [2], [3], [4]])
    assert t.rows == [[1], [2], [3]] and t.more
    assert not content.Table("new", "New permits", ["A"], ["int"], [[1], [2], [3]]).more

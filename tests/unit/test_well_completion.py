"""A filing's completion date, from its field lines as the RRC parser leaves them: pure."""

from datetime import date

from services.permits.wells import latest_completion


def test_the_latest_completion_date_of_the_field_lines_is_the_filings():
    fields = [{"field_number": "1", "completion_date": "20250611"}, {"field_number": "2", "completion_date": "20260102"},
              {"field_number": "3", "completion_date": None}]
    assert latest_completion(fields) == date(2026, 1, 2)


def test_dates_that_are_no_dates_are_left_out_instead_of_failing():
    fields = [{"completion_date": "20260230"}, {"completion_date": "20261301"}, {"completion_date": "00000101"},
              {"completion_date": "2026011"}, {"completion_date": "2026-01-01"}, {"completion_date": " 20260101"},
              {"completion_date": 20260101}, "20260101", {"completion_date": "20240315"}]
    assert latest_completion(fields) == date(2024, 3, 15)


def test_no_field_lines_or_something_else_has_no_completion():
    assert latest_completion(None) is None
    assert latest_completion([]) is None
    assert latest_completion({"completion_date": "20260101"}) is None
    assert latest_completion([{"field_number": "1"}]) is None

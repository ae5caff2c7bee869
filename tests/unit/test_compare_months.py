"""How a comparison splits its days between whole months (the monthly aggregate) and days
(the daily one): pure, no database."""

from datetime import date, timedelta

from services.operators.compare import split_months


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_whole_months_inside_the_range_with_no_cut_are_months_and_the_rest_are_days():
    months, days = split_months(date(2025, 1, 15), date(2025, 4, 30), [date(2025, 3, 1)])
    assert months == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    assert days == _days(date(2025, 1, 15), date(2025, 1, 31))


def test_a_cut_inside_a_month_turns_that_month_into_days():
    months, days = split_months(date(2024, 1, 1), date(2024, 3, 31), [date(2024, 2, 10)])
    assert months == [date(2024, 1, 1), date(2024, 3, 1)]
    assert days == _days(date(2024, 2, 1), date(2024, 2, 29))  # a leap February, every day


def test_months_and_days_cover_the_range_exactly_once():
    first, last = date(2023, 11, 20), date(2025, 2, 3)
    months, days = split_months(first, last, [date(2024, 6, 17), date(2024, 7, 1), date(2025, 1, 1)])
    covered = days + [d for m in months for d in _days(m, (m + timedelta(days=32)).replace(day=1) - timedelta(days=1))]
    assert sorted(covered) == _days(first, last)
    assert date(2024, 6, 1) not in months and date(2024, 7, 1) in months

"""How a comparison splits its days between whole months (the monthly aggregate) and
stretches of cut months (month-to-date rows): pure, no database."""

from datetime import date, timedelta

from services.operators.compare import split_months


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_whole_months_inside_the_range_with_no_cut_are_months_and_the_rest_are_stretches():
    months, stretches = split_months(date(2025, 1, 15), date(2025, 4, 30), [date(2025, 3, 1)])
    assert months == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    assert stretches == [(date(2025, 1, 15), date(2025, 1, 31))]


def test_a_cut_inside_a_month_splits_it_into_stretches_on_either_side():
    months, stretches = split_months(date(2024, 1, 1), date(2024, 3, 31), [date(2024, 2, 10)])
    assert months == [date(2024, 1, 1), date(2024, 3, 1)]
    assert stretches == [(date(2024, 2, 1), date(2024, 2, 9)), (date(2024, 2, 10), date(2024, 2, 29))]  # a leap February


def test_months_and_stretches_cover_the_range_exactly_once_and_no_stretch_crosses_a_cut():
    first, last = date(2023, 11, 20), date(2025, 2, 3)
    cuts = [date(2024, 6, 17), date(2024, 7, 1), date(2025, 1, 1), date(2025, 1, 20)]
    months, stretches = split_months(first, last, cuts)
    covered = [d for a, b in stretches for d in _days(a, b)]
    covered += [d for m in months for d in _days(m, (m + timedelta(days=32)).replace(day=1) - timedelta(days=1))]
    assert sorted(covered) == _days(first, last)
    assert date(2024, 6, 1) not in months and date(2024, 7, 1) in months
    assert all(a.month == b.month and not any(a < c <= b for c in cuts) for a, b in stretches)

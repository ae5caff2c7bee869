"""PURE: the RRC's publication calendar. The RRC publishes on Texas state business days:
not on weekends, and not on the days state agencies close (Texas Government Code
§662.003(a) national holidays, plus the day after Thanksgiving, Christmas Eve and the day
after Christmas, §662.003(b)/(c)). A holiday on a weekend is not moved to a weekday. The
optional state holidays (Texas Independence Day, San Jacinto Day, Emancipation Day, LBJ
Day, Confederate Heroes Day) keep offices open, so files are expected on them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

RRC_TZ = ZoneInfo("America/Chicago")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 = last) weekday (0 = Monday) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def closure_days(year: int) -> dict[date, str]:
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        date(year, 1, 1): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Presidents' Day",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        date(year, 7, 4): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        date(year, 11, 11): "Veterans Day",
        thanksgiving: "Thanksgiving Day",
        thanksgiving + timedelta(days=1): "the day after Thanksgiving",
        date(year, 12, 24): "Christmas Eve",
        date(year, 12, 25): "Christmas Day",
        date(year, 12, 26): "the day after Christmas",
    }


def is_publication_day(day: date) -> bool:
    return day.weekday() < 5 and day not in closure_days(day.year)


def publication_days(after: date, through: date) -> list[date]:
    """Publication days d with after < d <= through."""
    out, d = [], after + timedelta(days=1)
    while d <= through:
        if is_publication_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def missed_publications(last_published: datetime | None, now: datetime, *, publishes_at: time = time(10, 0),
                        grace: timedelta = timedelta(hours=6)) -> int:
    """Publication days since the last file whose expected time (`publishes_at`, Central)
    plus `grace` has passed with no newer file. 0 over a weekend or a holiday."""
    if last_published is None:
        return 1
    last_day = last_published.astimezone(RRC_TZ).date()
    today = now.astimezone(RRC_TZ).date()
    due = [d for d in publication_days(last_day, today)
           if datetime.combine(d, publishes_at, RRC_TZ) + grace <= now]
    return len(due)

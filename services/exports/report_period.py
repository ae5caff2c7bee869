"""PURE: the periods an AOI Activity Report covers and when a scheduled one is due.

A period is a run of whole local days, both ends included. A weekly report sent on its
weekday covers the seven days before that day; a monthly one, sent on the 1st, covers the
month before. Each is compared with the period of the same length just before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.alerting.schedule import next_digest_time, zone
from services.errors import FieldError

CADENCES = ("weekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LONGEST_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before; for a whole month, the whole month before."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def label(self) -> str:
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1 and self.start.month == self.end.month:
            return self.start.strftime("%B %Y")
        if self.start.year == self.end.year:
            return f"{self.start:%b %-d} – {self.end:%b %-d, %Y}"
        return f"{self.start:%b %-d, %Y} – {self.end:%b %-d, %Y}"


def checked(start: date, end: date, today: date) -> Period:
    """A period asked for by hand: in order, not in the future, at most a year."""
    if end < start:
        raise FieldError("end", "the period ends before it starts")
    if end > today:
        raise FieldError("end", f"the period cannot end after today ({today:%b %-d, %Y})")
    if (end - start).days + 1 > LONGEST_DAYS:
        raise FieldError("start", f"a report covers at most {LONGEST_DAYS} days")
    return Period(start, end)


def scheduled(cadence: str, run_day: date) -> Period:
    """The period a report made on `run_day` (local) covers."""
    if cadence == "weekly":
        return Period(run_day - timedelta(days=7), run_day - timedelta(days=1))
    if cadence == "monthly":
        end = run_day.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end)
    raise FieldError("cadence", f"choose one of {', '.join(CADENCES)}")


def next_run(cadence: str, weekday: int, at: time, tz_name: str, after: datetime) -> datetime:
    """The next time (UTC) after `after` a schedule sends: its weekday, or the 1st of a month,
    at `at` in its time zone."""
    if cadence == "weekly":
        return next_digest_time(after, tz_name, "weekly", at, weekday)
    if cadence != "monthly":
        raise FieldError("cadence", f"choose one of {', '.join(CADENCES)}")
    tz = zone(tz_name)
    local = after.astimezone(tz)
    first = local.date().replace(day=1)
    for _ in range(2):
        candidate = datetime.combine(first, at, tzinfo=tz)
        if candidate > local:
            return candidate.astimezone(UTC)
        first = (first + timedelta(days=32)).replace(day=1)
    raise AssertionError("unreachable: the next month's 1st is always ahead")


def describe_schedule(cadence: str, weekday: int, at: time, tz_name: str) -> str:
    when = f"every {WEEKDAYS[weekday]}" if cadence == "weekly" else "on the 1st of every month"
    return f"{when} at {at:%-I:%M %p} ({tz_name.replace('_', ' ')}), covering the {'week' if cadence == 'weekly' else 'month'} before"

"""PURE time decisions for alert delivery: quiet hours, digest periods, retry backoff.

All local-time reasoning goes through zoneinfo with the rule's IANA time zone, so a quiet
window ending at 07:00 ends at 07:00 on the wall clock on both sides of a daylight-saving
change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.errors import InvalidInput


class ScheduleError(InvalidInput):
    pass


@dataclass(frozen=True)
class Window:
    start: time
    end: time  # may be earlier than start: the window crosses midnight
    days: frozenset[int]  # weekdays (0 = Monday) on which the window *starts*

    def contains(self, local: datetime) -> datetime | None:
        """The local end of the window that holds `local`, or None."""
        for start_day in (local.date(), local.date() - timedelta(days=1)):
            if start_day.weekday() not in self.days:
                continue
            begin = _local(start_day, self.start, local.tzinfo)
            end_day = start_day if self.end > self.start else start_day + timedelta(days=1)
            end = _local(end_day, self.end, local.tzinfo)
            if begin <= local < end:
                return end
        return None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}; use an IANA name such as America/Chicago") from None


def _local(day: date, at: time, tz) -> datetime:
    # fold=0 for a wall time that happens twice (fall back); a wall time that does not
    # exist (spring forward) lands just after the gap when converted.
    return datetime.combine(day, at, tzinfo=tz)


def _hhmm(value: str, what: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ScheduleError(f"{what} {value!r} is not HH:MM") from None


def parse_quiet_hours(spec: dict | None) -> tuple[ZoneInfo, list[Window]] | None:
    """{"timezone": "America/Chicago", "windows": [{"start": "21:00", "end": "07:00", "days": [0,1,2,3,4]}]}"""
    if not spec:
        return None
    tz = zone(spec.get("timezone") or "America/Chicago")
    windows = []
    for w in spec.get("windows") or []:
        start, end = _hhmm(w.get("start"), "quiet-hours start"), _hhmm(w.get("end"), "quiet-hours end")
        if start == end:
            raise ScheduleError("a quiet-hours window must not start and end at the same time")
        days = w.get("days", list(range(7)))
        if not days or any(d not in range(7) for d in days):
            raise ScheduleError(f"quiet-hours days {days!r} must be weekday numbers 0 (Monday) to 6")
        windows.append(Window(start, end, frozenset(days)))
    if not windows:
        raise ScheduleError("quiet hours need at least one window")
    return tz, windows


def quiet_until(now: datetime, spec: dict | None) -> datetime | None:
    """If `now` falls in quiet hours, when they end (UTC); else None. Windows that touch
    or overlap are followed through to the end of the last one."""
    parsed = parse_quiet_hours(spec)
    if parsed is None:
        return None
    tz, windows = parsed
    release = None
    at = now.astimezone(tz)
    for _ in range(14):  # bounded: chained windows cannot run past two weeks of checks
        ends = [end for w in windows if (end := w.contains(at)) is not None]
        if not ends:
            break
        release = max(ends)
        at = release
    return release.astimezone(UTC) if release else None


def next_digest_time(now: datetime, tz_name: str, mode: str, at: time, weekday: int = 0) -> datetime:
    """The next daily (or weekly, on `weekday`) digest time after `now`, in UTC."""
    if mode not in ("daily", "weekly"):
        raise ScheduleError(f"digest mode {mode!r} has no schedule")
    tz = zone(tz_name)
    local = now.astimezone(tz)
    day = local.date()
    for _ in range(8):
        candidate = _local(day, at, tz)
        if candidate > local and (mode == "daily" or day.weekday() == weekday):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("unreachable: a week always has the weekday")


def local_day(now: datetime, tz_name: str) -> date:
    return now.astimezone(zone(tz_name)).date()


def backoff(attempt: int, *, base: float = 30.0, cap: float = 3600.0, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: attempt 1 waits up to `base`, doubling to `cap`."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))

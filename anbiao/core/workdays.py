"""Working days (工作日) on the official holiday calendar: public holidays are off, and the
make-up working days (调休) that fall on a weekend are on.

The calendar is the `chinesecalendar` package (pinned in pyproject.toml; a new release each
December adds the coming year). A year it does not cover falls back to "Monday to Friday" and
is reported by `uncovered_years`, which the admin's schedule page shows as a warning
(docs/notifications.md).
"""

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=1)
def covered_years() -> tuple[int, int]:
    """The first and last year the installed calendar knows."""
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return min(years), max(years)


def is_covered(day: date) -> bool:
    first, last = covered_years()
    return first <= day.year <= last


def uncovered_years(*days: date) -> list[int]:
    """The years among `days` that fall back to weekends only."""
    return sorted({d.year for d in days if not is_covered(d)})


def is_working_day(day: date) -> bool:
    """True on a working day: the official calendar where it is known, else Monday–Friday."""
    if is_covered(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` ("5个工作日内" counted from the day after).

    `days` = 0 gives `start` itself, moved forward to a working day if it is not one.
    """
    day = start
    if days <= 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier):
    the "剩余 N 个工作日" of a deadline `end` seen on `start`."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    low, high = (start, end) if sign == 1 else (end, start)
    count = 0
    day = low + timedelta(days=1)
    while day <= high:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return sign * count


def remaining_label(deadline: date, today: date) -> str:
    """The deadline as a person reads it: 剩余 3 个工作日 / 今日到期 / 已逾期 2 个工作日."""
    if deadline == today:
        return "今日到期"
    n = working_days_between(today, deadline)
    if deadline > today:
        return f"剩余 {n} 个工作日" if n else "剩余 0 个工作日(节假日)"
    return f"已逾期 {-n} 个工作日" if n else "已逾期(节假日)"

"""UK working days for response windows: weekends and bank holidays (from the maintained
`holidays` package, for the part of the UK set by WORKING_DAYS_SUBDIVISION) do not count."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
from flask import current_app


@cache
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def is_working_day(day: date, subdivision: str | None = None) -> bool:
    subdivision = subdivision or current_app.config["WORKING_DAYS_SUBDIVISION"]
    return day.weekday() < 5 and day not in _bank_holidays(subdivision, day.year)


def add_working_days(start: date, days: int, subdivision: str | None = None) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, subdivision):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, subdivision: str | None = None) -> int:
    """Working days after `start` up to and including `end` (0 if end is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, subdivision)
    return count

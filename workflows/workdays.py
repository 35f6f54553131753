"""Working days in Poland: weekends and public holidays (from the `holidays` library).

Deadlines in the nonconformity process are counted in working days, as Polish
administrative deadlines are. Pure functions; no database.
"""

import datetime
from functools import cache

import holidays


@cache
def _public_holidays(year: int) -> holidays.HolidayBase:
    return holidays.Poland(years=year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The working day `days` working days after `start` (0: `start` or the next working day)."""
    day = start
    if days == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day
    step = 1 if days > 0 else -1
    left = abs(days)
    while left:
        day += datetime.timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count

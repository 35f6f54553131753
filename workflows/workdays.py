"""Working days in Poland: weekends and public holidays (from the `holidays` library).

Deadlines in the nonconformity process are counted in working days, as Polish
administrative deadlines are. Pure functions; no database.
"""

import datetime
from functools import cache

import holidays
import numpy as np
from django.utils import timezone


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


@cache
def _holiday_array(first_year: int, last_year: int) -> np.ndarray:
    days = [
        day
        for year in range(first_year, last_year + 1)
        for day in _public_holidays(year)
        if day.weekday() < 5
    ]
    return np.array(sorted(days), dtype="datetime64[D]")


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier).

    numpy's business-day count, so a list of old items costs no day-by-day loop.
    """
    if end < start:
        return -working_days_between(end, start)
    first = start + datetime.timedelta(days=1)
    holidays_between = _holiday_array(first.year, end.year)
    return int(np.busday_count(first, end + datetime.timedelta(days=1), holidays=holidays_between))


# Reminders and escalations fire at the start of a working day, local time.
REMINDER_HOUR = datetime.time(8, 0)
# A timer slot a policy does not use: so far ahead that completing the step cancels it.
NEVER = datetime.timedelta(days=3650)


def at_morning(day: datetime.date) -> datetime.datetime:
    """REMINDER_HOUR on `day`, in the office's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, REMINDER_HOUR))

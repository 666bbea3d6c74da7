"""Working days: Monday to Friday, except Dutch public holidays (``holidays.NL``).

Used for "two school days" (a new signal should be seen by then) and Veilig Thuis's "five
working days" (R22). ``holidays.NL`` lists New Year's Day, Good Friday, Easter Monday, King's
Day, Liberation Day in lustrum years, Ascension Day, Whit Monday, Christmas and Boxing Day.
School holidays (vakanties) differ per region and school and are not taken into account.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.NL(years=year))


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    day, remaining = start, days
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def add_working_days_at(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The same local clock time, ``days`` working days after ``moment``'s local date.

    A signal recorded on Friday 15:00 is due on Tuesday 15:00; one recorded on Saturday
    10:00 on Tuesday 10:00. Never earlier than ``moment + days`` calendar days.
    """
    local = timezone.localtime(moment)
    day = add_working_days(local.date(), days)
    naive = datetime.datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, local.tzinfo)

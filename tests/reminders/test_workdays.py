import datetime

from reminders.workdays import add_working_days, add_working_days_at, is_working_day

from .conftest import local


def test_weekend_and_dutch_holidays_are_not_working_days():
    assert is_working_day(datetime.date(2026, 4, 24))  # a Friday
    assert not is_working_day(datetime.date(2026, 4, 25))  # Saturday
    assert not is_working_day(datetime.date(2026, 4, 27))  # Koningsdag, a Monday
    assert not is_working_day(datetime.date(2026, 4, 6))  # Tweede paasdag
    assert not is_working_day(datetime.date(2026, 5, 14))  # Hemelvaartsdag


def test_add_working_days_skips_weekend_and_holiday():
    # Friday 24 April 2026 + 2: Monday is Koningsdag, so Tuesday and Wednesday count.
    assert add_working_days(datetime.date(2026, 4, 24), 2) == datetime.date(2026, 4, 29)
    # Thursday before Easter: Good Friday, weekend and Easter Monday are skipped.
    assert add_working_days(datetime.date(2026, 4, 2), 2) == datetime.date(2026, 4, 8)
    assert add_working_days(datetime.date(2026, 3, 2), 0) == datetime.date(2026, 3, 2)


def test_add_working_days_at_keeps_the_clock_time():
    assert add_working_days_at(local(2026, 3, 6, 15, 30), 2) == local(2026, 3, 10, 15, 30)
    assert add_working_days_at(local(2026, 3, 7, 10), 2) == local(2026, 3, 10, 10)  # Saturday

"""Working days for the Veilig Thuis feedback date (R22): weekends and Dutch public holidays."""

import datetime

import pytest

from afwegingskader.workdays import add_working_days, is_working_day, safety_feedback_due

D = datetime.date


@pytest.mark.parametrize("reported_on, expected", [
    # Monday → Monday a week later: a plain week, no holiday.
    (D(2026, 3, 2), D(2026, 3, 9)),
    # Thursday → across one weekend → Thursday.
    (D(2026, 3, 5), D(2026, 3, 12)),
    # Saturday: counting starts on Monday.
    (D(2026, 3, 7), D(2026, 3, 13)),
    # Friday 24 April 2026 → Monday 27 April is Koningsdag: Tue 28 … Mon 4 May.
    (D(2026, 4, 24), D(2026, 5, 4)),
    # Wednesday 23 December 2026: Christmas Day (Fri 25) and the weekend are skipped.
    (D(2026, 12, 23), D(2026, 12, 31)),
    # Monday 21 December 2026 → Tue 22, Wed 23, Thu 24, Mon 28, Tue 29.
    (D(2026, 12, 21), D(2026, 12, 29)),
    # Across Good Friday and Easter Monday 2026 (3 and 6 April).
    (D(2026, 4, 1), D(2026, 4, 10)),
    # Across New Year's Day 2027 (a Friday).
    (D(2026, 12, 30), D(2027, 1, 7)),
])
def test_safety_feedback_is_five_working_days_later(reported_on, expected):
    assert safety_feedback_due(reported_on) == expected


def test_koningsdag_and_christmas_are_no_working_days():
    assert not is_working_day(D(2026, 4, 27))   # Koningsdag, a Monday
    assert not is_working_day(D(2027, 4, 27))   # Koningsdag, a Tuesday
    assert not is_working_day(D(2026, 12, 25))  # Eerste Kerstdag
    assert not is_working_day(D(2025, 12, 26))  # Tweede Kerstdag, a Friday
    assert not is_working_day(D(2026, 3, 7))    # Saturday
    assert is_working_day(D(2026, 4, 28))


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 7)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 3, 7), -1)


def test_the_number_of_days_is_a_setting(settings):
    settings.MELDCODE_VT_SAFETY_ASSESSMENT_WORKING_DAYS = 1
    assert safety_feedback_due(D(2026, 4, 24)) == D(2026, 4, 28)

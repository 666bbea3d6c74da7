"""Working days for the Veilig Thuis feedback date (domain.md §5, R22).

Veilig Thuis does its safety assessment within 5 working days of a report, after which the
reporter gets feedback. A working day is Monday to Friday except Dutch public holidays as
listed by the ``holidays`` package (``holidays.NL``: New Year's Day, Good Friday, Easter
Monday, King's Day, Liberation Day in lustrum years, Ascension Day, Whit Monday, Christmas
and Boxing Day). The number of days is a Veilig Thuis target, not law, so it is a setting.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from core.workdays import add_working_days, is_working_day  # noqa: F401

#: Default number of working days for Veilig Thuis's safety assessment [E15][E23b].
SAFETY_ASSESSMENT_WORKING_DAYS = 5


def safety_feedback_due(reported_on: datetime.date) -> datetime.date:
    """When feedback after Veilig Thuis's safety assessment is expected (R22)."""
    days = getattr(settings, "MELDCODE_VT_SAFETY_ASSESSMENT_WORKING_DAYS",
                   SAFETY_ASSESSMENT_WORKING_DAYS)
    return add_working_days(reported_on, days)

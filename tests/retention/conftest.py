"""Fixtures for the retention tests: a closed case whose pupil left long ago, built through
the real services, and helpers to close cases and move the pupil's leaving date."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import Case, CloseReason, Status
from cases.services import case_open
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import PupilFactory


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


def close(case: Case) -> Case:
    """Closed as the workflow leaves it (test setup: the workflow itself is tested in cases)."""
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, close_reason=CloseReason.PUPIL_LEFT,
                                           closed_at=timezone.now())
    case.refresh_from_db()
    return case


def make_signal(school, recorded_by, pupils, facts="Feiten") -> Signal:
    signal = Signal(school=school, recorded_by=recorded_by, observed_on=timezone.localdate(),
                    category="lichamelijk")
    signal._history_user = recorded_by
    signal.save()
    for pupil in pupils:
        SignalPupil.objects.create(signal=signal, pupil=pupil)
    SignalVersion.objects.create(signal=signal, number=1, facts=facts, author=recorded_by)
    return signal


def due_case(school, actor, *, left_years=3, born=datetime.date(2010, 1, 1)) -> Case:
    """A closed case of a pupil who left ``left_years`` ago (term of two years: due)."""
    pupil = PupilFactory(school=school, left_on=years_ago(left_years), date_of_birth=born)
    signal = make_signal(school, actor, [pupil])
    return close(case_open(pupil=pupil, actor=actor, signals=[signal]))


@pytest.fixture
def case_due(school, vc):
    return due_case(school, vc)

"""Fixtures for the export and inzage tests: a case opened through the real service, filled
with every record type (``tests.exports.world``), and the people around it."""

from __future__ import annotations

import datetime

import pytest

from cases.services import case_open
from schools.roles import Role
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import (ParentFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             staff)

from .world import fill_case


@pytest.fixture(autouse=True)
def _role_groups(db):
    # In a fresh test database the groups get their case permissions only once every app's
    # permissions exist; running the sync again is idempotent.
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture(autouse=True)
def _export_settings(settings):
    settings.MELDCODE_EXPORT_TTL_MINUTES = 15


@pytest.fixture
def pupil(school):
    return PupilFactory(school=school, school_class=SchoolClassFactory(school=school),
                        first_name="Noor", last_name="Bakker",
                        date_of_birth=datetime.date(2016, 4, 2))


@pytest.fixture
def parent_link(pupil):
    return PupilParentFactory(pupil=pupil, parent=ParentFactory(school=pupil.school,
                                                                name="Ilse Bakker"),
                              relationship="moeder", has_authority=True)


@pytest.fixture
def people(ib, vc, director, teacher, sot_member):
    return {"ib": ib, "vc": vc, "director": director, "teacher": teacher, "sot": sot_member}


def _first_signal(school, teacher, pupil):
    signal = Signal(school=school, recorded_by=teacher, observed_on=datetime.date(2026, 1, 5),
                    category="lichamelijk")
    signal._history_user = teacher
    signal.save()
    SignalPupil(signal=signal, pupil=pupil).save()
    SignalVersion(signal=signal, number=1, facts="Blauwe plek op de arm.",
                  author=teacher).save()
    return signal


@pytest.fixture
def case(school, ib, teacher, pupil):
    return case_open(pupil=pupil, actor=ib, signals=[_first_signal(school, teacher, pupil)])


@pytest.fixture
def filled(case, people, school):
    """The case with records of every type (plain Dutch text)."""
    other = PupilFactory(school=school, first_name="Daan", last_name="Visser")
    return fill_case(case, people, other_pupil=other)


@pytest.fixture
def other_case(other_school):
    ib = staff(Role.IB, other_school, username="ib_elders")
    teacher = staff(Role.LEERKRACHT, other_school, username="lk_elders")
    pupil = PupilFactory(school=other_school)
    return case_open(pupil=pupil, actor=ib, signals=[_first_signal(other_school, teacher, pupil)])


@pytest.fixture
def other_director(other_school):
    return staff(Role.DIRECTEUR, other_school, username="directeur_elders")


@pytest.fixture
def verified_client(verified_client):
    """Export pages ask for a fresh 2FA code (``core.stepup``): these tests are about the
    exports themselves, so every login here has just passed the step-up.
    ``tests/core/test_stepup.py`` covers the step-up on these views."""
    plain = verified_client.force_login

    def force_login(user, *args, **kwargs):
        kwargs.setdefault("stepped_up", True)
        plain(user, *args, **kwargs)

    verified_client.force_login = force_login
    return verified_client

"""Fixtures for the special routes: pupils, board users, and calls/concerns made through the
real services."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from schools.roles import Role
from signals.models import Category, PupilRole, Source
from signals.services import signal_record
from specialroutes.models import CalledParty
from specialroutes.services import acute_call_record, staff_concern_report
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, staff

FACTS = ("Juf X hield de leerling in de gymzaal vast en raakte haar aan op een manier die "
         "niet hoort.")


@pytest.fixture
def pupil(school):
    return PupilFactory(school=school, school_class=SchoolClassFactory(school=school,
                                                                       name="groep 6b"),
                        first_name="Noor", last_name="Jansen")


@pytest.fixture
def other_pupil(other_school):
    return PupilFactory(school=other_school, first_name="Fleur", last_name="Visser")


@pytest.fixture
def other_teacher(other_school):
    return staff(Role.LEERKRACHT, other_school, username="leerkracht_andere_school")


@pytest.fixture
def other_vc(other_school):
    return staff(Role.VC, other_school, username="vc_andere_school")


@pytest.fixture
def bestuur2(school):
    return staff(Role.BESTUUR, board=school.board, username="bestuurder2",
                 first_name="Bram", last_name="Bos")


@pytest.fixture
def other_bestuur(other_school):
    return staff(Role.BESTUUR, board=other_school.board, username="bestuurder_ander_bestuur")


@pytest.fixture
def sister_school(school):
    """Another school of the same board."""
    return SchoolFactory(board=school.board)


@pytest.fixture
def record_call():
    def record(actor, pupil, **overrides):
        fields = dict(called_party=CalledParty.VEILIG_THUIS,
                      called_at=timezone.now() - datetime.timedelta(minutes=10),
                      phone_note="Veilig Thuis komt vandaag langs.")
        fields.update(overrides)
        return acute_call_record(actor=actor, pupil=pupil, **fields)
    return record


@pytest.fixture
def report_concern():
    def report(actor, pupil, **overrides):
        fields = dict(observed_on=timezone.localdate(), category=Category.SEXUAL,
                      source=Source.OWN, source_detail="", facts=FACTS,
                      child_words="Hij zei dat ik het aan niemand mocht vertellen.",
                      interpretation="Ik vertrouw het niet.", accused_user=None,
                      accused_description="meester Piet, gymdocent", informed=None)
        fields.update(overrides)
        return staff_concern_report(actor=actor, pupil=pupil, **fields)
    return report


@pytest.fixture
def staff_signal():
    """A staff-suspect signal recorded through the signal form's service (no route yet)."""
    def make(actor, pupil, **overrides):
        fields = dict(school=pupil.school, observed_on=timezone.localdate(),
                      category=Category.SEXUAL, source=Source.OWN, source_detail="",
                      facts=FACTS, child_words="", interpretation="", staff_suspect=True)
        fields.update(overrides)
        return signal_record(actor=actor, pupils=[(pupil, PupilRole.CONCERNED)], **fields)
    return make

"""Fixtures for case tests: pupils, signals, cases (through the real services) and records.

Generic on purpose, so the tests of every case page and record type can share them:
- ``pupil``: a pupil of ``school`` in a group;
- ``make_signal(...)`` / ``signal``: a signal with its first version, about given pupils;
- ``make_case(...)`` / ``case``: a case opened through ``cases.services.case_open`` by the IB'er;
- ``records``: helpers that create step records directly with the ORM (for the workflow
  guards), and ``case_at_step(case, step)`` to walk a case forward through the real workflow.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cases.models import (Consultation, Conversation, SotDiscussion, SotMeeting, Step,
                          VeiligThuisAdvice, VerwijsindexRegistration)
from cases.services import case_open
from cases.workflow import FORWARD, move_case
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import PupilFactory, SchoolClassFactory

# Observations and records some weeks ago; step moves happen "now", after them.
DAY = timezone.localdate() - datetime.timedelta(days=60)


def create_signal(*, school, recorded_by, pupils, observed_on=DAY,
                  facts="Heeft een blauwe plek op de bovenarm.",
                  child_words="", interpretation="", category="lichamelijk", **fields) -> Signal:
    """A signal about ``pupils`` (a pupil or a list) with version 1 of its text."""
    signal = Signal(school=school, recorded_by=recorded_by, observed_on=observed_on,
                    category=category, **fields)
    signal._history_user = recorded_by
    signal.save()
    for pupil in pupils if isinstance(pupils, (list, tuple)) else [pupils]:
        link = SignalPupil(signal=signal, pupil=pupil)
        link._history_user = recorded_by
        link.save()
    version = SignalVersion(signal=signal, number=1, facts=facts, child_words=child_words,
                            interpretation=interpretation, author=recorded_by)
    version._history_user = recorded_by
    version.save()
    return signal


def create_pupil(school, **kwargs):
    kwargs.setdefault("school_class", SchoolClassFactory(school=school))
    return PupilFactory(school=school, **kwargs)


def _record(model, case, author, step, **fields):
    record = model(case=case, step=step, occurred_on=fields.pop("occurred_on", DAY),
                   author=author, **fields)
    record._history_user = author
    record._change_reason = "aangemaakt"
    record.save()
    return record


def create_consultation(case, author, **fields):
    fields = {"consulted": "Collega groep 6", "advice": "Blijf observeren en bespreek met ouders.",
              **fields}
    return _record(Consultation, case, author, fields.pop("step", Step.CONSULTATIE), **fields)


def create_vt_advice(case, author, **fields):
    fields = {"question": "Hoe pakken we dit aan?", "advice": "Voer een gesprek met ouders.",
              **fields}
    return _record(VeiligThuisAdvice, case, author, fields.pop("step", Step.CONSULTATIE),
                   **fields)


def create_conversation(case, author, **fields):
    fields = {"kind": "gesprek", "discussed": "De zorgen besproken.",
              "agreements": "Over twee weken opnieuw.", **fields}
    return _record(Conversation, case, author, fields.pop("step", Step.GESPREK), **fields)


def create_verwijsindex(case, author, **fields):
    fields = {"review_on": DAY + datetime.timedelta(days=730), **fields}
    return _record(VerwijsindexRegistration, case, author, fields.pop("step", Step.SIGNALEN),
                   **fields)


def create_sot_meeting(school, chair, attendees=(), held_on=DAY):
    meeting = SotMeeting(school=school, held_on=held_on, chair=chair, created_by=chair)
    meeting._history_user = chair
    meeting.save()
    if attendees:
        meeting.attendees.add(*attendees)
    return meeting


def create_sot_discussion(case, author, meeting=None, **fields):
    meeting = meeting or create_sot_meeting(case.school, author, [author])
    fields = {"nature_severity": "Herhaalde signalen van lichamelijk letsel.",
              "risk_assessment": "Matig risico.", "agreed_approach": "Melden bij Veilig Thuis.",
              "occurred_on": meeting.held_on, **fields}
    return _record(SotDiscussion, case, author, fields.pop("step", Step.WEGEN), meeting=meeting,
                   **fields)


# What each forward move needs on file (cases.workflow._records_guard).
_REQUIRED_FOR = {
    Step.GESPREK: create_consultation,
    Step.WEGEN: create_conversation,
    Step.BESLISSEN: create_sot_discussion,
}


def walk_to_step(case, step, actor):
    """Move ``case`` forward to ``step`` through the real workflow, creating what each step
    needs on file. Guards that other apps register (step 5, follow-up) still apply."""
    while case.step < step:
        target = FORWARD[Step(case.step)]
        if target in _REQUIRED_FOR:
            _REQUIRED_FOR[target](case, actor)
        case = move_case(case_id=case.pk, target=target, actor=actor)
    return case


@pytest.fixture
def pupil(school):
    return create_pupil(school)


@pytest.fixture
def make_signal(teacher):
    def make(*, pupils, school=None, recorded_by=None, **fields):
        first = pupils[0] if isinstance(pupils, (list, tuple)) else pupils
        return create_signal(school=school or first.school, recorded_by=recorded_by or teacher,
                             pupils=pupils, **fields)
    return make


@pytest.fixture
def signal(make_signal, pupil):
    return make_signal(pupils=pupil, child_words="Papa was boos.",
                       interpretation="Ik maak me zorgen.")


@pytest.fixture
def make_case(ib, make_signal):
    """``make_case(pupil=None, actor=None, signals=None, **kwargs)``: a case via ``case_open``."""
    def make(*, pupil=None, actor=None, signals=None, **kwargs):
        actor = actor or ib
        if pupil is None:
            school = kwargs.pop("school", None) or actor.memberships.first().school
            pupil = create_pupil(school)
        if signals is None:
            signals = [make_signal(pupils=pupil)]
        return case_open(pupil=pupil, actor=actor, signals=signals, **kwargs)
    return make


@pytest.fixture
def case(make_case, pupil, signal):
    return make_case(pupil=pupil, signals=[signal])


@pytest.fixture
def records():
    return SimpleNamespace(
        consultation=create_consultation, vt_advice=create_vt_advice,
        conversation=create_conversation, verwijsindex=create_verwijsindex,
        sot_meeting=create_sot_meeting, sot_discussion=create_sot_discussion,
    )


@pytest.fixture
def case_at_step():
    """``case_at_step(case, step, actor)``: walk the case forward through the workflow."""
    return walk_to_step


@pytest.fixture
def now():
    return timezone.now()

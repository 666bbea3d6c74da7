"""Fixtures for step 5: a case walked to step 5 through the real workflow, with a SOT meeting
attended by the SOT member, and helpers that answer the afwegingskader and record decisions
through the real services."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from afwegingskader import services
from cases.models import Consultation, Conversation, SotDiscussion, SotMeeting, Step
from cases.services import case_open
from cases.workflow import FORWARD, move_case
from schools.roles import Role
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import (ParentFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             staff)

TODAY = timezone.localdate()
DAY = TODAY - datetime.timedelta(days=30)


@pytest.fixture(autouse=True)
def _role_groups(db):
    # The role groups get their case permissions once every app's permissions exist.
    from schools.roles import sync_role_groups

    sync_role_groups()


def create_signal(*, school, recorded_by, pupil, facts="Heeft een blauwe plek op de bovenarm.",
                  child_words="", interpretation="", category="lichamelijk",
                  observed_on=DAY, **flags) -> Signal:
    signal = Signal(school=school, recorded_by=recorded_by, observed_on=observed_on,
                    category=category, **flags)
    signal._history_user = recorded_by
    signal.save()
    link = SignalPupil(signal=signal, pupil=pupil)
    link._history_user = recorded_by
    link.save()
    version = SignalVersion(signal=signal, number=1, facts=facts, child_words=child_words,
                            interpretation=interpretation, author=recorded_by)
    version._history_user = recorded_by
    version.save()
    return signal


def _record(model, case, author, step, **fields):
    record = model(case=case, step=step, occurred_on=fields.pop("occurred_on", DAY),
                   author=author, **fields)
    record._history_user = author
    record.save()
    return record


def walk_to(case, step, actor, *, sot_attendees=()):
    """Move ``case`` forward through the real workflow, creating what each step needs."""
    while case.step < step:
        target = FORWARD[Step(case.step)]
        if target == Step.GESPREK:
            _record(Consultation, case, actor, Step.CONSULTATIE,
                    consulted="jeugdverpleegkundige", advice="Bespreek de zorgen met ouders.")
        elif target == Step.WEGEN:
            _record(Conversation, case, actor, Step.GESPREK, kind="gesprek",
                    discussed="De zorgen besproken.", agreements="Over twee weken opnieuw.")
        elif target == Step.BESLISSEN:
            meeting = SotMeeting(school=case.school, held_on=DAY, chair=actor, created_by=actor)
            meeting._history_user = actor
            meeting.save()
            meeting.attendees.add(actor, *sot_attendees)
            _record(SotDiscussion, case, actor, Step.WEGEN, meeting=meeting,
                    nature_severity="Herhaalde signalen van letsel.", risk_assessment="Hoog.",
                    agreed_approach="Afwegingskader invullen.", occurred_on=DAY)
        case = move_case(case_id=case.pk, target=target, actor=actor)
    return case


@pytest.fixture
def klass(school):
    return SchoolClassFactory(school=school, name="groep 6b")


@pytest.fixture
def pupil(school, klass):
    pupil = PupilFactory(school=school, school_class=klass, first_name="Sanne",
                         last_name="Vermeulen", external_id="LL777001",
                         date_of_birth=datetime.date(2016, 3, 9))
    PupilParentFactory(pupil=pupil, parent=ParentFactory(school=school, name="Karin Vermeulen",
                                                         phone="0612345678"),
                       relationship="moeder")
    return pupil


@pytest.fixture
def make_signal(teacher, pupil):
    def make(**fields):
        fields.setdefault("school", pupil.school)
        fields.setdefault("recorded_by", teacher)
        fields.setdefault("pupil", pupil)
        return create_signal(**fields)
    return make


@pytest.fixture
def signal(make_signal):
    return make_signal(child_words="Papa sloeg me.", interpretation="Ik maak me zorgen.")


@pytest.fixture
def case(ib, pupil, signal):
    return case_open(pupil=pupil, actor=ib, signals=[signal])


@pytest.fixture
def case5(case, ib, sot_member, director):
    """The case at step 5; the SOT member and the directeur attended the SOT meeting."""
    return walk_to(case, Step.BESLISSEN, ib, sot_attendees=[sot_member, director])


@pytest.fixture
def other_case(other_school):
    """A case at step 5 at a school of another board."""
    other_ib = staff(Role.IB, other_school, username="ib_elders")
    teacher = staff(Role.LEERKRACHT, other_school, username="lk_elders")
    pupil = PupilFactory(school=other_school)
    sig = create_signal(school=other_school, recorded_by=teacher, pupil=pupil)
    case = case_open(pupil=pupil, actor=other_ib, signals=[sig])
    return walk_to(case, Step.BESLISSEN, other_ib)


ANSWERS = {
    # outcome: answers
    "no_suspicion": {"q1": False},
    "report": {"q1": True, "q2": "ja"},
    "report_doubt": {"q1": True, "q2": "twijfel"},
    "report_no_help": {"q1": True, "q2": "nee", "q3": False},
    "report_refused": {"q1": True, "q2": "nee", "q3": True, "q4": False},
    "help": {"q1": True, "q2": "nee", "q3": True, "q4": True},
}


def answers(**given) -> dict:
    data = {f"q{n}": None for n in (1, 3, 4, 5)}
    data["q2"] = ""
    data.update(given)
    for n in range(1, 6):
        value = data.get(f"q{n}")
        data.setdefault(f"q{n}_justification",
                        f"Onderbouwing {n}." if value not in (None, "") else "")
    data.setdefault("q2_change_reason", "")
    data.setdefault("specialist_consulted", "")
    return data


def answer(case, actor, reason="", **given):
    from afwegingskader.selectors import assessment_for

    existing = assessment_for(case)
    return services.assessment_save(case=case, actor=actor, data=answers(**given),
                                    base_version=existing.lock_version if existing else None,
                                    reason=reason)


def decide(case, actor, choice, *, urgent=False, **kwargs):
    defaults = {"decided_on": TODAY, "motivation": "Besproken in het SOT.",
                "parents_informer_id": actor.pk, "parents_inform_on": TODAY,
                "reporter_id": actor.pk if choice in ("melden", "beide") else None}
    defaults.update(kwargs)
    return services.decision_record(case=case, actor=actor, choice=choice, urgent=urgent,
                                    **defaults)


REPORT_DATA = {
    "channel": "telefoon", "channel_other": "",
    "persons_involved": [{"name": "Sanne Vermeulen", "relation": "het kind"}],
    "steps_taken": "Signalen, consultatie, gesprek, SOT.",
    "parents_informed": True, "parents_informed_how": "Telefonisch door de IB'er.",
    "parents_reaction": "Moeder was boos maar begreep het.", "parents_exception": "",
    "parents_exception_explanation": "", "anonymity_requested": False, "anonymity_reason": "",
    "anonymity_explanation": "", "vt_reference": "", "investigation_feedback_due": None,
}


def report(case, actor, *, signals=None, **data):
    from cases.models import CaseSignal

    payload = {**REPORT_DATA, "reported_at": timezone.now() - datetime.timedelta(hours=1),
               **data}
    ids = signals if signals is not None else list(
        CaseSignal.objects.filter(case=case).values_list("signal_id", flat=True))
    return services.report_record(case=case, actor=actor, data=payload, reporter_id=actor.pk,
                                  signal_ids=ids)


@pytest.fixture
def ak():
    """Helpers: ``ak.answer(case, actor, q1=True, ...)``, ``ak.decide(case, actor, choice)``,
    ``ak.report(case, actor)``, ``ak.walk_to(case, step, actor)``."""
    return SimpleNamespace(answer=answer, decide=decide, report=report, walk_to=walk_to,
                           answers=answers, create_signal=create_signal)

"""A pupil aged 16 or over asks to destroy their file: recorded, decided once, carried out
through the same two-person destruction or refused with a reason."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import case_open
from retention import selectors, services
from retention.models import RequestDecision, Rule
from tests.factories import PupilFactory

from .conftest import close, make_signal

pytestmark = pytest.mark.django_db


def sixteen_plus(school, **kw):
    today = timezone.localdate()
    return PupilFactory(school=school, date_of_birth=today.replace(year=today.year - 17), **kw)


def record(pupil, actor, **kw):
    values = {"received_on": timezone.localdate(), "channel": "mondeling",
              "request_text": "Mijn hele dossier"}
    return services.request_record(pupil=pupil, actor=actor, **{**values, **kw})


def test_a_pupil_under_sixteen_cannot_ask(school, vc):
    young = PupilFactory(school=school, date_of_birth=timezone.localdate().replace(
        year=timezone.localdate().year - 15))
    with pytest.raises(services.RetentionError, match="16 jaar"):
        record(young, vc)


def test_recorded_with_a_deadline_of_one_month(school, vc):
    req = record(sixteen_plus(school), vc, received_on=datetime.date(2026, 1, 31))
    assert req.due_on == datetime.date(2026, 2, 28) and req.is_open and req.recorded_by == vc
    assert services.one_month_after(datetime.date(2026, 12, 15)) == datetime.date(2027, 1, 15)


def test_only_leads_record_and_decide(school, vc, ib):
    pupil = sixteen_plus(school)
    with pytest.raises(services.RetentionError):
        record(pupil, ib)
    req = record(pupil, vc)
    with pytest.raises(services.RetentionError):
        services.request_decide(request=req, decision=RequestDecision.REFUSED, reason="x",
                                actor=ib)


def test_refusal_needs_a_reason_and_is_final(school, vc, director):
    req = record(sixteen_plus(school), vc)
    with pytest.raises(services.RetentionError, match="reden"):
        services.request_decide(request=req, decision=RequestDecision.REFUSED, reason=" ",
                                actor=director)
    services.request_decide(request=req, decision=RequestDecision.REFUSED,
                            reason="Wettelijke bewaarplicht: procedure loopt", actor=director)
    req.refresh_from_db()
    assert req.decision == RequestDecision.REFUSED and req.decided_by == director
    with pytest.raises(services.RetentionError, match="al beslist"):
        services.request_decide(request=req, decision=RequestDecision.CARRY_OUT, reason="",
                                actor=vc)


def test_granting_makes_closed_cases_due_before_the_term(school, vc, director):
    pupil = sixteen_plus(school)  # still at school: no term has started
    case = close(case_open(pupil=pupil, actor=vc,
                           signals=[make_signal(school, vc, [pupil])]))
    assert case not in selectors.due_cases()
    req = record(pupil, vc)
    services.request_decide(request=req, decision=RequestDecision.CARRY_OUT, reason="",
                            actor=director)
    assert case in selectors.due_cases()
    first = services.destruction_approve(case_id=case.pk, actor=director, stage="goedkeuren")
    assert first.rule == Rule.REQUEST and first.request == req
    done = services.destruction_approve(case_id=case.pk, actor=vc, stage="bevestigen",
                                        proposal_id=first.pk)
    assert done.tombstone.rule == Rule.REQUEST
    assert not Case.objects.filter(pk=case.pk).exists()


def test_granting_is_refused_while_a_case_is_open(school, vc, director):
    pupil = sixteen_plus(school)
    case_open(pupil=pupil, actor=vc)
    req = record(pupil, vc)
    with pytest.raises(services.RetentionError, match="loopt nog"):
        services.request_decide(request=req, decision=RequestDecision.CARRY_OUT, reason="",
                                actor=director)
    req.refresh_from_db()
    assert req.is_open


def test_a_legal_hold_wins_over_a_granted_request(school, vc, director):
    pupil = sixteen_plus(school)
    case = close(case_open(pupil=pupil, actor=vc))
    services.hold_place(case=case, reason="Klacht bij de klachtencommissie", actor=vc)
    services.request_decide(request=record(pupil, vc), decision=RequestDecision.CARRY_OUT,
                            reason="", actor=director)
    assert case not in selectors.due_cases()

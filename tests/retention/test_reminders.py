"""The retention sources of the reminders: the VC and the directeur hear that a term ended,
and that a pupil's request nears its deadline; the scan's query count does not grow."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Kind, Notification
from reminders.models import Reminder
from reminders.services import run_scan
from reminders.sources import get
from retention import services
from retention.reminders import CASE_SOURCE, REQUEST_SOURCE
from schools.roles import Role
from tests.factories import PupilFactory, staff

from .conftest import due_case

pytestmark = pytest.mark.django_db


def test_a_due_case_reminds_the_vc_and_the_directeur(school, vc, director, ib):
    case = due_case(school, vc)
    due_case(school, vc, left_years=1)  # not due yet
    result = run_scan(sources=[get(CASE_SOURCE)])
    assert result.sent == 2
    rows = Reminder.objects.filter(source=CASE_SOURCE)
    assert {r.recipient_id for r in rows} == {vc.pk, director.pk}
    assert {r.object_id for r in rows} == {case.pk}
    note = Notification.objects.get(user=director)
    assert note.kind == Kind.RETENTION and note.url == f"/bewaartermijnen/dossier/{case.pk}/"
    assert run_scan(sources=[get(CASE_SOURCE)]).sent == 0  # once


def test_a_legal_hold_resolves_the_reminder(school, vc, director):
    case = due_case(school, vc)
    services.hold_place(case=case, reason="Rechtszaak", actor=vc)
    assert run_scan(sources=[get(CASE_SOURCE)]).sent == 0


def test_the_case_source_runs_a_fixed_number_of_queries(school, vc):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            list(get(CASE_SOURCE).due(timezone.now()))
        return len(ctx)

    due_case(school, vc)
    one = count()
    for _ in range(5):
        due_case(school, vc)
    assert count() == one <= 3


def test_a_request_nearing_its_deadline_reminds_the_leads(school, vc, director):
    pupil = PupilFactory(school=school, date_of_birth=datetime.date(2000, 1, 1))
    received = timezone.localdate() - datetime.timedelta(days=25)
    req = services.request_record(pupil=pupil, actor=vc, received_on=received,
                                  channel="brief", request_text="alles")
    staff(Role.IB, school, username="ib_not_told")
    assert run_scan(sources=[get(REQUEST_SOURCE)]).sent == 2
    services.request_decide(request=req, decision="geweigerd", reason="bewaarplicht",
                            actor=director)
    assert run_scan(sources=[get(REQUEST_SOURCE)]).resolved == 0  # already sent, nothing new
    assert not list(get(REQUEST_SOURCE).due(timezone.now()))

"""The retention pages through the test client: access, the two-person flow, bad input."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Case
from retention.models import (DestructionProposal, DestructionRequest, LegalHold, RetentionTerm,
                              Tombstone)
from schools.roles import Role
from tests.factories import PupilFactory, staff

from .conftest import due_case

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_list_shows_due_cases_of_the_own_school_only(verified_client, school, other_school,
                                                          vc):
    mine = due_case(school, vc)
    theirs = due_case(other_school, staff(Role.VC, other_school, username="vc_o"))
    page = login(verified_client, vc).get(reverse("retention:proposals")).content.decode()
    assert mine.number in page and mine.pupil.last_name in page
    assert theirs.pupil.last_name not in page


def test_the_list_runs_a_fixed_number_of_queries(verified_client, school, vc):
    login(verified_client, vc)
    due_case(school, vc)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert verified_client.get(reverse("retention:proposals")).status_code == 200
        return len(ctx)

    count()  # the first request after login fills the role-permission cache and the session
    one = count()
    for _ in range(4):
        due_case(school, vc)
    assert count() == one


def test_access_is_scoped(verified_client, school, other_school, ib, vc):
    case = due_case(school, vc)
    url = reverse("retention:proposal", args=[case.pk])
    assert login(verified_client, ib).get(url).status_code == 403
    outsider = staff(Role.DIRECTEUR, other_school, username="dir_o")
    assert login(verified_client, outsider).get(url).status_code == 404
    assert login(verified_client, outsider).post(url, {"stage": "goedkeuren",
                                                       "understood": "on"}).status_code == 404
    assert not DestructionProposal.objects.exists()


def test_approve_and_confirm_through_the_pages(verified_client, school, vc, director):
    case = due_case(school, vc)
    url = reverse("retention:proposal", args=[case.pk])
    client = login(verified_client, vc)
    page = client.get(url)
    assert page.status_code == 200 and "Goedkeuren" in page.content.decode()
    assert AccessLog.objects.filter(user=vc, object_type="cases.case", object_id=case.pk).exists()
    # Without ticking the box nothing happens, with a Dutch message.
    refused = client.post(url, {"stage": "goedkeuren"})
    assert refused.status_code == 200 and "Vink aan" in refused.content.decode()
    assert not DestructionProposal.objects.exists()
    assert client.post(url, {"stage": "goedkeuren", "understood": "on"}).status_code == 302
    proposal = DestructionProposal.objects.get()
    page = client.get(url).content.decode()
    assert "wacht op bevestiging door een ander" in page
    # The VC's own confirmation (a crafted POST) is refused.
    client.post(url, {"stage": "bevestigen", "proposal": proposal.pk, "understood": "on"})
    assert Case.objects.filter(pk=case.pk).exists()
    client = login(verified_client, director)
    assert "definitief vernietigen" in client.get(url).content.decode()
    response = client.post(url, {"stage": "bevestigen", "proposal": proposal.pk,
                                 "understood": "on"})
    assert response.status_code == 302 and response.url == reverse("retention:proposals")
    assert not Case.objects.filter(pk=case.pk).exists()
    log = client.get(reverse("retention:proposals")).content.decode()
    assert "Vernietigingslog" in log and Tombstone.objects.get().pupil_ref[:10] in log
    # A second click on the old page: the case is gone, 404, nothing else happens.
    assert client.post(url, {"stage": "bevestigen", "proposal": proposal.pk,
                             "understood": "on"}).status_code == 404
    assert Tombstone.objects.count() == 1


def test_place_and_lift_a_hold(verified_client, school, vc):
    case = due_case(school, vc)
    client = login(verified_client, vc)
    add = reverse("retention:hold_add", args=[case.pk])
    empty = client.post(add, {"reason": ""})
    assert "Geef een reden" in empty.content.decode()
    assert client.post(add, {"reason": "Klacht loopt"}).status_code == 302
    hold = LegalHold.objects.get()
    assert case.number not in client.get(reverse("retention:proposals")).content.decode().split(
        "Voor vernietiging aan de beurt")[1].split("Bewaarplicht")[0]
    lift = reverse("retention:hold_lift", args=[hold.pk])
    assert client.post(lift, {"reason": "Klacht afgehandeld"}).status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active


def test_the_beheerder_sets_the_board_term(verified_client, school, beheerder, vc):
    url = reverse("retention:terms_edit", args=[school.board_id])
    client = login(verified_client, beheerder)
    assert "2 jaar na uitschrijving" in client.get(reverse("retention:terms")).content.decode()
    bad = client.post(url, {"dossier": "veertig"})
    assert bad.status_code == 200 and "Vul een heel aantal jaren in" in bad.content.decode()
    assert 'value="veertig"' in bad.content.decode()
    too_long = client.post(url, {"dossier": "99"})
    assert "Hoogstens 20 jaar" in too_long.content.decode()
    assert client.post(url, {"dossier": "5", "los_signaal": "2"}).status_code == 302
    assert RetentionTerm.objects.get(board=school.board).years == 5
    assert client.post(url, {"dossier": "7", "los_signaal": "2"}).status_code == 302
    # Every change is in the term's history: who set which term.
    history = RetentionTerm.history.filter(board=school.board).order_by("history_date")
    assert [(h.years, h.history_user_id, h.history_type) for h in history] == [
        (5, beheerder.pk, "+"), (7, beheerder.pk, "~")]
    assert login(verified_client, vc).get(url).status_code == 403


def test_record_and_decide_a_request_through_the_pages(verified_client, school, vc, director):
    today = timezone.localdate()
    pupil = PupilFactory(school=school, date_of_birth=today.replace(year=today.year - 16))
    young = PupilFactory(school=school, date_of_birth=today.replace(year=today.year - 12))
    client = login(verified_client, vc)
    listing = client.get(reverse("retention:requests")).content.decode()
    assert pupil.last_name in listing and young.last_name not in listing
    assert client.get(reverse("retention:request_new", args=[young.pk])).status_code == 200
    refused = client.post(reverse("retention:request_new", args=[young.pk]),
                          {"received_on": today.isoformat(), "channel": "mondeling",
                           "request_text": "Alles weg"})
    assert "16 jaar of ouder" in refused.content.decode() and "Alles weg" in \
        refused.content.decode()
    future = client.post(reverse("retention:request_new", args=[pupil.pk]),
                         {"received_on": (today + datetime.timedelta(days=3)).isoformat(),
                          "channel": "mondeling", "request_text": "Alles weg"})
    assert "in de toekomst" in future.content.decode()
    done = client.post(reverse("retention:request_new", args=[pupil.pk]),
                       {"received_on": today.isoformat(), "channel": "brief",
                        "request_text": "Alles weg"})
    req = DestructionRequest.objects.get()
    assert done.url == reverse("retention:request_detail", args=[req.pk])
    detail = reverse("retention:request_detail", args=[req.pk])
    no_reason = login(verified_client, director).post(detail, {"decision": "geweigerd"})
    assert "Geef de reden van de weigering" in no_reason.content.decode()
    verified_client.post(detail, {"decision": "geweigerd", "reason": "Lopende procedure"})
    req.refresh_from_db()
    assert req.decision == "geweigerd" and req.decided_by == director
    assert "Lopende procedure" in verified_client.get(detail).content.decode()


def test_a_case_is_found_by_number_for_a_hold_before_its_term(verified_client, school,
                                                              other_school, vc):
    mine = due_case(school, vc, left_years=0)
    other_vc = staff(Role.VC, other_school, username="vc_o2")
    theirs = [due_case(other_school, other_vc) for _ in range(3)][-1]
    assert not Case.objects.filter(school=school, number=theirs.number).exists()
    client = login(verified_client, vc)
    found = client.get(reverse("retention:proposals"), {"dossier": mine.number})
    assert found.status_code == 302 and found.url == reverse("retention:proposal",
                                                             args=[mine.pk])
    missing = client.get(reverse("retention:proposals"), {"dossier": theirs.number})
    assert missing.status_code == 200
    assert "geen dossier met dat nummer" in missing.content.decode()
    page = client.get(reverse("retention:proposal", args=[mine.pk])).content.decode()
    assert "niet voor vernietiging in aanmerking" in page and "Bewaarplicht vastleggen" in page

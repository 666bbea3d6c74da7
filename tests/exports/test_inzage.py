"""Access requests (inzage, AVG art. 15): who may ask (R38), the one-month deadline, the
redactions in the copy (R37), who handles them, and the separate export job."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog
from cases.services import ServiceError
from exports import pdf as pdf_module
from exports.documents import inzage_context
from exports.models import AccessRequest, ExportJob, JobKind, JobStatus, Redaction
from exports.pdf import INZAGE_TEMPLATE, render_html
from exports.services import (access_request_complete, access_request_create,
                              access_request_refusals, add_one_month, redaction_add)
from tests.factories import ParentFactory, PupilFactory, PupilParentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def years_ago(years: int, days: int = 0) -> datetime.date:
    return TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch):
    monkeypatch.setattr(pdf_module, "html_to_pdf",
                        lambda html: pdf_module.RenderedPdf(b"%PDF-1.7\n%%EOF\n", 2, ""))


def make_request(pupil, actor, *, kind="ouder", link=None, **kwargs):
    return access_request_create(pupil=pupil, actor=actor, requester_kind=kind,
                                 parent_link=link, received_on=kwargs.pop("received_on", TODAY),
                                 identity_verified=True, **kwargs)


# --- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("received, due", [
    (datetime.date(2026, 3, 15), datetime.date(2026, 4, 15)),
    (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
    (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
    (datetime.date(2026, 12, 10), datetime.date(2027, 1, 10)),
])
def test_deadline_is_one_month(received, due):
    assert add_one_month(received) == due


def test_parent_with_authority_may_ask(pupil, parent_link, director):
    request = make_request(pupil, director, link=parent_link,
                           received_on=TODAY - datetime.timedelta(days=3))
    assert request.requester_name == "Ilse Bakker"
    assert request.due_on == add_one_month(TODAY - datetime.timedelta(days=3))
    assert request.school_id == pupil.school_id and request.is_open


def test_parent_without_authority_is_refused(pupil, director):
    link = PupilParentFactory(pupil=pupil, has_authority=False, relationship="vader")
    with pytest.raises(ServiceError) as exc:
        make_request(pupil, director, link=link)
    assert "geen gezag" in exc.value.messages[0]
    assert not AccessRequest.objects.exists()


def test_parent_of_another_pupil_is_refused(pupil, school, director):
    other = PupilParentFactory(pupil=PupilFactory(school=school))
    assert access_request_refusals(pupil=pupil, requester_kind="ouder", parent_link=other,
                                   received_on=TODAY) == [
        "Deze ouder/verzorger hoort niet bij deze leerling."]


def test_pupil_aged_16_asks_personally(school, director):
    sixteen = PupilFactory(school=school, date_of_birth=years_ago(16))
    request = make_request(sixteen, director, kind="leerling")
    assert request.requester_name == sixteen.full_name and request.parent_link is None
    # ... and a parent can no longer ask on the pupil's behalf.
    link = PupilParentFactory(pupil=sixteen, has_authority=True)
    with pytest.raises(ServiceError) as exc:
        make_request(sixteen, director, link=link)
    assert "16 jaar of ouder" in exc.value.messages[0]


def test_pupil_under_16_may_not_ask_personally(school, director):
    almost = PupilFactory(school=school, date_of_birth=years_ago(16) + datetime.timedelta(days=1))
    with pytest.raises(ServiceError) as exc:
        make_request(almost, director, kind="leerling")
    assert "jonger dan 16 jaar (15 jaar" in exc.value.messages[0]


def test_future_date_and_unverified_identity_are_refused(pupil, parent_link, director):
    with pytest.raises(ServiceError) as exc:
        access_request_create(pupil=pupil, actor=director, requester_kind="ouder",
                              parent_link=parent_link,
                              received_on=TODAY + datetime.timedelta(days=1),
                              identity_verified=False)
    assert len(exc.value.messages) == 2


def test_deadline_index_is_partial():
    index = next(i for i in AccessRequest._meta.indexes if i.name == "access_request_due")
    assert index.fields == ["due_on"] and "completed_at__isnull" in str(index.condition)


# --- who handles requests -----------------------------------------------------------------


@pytest.mark.parametrize("role, status", [("director", 200), ("vc", 200), ("ib", 200),
                                          ("teacher", 403), ("sot_member", 403)])
def test_who_may_handle_requests(verified_client, request, role, status):
    verified_client.force_login(request.getfixturevalue(role))
    assert verified_client.get(reverse("exports:inzage_list")).status_code == status


def test_other_school_gets_404(verified_client, case, parent_link, director, other_director):
    access_request = make_request(case.pupil, director, link=parent_link)
    verified_client.force_login(other_director)
    for url in [reverse("exports:inzage_detail", args=[access_request.pk]),
                reverse("exports:inzage_new", args=[case.pupil.pk])]:
        assert verified_client.get(url).status_code == 404
    assert verified_client.post(reverse("exports:inzage_export",
                                        args=[access_request.pk])).status_code == 404
    assert not ExportJob.objects.exists()


def test_record_a_request_through_the_pages(verified_client, case, parent_link, vc):
    verified_client.force_login(vc)
    listing = verified_client.get(reverse("exports:inzage_list")).content.decode()
    assert case.pupil.full_name in listing
    chosen = verified_client.get(reverse("exports:inzage_list"), {"leerling": case.pupil.pk})
    url = reverse("exports:inzage_new", args=[case.pupil.pk])
    assert chosen["Location"] == url
    form = verified_client.get(url).content.decode()
    assert "Ilse Bakker (moeder, met gezag)" in form
    response = verified_client.post(url, {
        "requester_kind": "ouder", "parent_link": parent_link.pk,
        "received_on": TODAY.isoformat(), "identity_verified": "on",
        "note": "Per brief ontvangen."})
    request = AccessRequest.objects.get()
    assert response["Location"] == reverse("exports:inzage_detail", args=[request.pk])
    assert request.recorded_by == vc and request.due_on == add_one_month(TODAY)


def test_refused_request_keeps_the_input(verified_client, case, director):
    link = PupilParentFactory(pupil=case.pupil, has_authority=False,
                              parent=ParentFactory(school=case.school, name="Piet Zonder"))
    verified_client.force_login(director)
    response = verified_client.post(reverse("exports:inzage_new", args=[case.pupil.pk]), {
        "requester_kind": "ouder", "parent_link": link.pk, "received_on": TODAY.isoformat(),
        "identity_verified": "on", "note": "Mijn eigen toelichting"})
    body = response.content.decode()
    assert response.status_code == 200 and not AccessRequest.objects.exists()
    assert "geen gezag over de leerling" in body and "Mijn eigen toelichting" in body


# --- the copy ----------------------------------------------------------------------------


def copy_html(request):
    return render_html(INZAGE_TEMPLATE, inzage_context(request))


def test_copy_leaves_out_internal_parts_and_other_pupils(filled, parent_link, director):
    request = make_request(filled.case.pupil, director, link=parent_link)
    html = copy_html(request)
    assert "Inzage in de gegevens van de school" in html
    assert f"Dossier {filled.case.number}" in html
    # The copy is kept apart: no timeline, change history, policy notes.
    for internal in ["sectie-tijdlijn", "sectie-bijlage", "Knelpunten voor beleid"]:
        assert internal not in html, internal
    assert "Daan Visser" not in html
    assert "gegevens van andere leerlingen (AVG artikel 15 lid 4)" in html
    consultation = filled.objects["consultation"][0]
    assert consultation.advice in html
    watermark = re.search(r'<div class="watermark"[^>]*>(.*?)</div>', html).group(1)
    running = re.search(r'<div class="running"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert f"verzoek {request.pk}" in watermark
    # Whoever made the copy is not named on it (staff names may be left out).
    assert director.get_full_name() not in watermark + running


def test_redactions_are_applied_in_the_copy(verified_client, filled, parent_link, director):
    request = make_request(filled.case.pupil, director, link=parent_link)
    consultation = filled.objects["consultation"][0]
    signal = filled.objects["signal"][1]
    verified_client.force_login(director)
    detail = verified_client.get(reverse("exports:inzage_detail", args=[request.pk]))
    assert detail.status_code == 200
    redact = reverse("exports:inzage_redact", args=[request.pk, "cases.consultation",
                                                    consultation.pk])
    assert redact in detail.content.decode()
    page = verified_client.get(redact).content.decode()
    assert consultation.advice in page and "Zwartmaken: Advies" in page
    # The whole consultation out; one field of a signal blacked out.
    verified_client.post(redact, {"target": "__geheel__", "reason": "Bevat informatie van "
                                                                    "een derde."})
    verified_client.post(reverse("exports:inzage_redact", args=[
        request.pk, "signals.signal", signal.pk]), {"target": "source_detail",
                                                     "reason": "Naam van de melder."})
    assert Redaction.objects.count() == 2
    html = copy_html(request)
    assert consultation.advice not in html and consultation.consulted not in html
    assert "Bevat informatie van een derde." in html and "Weggelaten onderdeel" in html
    assert signal.source_detail not in html
    assert 'class="redacted">zwartgemaakt<' in html and "Naam van de melder." in html
    assert signal.versions.get().facts in html  # the rest of the signal stays
    # Reading the request page is logged per case.
    assert AccessLog.objects.filter(user=director, case=filled.case,
                                    object_type="exports.accessrequest").exists()


def test_staff_names_can_be_left_out(filled, parent_link, director, ib):
    consultation = filled.objects["consultation"][0]
    consultation.participants = [{"name": ib.get_full_name(), "role": "intern begeleider"},
                                 {"name": "Ilse Bakker", "role": "moeder"}]
    consultation.agreed_actions = f"{ib.get_full_name()} belt de moeder."
    consultation.save()
    request = make_request(filled.case.pupil, director, link=parent_link,
                           redact_staff_names=True,
                           staff_names_reason="Bescherming van de medewerkers.")
    html = copy_html(request)
    assert "[naam medewerker] (intern begeleider), Ilse Bakker (moeder)" in html
    assert "[naam medewerker] belt de moeder." in html
    for user in (ib, filled.objects["signal"][0].recorded_by):
        assert user.get_full_name() not in html
    assert "door een medewerker (naam weggelaten)" in html
    assert "Bescherming van de medewerkers." in html


def test_redaction_must_name_an_entry_of_the_copy(verified_client, filled, parent_link,
                                                  director, other_case):
    request = make_request(filled.case.pupil, director, link=parent_link)
    verified_client.force_login(director)
    bad = reverse("exports:inzage_redact", args=[request.pk, "cases.case", other_case.pk])
    assert verified_client.get(bad).status_code == 404
    with pytest.raises(ServiceError):
        redaction_add(access_request=request, actor=director, object_type="cases.consultation",
                      object_id=filled.objects["consultation"][0].pk, field="password",
                      reason="x", allowed={("cases.consultation",
                                            filled.objects["consultation"][0].pk): {"advice"}})


def test_inzage_copy_is_its_own_job_and_logged(verified_client, filled, parent_link, director,
                                               django_capture_on_commit_callbacks):
    request = make_request(filled.case.pupil, director, link=parent_link)
    verified_client.force_login(director)
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client.post(reverse("exports:inzage_export", args=[request.pk]))
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:job_detail", args=[job.pk])
    assert (job.kind, job.status, job.case, job.access_request) == (
        JobKind.INZAGE, JobStatus.DONE, None, request)
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, case=filled.case,
                                    object_id=job.pk).exists()
    download = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    assert download["Content-Disposition"] == \
        f'attachment; filename="inzagekopie-{request.pk}.pdf"'
    b"".join(download.streaming_content)
    assert AccessLog.objects.filter(action=AccessAction.DOWNLOAD, case=filled.case).exists()


def test_completing_ends_the_request(verified_client, filled, parent_link, director):
    request = make_request(filled.case.pupil, director, link=parent_link)
    verified_client.force_login(director)
    empty = verified_client.post(reverse("exports:inzage_complete", args=[request.pk]), {})
    assert empty.status_code == 400 and "Beschrijf hoe en wanneer" in empty.content.decode()
    verified_client.post(reverse("exports:inzage_complete", args=[request.pk]),
                         {"completion_note": "Op 3 maart persoonlijk overhandigd."})
    request.refresh_from_db()
    assert not request.is_open and request.completed_by == director
    with pytest.raises(ServiceError):
        access_request_complete(access_request=request, actor=director, note="nogmaals")
    response = verified_client.post(reverse("exports:inzage_export", args=[request.pk]))
    assert response.status_code == 302 and not ExportJob.objects.exists()


def test_deadline_reaches_the_reminders(pupil, parent_link, director):
    from django.apps import apps

    if not apps.is_installed("reminders"):
        pytest.skip("reminders app not installed")
    from reminders.sources import get

    from exports.reminders import SOURCE_NAME, access_request_due

    assert get(SOURCE_NAME) is not None
    request = make_request(pupil, director, link=parent_link,
                           received_on=TODAY - datetime.timedelta(days=40))
    now = timezone.now()
    due = list(access_request_due(now))
    assert [(d.level, d.object_id) for d in due] == [(1, request.pk), (2, request.pk)]
    assert due[0].users == (director.pk,) and due[1].roles == ("directeur",)
    assert due[0].url == reverse("exports:inzage_detail", args=[request.pk])
    fresh = make_request(pupil, director, link=parent_link)
    assert fresh.pk not in {d.object_id for d in access_request_due(now)}
    access_request_complete(access_request=request, actor=director, note="verstrekt")
    assert not list(access_request_due(now))


@pytest.mark.parametrize("rows", [1, 25])
def test_request_list_query_count_is_constant(verified_client, director, school, rows,
                                              django_assert_max_num_queries):
    from cases.services import case_open

    for n in range(rows):
        pupil = PupilFactory(school=school)
        case_open(pupil=pupil, actor=director)
        link = PupilParentFactory(pupil=pupil)
        make_request(pupil, director, link=link)
    verified_client.force_login(director)
    with django_assert_max_num_queries(12):
        response = verified_client.get(reverse("exports:inzage_list"))
    assert response.content.decode().count("/export/inzage/") >= rows

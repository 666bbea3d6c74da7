"""Step-up re-authentication (core.stepup): a fresh 2FA code, valid for ten minutes, before
a dossier export (page, start, download, inzage copy) and before the change history.

The permission check comes first: users who may not see the case or may not export keep
their 404/403 and never see the step-up page.
"""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog
from core.models import SecurityEvent, SecurityEventKind
from core.stepup import SESSION_KEY
from exports import pdf as pdf_module
from exports.models import ExportJob
from exports.services import access_request_create
from schools.roles import Role
from tests.factories import ParentFactory, PupilParentFactory, staff

pytestmark = pytest.mark.django_db

STEPUP = reverse("core:stepup")


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch):
    monkeypatch.setattr(pdf_module, "html_to_pdf",
                        lambda html: pdf_module.RenderedPdf(b"%PDF-1.7\n%%EOF\n", 2, ""))


def history_url(case):
    return reverse("cases:history", args=[case.pk])


def export_url(case):
    return reverse("exports:case_export", args=[case.pk])


def assert_stepup_redirect(response, next_url):
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == STEPUP
    assert parse_qs(location.query)["next"] == [next_url]


def set_stamp(client, seconds_ago):
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp() - seconds_ago
    session.save()


# --- without a fresh code: redirected, nothing read or started ----------------------------------

def test_history_without_stepup_redirects_and_reads_nothing(verified_client, ib, case):
    verified_client.force_login(ib)
    response = verified_client.get(history_url(case))
    assert_stepup_redirect(response, history_url(case))
    assert not AccessLog.objects.filter(action=AccessAction.HISTORY).exists()


def test_export_page_and_start_without_stepup_redirect(verified_client, director, case):
    verified_client.force_login(director)
    assert_stepup_redirect(verified_client.get(export_url(case)), export_url(case))
    assert_stepup_redirect(verified_client.post(export_url(case), {"include_history": "on"}),
                           export_url(case))
    assert not ExportJob.objects.exists()


def test_download_asks_again_when_the_stepup_has_lapsed(verified_client, director, case,
                                                        django_capture_on_commit_callbacks):
    verified_client.force_login(director, stepped_up=True)
    with django_capture_on_commit_callbacks(execute=True):
        verified_client.post(export_url(case))
    job = ExportJob.objects.get()
    job_url = reverse("exports:job_detail", args=[job.pk])
    set_stamp(verified_client, 11 * 60)
    response = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    assert_stepup_redirect(response, job_url)
    job.refresh_from_db()
    assert job.downloaded_at is None  # the one download is still there
    verified_client.step_up()
    response = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_inzage_copy_without_stepup_redirects(verified_client, director, case):
    link = PupilParentFactory(pupil=case.pupil, relationship="moeder", has_authority=True,
                              parent=ParentFactory(school=case.school, name="Ilse Bakker"))
    access_request = access_request_create(
        pupil=case.pupil, actor=director, requester_kind="ouder", parent_link=link,
        received_on=timezone.localdate(), identity_verified=True)
    verified_client.force_login(director)
    response = verified_client.post(reverse("exports:inzage_export", args=[access_request.pk]))
    assert_stepup_redirect(response, reverse("exports:inzage_detail", args=[access_request.pk]))
    assert not ExportJob.objects.exists()


# --- fresh and expired --------------------------------------------------------------------------

def test_fresh_stepup_opens_history_and_logs_it(verified_client, ib, case):
    verified_client.force_login(ib)
    set_stamp(verified_client, 9 * 60 + 50)
    assert verified_client.get(history_url(case)).status_code == 200
    assert AccessLog.objects.filter(action=AccessAction.HISTORY, case=case, user=ib).count() == 1


def test_stepup_expires_after_ten_minutes(verified_client, ib, case):
    verified_client.force_login(ib)
    set_stamp(verified_client, 10 * 60 + 1)
    assert_stepup_redirect(verified_client.get(history_url(case)), history_url(case))


def test_stamp_in_the_future_does_not_count(verified_client, ib, case):
    verified_client.force_login(ib)
    set_stamp(verified_client, -3600)
    assert_stepup_redirect(verified_client.get(history_url(case)), history_url(case))


def test_validity_follows_the_setting(verified_client, ib, case, settings):
    settings.MELDCODE_STEPUP_MINUTES = 2
    verified_client.force_login(ib)
    set_stamp(verified_client, 3 * 60)
    assert verified_client.get(history_url(case)).status_code == 302


def test_a_new_login_needs_a_new_stepup(verified_client, ib, case):
    verified_client.force_login(ib, stepped_up=True)
    assert verified_client.get(history_url(case)).status_code == 200
    verified_client.logout()
    verified_client.force_login(ib)
    assert verified_client.get(history_url(case)).status_code == 302


# --- the step-up page ---------------------------------------------------------------------------

def test_correct_code_marks_the_session_and_goes_on(verified_client, ib, case, totp_code):
    verified_client.force_login(ib)
    page = verified_client.get(STEPUP, {"next": history_url(case)})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Bevestig dat u het bent" in body and "10 minuten" in body
    assert f'name="next" value="{history_url(case)}"' in body
    response = verified_client.post(STEPUP, {"code": totp_code(ib), "next": history_url(case)})
    assert response.status_code == 302 and response["Location"] == history_url(case)
    assert verified_client.get(history_url(case)).status_code == 200
    event = SecurityEvent.objects.get()
    assert (event.user, event.kind, event.target) == (ib, SecurityEventKind.STEPUP_PASSED,
                                                      history_url(case))


def test_wrong_code_gives_a_dutch_error(verified_client, ib, case, totp_code):
    verified_client.force_login(ib)
    wrong = str((int(totp_code(ib)) + 1) % 1_000_000).zfill(6)
    response = verified_client.post(STEPUP, {"code": wrong, "next": history_url(case)})
    assert response.status_code == 200
    assert "Deze code klopt niet of is verlopen" in response.content.decode()
    assert SESSION_KEY not in verified_client.session
    assert SecurityEvent.objects.get().kind == SecurityEventKind.STEPUP_FAILED
    assert verified_client.get(history_url(case)).status_code == 302


@pytest.mark.parametrize("code, message", [
    ("", "Vul de code in."), ("12ab56", "De code bestaat uit zes cijfers."),
    ("123", "De code bestaat uit zes cijfers."),
])
def test_malformed_code(verified_client, ib, code, message):
    verified_client.force_login(ib)
    response = verified_client.post(STEPUP, {"code": code})
    assert response.status_code == 200 and message in response.content.decode()


def test_code_already_used_is_not_fresh(verified_client, ib, case, totp_code):
    """The code typed at login (or a moment ago) cannot be used again (replay)."""
    verified_client.force_login(ib)
    code = totp_code(ib)
    assert verified_client.post(STEPUP, {"code": code}).status_code == 302
    verified_client.logout()
    verified_client.force_login(ib)
    response = verified_client.post(STEPUP, {"code": code})
    assert response.status_code == 200
    assert SESSION_KEY not in verified_client.session


def test_right_code_right_after_a_wrong_one_is_throttled_with_a_message(
        verified_client, ib, totp_code):
    verified_client.force_login(ib)
    code = totp_code(ib)
    verified_client.post(STEPUP, {"code": str((int(code) + 1) % 1_000_000).zfill(6)})
    response = verified_client.post(STEPUP, {"code": code})
    assert "Wacht even op de volgende code" in response.content.decode()
    time.sleep(1.1)  # django-otp's delay after one failure is one second
    assert verified_client.post(STEPUP, {"code": code}).status_code == 302


def test_too_many_wrong_codes_end_the_session(verified_client, ib, case, settings):
    settings.MELDCODE_RATELIMITS = {**settings.MELDCODE_RATELIMITS, "stepup-user": (3, 900)}
    verified_client.force_login(ib)
    for _ in range(3):
        assert verified_client.post(STEPUP, {"code": "000000"}).status_code == 200
    response = verified_client.post(STEPUP, {"code": "000000"})
    assert response.status_code == 429
    assert "te vaak een verkeerde code" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.STEPUP_LOCKED, user=ib).exists()
    # Logged out: the next page asks for the login.
    response = verified_client.get(history_url(case))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


@pytest.mark.parametrize("target", [
    "https://evil.example/steal", "//evil.example/", "http://testserver.evil.example/",
    "javascript:alert(1)", "",
])
def test_next_outside_the_site_goes_to_the_dashboard(verified_client, ib, target, totp_code):
    verified_client.force_login(ib)
    page = verified_client.get(STEPUP, {"next": target}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page
    response = verified_client.post(STEPUP, {"code": totp_code(ib), "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")


def test_stepup_page_needs_a_verified_login(client, ib):
    response = client.get(STEPUP)
    assert response.status_code == 302 and "/account/login/" in response["Location"]


# --- permission first ---------------------------------------------------------------------------

def test_other_users_get_404_not_a_stepup(verified_client, case, teacher, other_school):
    outsider = staff(Role.IB, other_school, username="ib_elders")
    for user in (teacher, outsider):  # teacher: same school, no access to this case
        verified_client.force_login(user)
        assert verified_client.get(history_url(case)).status_code == 404
        assert verified_client.get(export_url(case)).status_code == 404


def test_case_reader_without_export_right_gets_403_not_a_stepup(verified_client, ib, case):
    verified_client.force_login(ib)
    assert verified_client.get(export_url(case)).status_code == 403
    assert verified_client.post(export_url(case)).status_code == 403


def test_someone_elses_job_is_404_before_stepup(verified_client, director, school, case,
                                                django_capture_on_commit_callbacks):
    verified_client.force_login(director, stepped_up=True)
    with django_capture_on_commit_callbacks(execute=True):
        verified_client.post(export_url(case))
    job = ExportJob.objects.get()
    second = staff(Role.DIRECTEUR, school, username="tweede_directeur")
    verified_client.force_login(second)
    assert verified_client.post(reverse("exports:job_download", args=[job.pk])).status_code == 404


def test_stepup_for_one_case_counts_for_the_session_not_other_users(verified_client, ib, vc,
                                                                     case):
    verified_client.force_login(ib, stepped_up=True)
    assert verified_client.get(history_url(case)).status_code == 200
    verified_client.force_login(vc)  # another user signing in on the same browser
    assert verified_client.get(history_url(case)).status_code == 302

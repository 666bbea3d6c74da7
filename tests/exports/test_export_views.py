"""Dossier export: who may export, the job and its progress, the one download, expiry.

The PDF step is replaced by a stub here (the slow tests render real PDFs); the Celery task
runs eagerly (CELERY_TASK_ALWAYS_EAGER) once the request's transaction commits.
"""

import datetime
import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog
from exports import pdf as pdf_module
from exports.models import ExportJob, JobKind, JobStatus
from exports.services import cleanup_expired, run_export
from schools.roles import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7\n% nep-pdf voor tests\n%%EOF\n"


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch):
    calls = []

    def fake(html):
        calls.append(html)
        return pdf_module.RenderedPdf(FAKE_PDF, 3, "pdf/ua-1")

    monkeypatch.setattr(pdf_module, "html_to_pdf", fake)
    return calls


def export(client, user, case, *, history=False, run=True, capture=None):
    client.force_login(user)
    data = {"include_history": "on"} if history else {}
    url = reverse("exports:case_export", args=[case.pk])
    if run:
        with capture(execute=True):
            return client.post(url, data)
    return client.post(url, data)


def test_director_exports_and_downloads_once(verified_client, director, filled,
                                             django_capture_on_commit_callbacks, fake_pdf):
    case = filled.case
    verified_client.force_login(director)
    response = verified_client.get(reverse("exports:case_export", args=[case.pk]))
    assert response.status_code == 200
    assert "Dossier exporteren" in response.content.decode()

    response = export(verified_client, director, case, history=True,
                      capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job_detail", args=[job.pk])
    assert (job.kind, job.status, job.progress, job.requester, job.case) == (
        JobKind.DOSSIER, JobStatus.DONE, 100, director, case)
    assert job.include_history and job.page_count == 3
    assert default_storage.exists(job.file_name)
    assert "Bijlage: wijzigingen" in fake_pdf[0]
    expected = job.created_at + datetime.timedelta(minutes=15)
    assert abs((job.expires_at - expected).total_seconds()) < 5
    assert AccessLog.objects.filter(user=director, case=case, action=AccessAction.EXPORT,
                                    object_type="exports.exportjob", object_id=job.pk).exists()

    page = verified_client.get(reverse("exports:job_detail", args=[job.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Klaar om te downloaden." in body and "Downloaden (pdf)" in body
    status = verified_client.get(reverse("exports:job_status", args=[job.pk])).json()
    assert status["status"] == "klaar" and status["downloadable"] and status["progress"] == 100

    response = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="dossier-{case.number}.pdf"'
    assert b"".join(response.streaming_content) == FAKE_PDF
    job.refresh_from_db()
    assert job.downloaded_at and job.file_removed_at
    assert not default_storage.exists(job.file_name)
    assert AccessLog.objects.filter(user=director, case=case, action=AccessAction.DOWNLOAD,
                                    object_id=job.pk).count() == 1

    again = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    assert again.status_code == 410
    assert "niet meer beschikbaar" in again.content.decode()
    assert not verified_client.get(reverse("exports:job_status", args=[job.pk])).json()[
        "downloadable"]


@pytest.mark.parametrize("role", ["ib", "vc"])
def test_case_leads_without_export_permission_get_403(verified_client, request, case, role):
    user = request.getfixturevalue(role)
    verified_client.force_login(user)
    url = reverse("exports:case_export", args=[case.pk])
    assert verified_client.get(url).status_code == 403
    assert verified_client.post(url).status_code == 403
    assert not ExportJob.objects.exists()


def test_teacher_and_other_school_get_404(verified_client, case, teacher, other_director,
                                          other_case, director):
    url = reverse("exports:case_export", args=[case.pk])
    for user in (teacher, other_director):
        verified_client.force_login(user)
        assert verified_client.get(url).status_code == 404
        assert verified_client.post(url).status_code == 404
    verified_client.force_login(director)
    assert verified_client.get(reverse("exports:case_export",
                                       args=[other_case.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, case):
    response = client.get(reverse("exports:case_export", args=[case.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_export_permission_follows_the_role_group(verified_client, case, ib):
    """R35: which roles export is configured on the role groups, not in code."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="Intern begeleider")
    group.permissions.add(Permission.objects.get(codename="export_dossier",
                                                 content_type__app_label="cases"))
    verified_client.force_login(ib)
    assert verified_client.get(reverse("exports:case_export",
                                       args=[case.pk])).status_code == 200


def test_only_the_requester_sees_and_downloads_the_job(verified_client, director, case, school,
                                                       django_capture_on_commit_callbacks):
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    second_director = staff(Role.DIRECTEUR, school, username="tweede_directeur")
    verified_client.force_login(second_director)
    for name in ("job_detail", "job_status"):
        assert verified_client.get(reverse(f"exports:{name}", args=[job.pk])).status_code == 404
    assert verified_client.post(reverse("exports:job_download",
                                        args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.downloaded_at is None and default_storage.exists(job.file_name)


def test_a_role_that_ended_ends_the_download_too(verified_client, director, case,
                                                django_capture_on_commit_callbacks):
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    director.memberships.update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    verified_client.force_login(director)
    for name in ("job_detail", "job_status"):
        assert verified_client.get(reverse(f"exports:{name}", args=[job.pk])).status_code == 404
    assert verified_client.post(reverse("exports:job_download",
                                        args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.downloaded_at is None


def test_queued_job_page_works_without_javascript(verified_client, director, case):
    export(verified_client, director, case, run=False)  # no commit: the task has not run
    job = ExportJob.objects.get()
    page = verified_client.get(reverse("exports:job_detail", args=[job.pk])).content.decode()
    assert "In de wachtrij" in page
    assert f'href="{reverse("exports:job_detail", args=[job.pk])}" data-export-refresh>' \
           'Vernieuwen</a>' in page
    assert 'data-export-download hidden' in page
    assert 'src="/static/js/exports.js"' in page and "<script>" not in page
    status = verified_client.get(reverse("exports:job_status", args=[job.pk])).json()
    assert status == {**status, "status": "wachtrij", "finished": False, "downloadable": False}
    assert verified_client.post(reverse("exports:job_download", args=[job.pk])).status_code == 410


def test_expired_job_gives_410_and_its_file_is_removed(verified_client, director, case,
                                                       django_capture_on_commit_callbacks):
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now()
                                               - datetime.timedelta(seconds=1))
    assert verified_client.post(reverse("exports:job_download",
                                        args=[job.pk])).status_code == 410
    job.refresh_from_db()
    assert job.file_removed_at and not default_storage.exists(job.file_name)
    assert not AccessLog.objects.filter(action=AccessAction.DOWNLOAD).exists()


def test_cleanup_removes_expired_files_only(verified_client, director, case,
                                            django_capture_on_commit_callbacks):
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    old, fresh = ExportJob.objects.order_by("pk")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now()
                                               - datetime.timedelta(minutes=1))
    assert cleanup_expired() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not default_storage.exists(old.file_name) and old.file_removed_at
    assert default_storage.exists(fresh.file_name) and fresh.file_removed_at is None
    assert cleanup_expired() == 0  # idempotent


def test_cleanup_task_runs_eagerly():
    from exports.tasks import cleanup_expired_exports

    assert cleanup_expired_exports.delay().get() == 0


def test_failed_render_marks_the_job_failed(verified_client, director, case, monkeypatch,
                                            django_capture_on_commit_callbacks):
    def broken(html):
        raise RuntimeError("kapot")

    monkeypatch.setattr(pdf_module, "html_to_pdf", broken)
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert (job.status, job.error, job.file_name) == (JobStatus.FAILED, "RuntimeError", "")
    page = verified_client.get(reverse("exports:job_detail", args=[job.pk])).content.decode()
    assert "mislukt" in page


def test_task_is_idempotent(verified_client, director, case, django_capture_on_commit_callbacks,
                            fake_pdf):
    export(verified_client, director, case, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert run_export(job.pk) == JobStatus.DONE
    assert len(fake_pdf) == 1  # not rendered again
    assert run_export(987654) == "missing"


def test_job_expired_before_it_ran_is_not_rendered(director, case, fake_pdf):
    from exports.services import dossier_export_request

    job = dossier_export_request(case=case, requester=director, include_history=False)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    assert run_export(job.pk) == JobStatus.FAILED
    assert not fake_pdf


def test_ttl_setting(settings, director, case):
    from exports.services import dossier_export_request

    settings.MELDCODE_EXPORT_TTL_MINUTES = 3
    job = dossier_export_request(case=case, requester=director, include_history=False)
    assert (job.expires_at - job.created_at) < datetime.timedelta(minutes=3, seconds=5)


def test_case_page_offers_the_export_in_its_body_not_in_its_title(verified_client, director,
                                                                  case):
    verified_client.force_login(director)
    page = verified_client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "exporteren" not in title.lower() and "<" not in title
    main = page[page.index("<main"):]
    assert reverse("exports:case_export", args=[case.pk]) in main


def test_render_retried_when_the_database_went_away(director, case, fake_pdf, monkeypatch):
    """Found by the soak run: connections dropped mid-render left the job "running" forever,
    because marking it failed needs the database too. The task now retries."""
    from types import SimpleNamespace

    from django.db import OperationalError

    from exports import services, tasks
    from exports.services import dossier_export_request

    job = dossier_export_request(case=case, requester=director, include_history=False)
    real, calls, closed = services.run_export, [], []

    def flaky(job_id):
        calls.append(job_id)
        if len(calls) == 1:
            ExportJob.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, progress=36)
            raise OperationalError("the connection is closed")
        return real(job_id)

    monkeypatch.setattr(services, "run_export", flaky)
    monkeypatch.setattr(tasks, "connections", SimpleNamespace(close_all=lambda: closed.append(1)))
    tasks.render_export.apply(args=[job.pk], throw=False)
    job.refresh_from_db()
    assert (calls, len(closed), job.status, len(fake_pdf)) == ([job.pk] * 2, 1, JobStatus.DONE, 1)

"""Writes: export jobs and their short-lived files, access requests and redactions.

Who may do what is decided before these are called (views: ``cases.selectors`` for the
dossier, ``exports.selectors`` for access requests); the rules *about* the request itself
(gezag, age 16, the one-month deadline) live here. Every export request and every download
writes an access-log row (ids only).
"""

from __future__ import annotations

import calendar
import datetime
import logging
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import AccessAction, Case
from cases.services import ServiceError, log_access
from schools.models import Pupil, PupilParent

from .models import (AccessRequest, ExportJob, JobKind, JobStatus, Redaction,
                     RequesterKind)

logger = logging.getLogger(__name__)

#: Age from which the pupil exercises the right of access personally (domain.md §7).
OWN_RIGHT_AGE = 16
CHUNK = 64 * 1024


def export_ttl() -> datetime.timedelta:
    """How long a rendered file is kept (setting ``MELDCODE_EXPORT_TTL_MINUTES``, default 15)."""
    return datetime.timedelta(minutes=int(getattr(settings, "MELDCODE_EXPORT_TTL_MINUTES", 15)))


# --- export jobs -------------------------------------------------------------------------


def _enqueue(job: ExportJob) -> None:
    from .tasks import render_export

    render_export.delay_on_commit(job.pk)


@transaction.atomic
def dossier_export_request(*, case: Case, requester, include_history: bool) -> ExportJob:
    """Queue a PDF of the whole dossier. The caller checked ``export_dossier`` (R35)."""
    job = ExportJob.objects.create(kind=JobKind.DOSSIER, requester=requester,
                                   school_id=case.school_id, case=case,
                                   include_history=include_history,
                                   expires_at=timezone.now() + export_ttl())
    log_access(user=requester, obj=job, action=AccessAction.EXPORT, case=case)
    _enqueue(job)
    return job


@transaction.atomic
def inzage_export_request(*, access_request: AccessRequest, requester) -> ExportJob:
    """Queue the inzage copy. Logged once per case the copy draws from."""
    from .documents import inzage_cases

    if not access_request.is_open:
        raise ServiceError(_("Dit verzoek is afgehandeld; er kan geen nieuwe kopie meer worden "
                             "gemaakt."))
    job = ExportJob.objects.create(kind=JobKind.INZAGE, requester=requester,
                                   school_id=access_request.school_id,
                                   access_request=access_request,
                                   expires_at=timezone.now() + export_ttl())
    _log_job(job, requester, AccessAction.EXPORT, inzage_cases(access_request))
    _enqueue(job)
    return job


def _log_job(job: ExportJob, user, action: str, cases=None) -> None:
    if job.kind == JobKind.DOSSIER:
        log_access(user=user, obj=job, action=action, case=job.case)
        return
    cases = list(cases) if cases is not None else []
    for case in cases:
        log_access(user=user, obj=job, action=action, case=case)
    if not cases:
        log_access(user=user, obj=job, action=action, case=None)


def _set(job_id: int, **values) -> int:
    # Job rows carry no history (they are not case data), so a plain UPDATE is right here.
    return ExportJob.objects.filter(pk=job_id).update(**values)


def run_export(job_id: int) -> str:
    """Render and store the PDF of one job; idempotent (a finished job is left alone).

    Returns the resulting status. Never raises for a rendering failure: the job is marked
    failed with a technical code (no content) and the error is logged by job id.
    """
    from . import documents
    from .pdf import DOSSIER_TEMPLATE, INZAGE_TEMPLATE, html_to_pdf, render_html

    now = timezone.now()
    with transaction.atomic():
        job = (ExportJob.objects.select_for_update(of=("self",))
               .select_related("requester", "access_request", "access_request__pupil")
               .filter(pk=job_id).first())
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job.status if job else "missing"
        if job.expires_at <= now:
            _set(job.pk, status=JobStatus.FAILED, error="expired", finished_at=now,
                 file_removed_at=now)
            return JobStatus.FAILED
        _set(job.pk, status=JobStatus.RUNNING, started_at=now, progress=5)

    def progress(done: int, total: int) -> None:
        _set(job.pk, progress=5 + int(55 * done / max(total, 1)))

    try:
        if job.kind == JobKind.DOSSIER:
            case = documents.case_for_export(job.case_id)
            context = documents.dossier_context(case, requester=job.requester,
                                                include_history=job.include_history,
                                                progress=progress)
            html = render_html(DOSSIER_TEMPLATE, context)
        else:
            context = documents.inzage_context(job.access_request, progress=progress)
            html = render_html(INZAGE_TEMPLATE, context)
        _set(job.pk, progress=65)
        rendered = html_to_pdf(html)
        _set(job.pk, progress=95)
        name = default_storage.save(f"exports/{uuid.uuid4().hex}.pdf",
                                    ContentFile(rendered.content))
    except Exception as exc:
        logger.exception("exports: job %s failed", job.pk)
        _set(job.pk, status=JobStatus.FAILED, error=type(exc).__name__[:100],
             finished_at=timezone.now())
        return JobStatus.FAILED
    finished = timezone.now()
    # Only a job that is still wanted gets its file; otherwise the file goes at once.
    stored = ExportJob.objects.filter(pk=job.pk, file_removed_at__isnull=True,
                                      expires_at__gt=finished).update(
        status=JobStatus.DONE, progress=100, file_name=name, page_count=rendered.pages,
        finished_at=finished)
    if not stored:
        default_storage.delete(name)
        _set(job.pk, status=JobStatus.FAILED, error="expired", finished_at=finished,
             file_removed_at=finished)
        return JobStatus.FAILED
    return JobStatus.DONE


def job_is_downloadable(job: ExportJob, now=None) -> bool:
    now = now or timezone.now()
    return (job.status == JobStatus.DONE and job.downloaded_at is None
            and job.file_removed_at is None and job.expires_at > now and bool(job.file_name))


def remove_file(job: ExportJob) -> None:
    """Delete the job's file (if any) and record that it is gone."""
    if job.file_name:
        try:
            default_storage.delete(job.file_name)
        except OSError:
            logger.warning("exports: could not delete the file of job %s", job.pk)
    now = timezone.now()
    _set(job.pk, file_removed_at=now)
    job.file_removed_at = now


class DownloadGone(Exception):
    """The file was downloaded before, has expired or was never made."""


def download_stream(*, job: ExportJob, user) -> Iterator[bytes]:
    """Claim the one download of ``job`` for ``user`` (its requester) and stream the file,
    deleting it once streamed (also when the client breaks off). Logs the download.

    Raises :class:`DownloadGone` when the file is no longer there to download.
    """
    now = timezone.now()
    if job.requester_id != user.pk:  # the views already answer 404; belt and braces
        raise DownloadGone
    if job.status == JobStatus.DONE and job.expires_at <= now and job.file_removed_at is None:
        remove_file(job)
        raise DownloadGone
    claimed = ExportJob.objects.filter(
        pk=job.pk, requester=user, status=JobStatus.DONE, downloaded_at__isnull=True,
        file_removed_at__isnull=True, expires_at__gt=now).exclude(file_name="").update(
        downloaded_at=now)
    if not claimed:
        raise DownloadGone
    job.downloaded_at = now
    cases = None
    if job.kind == JobKind.INZAGE:
        from .documents import inzage_cases

        cases = inzage_cases(job.access_request)
    _log_job(job, user, AccessAction.DOWNLOAD, cases)
    try:
        handle = default_storage.open(job.file_name, "rb")
    except OSError:
        remove_file(job)
        raise DownloadGone from None

    def stream():
        try:
            while chunk := handle.read(CHUNK):
                yield chunk
        finally:
            handle.close()
            remove_file(job)

    return stream()


def cleanup_expired(now=None) -> int:
    """Remove every file whose job expired; fail jobs that never finished. Returns the count.

    Scans the partial index ``export_file_expiry`` (jobs whose file may still exist).
    """
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(file_removed_at__isnull=True, expires_at__lte=now):
        remove_file(job)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            _set(job.pk, status=JobStatus.FAILED, error="expired", finished_at=now)
        count += 1
    return count


# --- access requests (AVG art. 15, R37, R38) -------------------------------------------------


def add_one_month(day: datetime.date) -> datetime.date:
    """The same day next month, or that month's last day (31 January → 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def access_request_refusals(*, pupil: Pupil, requester_kind: str,
                            parent_link: PupilParent | None,
                            received_on: datetime.date) -> list[str]:
    """Why this person may not ask for access (Dutch), or [] when they may (R38)."""
    age = pupil.age_on(received_on)
    if requester_kind == RequesterKind.PUPIL:
        if age < OWN_RIGHT_AGE:
            return [_("De leerling is jonger dan 16 jaar (%(age)s jaar op de datum van het "
                      "verzoek). Tot 16 jaar oefent een ouder met gezag het recht op inzage "
                      "uit.") % {"age": age}]
        return []
    if requester_kind != RequesterKind.PARENT:
        return [_("Kies wie het verzoek doet.")]
    if parent_link is None:
        return [_("Kies de ouder/verzorger die het verzoek doet.")]
    if parent_link.pupil_id != pupil.pk:
        return [_("Deze ouder/verzorger hoort niet bij deze leerling.")]
    errors = []
    if not parent_link.has_authority:
        errors.append(_("Deze ouder/verzorger heeft geen gezag over de leerling. Een ouder "
                        "zonder gezag heeft geen recht op inzage in het dossier, alleen op "
                        "belangrijke informatie over het kind, tenzij dat het kind schaadt."))
    if age >= OWN_RIGHT_AGE:
        errors.append(_("De leerling is 16 jaar of ouder: het recht op inzage ligt dan bij de "
                        "leerling zelf. Een verzoek van de ouder kan alleen met toestemming "
                        "van de leerling; leg het verzoek dan vast op naam van de leerling."))
    return errors


@transaction.atomic
def access_request_create(*, pupil: Pupil, actor, requester_kind: str,
                          parent_link: PupilParent | None, received_on: datetime.date,
                          identity_verified: bool, note: str = "",
                          redact_staff_names: bool = False,
                          staff_names_reason: str = "") -> AccessRequest:
    """Record an access request with its one-month deadline, or refuse it (ServiceError)."""
    errors = access_request_refusals(pupil=pupil, requester_kind=requester_kind,
                                     parent_link=parent_link, received_on=received_on)
    if received_on > timezone.localdate():
        errors.append(_("De datum van ontvangst ligt in de toekomst."))
    if not identity_verified:
        errors.append(_("Controleer eerst de identiteit van de aanvrager."))
    if redact_staff_names and not staff_names_reason.strip():
        errors.append(_("Geef de reden om de namen van medewerkers weg te laten."))
    if errors:
        raise ServiceError(errors)
    name = parent_link.parent.name if requester_kind == RequesterKind.PARENT else pupil.full_name
    request = AccessRequest(
        school_id=pupil.school_id, pupil=pupil, requester_kind=requester_kind,
        parent_link=parent_link if requester_kind == RequesterKind.PARENT else None,
        requester_name=name, received_on=received_on, due_on=add_one_month(received_on),
        identity_verified=True, note=note.strip(), redact_staff_names=redact_staff_names,
        staff_names_reason=staff_names_reason.strip() if redact_staff_names else "",
        recorded_by=actor)
    request._history_user, request._change_reason = actor, "inzageverzoek vastgelegd"
    request.save()
    return request


def _lock_open(access_request: AccessRequest) -> AccessRequest:
    locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if not locked.is_open:
        raise ServiceError(_("Dit verzoek is afgehandeld en kan niet meer worden gewijzigd."))
    return locked


@transaction.atomic
def access_request_set_staff_names(*, access_request: AccessRequest, actor, redact: bool,
                                   reason: str) -> AccessRequest:
    locked = _lock_open(access_request)
    if redact and not reason.strip():
        raise ServiceError(_("Geef de reden om de namen van medewerkers weg te laten."))
    locked.redact_staff_names = redact
    locked.staff_names_reason = reason.strip() if redact else ""
    locked._history_user = actor
    locked._change_reason = "namen van medewerkers " + ("weglaten" if redact else "tonen")
    locked.save()
    return locked


@transaction.atomic
def redaction_add(*, access_request: AccessRequest, actor, object_type: str, object_id: int,
                  field: str, reason: str, allowed: dict) -> Redaction:
    """Leave out an entry (``field`` "") or black out one of its fields, with a reason.

    ``allowed`` maps (object_type, object_id) to the entry's field names, as built from the
    copy itself: nothing outside the copy can be named.
    """
    _lock_open(access_request)
    fields = allowed.get((object_type, object_id))
    if fields is None or (field and field not in fields):
        raise ServiceError(_("Dit onderdeel hoort niet bij de kopie."))
    if not reason.strip():
        raise ServiceError(_("Geef de reden om dit weg te laten."))
    existing = Redaction.objects.filter(access_request=access_request, object_type=object_type,
                                        object_id=object_id, field=field).first()
    if existing is not None:
        raise ServiceError(_("Dit is al weggelaten."))
    redaction = Redaction(access_request=access_request, object_type=object_type,
                          object_id=object_id, field=field, reason=reason.strip(),
                          created_by=actor)
    redaction._history_user, redaction._change_reason = actor, "weglating vastgelegd"
    redaction.save()
    return redaction


@transaction.atomic
def redaction_remove(*, redaction: Redaction, actor) -> None:
    _lock_open(redaction.access_request)
    redaction._history_user, redaction._change_reason = actor, "weglating ingetrokken"
    redaction.delete()


@transaction.atomic
def access_request_complete(*, access_request: AccessRequest, actor, note: str) -> AccessRequest:
    """Mark the request answered (the copy was handed over); this ends the reminders."""
    locked = _lock_open(access_request)
    if not note.strip():
        raise ServiceError(_("Beschrijf hoe en wanneer de kopie is verstrekt."))
    locked.completed_at, locked.completed_by = timezone.now(), actor
    locked.completion_note = note.strip()
    locked._history_user, locked._change_reason = actor, "afgehandeld"
    locked.save()
    return locked

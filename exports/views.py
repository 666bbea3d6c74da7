"""Export and inzage pages.

Dossier export: the case through ``case_get_for_user`` (404 when invisible), then
``export_dossier`` in ``case_permissions`` (403 otherwise: R35, only the directeur and roles a
school configures). Jobs, their status and their one download belong to the requester only;
anyone else gets a 404. Access requests: ``exports.selectors`` (404 outside the user's
schools, 403 for users who handle requests nowhere).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import AccessAction
from cases.selectors import case_get_for_user, case_permissions
from cases.services import ServiceError, log_access
from core import ratelimit
from core.stepup import require_stepup

from . import forms, redaction, selectors, services
from .documents import inzage_parts
from .models import JobKind, JobStatus, Redaction

# --- dossier export ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_export(request, case_pk: int):
    """The "Dossier exporteren" page: options, then POST queues the job."""
    case = case_get_for_user(request.user, case_pk)
    if "export_dossier" not in case_permissions(request.user, case):
        raise PermissionDenied
    # After the permission check: a fresh 2FA code (issue 7); a POST comes back to this page.
    if (stepup_redirect := require_stepup(
            request, reverse("exports:case_export", args=[case.pk]))) is not None:
        return stepup_redirect
    form = forms.ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if ratelimit.exceeded("export-user", str(request.user.pk)):
            return ratelimit.too_many_requests(request, what=_(
                "U heeft het afgelopen uur veel exports gestart. Bestanden die al klaarstaan "
                "kunt u nog gewoon downloaden."))
        job = services.dossier_export_request(
            case=case, requester=request.user,
            include_history=form.cleaned_data["include_history"])
        return redirect("exports:job_detail", job.pk)
    return render(request, "exports/case_export.html", {
        "case": case, "form": form, "jobs": selectors.jobs_of(request.user, case=case),
        "ttl_minutes": int(services.export_ttl().total_seconds() // 60),
    })


def _job_state(job) -> dict:
    now = timezone.now()
    expired = job.expires_at <= now
    downloadable = services.job_is_downloadable(job, now)
    if job.downloaded_at:
        label = _("Gedownload; het bestand is verwijderd.")
    elif job.status == JobStatus.FAILED:
        label = (_("Verlopen voordat het bestand klaar was.") if job.error == "expired"
                 else _("Het maken van het bestand is mislukt. Probeer het opnieuw."))
    elif job.status == JobStatus.DONE and (expired or job.file_removed_at):
        label = _("Verlopen; het bestand is verwijderd.")
    elif job.status == JobStatus.DONE:
        label = _("Klaar om te downloaden.")
    elif job.status == JobStatus.RUNNING:
        label = _("Het bestand wordt gemaakt…")
    else:
        label = _("In de wachtrij…")
    return {"status": job.status, "progress": job.progress, "label": label,
            "finished": job.is_finished or expired, "downloadable": downloadable,
            "expires_at": job.expires_at.isoformat(), "pages": job.page_count}


@login_required
@require_GET
@never_cache
def job_detail(request, pk: int):
    job = selectors.job_get_for_requester(request.user, pk)
    back = (reverse("exports:case_export", args=[job.case_id]) if job.kind == JobKind.DOSSIER
            else reverse("exports:inzage_detail", args=[job.access_request_id]))
    return render(request, "exports/job_detail.html", {
        "job": job, "state": _job_state(job), "back_url": back,
    })


@login_required
@require_GET
@never_cache
def job_status(request, pk: int):
    """Small JSON for the progress poller (``static/js/exports.js``). No case content."""
    job = selectors.job_get_for_requester(request.user, pk)
    return JsonResponse(_job_state(job))


@login_required
@require_POST
@never_cache
def job_download(request, pk: int):
    """Stream the PDF once to its requester, then delete it. POST: no prefetch can eat it."""
    job = selectors.job_get_for_requester(request.user, pk)
    # The file outlives the step-up window (TTL 15 minutes): ask again when it has lapsed.
    if (stepup_redirect := require_stepup(
            request, reverse("exports:job_detail", args=[job.pk]))) is not None:
        return stepup_redirect
    try:
        stream = services.download_stream(job=job, user=request.user)
    except services.DownloadGone:
        return render(request, "exports/job_gone.html", {"job": job, "state": _job_state(job)},
                      status=410)
    response = StreamingHttpResponse(stream, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{job.download_name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- access requests (inzage) -----------------------------------------------------------------


def _require_inzage_role(user) -> None:
    if not selectors.inzage_school_ids(user):
        raise PermissionDenied


@login_required
@require_GET
def inzage_list(request):
    _require_inzage_role(request.user)
    today = timezone.localdate()
    requests_ = list(selectors.access_requests_visible_to(request.user)
                     .order_by("completed_at", "due_on", "-pk")[:200])
    for item in requests_:
        item.overdue = item.is_open and item.due_on < today
        item.due_soon = item.is_open and not item.overdue and (item.due_on - today).days <= 7
    pupils = list(selectors.inzage_pupils(request.user)[:500])
    chosen = request.GET.get("leerling")
    if chosen and chosen.isascii() and chosen.isdigit():  # "²".isdigit(), but int() refuses it
        return redirect("exports:inzage_new", int(chosen))
    return render(request, "exports/inzage_list.html", {
        "requests": requests_, "pupils": pupils})


@login_required
@require_http_methods(["GET", "POST"])
def inzage_new(request, pupil_pk: int):
    _require_inzage_role(request.user)
    pupil = selectors.inzage_pupil_get_for_user(request.user, pupil_pk)
    form = forms.AccessRequestForm(request.POST if request.method == "POST" else None, pupil=pupil)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access_request = services.access_request_create(
                pupil=pupil, actor=request.user, requester_kind=data["requester_kind"],
                parent_link=data.get("parent_link"), received_on=data["received_on"],
                identity_verified=data["identity_verified"], note=data.get("note", ""),
                redact_staff_names=data.get("redact_staff_names", False),
                staff_names_reason=data.get("staff_names_reason", ""))
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Het inzageverzoek is vastgelegd. Uiterlijk "
                                        "afhandelen op %(date)s.")
                             % {"date": access_request.due_on.strftime("%d-%m-%Y")})
            return redirect("exports:inzage_detail", access_request.pk)
    return render(request, "exports/inzage_form.html", {"pupil": pupil, "form": form})


def _entries_for(access_request):
    """The copy's entries before redaction (what can be redacted), and the cases."""
    parts, loose = inzage_parts(access_request, apply_redactions=False)
    chapters = [c for part in parts for c in part["chapters"]] + ([loose] if loose else [])
    return parts, loose, redaction.redactable_entries(chapters)


def _log_read(user, access_request, parts) -> None:
    for part in parts:
        log_access(user=user, obj=access_request, action=AccessAction.VIEW, case=part["case"])
    if not parts:
        log_access(user=user, obj=access_request, action=AccessAction.VIEW)


def _render_detail(request, access_request, *, staff_form=None, complete_form=None,
                   status=200):
    parts, loose, entries = _entries_for(access_request)
    _log_read(request.user, access_request, parts)
    redactions = list(access_request.redactions.select_related("created_by")
                      .order_by("created_at", "pk"))
    for r in redactions:
        item = entries.get((r.object_type, r.object_id))
        r.entry_title = item["entry"].title if item else _("(onderdeel bestaat niet meer)")
        r.field_label = (item["fields"].get(r.field, r.field) if item and r.field
                         else _("hele onderdeel"))
    redacted_keys = {(r.object_type, r.object_id) for r in redactions}
    groups = []
    for part in parts:
        groups.append({"title": _("Dossier %(number)s") % {"number": part["case"].number},
                       "chapters": part["chapters"]})
    if loose:
        groups.append({"title": loose.title, "chapters": [loose]})
    today = timezone.localdate()
    return render(request, "exports/inzage_detail.html", {
        "req": access_request, "groups": groups, "redactions": redactions,
        "redacted_keys": redacted_keys, "entry_count": len(entries),
        "jobs": selectors.jobs_of(request.user, access_request=access_request),
        "staff_form": staff_form or forms.StaffNamesForm(initial={
            "redact_staff_names": access_request.redact_staff_names,
            "staff_names_reason": access_request.staff_names_reason}),
        "complete_form": complete_form or forms.CompleteForm(),
        "overdue": access_request.is_open and access_request.due_on < today,
        "days_left": (access_request.due_on - today).days,
    }, status=status)


@login_required
@require_GET
def inzage_detail(request, pk: int):
    access_request = selectors.access_request_get_for_user(request.user, pk)
    return _render_detail(request, access_request)


@login_required
@require_POST
def inzage_options(request, pk: int):
    access_request = selectors.access_request_get_for_user(request.user, pk)
    form = forms.StaffNamesForm(request.POST)
    if form.is_valid():
        try:
            services.access_request_set_staff_names(
                access_request=access_request, actor=request.user,
                redact=form.cleaned_data["redact_staff_names"],
                reason=form.cleaned_data["staff_names_reason"])
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("De instelling voor namen van medewerkers is "
                                        "opgeslagen."))
            return redirect("exports:inzage_detail", access_request.pk)
    return _render_detail(request, access_request, staff_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def inzage_redact(request, pk: int, object_type: str, object_id: int):
    """Leave out one entry of the copy, or black out one of its fields, with a reason."""
    access_request = selectors.access_request_get_for_user(request.user, pk)
    parts, _loose, entries = _entries_for(access_request)
    item = entries.get((object_type, object_id))
    if item is None:
        raise Http404
    taken = set(access_request.redactions.filter(object_type=object_type, object_id=object_id)
                .values_list("field", flat=True))
    if "" in taken:
        messages.info(request, _("Dit onderdeel is al helemaal weggelaten."))
        return redirect("exports:inzage_detail", access_request.pk)
    form = forms.RedactionForm(request.POST if request.method == "POST" else None,
                               field_choices=list(item["fields"].items()), taken=taken)
    if request.method == "POST" and form.is_valid():
        allowed = {key: set(value["fields"]) for key, value in entries.items()}
        try:
            services.redaction_add(access_request=access_request, actor=request.user,
                                   object_type=object_type, object_id=object_id,
                                   field=form.field_name, reason=form.cleaned_data["reason"],
                                   allowed=allowed)
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("De weglating is vastgelegd."))
            return redirect(reverse("exports:inzage_detail", args=[access_request.pk])
                            + f"#onderdeel-{object_type.replace('.', '')}-{object_id}")
    _log_read(request.user, access_request, parts)
    return render(request, "exports/inzage_redact.html", {
        "req": access_request, "item": item, "entry": item["entry"], "form": form})


@login_required
@require_POST
def redaction_delete(request, pk: int, redaction_pk: int):
    access_request = selectors.access_request_get_for_user(request.user, pk)
    item = get_object_or_404(Redaction, pk=redaction_pk, access_request=access_request)
    try:
        services.redaction_remove(redaction=item, actor=request.user)
    except ServiceError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("De weglating is ingetrokken."))
    return redirect("exports:inzage_detail", access_request.pk)


@login_required
@require_POST
def inzage_export(request, pk: int):
    access_request = selectors.access_request_get_for_user(request.user, pk)
    if (stepup_redirect := require_stepup(
            request, reverse("exports:inzage_detail", args=[access_request.pk]))) is not None:
        return stepup_redirect
    if ratelimit.exceeded("export-user", str(request.user.pk)):
        return ratelimit.too_many_requests(request, what=_(
            "U heeft het afgelopen uur veel exports gestart. Bestanden die al klaarstaan "
            "kunt u nog gewoon downloaden."))
    try:
        job = services.inzage_export_request(access_request=access_request,
                                             requester=request.user)
    except ServiceError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("exports:inzage_detail", access_request.pk)
    return redirect("exports:job_detail", job.pk)


@login_required
@require_POST
def inzage_complete(request, pk: int):
    access_request = selectors.access_request_get_for_user(request.user, pk)
    form = forms.CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.access_request_complete(access_request=access_request, actor=request.user,
                                             note=form.cleaned_data["completion_note"])
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Het inzageverzoek is afgehandeld."))
            return redirect("exports:inzage_detail", access_request.pk)
    return _render_detail(request, access_request, complete_form=form, status=400)

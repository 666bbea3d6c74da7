"""Pages of the special routes: acute danger (R5) and the board route (domain.md §6).

Each view: signed in → resolve access (404 for objects the user may not see, 403 for pages
the role may not use) → bind the form → call a service → redirect or render. Every read of
case data writes an access-log row.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from cases.models import AccessAction, Case, CaseUserObjectPermission, Route
from cases.selectors import case_get_for_user, case_permissions, cases_visible_to
from cases.services import ServiceError, log_access
from core.forms import post_data
from schools.services import school_contacts

from . import forms
from .models import (AcuteCall, BoardInformed, InspectorConsultation, Notice,
                     PoliceReport, StaffConcern)
from .selectors import (acute_calls_for_overview, acute_overview_school_ids, bestuur_board_ids,
                        latest_retrospective, pending_staff_signal_get, pending_staff_signals,
                        signal_current_version, staff_concern_for_case, staff_concerns_for_overview,
                        staff_route_status_annotated, staff_route_status_for)
from .services import (VersionConflict, acute_call_record, acute_retrospective_save,
                       board_members, can_enter_retrospective, can_view_call,
                       route_record_add, staff_concern_report, staff_route_grant,
                       staff_route_open, staff_school_ids)

PAGE_SIZE = 50


def _add_errors(form, exc: ServiceError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Acute danger ----------------------------------------------------------------------------

@login_required
def acute_create(request):
    """"Acuut gevaar: ik heb gebeld" — any staff member, for a pupil of their own school.

    Beside 112 and Veilig Thuis the page lists the local contacts of the user's school(s)
    (R47; one query), so the regional numbers are at hand when it counts."""
    school_ids = staff_school_ids(request.user)
    if not school_ids:
        raise PermissionDenied
    form = forms.AcuteCallForm(post_data(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = acute_call_record(actor=request.user, pupil=data["pupil"],
                                     called_party=data["called_party"],
                                     called_party_other=data["called_party_other"],
                                     called_at=data["called_at"], phone_note=data["phone_note"])
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _(
                "Uw melding is vastgelegd. De directeur en de veiligheidscoördinator zijn "
                "geïnformeerd. Vul binnen 24 uur de terugblik in."))
            return redirect("specialroutes:acute_detail", call.pk)
    contacts = school_contacts(school_ids)
    return render(request, "specialroutes/acute_form.html", {
        "form": form, "contacts": contacts,
        "several_schools": len({c.school_id for c in contacts}) > 1})


def _call_for_user(user, pk: int) -> tuple[AcuteCall, bool]:
    """The call and whether its case is visible to ``user``; 404 when neither it nor its case
    may be seen."""
    call = get_object_or_404(AcuteCall.objects.select_related(
        "case", "case__pupil", "case__pupil__school_class", "school", "called_by",
        "retrospective_by"), pk=pk)
    visible_case = cases_visible_to(user).filter(pk=call.case_id).exists()
    if not can_view_call(user, call, visible_case):
        raise Http404
    return call, visible_case


@login_required
def acute_detail(request, pk: int):
    call, visible_case = _call_for_user(request.user, pk)
    perms = case_permissions(request.user, call.case) if visible_case else set()
    log_access(user=request.user, obj=call, action=AccessAction.VIEW, case=call.case)
    return render(request, "specialroutes/acute_detail.html", {
        "call": call, "case": call.case, "visible_case": visible_case,
        "retrospective": latest_retrospective(call), "overdue": call.is_overdue(),
        "can_enter": (can_enter_retrospective(request.user, call, perms)
                      and (call.case.is_open or not call.retrospective_done)),
    })


@login_required
def acute_retrospective(request, pk: int):
    """Enter the retrospective within 24 hours, or correct it (a new version with a reason)."""
    call, visible_case = _call_for_user(request.user, pk)
    perms = case_permissions(request.user, call.case) if visible_case else set()
    if not can_enter_retrospective(request.user, call, perms):
        raise PermissionDenied
    current = latest_retrospective(call)
    if current is not None and not call.case.is_open:
        raise PermissionDenied
    conflict = None
    correcting = current is not None
    if request.method == "POST":
        form = forms.RetrospectiveForm(request.POST, correcting=correcting)
        if form.is_valid():
            data = dict(form.cleaned_data)
            base = data.pop("base_number")
            reason = data.pop("reason", "")
            try:
                acute_retrospective_save(call=call, actor=request.user, base_number=base,
                                         reason=reason, **data)
            except VersionConflict as exc:
                # Keep what the user typed; the next save builds on the version now shown.
                conflict = current = exc.current
                bound = request.POST.copy()
                bound["base_number"] = str(conflict.number if conflict else 0)
                form = forms.RetrospectiveForm(bound, correcting=True)
            except ServiceError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("De terugblik is vastgelegd."))
                return redirect("specialroutes:acute_detail", call.pk)
    else:
        log_access(user=request.user, obj=call, action=AccessAction.VIEW, case=call.case)
        initial = {"base_number": current.number if current else 0}
        if current is not None:
            initial |= {name: getattr(current, name) for name in (
                "situation", "facts", "child_words", "interpretation", "phone_summary",
                "agreements", "informed")}
        elif call.phone_note:
            initial["agreements"] = call.phone_note
        form = forms.RetrospectiveForm(initial=initial, correcting=correcting)
    return render(request, "specialroutes/acute_retrospective.html", {
        "call": call, "case": call.case, "form": form, "current": current,
        "conflict": conflict, "correcting": correcting, "overdue": call.is_overdue()})


@login_required
def acute_list(request):
    """Acute calls of the school(s) for the veiligheidscoördinator and the directeur: open
    calls, and whether the retrospective is done, due or overdue."""
    school_ids = acute_overview_school_ids(request.user)
    if not school_ids:
        raise PermissionDenied
    show_all = request.GET.get("toon") == "alle"
    qs = acute_calls_for_overview(request.user, school_ids, only_open=not show_all)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("pagina"))
    now = timezone.now()
    for call in page:
        call.overdue = call.is_overdue(now)
    return render(request, "specialroutes/acute_list.html", {
        "page": page, "show_all": show_all, "several_schools": len(school_ids) > 1})


# --- Board route: reporting ------------------------------------------------------------------

@login_required
def staff_report(request):
    """"Vermoeden tegen een medewerker melden": any staff member, straight to the board."""
    if not staff_school_ids(request.user):
        raise PermissionDenied
    form = forms.StaffReportForm(post_data(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = staff_concern_report(
                actor=request.user, pupil=data["pupil"], observed_on=data["observed_on"],
                category=data["category"], source=data["source"],
                source_detail=data["source_detail"], facts=data["facts"],
                child_words=data["child_words"], interpretation=data["interpretation"],
                accused_user=data["accused_user"],
                accused_description=data["accused_description"], informed=form.informed())
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            return redirect("specialroutes:staff_report_done", concern.pk)
    return render(request, "specialroutes/staff_report.html", {"form": form})


@login_required
def staff_report_done(request, pk: int):
    """The reporter's confirmation of their own report; the case itself stays with the board."""
    concern = get_object_or_404(
        StaffConcern.objects.select_related("case", "case__school", "signal", "accused_user"),
        pk=pk, reported_by=request.user)
    if not staff_school_ids(request.user):
        raise Http404
    log_access(user=request.user, obj=concern, action=AccessAction.VIEW, case=concern.case)
    informed = list(BoardInformed.objects.filter(concern=concern, author=request.user))
    return render(request, "specialroutes/staff_report_done.html", {
        "concern": concern, "informed": informed,
        "board_informed": any(r.informed_party == "bestuur" for r in informed)})


# --- Board route: the board's pages ----------------------------------------------------------

def _require_bestuur(user) -> set[int]:
    board_ids = bestuur_board_ids(user)
    if not board_ids:
        raise PermissionDenied
    return board_ids


@login_required
def staff_overview(request):
    """For bestuurders: staff-suspect signals awaiting the route, and the route's cases."""
    _require_bestuur(request.user)
    pending = list(pending_staff_signals(request.user)[:100])
    concerns = list(staff_concerns_for_overview(request.user))
    for concern in concerns:
        concern.status = staff_route_status_annotated(concern)
    return render(request, "specialroutes/staff_overview.html", {
        "pending": pending, "concerns": concerns})


@login_required
def staff_start(request, signal_pk: int):
    """A bestuurder starts the board route for a staff-suspect signal of their board."""
    _require_bestuur(request.user)
    signal = pending_staff_signal_get(request.user, signal_pk)
    pupil_links = list(signal.pupil_links.all())
    form = forms.StaffStartForm(post_data(request), signal=signal, pupil_links=pupil_links)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = staff_route_open(signal=signal, pupil=data["pupil"], actor=request.user,
                                       accused_user=data["accused_user"],
                                       accused_description=data["accused_description"])
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("De route bevoegd gezag is gestart. Alle bestuurders "
                                        "van het schoolbestuur zijn toegevoegd."))
            return redirect("specialroutes:staff_detail", concern.case_id)
    log_access(user=request.user, obj=signal, action=AccessAction.VIEW)
    return render(request, "specialroutes/staff_start.html", {
        "signal": signal, "version": signal_current_version(signal), "form": form})


def _staff_case(user, case_pk: int) -> tuple[Case, StaffConcern, set[str]]:
    case = case_get_for_user(user, case_pk)
    if case.route != Route.STAFF:
        raise Http404
    concern = staff_concern_for_case(user, case)
    return case, concern, case_permissions(user, case)


def _assign_candidates(case: Case, concern: StaffConcern) -> list:
    assigned = set(CaseUserObjectPermission.objects.filter(
        content_object_id=case.pk, permission__codename="view_case")
        .values_list("user_id", flat=True))
    exclude = assigned | ({concern.accused_user_id} if concern.accused_user_id else set())
    return board_members(case.school.board_id, exclude_ids=exclude)


def _render_staff_detail(request, case, concern, perms, *, assign_form=None, status=200):
    log_access(user=request.user, obj=concern, action=AccessAction.VIEW, case=case)
    candidates = _assign_candidates(case, concern) if "add_record" in perms else []
    assigned = list(CaseUserObjectPermission.objects.filter(
        content_object_id=case.pk, permission__codename="view_case")
        .select_related("user").order_by("user__last_name", "user__first_name"))
    return render(request, "specialroutes/staff_detail.html", {
        "case": case, "concern": concern, "perms": perms,
        "status": staff_route_status_for(concern),
        "version": signal_current_version(concern.signal),
        "informed": concern.boardinformed_set.all(),
        "consultations": concern.inspectorconsultation_set.all(),
        "police_reports": concern.policereport_set.all(),
        "notices": concern.notice_set.all(),
        "assigned": [row.user for row in assigned],
        "can_add": "add_record" in perms and case.is_open,
        "assign_form": assign_form or (forms.AssignForm(candidates=candidates)
                                       if candidates and case.is_open else None),
        "record_types": RECORD_TYPES,
    }, status=status)


@login_required
def staff_detail(request, case_pk: int):
    """The board route of one case: the report, the route's records and what is missing."""
    case, concern, perms = _staff_case(request.user, case_pk)
    return _render_staff_detail(request, case, concern, perms)


RECORD_TYPES = {
    "bestuur-geinformeerd": (BoardInformed, forms.BoardInformedForm,
                             _lazy("Vastleggen dat het bestuur is geïnformeerd")),
    "vertrouwensinspecteur": (InspectorConsultation, forms.InspectorConsultationForm,
                              _lazy("Overleg met de vertrouwensinspecteur vastleggen")),
    "aangifte": (PoliceReport, forms.PoliceReportForm, _lazy("Aangifte vastleggen")),
    "kennisgeving": (Notice, forms.NoticeForm,
                     _lazy("Informeren van de medewerker of de ouders vastleggen")),
}


@login_required
def staff_record_add(request, case_pk: int, kind: str):
    """Add a record of the board route (R26/R27); only for the bestuurders assigned."""
    if kind not in RECORD_TYPES:
        raise Http404
    case, concern, perms = _staff_case(request.user, case_pk)
    if "add_record" not in perms or not case.is_open:
        raise PermissionDenied
    model, form_class, title = RECORD_TYPES[kind]
    form = form_class(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            route_record_add(model=model, concern=concern, actor=request.user,
                             **form.cleaned_data)
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Vastgelegd."))
            return redirect("specialroutes:staff_detail", case.pk)
    return render(request, "specialroutes/staff_record_form.html", {
        "case": case, "concern": concern, "form": form, "title": title, "kind": kind,
        "status": staff_route_status_for(concern)})


@login_required
@require_POST
def staff_assign(request, case_pk: int):
    """Add a bestuurder of the board to the route (never the accused, never the beheerder)."""
    case, concern, perms = _staff_case(request.user, case_pk)
    if "add_record" not in perms or not case.is_open:
        raise PermissionDenied
    form = forms.AssignForm(request.POST, candidates=_assign_candidates(case, concern))
    if form.is_valid():
        try:
            staff_route_grant(case=case, user=form.cleaned_data["user"], actor=request.user)
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is toegevoegd aan deze route.") % {
                "name": forms.user_label(form.cleaned_data["user"])})
            return redirect("specialroutes:staff_detail", case.pk)
    return _render_staff_detail(request, case, concern, perms, assign_form=form, status=400)


"""SOT meetings (step 4, R9): list, plan/edit, the meeting page with its agenda, putting a case
on the agenda, and recording the weighing per case. Rules and reads live in ``cases.sot``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import fragments
from schools.access import active_roles
from schools.models import School

from . import record_forms as forms
from .models import Route, SotDiscussion, SotMeeting, Status
from .record_views import case_url, closed_response, record_values
from .selectors import case_get_for_user, case_permissions, cases_visible_to
from .services import EditConflict, ServiceError, log_access
from .sot import (
    can_manage_meetings,
    log_agenda_access,
    may_use_sot,
    meeting_agenda,
    meeting_get_for_user,
    meeting_list_for,
    meeting_url,
    meetings_visible_to,
    sot_agenda_add,
    sot_meeting_save,
    sot_weighing_save,
    weighing_editable_ids,
)


@login_required
def meeting_list(request):
    """The SOT meetings the user may see, newest first."""
    if not may_use_sot(request.user):
        raise PermissionDenied
    page = Paginator(meeting_list_for(request.user), 25).get_page(request.GET.get("pagina"))
    school_ids = {r.school_id for r in active_roles(request.user) if r.school_id}
    schools = [s for s in School.objects.filter(pk__in=school_ids).order_by("name")
               if can_manage_meetings(request.user, s)]
    return render(request, "cases/sot/meeting_list.html", {
        "page": page, "schools": schools, "today": timezone.localdate(),
        "several_schools": len(school_ids) > 1})


def _school_to_manage(user, school_pk: int) -> School:
    if not any(r.school_id == school_pk for r in active_roles(user)):
        raise Http404
    school = get_object_or_404(School, pk=school_pk)
    if not can_manage_meetings(user, school):
        raise PermissionDenied
    return school


@login_required
def meeting_add(request, school_pk: int):
    """Plan a meeting: IB'er, veiligheidscoördinator or directeur of the school."""
    school = _school_to_manage(request.user, school_pk)
    form = forms.SotMeetingForm(request.POST if request.method == "POST" else None,
                                school=school)
    if request.method == "POST" and form.is_valid():
        meeting = form.save(commit=False)
        meeting.school = school
        sot_meeting_save(meeting=meeting, attendees=form.cleaned_data["attendees"],
                         actor=request.user)
        messages.success(request, _("Het SOT-overleg is aangemaakt."))
        return redirect(meeting_url(meeting))
    return render(request, "cases/sot/meeting_form.html", {"form": form, "school": school})


@login_required
def meeting_edit(request, pk: int):
    """Change date, chair or attendees, with a reason and conflict detection."""
    meeting = meeting_get_for_user(request.user, pk)
    if not can_manage_meetings(request.user, meeting.school):
        raise PermissionDenied
    conflict = None
    if request.method == "POST":
        form = forms.SotMeetingForm(request.POST, instance=meeting, school=meeting.school)
        if form.is_valid():
            try:
                sot_meeting_save(meeting=form.save(commit=False),
                                 attendees=form.cleaned_data["attendees"], actor=request.user,
                                 base_version=form.cleaned_data["lock_version"],
                                 reason=form.cleaned_data["change_reason"])
            except EditConflict as exc:
                current = SotMeeting.objects.select_related("chair").get(pk=exc.current.pk)
                data = form.data.copy()
                data["lock_version"] = str(current.lock_version)
                form.data = data
                conflict = {"values": record_values(
                    current, ["held_on", "chair", "external_attendees", "parents_attended"],
                    forms.SotMeetingForm),
                    "attendees": list(current.attendees.order_by("last_name", "first_name"))}
            except ServiceError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("De wijziging is opgeslagen."))
                return redirect(meeting_url(meeting))
    else:
        form = forms.SotMeetingForm(instance=meeting, school=meeting.school)
    return render(request, "cases/sot/meeting_form.html",
                  {"form": form, "school": meeting.school, "meeting": meeting,
                   "conflict": conflict}, status=409 if conflict else 200)


@login_required
def meeting_detail(request, pk: int):
    """The meeting and its agenda: only the cases the user may see, each read logged."""
    meeting = meeting_get_for_user(request.user, pk)
    user = request.user
    manage = can_manage_meetings(user, meeting.school)

    def build():
        agenda = meeting_agenda(user, meeting)
        editable = weighing_editable_ids(user, meeting, agenda)
        staff = forms.school_staff(meeting.school)
        attendees = [staff.get(u.pk, {}).get("label") or (u.get_full_name() or u.username)
                     for u in meeting.attendees.all()]
        items = [{"discussion": d, "case_url": case_url(d.case), "editable": d.pk in editable,
                  "weighed": bool(d.nature_severity or d.risk_assessment or d.agreed_approach)}
                 for d in agenda]
        context = {"meeting": meeting, "items": items, "attendees": attendees, "manage": manage}
        return (render_to_string("cases/sot/_meeting_who.html", context, request=request),
                render_to_string("cases/sot/_meeting_agenda.html", context, request=request),
                [d.case_id for d in agenda])

    who, agenda_html, case_ids = fragments.cached(
        "sot-meeting", lambda: (meeting.pk, manage, *fragments.school_scope(user)), build)
    log_agenda_access(user, meeting, case_ids)
    add_form = None
    if manage:
        add_form = forms.SotAgendaCaseForm(cases=_agenda_candidates(user, meeting))
    return render(request, "cases/sot/meeting_detail.html", {
        "meeting": meeting, "who": who, "agenda": agenda_html, "manage": manage,
        "add_form": add_form})


def _agenda_candidates(user, meeting: SotMeeting):
    return (cases_visible_to(user)
            .filter(school_id=meeting.school_id, status=Status.OPEN, route=Route.MELDCODE)
            .exclude(sotdiscussion_set__meeting=meeting)
            .order_by("pupil__last_name", "pupil__first_name"))


@login_required
@require_POST
def meeting_agenda_add(request, pk: int):
    """Put a case on the agenda from the meeting page (the school's IB'er, VC, directeur)."""
    meeting = meeting_get_for_user(request.user, pk)
    if not can_manage_meetings(request.user, meeting.school):
        raise PermissionDenied
    form = forms.SotAgendaCaseForm(request.POST, cases=_agenda_candidates(request.user, meeting))
    if form.is_valid():
        try:
            sot_agenda_add(meeting=meeting, case=form.cleaned_data["case"], actor=request.user)
        except ServiceError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Het dossier staat op de agenda."))
    else:
        messages.error(request, _("Kies een dossier om op de agenda te zetten."))
    return redirect(meeting_url(meeting))


@login_required
def case_agenda(request, case_pk: int):
    """From the case: put it on the agenda of an upcoming SOT meeting (step 4)."""
    case = case_get_for_user(request.user, case_pk)
    if not {"add_record", "advance_case"} & case_permissions(request.user, case):
        raise PermissionDenied
    if case.route != Route.MELDCODE:
        raise Http404
    if not case.is_open:
        return closed_response(request, case)
    meetings = (meetings_visible_to(request.user)
                .filter(school_id=case.school_id, held_on__gte=timezone.localdate())
                .exclude(discussions__case=case).order_by("held_on", "pk"))
    form = forms.SotAgendaMeetingForm(request.POST if request.method == "POST" else None,
                                      meetings=meetings)
    if request.method == "POST" and form.is_valid():
        meeting = form.cleaned_data["meeting"]
        try:
            sot_agenda_add(meeting=meeting, case=case, actor=request.user)
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Het dossier staat op de agenda van het SOT-overleg."))
            return redirect(meeting_url(meeting))
    planned = list(SotDiscussion.objects.filter(case=case).select_related("meeting")
                   .order_by("-meeting__held_on"))
    return render(request, "cases/sot/case_agenda.html", {
        "case": case, "form": form, "case_url": case_url(case), "planned": planned,
        "has_meetings": meetings.exists() if request.method != "POST" else True,
        "can_plan": can_manage_meetings(request.user, case.school)})


@login_required
def discussion_edit(request, meeting_pk: int, pk: int):
    """Record the weighing of one case at the meeting: nature and severity of the signals,
    the risks and the agreed approach (step 4, R9)."""
    meeting = meeting_get_for_user(request.user, meeting_pk)
    discussion = get_object_or_404(SotDiscussion.objects.filter(meeting=meeting), pk=pk)
    case = case_get_for_user(request.user, discussion.case_id)
    if "add_record" not in case_permissions(request.user, case):
        raise PermissionDenied
    discussion.case, discussion.meeting = case, meeting
    if not case.is_open:
        return closed_response(request, case)
    conflict = None
    if request.method == "POST":
        form = forms.SotWeighingForm(request.POST, instance=discussion)
        if form.is_valid():
            try:
                sot_weighing_save(discussion=form.save(commit=False), actor=request.user,
                                  base_version=form.cleaned_data["lock_version"],
                                  reason=form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                data = form.data.copy()
                data["lock_version"] = str(exc.current.lock_version)
                form.data = data
                conflict = {"values": record_values(
                    exc.current, forms.SotWeighingForm._meta.fields, forms.SotWeighingForm),
                    "author": exc.current.history.select_related("history_user").first()}
            except ServiceError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("De weging is opgeslagen."))
                return redirect(meeting_url(meeting))
    else:
        form = forms.SotWeighingForm(instance=discussion)
    log_access(user=request.user, obj=discussion, case=case)
    return render(request, "cases/sot/discussion_form.html", {
        "form": form, "meeting": meeting, "discussion": discussion, "case": case,
        "case_url": case_url(case), "conflict": conflict}, status=409 if conflict else 200)


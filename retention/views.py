"""Retention pages.

- Terms per board: the beheerder (``schools.manage_settings`` at board level); 403 without
  it, 404 for another board.
- Proposals, approval, legal holds, pupils' requests: the veiligheidscoördinator and the
  directeur of the school (``selectors.require_lead``): 403 for anyone holding neither role,
  404 for this school's objects when holding it elsewhere.

- Loose signals (never in a case): the same leads, on the same list and with the same
  two-person flow (``signal_proposal``); any signal that is not loose is 404 there.

Reading an approval page is a read of case or signal data: it is logged (``cases.AccessLog``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Case
from cases.services import log_access
from core.forms import post_data
from schools.access import board_ids_with_perm
from schools.models import Board, Pupil, School
from signals.models import SignalPupil

from . import forms, selectors, services
from .models import (ApproverRole, DestructionProposal, DestructionRequest, LegalHold, ProposalState,
                     RecordType, Tombstone)

MANAGE_SETTINGS = "schools.manage_settings"
LIST_LIMIT = 200


# --- terms (beheerder) ------------------------------------------------------------------------


def _board_ids(user) -> set[int]:
    ids = board_ids_with_perm(user, MANAGE_SETTINGS)
    if not ids:
        raise PermissionDenied
    return ids


@login_required
@require_GET
def terms(request):
    boards = list(Board.objects.filter(pk__in=_board_ids(request.user)).order_by("name"))
    by_board = selectors.terms_for_boards(b.pk for b in boards)
    rows = [{"board": b, "terms": [(rt.label, by_board[b.pk][rt]) for rt in RecordType]}
            for b in boards]
    return render(request, "retention/terms.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def terms_edit(request, board_id: int):
    board = get_object_or_404(Board, pk=board_id, pk__in=_board_ids(request.user))
    current = selectors.terms_for_boards([board.pk])[board.pk]
    form = forms.TermsForm(post_data(request), initial=current)
    if request.method == "POST" and form.is_valid():
        changed = False
        for record_type in RecordType:
            changed |= services.term_save(board=board, record_type=record_type,
                                          years=form.cleaned_data[record_type.value],
                                          actor=request.user)
        if changed:
            messages.success(request, _("De bewaartermijnen zijn opgeslagen."))
        else:
            messages.info(request, _("Er is niets gewijzigd."))
        return redirect("retention:terms")
    return render(request, "retention/terms_edit.html", {"board": board, "form": form})


# --- proposals and the two-person approval -----------------------------------------------------


@login_required
@require_GET
def proposals(request):
    """Per school: cases due for destruction, approvals waiting, cases on hold, and the log."""
    school_ids = selectors.require_lead(request.user)
    number = request.GET.get("dossier", "").replace("\x00", "").strip()
    if number:
        # A hold can be placed before the term ends: find a case of the own schools by number.
        found = Case.objects.filter(school_id__in=school_ids, route="meldcode",
                                    number=number[:20]).values_list("pk", flat=True).first()
        if found:
            return redirect("retention:proposal", found)
        messages.error(request, _("Er is geen dossier met dat nummer op uw school."))
    schools = list(School.objects.filter(pk__in=school_ids).order_by("name"))
    due = list(selectors.due_cases(school_ids=school_ids)
               .select_related("pupil").order_by("closed_at", "pk")[:LIST_LIMIT])
    due_signals = list(selectors.due_loose_signals(school_ids=school_ids)
                       .prefetch_related(Prefetch("pupil_links", queryset=SignalPupil.objects
                                                  .select_related("pupil").order_by("pk")))
                       .order_by("last_left", "pk")[:LIST_LIMIT])
    open_proposals = list(selectors.open_proposals(school_ids))
    waiting = {p.case_id: p for p in open_proposals if p.case_id is not None}
    waiting_signals = {p.signal_id: p for p in open_proposals if p.signal_id is not None}
    holds = list(LegalHold.objects.filter(case__school_id__in=school_ids, lifted_at__isnull=True)
                 .select_related("case__pupil", "placed_by").order_by("-placed_at")[:LIST_LIMIT])
    log = list(Tombstone.objects.filter(school_id__in=school_ids)
               .select_related("approved_by", "confirmed_by")[:50])
    open_requests = DestructionRequest.objects.filter(school_id__in=school_ids,
                                                      decision="").count()
    per_school = []
    for school in schools:
        per_school.append({
            "school": school,
            "due": [{"case": c, "proposal": waiting.get(c.pk)} for c in due
                    if c.school_id == school.pk],
            "due_signals": [{"signal": s, "proposal": waiting_signals.get(s.pk)}
                            for s in due_signals if s.school_id == school.pk],
            "holds": [h for h in holds if h.case.school_id == school.pk],
            "log": [t for t in log if t.school_id == school.pk],
        })
    return render(request, "retention/proposals.html", {
        "per_school": per_school, "open_requests": open_requests,
        "truncated": len(due) == LIST_LIMIT or len(due_signals) == LIST_LIMIT})


@login_required
@require_http_methods(["GET", "POST"])
def proposal(request, case_pk: int):
    """The approval page of one case: approve, or confirm someone else's approval."""
    case = selectors.case_for_lead(request.user, case_pk)
    log_access(user=request.user, obj=case)
    waiting = (DestructionProposal.objects.filter(case=case, state=ProposalState.APPROVED)
               .select_related("approved_by").first())
    form = forms.ApprovalForm(post_data(request))
    posted = _posted_approval(
        request, form, lambda **kw: services.destruction_approve(case_id=case.pk, **kw),
        destroyed=_("Het dossier is vernietigd. In het vernietigingslog staat wie, wanneer en "
                    "op welke grond."), here=("retention:proposal", case.pk))
    if posted is not None:
        return posted
    return render(request, "retention/proposal.html", {
        "case": case, "due": selectors.due_reason(case), "form": form,
        **_waiting_context(request, waiting),
        "holds": LegalHold.objects.filter(case=case).select_related("placed_by", "lifted_by"),
        "lapsed": DestructionProposal.objects.filter(case=case, state=ProposalState.INVALID)
        .select_related("approved_by")[:10],
        "today": timezone.localdate()})


def _posted_approval(request, form, approve, *, destroyed: str, here: tuple):
    """A valid POST of an approval page (a case's or a loose signal's): approve or confirm
    through ``approve(actor=, stage=, proposal_id=)``, tell the user, redirect. None for a
    GET or an invalid form (the page is shown)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = approve(actor=request.user, stage=form.cleaned_data["stage"],
                         proposal_id=form.cleaned_data.get("proposal"))
    except services.RetentionError as refused:
        messages.error(request, str(refused))
        return redirect(*here)
    if result.state == ProposalState.DONE:
        messages.success(request, destroyed)
        return redirect("retention:proposals")
    _approval_message(request, result)
    return redirect(*here)


def _waiting_context(request, waiting) -> dict:
    """The waiting approval, whether this user gave it, and the role that confirms it."""
    other_role = ""
    if waiting is not None:
        other_role = (ApproverRole.DIRECTEUR if waiting.approved_role == ApproverRole.VC
                      else ApproverRole.VC).label
    return {"waiting": waiting, "other_role": other_role,
            "is_first": waiting is not None and waiting.approved_by_id == request.user.pk}


def _approval_message(request, result) -> None:
    if result.state == ProposalState.INVALID:
        messages.error(request, _("De goedkeuring is vervallen: %(reason)s Keur opnieuw "
                                  "goed.") % {"reason": result.invalid_reason})
    else:
        messages.success(request, _("Goedgekeurd. De vernietiging wacht nu op bevestiging "
                                    "door de %(role)s.") % {
            "role": _("directeur") if result.approved_role == "vc"
            else _("veiligheidscoördinator")})


@login_required
@require_http_methods(["GET", "POST"])
def signal_proposal(request, signal_pk: int):
    """The approval page of one loose signal: approve, or confirm someone else's approval.

    It shows what the decision needs (dates, pupils and their leaving dates, the rule), not
    the signal's text or kind of concern (data minimisation: the rule is about dates; the
    leads may read the signal itself on its own, logged, page)."""
    signal = selectors.signal_for_lead(request.user, signal_pk)
    log_access(user=request.user, obj=signal)
    waiting = (DestructionProposal.objects.filter(signal=signal, state=ProposalState.APPROVED)
               .select_related("approved_by").first())
    form = forms.SignalApprovalForm(post_data(request))
    posted = _posted_approval(
        request, form,
        lambda **kw: services.signal_destruction_approve(signal_id=signal.pk, **kw),
        destroyed=_("Het signaal is vernietigd. In het vernietigingslog staat wie, wanneer en "
                    "op welke grond."), here=("retention:signal_proposal", signal.pk))
    if posted is not None:
        return posted
    links = list(signal.pupil_links.select_related("pupil").order_by("pk"))
    return render(request, "retention/signal_proposal.html", {
        "signal": signal, "links": links, "due": selectors.signal_due_reason(signal),
        "form": form, **_waiting_context(request, waiting),
        "lapsed": DestructionProposal.objects.filter(signal=signal, state=ProposalState.INVALID)
        .select_related("approved_by")[:10]})


@login_required
@require_http_methods(["GET", "POST"])
def hold_add(request, case_pk: int):
    case = selectors.case_for_lead(request.user, case_pk)
    form = forms.ReasonForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_place(case=case, reason=form.cleaned_data["reason"], actor=request.user)
        except services.RetentionError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De bewaarplicht is vastgelegd. Het dossier wordt niet "
                                        "vernietigd zolang die geldt."))
            return redirect("retention:proposal", case.pk)
    return render(request, "retention/hold_form.html", {"case": case, "form": form,
                                                         "lifting": False})


@login_required
@require_http_methods(["GET", "POST"])
def hold_lift(request, pk: int):
    hold = selectors.hold_for_lead(request.user, pk)
    form = forms.ReasonForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_lift(hold=hold, reason=form.cleaned_data["reason"], actor=request.user)
        except services.RetentionError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De bewaarplicht is opgeheven."))
            return redirect("retention:proposal", hold.case_id)
    return render(request, "retention/hold_form.html", {"case": hold.case, "hold": hold,
                                                         "form": form, "lifting": True})


# --- requests of pupils aged 16 or over --------------------------------------------------------


@login_required
@require_GET
def requests(request):
    school_ids = selectors.require_lead(request.user)
    today = timezone.localdate()
    adult_born = selectors.years_before(today, services.MIN_REQUEST_AGE)
    pupils = list(Pupil.objects.filter(school_id__in=school_ids, date_of_birth__lte=adult_born)
                  .select_related("school").order_by("last_name", "first_name")[:LIST_LIMIT])
    rows = list(DestructionRequest.objects.filter(school_id__in=school_ids)
                .select_related("pupil")[:LIST_LIMIT])
    return render(request, "retention/requests.html", {"pupils": pupils, "requests": rows,
                                                        "today": today})


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request, pupil_pk: int):
    pupil = selectors.pupil_for_lead(request.user, pupil_pk)
    form = forms.RequestForm(post_data(request),
                             initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_record(pupil=pupil, actor=request.user,
                                               **form.cleaned_data)
        except services.RetentionError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Het verzoek is vastgelegd. Beslis uiterlijk %(date)s.")
                             % {"date": created.due_on.strftime("%d-%m-%Y")})
            return redirect("retention:request_detail", created.pk)
    return render(request, "retention/request_new.html", {"pupil": pupil, "form": form,
                                                           "age": pupil.age_on()})


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk: int):
    item = selectors.request_for_lead(request.user, pk)
    form = forms.DecisionForm(post_data(request))
    if request.method == "POST":
        if not item.is_open:
            messages.error(request, _("Over dit verzoek is al beslist."))
            return redirect("retention:request_detail", item.pk)
        if form.is_valid():
            try:
                services.request_decide(request=item, actor=request.user,
                                        decision=form.cleaned_data["decision"],
                                        reason=form.cleaned_data["reason"])
            except services.RetentionError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("De beslissing is vastgelegd."))
                return redirect("retention:request_detail", item.pk)
    cases = list(item.pupil.cases.filter(route="meldcode").order_by("opened_at"))
    return render(request, "retention/request_detail.html", {
        "item": item, "form": form, "cases": cases,
        "destroyed": item.proposals.filter(state=ProposalState.DONE).count()})

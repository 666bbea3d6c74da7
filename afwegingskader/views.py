"""Step 5 pages: the afwegingskader, the decision, the report to Veilig Thuis (and its draft),
feedback, information on request, the help plan and the follow-up records.

Every view: signed in; the case through ``case_get_for_user`` (404 when the user may not see
it); the user's codenames on it from ``case_permissions`` (403 for an action the user may not
take on a case they can see). Writes go through ``services`` (rules, history, locking);
rule violations come back as ``FieldErrors`` and are shown inline, with the input kept. Every
read of case data writes an access-log row.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.models import AccessAction, Case, Route, Step
from cases.selectors import case_get_for_user, case_permissions
from cases.services import EditConflict, ServiceError, log_access

from . import forms, selectors, services
from .decision import QUESTIONS, Advice, Outcome, advise
from .draft import build_report_draft, steps_taken_lines
from .models import (AftercareNote, BottleneckNote, Decision, DecisionChoice, Evaluation,
                     FollowUpAction, HelpPlan, InformationRequest, MonitoringAgreement,
                     SchoolRoleAgreement, VeiligThuisReport)
from .timeline import outcome_label

# --- helpers ----------------------------------------------------------------------------------


def _case(request, case_pk: int, *need: str) -> tuple[Case, set[str]]:
    """The case (404 if invisible) and the user's codenames; 403 without any of ``need``."""
    case = case_get_for_user(request.user, case_pk)
    if case.route != Route.MELDCODE:
        # The board's route for a suspected staff member has no afwegingskader (domain.md §6).
        raise Http404
    perms = case_permissions(request.user, case)
    if need and not set(need) & perms:
        raise PermissionDenied
    return case, perms


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _closed(request, case: Case):
    return render(request, "afwegingskader/closed.html", {"case": case, "case_url": case_url(case)},
                  status=403)


def apply_errors(form, exc: ServiceError) -> None:
    """Show a service's refusal on the form: per field where possible, else on top."""
    errors = getattr(exc, "errors", None) or {None: exc.messages}
    for name, msgs in errors.items():
        target = name if name in form.fields else None
        if name == "present_user_ids":
            target = "present" if "present" in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


def _conflict_data(form, current):
    """Keep the user's input and base a next save on the version that is stored now."""
    data = form.data.copy()
    data["lock_version"] = str(current.lock_version)
    form.data = data
    return current.history.select_related("history_user").first()


def decision_labels(advice: Advice) -> dict:
    """Dutch labels for Beslissing 1 and 2 of an advice."""
    if advice.report_required is None:
        b1 = _("nog niet bepaald")
    else:
        b1 = _("ja, melden is noodzakelijk") if advice.report_required else _(
            "nee, melden is (nu) niet noodzakelijk")
    if advice.help_possible is True:
        b2 = _("ja")
    elif advice.help_possible is False:
        b2 = _("nee")
    elif advice.answered_with_veilig_thuis:
        b2 = _("wordt samen met Veilig Thuis besloten")
    elif advice.outcome == Outcome.NO_SUSPICION:
        b2 = _("niet van toepassing (zo nodig gewone hulp en ondersteuning)")
    else:
        b2 = _("nog niet bepaald")
    return {"outcome": advice.outcome.value, "label": outcome_label(advice.outcome),
            "beslissing1": b1, "beslissing2": b2, "explanation": str(advice.explanation),
            "with_vt": advice.answered_with_veilig_thuis, "norm": advice.reporting_norm,
            "next": advice.next_question, "determined": advice.is_determined}


_YN = {"": None, "ja": True, "nee": False}
_Q2 = {"": None, "ja": True, "nee": False, "twijfel": "twijfel"}


@lru_cache(maxsize=8)
def _advice_table(doubt_means_report: bool, language: str) -> dict:
    """Every combination of answers -> the advice, computed with ``advise`` itself, so the
    live advice in the browser never disagrees with the decision table (one source of truth).
    Explanations are listed once and referred to by index."""
    explanations: list[str] = []
    table = {}
    with translation.override(language):
        for q1 in _YN:
            for q2 in _Q2:
                for q3 in _YN:
                    for q4 in _YN:
                        for q5 in _YN:
                            labels = decision_labels(advise(
                                _YN[q1], _Q2[q2], _YN[q3], _YN[q4], _YN[q5],
                                doubt_means_report=doubt_means_report))
                            text = labels.pop("explanation")
                            if text not in explanations:
                                explanations.append(text)
                            labels["e"] = explanations.index(text)
                            table[f"{q1}|{q2}|{q3}|{q4}|{q5}"] = labels
    return {"table": table, "explanations": explanations}


def _step_problem(case: Case, steps) -> str:
    if not case.is_open:
        return _("Dit dossier is afgesloten.")
    if case.step not in steps:
        labels = ", ".join(str(Step(s).label) for s in sorted(steps))
        return _("Dit kan alleen in: %(steps)s. Het dossier staat nu in %(step)s.") % {
            "steps": labels, "step": Step(case.step).label}
    return ""


# --- step 5: the afwegingskader ------------------------------------------------------------


@login_required
def step5(request, case_pk: int):
    """Q1–Q5 in order with the live advice (R10–R18); the decisions of this cycle."""
    case, perms = _case(request, case_pk, "view_case")
    assessment = selectors.assessment_for(case)
    flags = selectors.case_flags(case)
    can_edit = "add_record" in perms and case.is_open and case.step in services.STEP5_AND_FOLLOWUP
    lock = case.step == Step.VOLGEN
    conflict = None
    if request.method == "POST":
        if "add_record" not in perms:
            raise PermissionDenied
        if not case.is_open:
            return _closed(request, case)
        form = forms.AssessmentForm(request.POST, assessment=assessment,
                                    prefill_q2=flags.disclosure, lock_q1_q4=lock)
        if form.is_valid():
            try:
                services.assessment_save(
                    case=case, actor=request.user, data=form.answers(),
                    base_version=form.cleaned_data.get("lock_version"),
                    reason=form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                conflict = {"author": _conflict_data(form, exc.current), "current": exc.current}
                assessment = exc.current
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("De antwoorden zijn opgeslagen."))
                return redirect("afwegingskader:step5", case_pk=case.pk)
    else:
        form = forms.AssessmentForm(assessment=assessment, prefill_q2=flags.disclosure,
                                    lock_q1_q4=lock)
        log_access(user=request.user, obj=assessment or case, case=case)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True

    doubt = assessment.doubt_means_report if assessment else case.school.doubt_means_report
    current = _current_answers(form, assessment)
    advice = advise(**current, doubt_means_report=case.school.doubt_means_report)
    decisions = selectors.decisions_for(case)
    for decision in decisions:
        decision.advice_label = outcome_label(decision.advice_outcome)
    return render(request, "afwegingskader/step5.html", {
        "case": case, "perms": perms, "form": form, "flags": flags, "assessment": assessment,
        "advice": decision_labels(advice), "questions": QUESTIONS,
        "advice_table": _advice_table(case.school.doubt_means_report,
                                      translation.get_language() or "nl"),
        "doubt_setting": doubt, "can_edit": can_edit, "locked_q1_q4": lock,
        "decisions": decisions, "conflict": conflict, "case_url": case_url(case),
        "can_decide": case.is_open and case.step in services.STEP5_AND_FOLLOWUP
        and "decide_case" in perms,
        "can_decide_urgent": case.is_open and case.step in services.STEP5_AND_FOLLOWUP
        and "decide_urgent" in perms,
        "q2_doubt": current["q2"] == "twijfel",
    }, status=409 if conflict else 200)


def _current_answers(form, assessment) -> dict:
    """The answers shown on the page: the submitted ones after a refused POST, else stored."""
    if form.is_bound:
        stored = assessment.answers() if assessment is not None else {}
        out = {}
        for n in range(1, 6):
            name = f"q{n}"
            if form.fields[name].disabled:  # not submitted: the stored answer stands
                out[name] = stored.get(name)
            else:
                out[name] = (_Q2 if n == 2 else _YN).get(form.data.get(name, ""), None)
        return out
    if assessment is not None:
        return assessment.answers()
    initial = form.initial
    return {"q1": None, "q2": _Q2.get(initial.get("q2", ""), None), "q3": None, "q4": None,
            "q5": None}


# --- the decision ----------------------------------------------------------------------------


def _decision_add(request, case_pk: int, urgent: bool):
    perm = "decide_urgent" if urgent else "decide_case"
    case, perms = _case(request, case_pk, perm)
    if not case.is_open:
        return _closed(request, case)
    assessment = selectors.assessment_for(case)
    advice = assessment.advice() if assessment else None
    staff = selectors.school_staff(case.school_id)
    meetings = [] if urgent else list(selectors.case_sot_meetings(case))
    form = forms.DecisionForm(request.POST if request.method == "POST" else None, staff=staff,
                              meetings=meetings, urgent=urgent, user_id=request.user.pk)
    problem = _step_problem(case, services.STEP5_AND_FOLLOWUP)
    if not problem and (advice is None or not advice.is_determined):
        problem = _("Het afwegingskader geeft nog geen advies. Beantwoord eerst de vragen van "
                    "het afwegingskader.")
    if request.method == "POST" and form.is_valid():
        meeting_id = form.cleaned_data.get("sot_meeting")
        meeting = next((m for m in meetings if m.pk == meeting_id), None)
        if meeting_id and meeting is None:
            form.add_error("sot_meeting", _("Kies een overleg uit de lijst."))
        else:
            try:
                decision = services.decision_record(case=case, actor=request.user,
                                                    urgent=urgent, sot_meeting=meeting,
                                                    **form.service_kwargs())
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Het besluit is vastgelegd."))
                return redirect("afwegingskader:decision_detail", case_pk=case.pk,
                                pk=decision.pk)
    if request.method == "GET":
        log_access(user=request.user, obj=assessment or case, case=case)
    deviations = ({c: services.decision_deviates(c, advice) for c in DecisionChoice.values}
                  if advice and advice.is_determined else {})
    return render(request, "afwegingskader/decision_form.html", {
        "case": case, "form": form, "urgent": urgent, "assessment": assessment,
        "advice": decision_labels(advice) if advice else None, "problem": problem,
        "deviations": deviations, "case_url": case_url(case)})


@login_required
def decision_add(request, case_pk: int):
    """The SOT records the step-5 decision (``decide_case``)."""
    return _decision_add(request, case_pk, urgent=False)


@login_required
def decision_add_urgent(request, case_pk: int):
    """The veiligheidscoördinator records an urgent decision alone (``decide_urgent``)."""
    return _decision_add(request, case_pk, urgent=True)


@login_required
@require_GET
def decision_detail(request, case_pk: int, pk: int):
    case, perms = _case(request, case_pk, "view_case")
    decision = get_object_or_404(
        Decision.objects.select_related("author", "reporter", "parents_informer", "sot_meeting",
                                        "assessment"), case_id=case.pk, pk=pk)
    log_access(user=request.user, obj=decision, case=case)
    return render(request, "afwegingskader/decision_detail.html", {
        "case": case, "decision": decision, "perms": perms, "case_url": case_url(case),
        "advice_label": outcome_label(decision.advice_outcome),
        "answers": _snapshot_rows(decision)})


def _snapshot_rows(decision: Decision) -> list[tuple]:
    snap = decision.answers_snapshot or {}
    rows = []
    for n in range(1, 6):
        value = snap.get(f"q{n}")
        label = {True: _("ja"), False: _("nee"), "twijfel": _("twijfel")}.get(value, "—")
        rows.append((n, QUESTIONS[n], label))
    return rows


# --- Veilig Thuis ----------------------------------------------------------------------------


def _report_initial(case: Case, request, decision) -> dict:
    pupil = case.pupil
    from schools.models import PupilParent

    persons = [{"name": pupil.full_name, "relation": _("het kind")}]
    for link in PupilParent.objects.filter(pupil_id=pupil.pk).select_related("parent"):
        persons.append({"name": link.parent.name, "relation": link.get_relationship_display()})
    return {"reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "reporter": (decision.reporter_id if decision and decision.reporter_id
                         else request.user.pk),
            "persons_involved": persons,
            "steps_taken": "\n".join(steps_taken_lines(case)),
            "parents_informed": "" if not decision else (
                "nee" if decision.parents_exception else "ja"),
            "parents_exception": decision.parents_exception if decision else "",
            "parents_exception_explanation": (decision.parents_exception_explanation
                                              if decision else "")}


@login_required
def report_add(request, case_pk: int):
    """Record the report to Veilig Thuis that was made (R20–R22)."""
    case, perms = _case(request, case_pk, "add_record")
    if not case.is_open:
        return _closed(request, case)
    signals = selectors.case_signal_list(case)
    staff = selectors.school_staff(case.school_id)
    decision = selectors.latest_decision(case)
    problem = _step_problem(case, services.STEP5_AND_FOLLOWUP)
    if not problem and not (decision and decision.includes_report):
        problem = _("Leg eerst het besluit vast om te melden (stap 5).")
    if request.method == "POST":
        form = forms.ReportForm(request.POST, staff=staff, signals=signals, editing=False)
        if form.is_valid():
            try:
                report = services.report_record(
                    case=case, actor=request.user, data=form.service_data(),
                    reporter_id=form.cleaned_data["reporter"],
                    signal_ids=form.cleaned_data["signals"])
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("De melding is vastgelegd. Terugkoppeling van Veilig "
                                            "Thuis wordt verwacht op %(date)s.") % {
                    "date": report.safety_feedback_due.strftime("%d-%m-%Y")})
                return redirect("afwegingskader:report_detail", case_pk=case.pk, pk=report.pk)
    else:
        initial = _report_initial(case, request, decision)
        initial["signals"] = [s.pk for s in signals]
        form = forms.ReportForm(initial=initial, staff=staff, signals=signals, editing=False)
        log_access(user=request.user, obj=case, case=case)
    return render(request, "afwegingskader/report_form.html", {
        "case": case, "form": form, "adding": True, "problem": problem,
        "case_url": case_url(case)})


def _report_for(case: Case, pk: int) -> VeiligThuisReport:
    return get_object_or_404(VeiligThuisReport.objects.select_related("reporter", "decision"),
                             case_id=case.pk, pk=pk)


@login_required
def report_edit(request, case_pk: int, pk: int):
    """Change a recorded report, with a reason and conflict detection."""
    case, perms = _case(request, case_pk, "add_record")
    report = _report_for(case, pk)
    if not case.is_open:
        return _closed(request, case)
    signals = selectors.case_signal_list(case)
    staff = selectors.school_staff(case.school_id)
    conflict = None
    if request.method == "POST":
        form = forms.ReportForm(request.POST, staff=staff, signals=signals, editing=True)
        if form.is_valid():
            report.case = case
            try:
                services.report_update(
                    report=report, actor=request.user, data=form.service_data(),
                    reporter_id=form.cleaned_data["reporter"],
                    signal_ids=form.cleaned_data["signals"],
                    base_version=form.cleaned_data.get("lock_version"),
                    reason=form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                conflict = {"author": _conflict_data(form, exc.current), "current": exc.current}
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("De wijziging is opgeslagen."))
                return redirect("afwegingskader:report_detail", case_pk=case.pk, pk=report.pk)
    else:
        initial = {name: getattr(report, name) for name in services.REPORT_FIELDS}
        initial.update({
            "reported_at": timezone.localtime(report.reported_at).strftime("%Y-%m-%dT%H:%M"),
            "parents_informed": "ja" if report.parents_informed else "nee",
            "reporter": report.reporter_id, "lock_version": report.lock_version,
            "signals": list(report.signal_links.values_list("signal_id", flat=True))})
        form = forms.ReportForm(initial=initial, staff=staff, signals=signals, editing=True)
        log_access(user=request.user, obj=report, case=case)
    return render(request, "afwegingskader/report_form.html", {
        "case": case, "form": form, "adding": False, "report": report, "conflict": conflict,
        "case_url": case_url(case)}, status=409 if conflict else 200)


@login_required
@require_GET
def report_detail(request, case_pk: int, pk: int):
    case, perms = _case(request, case_pk, "view_case")
    report = _report_for(case, pk)
    log_access(user=request.user, obj=report, case=case)
    signals = [s for s in selectors.case_signal_list(case)
               if s.pk in set(report.signal_links.values_list("signal_id", flat=True))]
    return render(request, "afwegingskader/report_detail.html", {
        "case": case, "report": report, "perms": perms, "signals": signals,
        "feedback": list(report.feedback.select_related("author")),
        "agreements": list(report.role_agreements.select_related("author")),
        "can_write": "add_record" in perms and case.is_open, "case_url": case_url(case)})


@login_required
@require_GET
def report_draft(request, case_pk: int, pk: int | None = None):
    """A draft in the layout of the Veilig Thuis form, to copy or print (R20, R50)."""
    case, perms = _case(request, case_pk, "add_record")
    report = _report_for(case, pk) if pk is not None else None
    draft = build_report_draft(case, user=request.user, report=report)
    log_access(user=request.user, obj=report or case, case=case)
    return render(request, "afwegingskader/report_draft.html", {
        "case": case, "draft": draft, "text": draft.as_text(), "report": report,
        "case_url": case_url(case)})


@login_required
def feedback_add(request, case_pk: int, report_pk: int):
    """Feedback from Veilig Thuis after the report (R22)."""
    case, perms = _case(request, case_pk, "add_record")
    report = _report_for(case, report_pk)
    if not case.is_open:
        return _closed(request, case)
    form = forms.FeedbackForm(request.POST if request.method == "POST" else None,
                              initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        report.case = case
        try:
            services.feedback_record(report=report, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("De terugkoppeling is vastgelegd."))
            return redirect("afwegingskader:report_detail", case_pk=case.pk, pk=report.pk)
    return render(request, "afwegingskader/record_form.html", {
        "case": case, "form": form, "title": _("Terugkoppeling van Veilig Thuis"),
        "back_url": reverse("afwegingskader:report_detail", args=[case.pk, report.pk]),
        "case_url": case_url(case), "adding": True})


@login_required
def role_agreement_edit(request, case_pk: int, report_pk: int, pk: int | None = None):
    """What the SOT agreed with Veilig Thuis about the school's continuing role (R23)."""
    case, perms = _case(request, case_pk, "add_record")
    report = _report_for(case, report_pk)
    agreement = (get_object_or_404(SchoolRoleAgreement, report=report, pk=pk) if pk is not None
                 else SchoolRoleAgreement(report=report, agreed_on=timezone.localdate()))
    return _model_record_view(
        request, case, form_class=forms.RoleAgreementForm, instance=agreement,
        title=_("Afspraken met Veilig Thuis over de rol van de school"),
        save=lambda obj, base, reason: services.role_agreement_save(
            agreement=obj, actor=request.user, base_version=base, reason=reason),
        back_url=reverse("afwegingskader:report_detail", args=[case.pk, report.pk]))


@login_required
def info_request_add(request, case_pk: int):
    """Information given to Veilig Thuis on its request, with the legal basis (R24)."""
    case, perms = _case(request, case_pk, "add_record")
    reports = selectors.reports_for(case)
    record = InformationRequest(requested_on=timezone.localdate(),
                                given_on=timezone.localdate())
    return _model_record_view(
        request, case, form_class=forms.InformationRequestForm, instance=record,
        form_kwargs={"reports": reports},
        title=_("Informatie aan Veilig Thuis op verzoek"),
        save=lambda obj, base, reason: services.information_request_record(
            request=obj, case=case, actor=request.user),
        back_url=reverse("afwegingskader:followup", args=[case.pk]),
        intro=_("Veilig Thuis kan de school om informatie vragen, ook als iemand anders heeft "
                "gemeld. Het meldrecht (Wmo 2015, art. 5.2.6) maakt het mogelijk die zonder "
                "toestemming te geven; het is een recht, geen plicht."))


# --- help plan and follow-up ------------------------------------------------------------------


@login_required
def help_plan_edit(request, case_pk: int):
    """The help plan of this cycle (R13): add it, or adjust it with a reason."""
    case, perms = _case(request, case_pk, "add_record")
    plan = selectors.help_plan_for(case)
    adding = plan is None
    if plan is None:
        plan = HelpPlan(period_start=timezone.localdate())
    staff = selectors.school_staff(case.school_id)
    problem = ""
    if adding:
        problem = _step_problem(case, services.STEP5_AND_FOLLOWUP)
        if not problem and not services.help_path_open(case):
            problem = _("Een hulpplan hoort bij het hulpspoor: vraag 3 en 4 met „ja” beantwoord, "
                        "of een besluit om hulp te bieden of te organiseren.")
    return _model_record_view(
        request, case, form_class=forms.HelpPlanForm, instance=plan,
        form_kwargs={"staff": staff}, problem=problem,
        title=_("Hulpplan") if adding else _("Hulpplan aanpassen"),
        save=lambda obj, base, reason: services.help_plan_save(
            plan=obj, case=case, actor=request.user, base_version=base, reason=reason),
        back_url=reverse("afwegingskader:followup", args=[case.pk]),
        intro=_("Bij „ja” op vraag 4: leg concrete afspraken vast. Op de evaluatiedatum wordt "
                "vraag 5 beantwoord."))


FOLLOWUP_KINDS = {
    "actie": (FollowUpAction, forms.FollowUpActionForm, _("Actie in de volgfase"), True),
    "evaluatie": (Evaluation, forms.EvaluationForm, _("Evaluatie"), False),
    "nazorg": (AftercareNote, forms.AftercareForm, _("Nazorg"), False),
    "monitoring": (MonitoringAgreement, forms.MonitoringForm,
                   _("Afspraken over monitoring van de (on)veiligheid"), False),
    "knelpunt": (BottleneckNote, forms.BottleneckForm, _("Knelpunt voor beleid"), False),
}
EDITABLE_KINDS = {"actie", "monitoring"}


@login_required
def followup_add(request, case_pk: int, kind: str):
    return _followup(request, case_pk, kind, None)


@login_required
def followup_edit(request, case_pk: int, kind: str, pk: int):
    return _followup(request, case_pk, kind, pk)


def _followup(request, case_pk: int, kind: str, pk: int | None):
    model, form_class, title, needs_staff = FOLLOWUP_KINDS[kind]
    case, perms = _case(request, case_pk, "add_record")
    if pk is not None:
        instance = get_object_or_404(model, case_id=case.pk, pk=pk)
    else:
        today = timezone.localdate()
        defaults = {"occurred_on": today, "evaluated_on": today, "agreed_on": today}
        instance = model(**{k: v for k, v in defaults.items()
                            if k in {f.name for f in model._meta.fields}})
    kwargs = {"staff": selectors.school_staff(case.school_id)} if needs_staff else {}
    steps = services.FOLLOWUP_STEPS[model]
    problem = _step_problem(case, steps) if steps and pk is None else ""
    intro = {
        "knelpunt": _("Knelpunten worden zonder namen verzameld voor beleidsadvies."),
        "monitoring": _("Leg vast wat met het gezin en de samenwerkingspartners is afgesproken "
                        "over het volgen van de (on)veiligheid. Nodig om het dossier na hulp af "
                        "te sluiten."),
        "evaluatie": _("Een evaluatie is nodig om het dossier na hulp of vanuit de volgfase af "
                       "te sluiten."),
    }.get(kind, "")
    return _model_record_view(
        request, case, form_class=form_class, instance=instance, form_kwargs=kwargs,
        title=title, problem=problem, intro=intro,
        save=lambda obj, base, reason: services.followup_record_save(
            record=obj, case=case, actor=request.user, base_version=base, reason=reason),
        back_url=reverse("afwegingskader:followup", args=[case.pk]))


def _model_record_view(request, case, *, form_class, instance, title, save, back_url,
                       form_kwargs=None, problem: str = "", intro: str = ""):
    """Add or edit one model record: bind, validate, save through the service, keep input."""
    if not case.is_open:
        return _closed(request, case)
    form_kwargs = form_kwargs or {}
    adding = instance.pk is None
    conflict = None
    if request.method == "POST":
        form = form_class(request.POST, instance=instance, **form_kwargs)
        if form.is_valid():
            obj = form.save(commit=False)
            try:
                save(obj, form.cleaned_data.get("lock_version"),
                     form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                conflict = {"author": _conflict_data(form, exc.current), "current": exc.current}
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("%(what)s is vastgelegd.") % {"what": title})
                return redirect(back_url)
    else:
        form = form_class(instance=instance, **form_kwargs)
        if not adding:
            log_access(user=request.user, obj=instance, case=case)
    return render(request, "afwegingskader/record_form.html", {
        "case": case, "form": form, "title": title, "back_url": back_url, "adding": adding,
        "problem": problem, "intro": intro, "conflict": conflict, "case_url": case_url(case)},
        status=409 if conflict else 200)


@login_required
@require_GET
def followup(request, case_pk: int):
    """Reports, feedback, help plan and follow-up of the current cycle, with due dates."""
    case, perms = _case(request, case_pk, "view_case")
    log_access(user=request.user, obj=case, action=AccessAction.VIEW)
    records = selectors.followup_for(case)
    today = timezone.localdate()
    return render(request, "afwegingskader/followup.html", {
        "case": case, "perms": perms, "today": today,
        "reports": selectors.reports_for(case), "plan": selectors.help_plan_for(case),
        "decision": selectors.latest_decision(case), **records,
        "can_write": "add_record" in perms and case.is_open,
        "in_followup": case.step in services.STEP5_AND_FOLLOWUP,
        "case_url": case_url(case)})

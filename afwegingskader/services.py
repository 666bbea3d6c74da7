"""Writes of step 5 and its follow-through. Every function is atomic, checks the case (open,
step, the actor's permission on it) and saves with the acting user and a reason in the
history (style.md §2.4). Refusals raise ``cases.services.ServiceError`` (Dutch messages,
optionally per field through ``FieldErrors``); a save based on an older version raises
``cases.services.EditConflict`` and writes nothing.

Nothing here sends anything to Veilig Thuis, the Verwijsindex or the police (R50).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Route, SotMeeting, Status, Step
from cases.selectors import case_permissions
from cases.services import EditConflict, ServiceError

from .decision import HELP, Advice, advise
from .models import (AftercareNote, AnonymityReason, Assessment, BottleneckNote, Decision,
                     DecisionChoice, Evaluation, FeedbackKind, FollowUpAction, HelpPlan,
                     InformationRequest, LegalBasis, MonitoringAgreement, ParentsException,
                     Q2Answer, SchoolRoleAgreement, VeiligThuisFeedback, VeiligThuisReport,
                     VeiligThuisReportSignal, HELPING_DECISIONS, REPORTING_DECISIONS)
from .workdays import safety_feedback_due


class FieldErrors(ServiceError):
    """A refused write with messages per form field (``None`` for the form as a whole)."""

    def __init__(self, errors: Mapping[str | None, list[str]]):
        self.errors = {k: [str(m) for m in v] for k, v in errors.items() if v}
        super().__init__([m for msgs in self.errors.values() for m in msgs])


# --- common checks -------------------------------------------------------------------------

STEP5 = frozenset({Step.BESLISSEN})
STEP5_AND_FOLLOWUP = frozenset({Step.BESLISSEN, Step.VOLGEN})


def _lock_case(case: Case) -> Case:
    """Lock the case row for the rest of the transaction: writes on one case are serialised.
    Only Meldcode-route cases have a step 5 (the staff route is the board's, domain.md §6)."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.route != Route.MELDCODE:
        raise ServiceError(_("Dit dossier volgt de route van het bevoegd gezag; het "
                             "afwegingskader hoort daar niet bij."))
    return locked


def _check_case(case: Case, actor, perm: str | Iterable[str] = "add_record",
                steps: Iterable[int] | None = None) -> Case:
    locked = _lock_case(case)
    if locked.status != Status.OPEN:
        raise ServiceError(_("Dit dossier is afgesloten. Heropen het dossier om er iets aan toe "
                             "te voegen of te wijzigen."))
    wanted = {perm} if isinstance(perm, str) else set(perm)
    if not wanted & case_permissions(actor, locked):
        raise ServiceError(_("U mag dit niet vastleggen in dit dossier."))
    if steps is not None and locked.step not in steps:
        labels = ", ".join(str(Step(s).label) for s in sorted(steps))
        raise ServiceError(_("Dit kan alleen in: %(steps)s.") % {"steps": labels})
    return locked


def _save(obj, actor, reason: str):
    obj._history_user = actor
    obj._change_reason = reason
    obj.save()
    return obj


def _save_versioned(obj, actor, base_version: int | None, reason: str):
    """Save with optimistic locking: a row changed since ``base_version`` is a conflict."""
    if obj.pk is not None:
        current = type(obj).objects.select_for_update().get(pk=obj.pk)
        if base_version is not None and current.lock_version != base_version:
            raise EditConflict(current)
        obj.lock_version = current.lock_version + 1
    return _save(obj, actor, reason)


def _not_future(day: datetime.date | None, field: str, errors: dict) -> None:
    if day and day > timezone.localdate():
        errors.setdefault(field, []).append(_("Deze datum ligt in de toekomst."))


# --- the afwegingskader --------------------------------------------------------------------

QUESTION_NUMBERS = (1, 2, 3, 4, 5)
ANSWER_FIELDS = tuple(f"q{n}" for n in QUESTION_NUMBERS)
JUSTIFICATION_FIELDS = tuple(f"q{n}_justification" for n in QUESTION_NUMBERS)
ASSESSMENT_FIELDS = (*ANSWER_FIELDS, *JUSTIFICATION_FIELDS, "q2_change_reason",
                     "specialist_consulted")


def q2_value(raw: str):
    """The stored Q2 answer ("ja"/"nee"/"twijfel"/"") as :func:`advise` takes it."""
    return {Q2Answer.JA: True, Q2Answer.NEE: False, Q2Answer.TWIJFEL: "twijfel"}.get(raw)


def advice_for(data: Mapping, doubt_means_report: bool) -> Advice:
    """The advice for answers in the stored shape (q2 as "ja"/"nee"/"twijfel"/"")."""
    return advise(data.get("q1"), q2_value(data.get("q2") or ""), data.get("q3"),
                  data.get("q4"), data.get("q5"), doubt_means_report=doubt_means_report)


def _answered(data: Mapping, n: int) -> bool:
    value = data.get(f"q{n}")
    return value not in (None, "")


def answer_errors(data: Mapping, *, step: int, disclosure: bool, has_help_plan: bool,
                  doubt_means_report: bool, previous: Assessment | None = None
                  ) -> dict[str, list[str]]:
    """Why these answers cannot be saved, per field (empty dict: they can).

    The rules of R10–R14 and R18 that the form shows inline and the service enforces:
    each answer has a justification; the questions are answered in order, and the answer
    that decides the outcome stops the questions after it (Q1 = nee, Q3 = nee, Q4 = nee);
    Q1–Q4 are answered in step 5, Q5 also in the follow-up phase; on the help path Q5 is
    answered at the end of the help plan's period, so it needs a help plan; with a
    disclosure (R18) another Q2 answer than "ja" needs a reason.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for n in QUESTION_NUMBERS:
        answered = _answered(data, n)
        text = (data.get(f"q{n}_justification") or "").strip()
        if answered and not text:
            add(f"q{n}_justification", _("Geef een onderbouwing bij vraag %(n)s.") % {"n": n})
        if not answered and text:
            add(f"q{n}", _("Kies een antwoord bij vraag %(n)s, of maak de onderbouwing leeg.")
                % {"n": n})
        if answered and n > 1 and not _answered(data, n - 1):
            add(f"q{n}", _("Beantwoord de vragen op volgorde: eerst vraag %(prev)s.")
                % {"prev": n - 1})

    stops = [(1, data.get("q1") is False, _("Bij „nee” op vraag 1 stopt het afwegingskader.")),
             (3, data.get("q3") is False, _("Bij „nee” op vraag 3 is melden de norm; vraag 4 "
                                            "en 5 blijven leeg.")),
             (4, data.get("q4") is False, _("Bij „nee” op vraag 4 is melden de norm; vraag 5 "
                                            "blijft leeg."))]
    for number, stopped, message in stops:
        if stopped:
            for later in range(number + 1, 6):
                if _answered(data, later):
                    add(f"q{later}", message)
                    break

    if step != Step.BESLISSEN:
        changed = [n for n in (1, 2, 3, 4) if _value_changed(data, previous, n)]
        for n in changed:
            add(f"q{n}", _("Vraag %(n)s kan alleen in stap 5 worden beantwoord of gewijzigd.")
                % {"n": n})
        if step != Step.VOLGEN and _value_changed(data, previous, 5):
            add("q5", _("Vraag 5 kan alleen in stap 5 of in de volgfase worden beantwoord."))

    advice = advice_for(data, doubt_means_report)
    if _answered(data, 5) and not advice.answered_with_veilig_thuis and not has_help_plan:
        add("q5", _("Vraag 5 beantwoordt u aan het einde van de afgesproken termijn: leg eerst "
                    "het hulpplan vast (hulp, zorgcoördinator, rollen, resultaten en "
                    "evaluatiedatum)."))

    if disclosure and _answered(data, 2) and data.get("q2") != Q2Answer.JA:
        if not (data.get("q2_change_reason") or "").strip():
            add("q2_change_reason", _("Het kind heeft zelf iets verteld (disclosure); dat geldt "
                                      "als acute onveiligheid. Geef de reden om bij vraag 2 "
                                      "iets anders dan „ja” te antwoorden."))
    return errors


def _value_changed(data: Mapping, previous: Assessment | None, n: int) -> bool:
    old = getattr(previous, f"q{n}") if previous is not None else (None if n != 2 else "")
    new = data.get(f"q{n}")
    if n == 2:
        return (old or "") != (new or "")
    return old != new


def _changed_given_answers(data: Mapping, previous: Assessment) -> list[str]:
    """Fields whose earlier, non-empty value is changed (changing needs a reason, R31)."""
    changed = []
    for name in (*ANSWER_FIELDS, *JUSTIFICATION_FIELDS):
        old = getattr(previous, name)
        if old in (None, ""):
            continue
        new = data.get(name)
        if isinstance(old, str):
            if (new or "").strip() != old.strip():
                changed.append(name)
        elif new != old:
            changed.append(name)
    return changed


@transaction.atomic
def assessment_save(*, case: Case, actor, data: Mapping, base_version: int | None,
                    reason: str = "") -> Assessment:
    """Save the answers of the afwegingskader for the case's current cycle.

    ``data`` holds q1..q5 (q2 as "ja"/"nee"/"twijfel"/""), their justifications,
    ``q2_change_reason`` and ``specialist_consulted``. Changing an answer or justification
    that was given before needs ``reason``. Q5 closes the help plan's evaluation.
    """
    from .selectors import case_flags, help_plan_for

    locked = _check_case(case, actor, "add_record", STEP5_AND_FOLLOWUP)
    school = locked.school
    existing = (Assessment.objects.select_for_update()
                .filter(case_id=locked.pk, cycle=locked.cycle).first())
    if existing is not None:
        if base_version is None or existing.lock_version != base_version:
            raise EditConflict(existing)
    flags = case_flags(locked)
    plan = help_plan_for(locked)
    errors = answer_errors(data, step=locked.step, disclosure=flags.disclosure,
                           has_help_plan=plan is not None,
                           doubt_means_report=school.doubt_means_report, previous=existing)
    if existing is not None and _changed_given_answers(data, existing) and not reason.strip():
        errors.setdefault("change_reason", []).append(
            _("U wijzigt een eerder gegeven antwoord of onderbouwing: geef de reden."))
    if errors:
        raise FieldErrors(errors)

    assessment = existing or Assessment(case=locked, cycle=locked.cycle, author=actor)
    for name in ASSESSMENT_FIELDS:
        value = data.get(name)
        if name in JUSTIFICATION_FIELDS or name in ("q2_change_reason", "specialist_consulted"):
            value = (value or "").strip()
        if name == "q2":
            value = value or ""
        setattr(assessment, name, value)
    assessment.q2_prefilled_from_disclosure = flags.disclosure
    if assessment.q2 == Q2Answer.JA or not flags.disclosure:
        assessment.q2_change_reason = ""
    assessment.doubt_means_report = school.doubt_means_report
    assessment.meldcode_version = locked.meldcode_version
    advice = assessment.advice()
    assessment.answered_with_veilig_thuis = advice.answered_with_veilig_thuis
    assessment.updated_by = actor
    why = reason.strip() or ("afwegingskader ingevuld" if existing is None
                             else "afwegingskader aangevuld")
    _save_versioned(assessment, actor, base_version if existing else None, why)

    # R13: answering Q5 is the evaluation of the help plan; it is then no longer due.
    if plan is not None:
        done = timezone.localdate() if assessment.q5 is not None else None
        if (plan.completed_on is None) != (done is None):
            plan.completed_on = done
            plan.lock_version += 1
            _save(plan, actor, "vraag 5 beantwoord" if done else "vraag 5 weer open")
    return assessment


# --- the decision --------------------------------------------------------------------------


def decision_deviates(choice: str, advice: Advice) -> bool:
    """Whether a decision deviates from the afwegingskader's advice (R11).

    It deviates when it differs from Beslissing 1 — it reports while the advice says reporting
    is not necessary, or it does not report while the advice says it is — or when the advice
    is to help (``help``) and the decision organises no help. Reporting under the meldrecht is
    always possible, but against the school's own answers it needs a recorded reason, as does
    not reporting against them. Help next to a report, or help after Q1 = nee ("organise help
    if needed", [E6]), is no deviation.
    """
    if advice.report_required is None:
        raise ValueError("no advice yet: the afwegingskader is incomplete")
    reports = choice in REPORTING_DECISIONS
    if reports != advice.report_required:
        return True
    return advice.outcome == HELP and choice not in HELPING_DECISIONS


def _staff_snapshot(staff: dict, user_ids: Iterable[int]) -> list[dict]:
    return [{"user_id": uid, "name": staff[uid]["name"], "role": ", ".join(staff[uid]["roles"])}
            for uid in user_ids]


@transaction.atomic
def decision_record(*, case: Case, actor, choice: str, decided_on: datetime.date,
                    motivation: str, urgent: bool = False, deviation_reason: str = "",
                    sot_meeting: SotMeeting | None = None, present_user_ids: Iterable[int] = (),
                    present_external: list | None = None, reporter_id: int | None = None,
                    parents_informer_id: int | None = None, parents_informer_other: str = "",
                    parents_inform_on: datetime.date | None = None,
                    parents_exception: str = "", parents_exception_explanation: str = ""
                    ) -> Decision:
    """Record the step-5 decision (R11, R15), in step 5 or (after Q5) the follow-up phase.

    The SOT decides (``decide_case``: members attending a meeting with the case on the
    agenda); when it is urgent the veiligheidscoördinator decides alone (``decide_urgent``).
    The advice must be determined; a deviating decision needs a reason; a report needs the
    person who reports; who informs the parents and when — or why not beforehand (R8).
    """
    from .selectors import assessment_for, school_staff

    perm = "decide_urgent" if urgent else "decide_case"
    locked = _lock_case(case)
    if locked.status != Status.OPEN:
        raise ServiceError(_("Dit dossier is afgesloten. Heropen het dossier om er iets aan toe "
                             "te voegen of te wijzigen."))
    if perm not in case_permissions(actor, locked):
        raise ServiceError(_("Alleen de veiligheidscoördinator legt een spoedbesluit vast.")
                           if urgent else
                           _("Alleen het SOT (de leden die het overleg over deze leerling "
                             "bijwonen) legt het besluit vast."))
    if locked.step not in STEP5_AND_FOLLOWUP:
        raise ServiceError(_("Het besluit wordt genomen in stap 5 (of na vraag 5 in de "
                             "volgfase)."))
    assessment = assessment_for(locked)
    advice = assessment.advice() if assessment else None
    if advice is None or not advice.is_determined:
        raise ServiceError(_("Het afwegingskader geeft nog geen advies. Beantwoord eerst de "
                             "vragen van het afwegingskader."))

    errors: dict[str | None, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if choice not in DecisionChoice.values:
        add("choice", _("Kies een besluit."))
    if not (motivation or "").strip():
        add("motivation", _("Licht het besluit toe."))
    if not decided_on:
        add("decided_on", _("Vul de datum van het besluit in."))
    _not_future(decided_on, "decided_on", errors)
    deviates = choice in DecisionChoice.values and decision_deviates(choice, advice)
    if deviates and not (deviation_reason or "").strip():
        add("deviation_reason", _("Dit besluit wijkt af van het advies van het afwegingskader. "
                                  "Geef de reden; die staat in elke uitdraai van het dossier."))
    staff = school_staff(locked.school_id)
    present_ids = [int(u) for u in present_user_ids]
    if actor.pk not in present_ids:
        present_ids.insert(0, actor.pk)  # whoever records the decision took part in it
    unknown = [u for u in present_ids if u not in staff]
    if unknown:
        add("present", _("Kies aanwezigen uit het personeel van de school."))
    if choice in REPORTING_DECISIONS and not reporter_id:
        add("reporter", _("Kies wie de melding doet."))
    if reporter_id and reporter_id not in staff:
        add("reporter", _("Kies de melder uit het personeel van de school."))
    if parents_informer_id and parents_informer_id not in staff:
        add("parents_informer", _("Kies een medewerker van de school."))
    if parents_exception:
        if parents_exception not in ParentsException.values:
            add("parents_exception", _("Kies een reden uit de lijst."))
        if not (parents_exception_explanation or "").strip():
            add("parents_exception_explanation",
                _("Licht toe waarom de ouders niet vooraf worden geïnformeerd."))
    else:
        if not parents_informer_id and not (parents_informer_other or "").strip():
            add("parents_informer", _("Kies wie de ouders informeert, of kies een reden om de "
                                      "ouders niet vooraf te informeren."))
        if not parents_inform_on:
            add("parents_inform_on", _("Vul in wanneer de ouders worden geïnformeerd."))
    if sot_meeting is not None:
        on_agenda = SotMeeting.objects.filter(pk=sot_meeting.pk, school_id=locked.school_id,
                                              discussions__case_id=locked.pk).exists()
        if not on_agenda:
            add("sot_meeting", _("Deze leerling stond niet op de agenda van dit overleg."))
    if errors:
        raise FieldErrors(errors)

    decision = Decision(
        case=locked, cycle=locked.cycle, author=actor, assessment=assessment, choice=choice,
        decided_on=decided_on, motivation=motivation.strip(),
        advice_outcome=str(advice.outcome), advice_report_required=advice.report_required,
        advice_help_possible=advice.help_possible, advice_reporting_norm=advice.reporting_norm,
        answers_snapshot={**{k: v for k, v in assessment.answers().items()},
                          "doubt_means_report": assessment.doubt_means_report},
        deviates=deviates, deviation_reason=(deviation_reason or "").strip() if deviates else "",
        urgent=urgent, sot_meeting=sot_meeting,
        present=_staff_snapshot(staff, present_ids), present_external=present_external or [],
        reporter_id=reporter_id or None,
        parents_informer_id=None if parents_exception else (parents_informer_id or None),
        parents_informer_other="" if parents_exception else (parents_informer_other or "").strip(),
        parents_inform_on=None if parents_exception else parents_inform_on,
        parents_exception=parents_exception or "",
        parents_exception_explanation=(parents_exception_explanation or "").strip()
        if parents_exception else "",
        meldcode_version=locked.meldcode_version)
    return _save(decision, actor, "spoedbesluit vastgelegd" if urgent else "besluit vastgelegd")


# --- Veilig Thuis --------------------------------------------------------------------------


def report_errors(data: Mapping) -> dict[str, list[str]]:
    """"Open melden, tenzij" (R8) and the anonymity grounds (R21), per field."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if data.get("parents_informed") is True:
        if not (data.get("parents_informed_how") or "").strip():
            add("parents_informed_how", _("Beschrijf hoe de ouders zijn geïnformeerd."))
        if not (data.get("parents_reaction") or "").strip():
            add("parents_reaction", _("Beschrijf de reactie van de ouders (of dat zij niet "
                                      "reageerden)."))
    elif data.get("parents_informed") is False:
        if data.get("parents_exception") not in ParentsException.values:
            add("parents_exception", _("Open melden is de norm. Kies de reden om de ouders niet "
                                       "vooraf te informeren uit de lijst."))
        if not (data.get("parents_exception_explanation") or "").strip():
            add("parents_exception_explanation",
                _("Licht toe waarom de ouders niet vooraf zijn geïnformeerd."))
    else:
        add("parents_informed", _("Geef aan of de ouders vooraf zijn geïnformeerd."))
    if data.get("anonymity_requested"):
        if data.get("anonymity_reason") not in AnonymityReason.values:
            add("anonymity_reason", _("Veilig Thuis schermt de melder alleen af om een van deze "
                                      "redenen. Kies de reden."))
        if not (data.get("anonymity_explanation") or "").strip():
            add("anonymity_explanation", _("Licht de reden voor afscherming toe."))
    if data.get("channel") == "anders" and not (data.get("channel_other") or "").strip():
        add("channel_other", _("Beschrijf hoe is gemeld."))
    reported_at = data.get("reported_at")
    if reported_at and reported_at > timezone.now() + datetime.timedelta(minutes=5):
        add("reported_at", _("Dit moment ligt in de toekomst. Leg een melding vast nadat u "
                             "hebt gemeld."))
    due = data.get("investigation_feedback_due")
    if due and reported_at and due < timezone.localtime(reported_at).date():
        add("investigation_feedback_due", _("Deze datum ligt vóór de melding."))
    return errors


REPORT_FIELDS = ("reported_at", "channel", "channel_other", "persons_involved", "steps_taken",
                 "parents_informed", "parents_informed_how", "parents_reaction",
                 "parents_exception", "parents_exception_explanation", "anonymity_requested",
                 "anonymity_reason", "anonymity_explanation", "vt_reference",
                 "investigation_feedback_due")


def _report_apply(report: VeiligThuisReport, data: Mapping, reporter_id: int, staff) -> None:
    for name in REPORT_FIELDS:
        if name in data:
            value = data[name]
            setattr(report, name, value.strip() if isinstance(value, str) else value)
    if report.parents_informed:
        report.parents_exception, report.parents_exception_explanation = "", ""
    else:
        report.parents_informed_how, report.parents_reaction = "", ""
    if not report.anonymity_requested:
        report.anonymity_reason, report.anonymity_explanation = "", ""
    if report.channel != "anders":
        report.channel_other = ""
    report.reporter_id = reporter_id
    report.safety_feedback_due = safety_feedback_due(timezone.localtime(report.reported_at).date())


def _report_checks(locked: Case, data: Mapping, reporter_id, signal_ids, staff) -> list[int]:
    errors = report_errors(data)
    if not reporter_id or reporter_id not in staff:
        errors.setdefault("reporter", []).append(_("Kies de melder uit het personeel van de "
                                                   "school."))
    from cases.models import CaseSignal

    case_signal_ids = set(CaseSignal.objects.filter(case_id=locked.pk)
                          .values_list("signal_id", flat=True))
    wanted = [int(s) for s in signal_ids]
    if not wanted:
        errors.setdefault("signals", []).append(_("Kies de signalen die u heeft gemeld."))
    elif set(wanted) - case_signal_ids:
        errors.setdefault("signals", []).append(_("Kies alleen signalen uit dit dossier."))
    if not (data.get("steps_taken") or "").strip():
        errors.setdefault("steps_taken", []).append(_("Beschrijf de stappen die zijn gezet."))
    if not data.get("persons_involved"):
        errors.setdefault("persons_involved", []).append(_("Vul de betrokkenen in."))
    if errors:
        raise FieldErrors(errors)
    return wanted


def _sync_report_signals(report: VeiligThuisReport, signal_ids: list[int], actor) -> None:
    current = {link.signal_id: link for link in report.signal_links.all()}
    for signal_id, link in current.items():
        if signal_id not in signal_ids:
            link._history_user, link._change_reason = actor, "signaal uit melding gehaald"
            link.delete()
    for signal_id in signal_ids:
        if signal_id not in current:
            _save(VeiligThuisReportSignal(report=report, signal_id=signal_id), actor,
                  "signaal in melding")


@transaction.atomic
def report_record(*, case: Case, actor, data: Mapping, reporter_id: int,
                  signal_ids: Iterable[int]) -> VeiligThuisReport:
    """Record a report to Veilig Thuis that a person made (R20, R21, R22).

    Needs a decision of this cycle that includes reporting. The expected feedback after the
    safety assessment is set to 5 working days after the report.
    """
    from .selectors import school_staff

    locked = _check_case(case, actor, "add_record", STEP5_AND_FOLLOWUP)
    decision = (Decision.objects.filter(case_id=locked.pk, cycle=locked.cycle,
                                        choice__in=list(REPORTING_DECISIONS))
                .order_by("-created_at", "-pk").first())
    if decision is None:
        raise ServiceError(_("Leg eerst het besluit vast om te melden (stap 5)."))
    staff = school_staff(locked.school_id)
    wanted = _report_checks(locked, data, reporter_id, signal_ids, staff)
    report = VeiligThuisReport(case=locked, cycle=locked.cycle, author=actor, decision=decision)
    _report_apply(report, data, reporter_id, staff)
    _save_versioned(report, actor, None, "melding vastgelegd")
    _sync_report_signals(report, wanted, actor)
    return report


@transaction.atomic
def report_update(*, report: VeiligThuisReport, actor, data: Mapping, reporter_id: int,
                  signal_ids: Iterable[int], base_version: int, reason: str
                  ) -> VeiligThuisReport:
    """Change a recorded report (for example the reference number of Veilig Thuis)."""
    from .selectors import school_staff

    locked = _check_case(report.case, actor, "add_record")
    if not (reason or "").strip():
        raise FieldErrors({"change_reason": [_("Geef een reden voor de wijziging.")]})
    staff = school_staff(locked.school_id)
    wanted = _report_checks(locked, data, reporter_id, signal_ids, staff)
    _report_apply(report, data, reporter_id, staff)
    _save_versioned(report, actor, base_version, reason.strip())
    _sync_report_signals(report, wanted, actor)
    return report


@transaction.atomic
def feedback_record(*, report: VeiligThuisReport, actor, kind: str,
                    received_on: datetime.date, content: str) -> VeiligThuisFeedback:
    """Record feedback from Veilig Thuis (R22); marks the expected feedback as received."""
    _check_case(report.case, actor, "add_record")
    errors: dict[str, list[str]] = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = [_("Kies de soort terugkoppeling.")]
    _not_future(received_on, "received_on", errors)
    if received_on and received_on < timezone.localtime(report.reported_at).date():
        errors.setdefault("received_on", []).append(_("Deze datum ligt vóór de melding."))
    if not (content or "").strip():
        errors["content"] = [_("Beschrijf de terugkoppeling.")]
    if errors:
        raise FieldErrors(errors)
    feedback = _save(VeiligThuisFeedback(report=report, kind=kind, received_on=received_on,
                                         content=content.strip(), author=actor),
                     actor, "terugkoppeling vastgelegd")
    report = VeiligThuisReport.objects.select_for_update().get(pk=report.pk)
    changed = False
    if kind == FeedbackKind.SAFETY and report.safety_feedback_received_on is None:
        report.safety_feedback_received_on, changed = received_on, True
    if kind == FeedbackKind.INVESTIGATION and report.investigation_feedback_received_on is None:
        report.investigation_feedback_received_on, changed = received_on, True
    if changed:
        report.lock_version += 1
        _save(report, actor, "terugkoppeling ontvangen")
    return feedback


@transaction.atomic
def role_agreement_save(*, agreement: SchoolRoleAgreement, actor,
                        base_version: int | None = None, reason: str = ""
                        ) -> SchoolRoleAgreement:
    """Record or change what the SOT agreed with Veilig Thuis about the school's role (R23)."""
    _check_case(agreement.report.case, actor, "add_record")
    errors: dict[str, list[str]] = {}
    _not_future(agreement.agreed_on, "agreed_on", errors)
    if not agreement.school_role.strip():
        errors["school_role"] = [_("Beschrijf wat de school blijft doen.")]
    if agreement.pk is not None and not reason.strip():
        errors["change_reason"] = [_("Geef een reden voor de wijziging.")]
    if errors:
        raise FieldErrors(errors)
    if agreement.pk is None:
        agreement.author = actor
    return _save_versioned(agreement, actor, base_version,
                           reason.strip() or "afspraak met Veilig Thuis vastgelegd")


@transaction.atomic
def information_request_record(*, request: InformationRequest, case: Case, actor
                               ) -> InformationRequest:
    """Record information given to Veilig Thuis on its request (R24), at any step."""
    locked = _check_case(case, actor, "add_record")
    errors: dict[str, list[str]] = {}
    _not_future(request.given_on, "given_on", errors)
    _not_future(request.requested_on, "requested_on", errors)
    if request.given_on and request.requested_on and request.given_on < request.requested_on:
        errors.setdefault("given_on", []).append(_("Deze datum ligt vóór het verzoek."))
    if request.legal_basis != LegalBasis.MELDRECHT and not request.legal_basis_explanation.strip():
        errors["legal_basis_explanation"] = [_("Licht de grondslag toe.")]
    if request.report_id and not VeiligThuisReport.objects.filter(
            pk=request.report_id, case_id=locked.pk).exists():
        errors["report"] = [_("Kies een melding uit dit dossier.")]
    if errors:
        raise FieldErrors(errors)
    request.case, request.cycle, request.author = locked, locked.cycle, actor
    return _save(request, actor, "informatie aan Veilig Thuis vastgelegd")


# --- help and follow-up ---------------------------------------------------------------------


def help_path_open(case: Case) -> bool:
    """Whether a help plan fits this cycle: the advice says help is possible (Q3 and Q4 ja)
    or the decision in force organises help."""
    from .selectors import assessment_for, latest_decision

    assessment = assessment_for(case)
    if assessment is not None and assessment.advice().help_possible:
        return True
    decision = latest_decision(case)
    return decision is not None and decision.includes_help


@transaction.atomic
def help_plan_save(*, plan: HelpPlan, case: Case, actor, base_version: int | None = None,
                   reason: str = "") -> HelpPlan:
    """Record or adjust the help plan (R13): what help, the zorgcoördinator, roles, expected
    results, the period and the evaluation date at which Q5 becomes due."""
    from .selectors import latest_decision, school_staff

    locked = _check_case(case, actor, "add_record", STEP5_AND_FOLLOWUP)
    if plan.pk is None and not help_path_open(locked):
        raise ServiceError(_("Een hulpplan hoort bij het hulpspoor: vraag 3 en 4 met „ja” "
                             "beantwoord, of een besluit om hulp te bieden of te organiseren."))
    errors: dict[str, list[str]] = {}

    def need(field, ok, message):
        if not ok:
            errors.setdefault(field, []).append(message)

    need("help_description", plan.help_description.strip(), _("Beschrijf de hulp."))
    need("coordinator", plan.coordinator_id or plan.coordinator_name.strip(),
         _("Kies de zorgcoördinator, of vul de naam in van een zorgcoördinator buiten de "
           "school."))
    if plan.coordinator_id and plan.coordinator_id not in school_staff(locked.school_id):
        errors.setdefault("coordinator", []).append(_("Kies een medewerker van de school."))
    need("roles", plan.roles, _("Vul in wie welke rol heeft."))
    need("expected_results", plan.expected_results.strip(),
         _("Beschrijf de verwachte, meetbare resultaten."))
    need("period_start", plan.period_start, _("Vul het begin van de termijn in."))
    need("period_end", plan.period_end, _("Vul het einde van de termijn in."))
    need("evaluation_on", plan.evaluation_on, _("Vul de evaluatiedatum in."))
    if plan.period_start and plan.period_end and plan.period_end < plan.period_start:
        errors.setdefault("period_end", []).append(_("Het einde ligt vóór het begin."))
    if plan.period_start and plan.evaluation_on and plan.evaluation_on < plan.period_start:
        errors.setdefault("evaluation_on", []).append(
            _("De evaluatie ligt vóór het begin van de termijn."))
    if plan.pk is not None and not reason.strip():
        errors.setdefault("change_reason", []).append(_("Geef een reden voor de wijziging."))
    if errors:
        raise FieldErrors(errors)
    if plan.pk is None:
        if HelpPlan.objects.filter(case_id=locked.pk, cycle=locked.cycle).exists():
            raise ServiceError(_("Er is al een hulpplan voor deze ronde; pas dat aan."))
        plan.case, plan.cycle, plan.author = locked, locked.cycle, actor
        decision = latest_decision(locked)
        plan.decision = decision if decision and decision.includes_help else None
    return _save_versioned(plan, actor, base_version, reason.strip() or "hulpplan vastgelegd")


#: Simple follow-up records: model -> steps where they may be added (None: any step).
FOLLOWUP_STEPS: dict[type, frozenset | None] = {
    FollowUpAction: STEP5_AND_FOLLOWUP,
    Evaluation: STEP5_AND_FOLLOWUP,
    AftercareNote: STEP5_AND_FOLLOWUP,
    MonitoringAgreement: STEP5_AND_FOLLOWUP,
    BottleneckNote: None,  # bottlenecks can show up at any step
}


def bottleneck_identifiers(case: Case, text: str) -> list[str]:
    """What in ``text`` identifies the pupil or the parents (descriptions, not values)."""
    from cases.records import child_identifier_patterns, identifiers_in

    return identifiers_in(text, child_identifier_patterns(case.pupil))


@transaction.atomic
def followup_record_save(*, record, case: Case, actor, base_version: int | None = None,
                         reason: str = ""):
    """Add or change a follow-up record: an action, evaluation, aftercare note, monitoring
    agreement or bottleneck note (R40–R42). Evaluations, aftercare and bottleneck notes are
    append-only; actions and monitoring agreements can be changed with a reason."""
    model = type(record)
    locked = _check_case(case, actor, "add_record", FOLLOWUP_STEPS[model])
    errors: dict[str, list[str]] = {}
    for name in ("occurred_on", "evaluated_on", "agreed_on"):
        if hasattr(record, name):
            _not_future(getattr(record, name), name, errors)
    if isinstance(record, FollowUpAction):
        if record.owner_id and record.owner_id not in _staff_ids(locked):
            errors["owner"] = [_("Kies een medewerker van de school.")]
        _not_future(record.done_on, "done_on", errors)
        if record.done_on and not record.result.strip():
            errors["result"] = [_("Beschrijf het resultaat van de actie.")]
    if isinstance(record, BottleneckNote):
        # R42: notes for policy advice never identify the pupil or the family.
        hits = bottleneck_identifiers(locked, record.note)
        if hits:
            errors["note"] = [_("Een knelpunt voor beleid mag niemand herkenbaar maken. Haal "
                                "weg: %(what)s.") % {"what": ", ".join(hits)}]
        record.school_id = locked.school_id
    if record.pk is not None and not reason.strip():
        errors["change_reason"] = [_("Geef een reden voor de wijziging.")]
    if errors:
        raise FieldErrors(errors)
    if record.pk is None:
        record.case, record.cycle, record.author = locked, locked.cycle, actor
    label = str(model._meta.verbose_name)
    if isinstance(record, (FollowUpAction, MonitoringAgreement)):
        return _save_versioned(record, actor, base_version, reason.strip() or f"{label} vastgelegd")
    return _save(record, actor, f"{label} vastgelegd")


def _staff_ids(case: Case) -> set[int]:
    from .selectors import school_staff

    return set(school_staff(case.school_id))

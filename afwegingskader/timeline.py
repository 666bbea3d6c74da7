"""This app's entries on the case timeline and its models in the change history.

Registered with ``cases.timeline.register_timeline_source`` and
``cases.history.register_history_source`` (see ``apps.py``), so ``cases`` never imports this
app. The timeline source first asks, in one query, which kinds of record the case has at all,
and then runs one query per kind that has rows: a case before step 5 costs one query.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases.models import Case

from .decision import Outcome
from .models import (AftercareNote, Assessment, BottleneckNote, Decision, Evaluation,
                     FollowUpAction, HelpPlan, InformationRequest, MonitoringAgreement,
                     SchoolRoleAgreement, VeiligThuisFeedback, VeiligThuisReport,
                     VeiligThuisReportSignal)

def outcome_label(outcome: str) -> str:
    """Dutch label of a stored advice outcome, in the active language."""
    labels = {
        Outcome.INCOMPLETE: _("nog geen advies"),
        Outcome.NO_SUSPICION: _("geen vermoeden: traject van de meldcode afsluiten"),
        Outcome.REPORT: _("melden bij Veilig Thuis"),
        Outcome.HELP: _("hulp bieden of organiseren"),
        Outcome.REPORT_AFTER_HELP: _("(opnieuw) melden na de hulp"),
        Outcome.HELP_SUCCEEDED: _("hulp afsluiten met afspraken over monitoring"),
    }
    return labels.get(outcome, outcome)


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _day(value) -> str:
    return date_format(value, "j F Y") if value else ""


def _yes_no(value) -> str:
    return "" if value is None else (_("ja") if value else _("nee"))


def _details(*pairs) -> list[tuple[str, str]]:
    return [(str(label), str(value)) for label, value in pairs if value not in ("", None)]


def present_text(decision: Decision) -> str:
    people = [*(decision.present or []), *(decision.present_external or [])]
    return ", ".join(f"{p.get('name', '')} ({p.get('role', '')})" if p.get("role")
                     else p.get("name", "") for p in people)


def parents_text(decision: Decision) -> str:
    if decision.parents_exception:
        return _("niet vooraf: %(reason)s — %(explanation)s") % {
            "reason": decision.get_parents_exception_display(),
            "explanation": decision.parents_exception_explanation}
    who = _name(decision.parents_informer) or decision.parents_informer_other
    return _("%(who)s, op %(date)s") % {"who": who, "date": _day(decision.parents_inform_on)}


def _has_rows(case: Case) -> dict[str, bool]:
    def on_case(model):
        return Exists(model.objects.filter(case_id=OuterRef("pk")))

    row = Case.objects.filter(pk=case.pk).annotate(
        has_assessment=on_case(Assessment), has_decision=on_case(Decision),
        has_report=on_case(VeiligThuisReport), has_info=on_case(InformationRequest),
        has_plan=on_case(HelpPlan), has_action=on_case(FollowUpAction),
        has_evaluation=on_case(Evaluation), has_aftercare=on_case(AftercareNote),
        has_monitoring=on_case(MonitoringAgreement), has_bottleneck=on_case(BottleneckNote),
    ).values("has_assessment", "has_decision", "has_report", "has_info", "has_plan",
             "has_action", "has_evaluation", "has_aftercare", "has_monitoring",
             "has_bottleneck").first()
    return row or {}


def timeline_entries(case: Case) -> list:
    """Timeline entries of step 5 and the follow-up, all cycles; O(1) queries."""
    from cases.timeline import TimelineEntry

    has = _has_rows(case)
    entries: list = []

    def entry(**kwargs):
        entries.append(TimelineEntry(**kwargs))

    if has.get("has_assessment"):
        for a in Assessment.objects.filter(case_id=case.pk).select_related("updated_by"):
            advice = a.advice()
            details = []
            for n in range(1, 6):
                value = a.q2 and a.get_q2_display() if n == 2 else _yes_no(getattr(a, f"q{n}"))
                if value:
                    details.append((_("Vraag %(n)s") % {"n": n},
                                    f"{value} — {getattr(a, f'q{n}_justification')}"))
            entry(date=timezone.localdate(a.updated_at), kind="assessment",
                  title=_("Afwegingskader (ronde %(cycle)s)") % {"cycle": a.cycle},
                  author=a.updated_by, obj=a, recorded_at=a.updated_at, step=5,
                  details=_details(*details, (_("Advies"), outcome_label(advice.outcome)),
                                   (_("Samen met Veilig Thuis beantwoord"),
                                    _("ja") if a.answered_with_veilig_thuis else ""),
                                   (_("Overleg met specialist"), a.specialist_consulted),
                                   (_("Versie meldcode"), a.meldcode_version)))
    if has.get("has_decision"):
        for d in Decision.objects.filter(case_id=case.pk).select_related(
                "author", "reporter", "parents_informer"):
            entry(date=d.decided_on, kind="decision",
                  title=(_("Spoedbesluit: %(choice)s") if d.urgent else _("Besluit: %(choice)s"))
                  % {"choice": d.get_choice_display()},
                  author=d.author, obj=d, recorded_at=d.created_at, step=5,
                  details=_details(
                      (_("Advies"), outcome_label(d.advice_outcome)),
                      (_("Wijkt af van het advies"), _("ja") if d.deviates else ""),
                      (_("Reden van afwijken"), d.deviation_reason),
                      (_("Toelichting"), d.motivation),
                      (_("Aanwezig"), present_text(d)),
                      (_("Wie meldt"), _name(d.reporter)),
                      (_("Ouders informeren"), parents_text(d))))
    if has.get("has_report"):
        reports = list(VeiligThuisReport.objects.filter(case_id=case.pk)
                       .select_related("reporter").prefetch_related("feedback",
                                                                    "role_agreements"))
        for r in reports:
            parents = (_("ja: %(how)s") % {"how": r.parents_informed_how} if r.parents_informed
                       else _("nee: %(reason)s") % {"reason": r.get_parents_exception_display()})
            entry(date=timezone.localdate(r.reported_at), kind="vt_report",
                  title=_("Gemeld bij Veilig Thuis"), author=r.reporter, obj=r,
                  moment=r.reported_at, recorded_at=r.reported_at, step=5,
                  details=_details((_("Hoe"), r.get_channel_display()),
                                   (_("Kenmerk Veilig Thuis"), r.vt_reference),
                                   (_("Ouders vooraf geïnformeerd"), parents),
                                   (_("Melder afgeschermd"),
                                    r.get_anonymity_reason_display() if r.anonymity_requested
                                    else ""),
                                   (_("Terugkoppeling verwacht"), _day(r.safety_feedback_due))))
            for f in r.feedback.all():
                entry(date=f.received_on, kind="vt_feedback",
                      title=_("Terugkoppeling van Veilig Thuis %(kind)s")
                      % {"kind": f.get_kind_display()},
                      author=None, obj=f, recorded_at=f.created_at, step=5,
                      details=_details((_("Inhoud"), f.content)))
            for g in r.role_agreements.all():
                entry(date=g.agreed_on, kind="vt_role_agreement",
                      title=_("Afspraak met Veilig Thuis over de rol van de school"),
                      author=None, obj=g, recorded_at=g.created_at, step=5,
                      details=_details((_("Met"), g.vt_contact),
                                       (_("Wat de school blijft doen"), g.school_role),
                                       (_("Wie informeert de ouders"), g.parents_informed_by)))
    if has.get("has_info"):
        for i in InformationRequest.objects.filter(case_id=case.pk).select_related("author"):
            entry(date=i.given_on, kind="vt_information",
                  title=_("Informatie gegeven aan Veilig Thuis op verzoek"), author=i.author,
                  obj=i, recorded_at=i.created_at,
                  details=_details((_("Gevraagd door"), i.requested_by),
                                   (_("Grondslag"), i.get_legal_basis_display()),
                                   (_("Gegeven informatie"), i.information_given)))
    if has.get("has_plan"):
        for p in HelpPlan.objects.filter(case_id=case.pk).select_related("author",
                                                                         "coordinator"):
            entry(date=timezone.localdate(p.created_at), kind="help_plan",
                  title=_("Hulpplan"), author=p.author, obj=p, recorded_at=p.created_at,
                  step=5,
                  details=_details((_("Hulp"), p.help_description),
                                   (_("Zorgcoördinator"),
                                    _name(p.coordinator) or p.coordinator_name),
                                   (_("Termijn"), f"{_day(p.period_start)} – "
                                                  f"{_day(p.period_end)}"),
                                   (_("Verwachte resultaten"), p.expected_results),
                                   (_("Evaluatie (vraag 5)"), _day(p.evaluation_on))))
    simple = [
        ("has_action", FollowUpAction, "followup_action", "created_at",
         lambda r: (_("Actie: %(what)s") % {"what": r.description[:80]},
                    [(_("Uitvoerder"), _name(r.owner)), (_("Uiterlijk"), _day(r.due_on)),
                     (_("Uitgevoerd op"), _day(r.done_on)), (_("Resultaat"), r.result)]),
         ("author", "owner")),
        ("has_evaluation", Evaluation, "evaluation", "evaluated_on",
         lambda r: (_("Evaluatie"), [(_("Uitkomst"), r.get_outcome_display()),
                                     (_("Evaluatie"), r.note)]), ("author",)),
        ("has_aftercare", AftercareNote, "aftercare", "occurred_on",
         lambda r: (_("Nazorg"), [(_("Nazorg"), r.note)]), ("author",)),
        ("has_monitoring", MonitoringAgreement, "monitoring", "agreed_on",
         lambda r: (_("Afspraken over monitoring"),
                    [(_("Met wie"), r.parties), (_("Afspraken"), r.agreement),
                     (_("Opnieuw bekijken op"), _day(r.review_on))]), ("author",)),
        ("has_bottleneck", BottleneckNote, "bottleneck", "created_at",
         lambda r: (_("Knelpunt voor beleid"), [(_("Thema"), r.get_theme_display()),
                                                (_("Knelpunt"), r.note)]), ("author",)),
    ]
    for flag, model, kind, date_field, describe, related in simple:
        if not has.get(flag):
            continue
        for r in model.objects.filter(case_id=case.pk).select_related(*related):
            title, pairs = describe(r)
            value = getattr(r, date_field)
            day = timezone.localdate(value) if hasattr(value, "tzinfo") else value
            entry(date=day, kind=kind, title=title, author=r.author, obj=r,
                  recorded_at=r.created_at, details=_details(*pairs))
    return entries


_HISTORY_MODELS = (Assessment, Decision, VeiligThuisReport, InformationRequest, HelpPlan,
                   FollowUpAction, Evaluation, AftercareNote, MonitoringAgreement,
                   BottleneckNote)


def _history_source(model):
    def source(case: Case):
        return model.history.filter(case_id=case.pk)

    source.__name__ = f"{model.__name__.lower()}_history"
    return source


def _report_part_source(model):
    def source(case: Case):
        ids = VeiligThuisReport.objects.filter(case_id=case.pk).values("pk")
        return model.history.filter(report_id__in=ids)

    source.__name__ = f"{model.__name__.lower()}_history"
    return source


HISTORY_SOURCES = [*(_history_source(m) for m in _HISTORY_MODELS),
                   *(_report_part_source(m) for m in (VeiligThuisReportSignal,
                                                      VeiligThuisFeedback,
                                                      SchoolRoleAgreement))]


def register() -> None:
    """Plug into the case timeline and the change history (called from ``apps.ready``)."""
    from cases.history import register_history_source
    from cases.timeline import register_timeline_source

    register_timeline_source(timeline_entries)
    for source in HISTORY_SOURCES:
        register_history_source(source)

"""Dossier sections for step 5 and what follows it: the afwegingskader (R10–R18), the
decision against the advice (R11, R15), reports to and feedback from Veilig Thuis (R19–R24),
the help plan and the follow-up (R13, R14, R40–R42).

Registered by ``exports.sections.register_builtin`` only when the afwegingskader app is
installed; its models are imported inside the functions, so nothing imports them at start-up.
The advice shown against a decision is recomputed with ``afwegingskader.decision.advise`` from
the answers as they were when the decision was taken (``Decision.answers_snapshot``).
One query per model, whatever the number of rows.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from .sections import (Entry, Field, Section, day, fields, label_of, moment, name_of,
                       people_text, register, summary, yes_no)


def register_sections() -> None:
    register(afwegingskader_sections, name="afwegingskader", replace=False)
    register(followup_sections, name="afwegingskader_volgen", replace=False)


def _outcome_label(outcome: str) -> str:
    try:
        from afwegingskader.timeline import outcome_label
    except ImportError:
        return outcome
    return str(outcome_label(outcome))


def _advice_for(answers: dict):
    """The advice for stored answers, or None when they cannot be read (older snapshots)."""
    from afwegingskader.decision import advise

    try:
        return advise(q1=answers.get("q1"), q2=answers.get("q2"), q3=answers.get("q3"),
                      q4=answers.get("q4"), q5=answers.get("q5"),
                      doubt_means_report=answers.get("doubt_means_report", True))
    except (TypeError, ValueError):
        return None


def _advice_fields(advice, prefix: str, label: str) -> list[Field]:
    if advice is None:
        return []
    norm = (_("meldnorm %(n)s") % {"n": advice.reporting_norm}) if advice.reporting_norm else ""
    return [
        Field(f"{prefix}_outcome", label, _outcome_label(advice.outcome), style="advice"),
        Field(f"{prefix}_b1", _("Beslissing 1: is melden noodzakelijk?"),
              " — ".join(x for x in (yes_no(advice.report_required) or _("niet bepaald"), norm)
                         if x)),
        Field(f"{prefix}_b2", _("Beslissing 2: is hulp bieden of organiseren (ook) mogelijk?"),
              yes_no(advice.help_possible) or _("niet bepaald (of samen met Veilig Thuis)")),
        Field(f"{prefix}_explanation", _("Toelichting bij het advies"), str(advice.explanation)),
    ]


def assessment_entry(a) -> Entry:
    from afwegingskader.decision import QUESTIONS

    rows = []
    for n in range(1, 6):
        if n == 2:
            answer = a.get_q2_display() if a.q2 else ""
        else:
            answer = yes_no(getattr(a, f"q{n}"))
        rows.append(Field(f"q{n}", _("Vraag %(n)s: %(question)s") % {"n": n,
                                                                     "question": QUESTIONS[n]},
                          answer or _("(nog) niet beantwoord"), style="question",
                          note=getattr(a, f"q{n}_justification")))
    advice = _advice_for({**a.answers(), "doubt_means_report": a.doubt_means_report})
    return Entry(
        label_of(type(a)), a.pk, _("Afwegingskader, ronde %(cycle)s") % {"cycle": a.cycle},
        date=timezone.localdate(a.updated_at), moment=a.updated_at,
        author=name_of(a.updated_by),
        fields=rows + fields(
            Field("q2_prefilled_from_disclosure", _("Vraag 2 vooringevuld vanwege een disclosure"),
                  _("ja") if a.q2_prefilled_from_disclosure else ""),
            Field("q2_change_reason", _("Reden om af te wijken van de disclosure"),
                  a.q2_change_reason),
            Field("answered_with_veilig_thuis",
                  _("Vragen 3 tot en met 5 samen met Veilig Thuis beantwoord"),
                  _("ja") if a.answered_with_veilig_thuis else ""),
            Field("specialist_consulted", _("Overleg met een specialist (eergerelateerd geweld)"),
                  a.specialist_consulted),
            Field("doubt_means_report", _("Twijfel bij vraag 2 betekent melden"),
                  yes_no(a.doubt_means_report)),
            Field("meldcode_version", _("Versie meldcode en afwegingskader"), a.meldcode_version),
            Field("created", _("Ingevuld door"), f"{name_of(a.author)}, {moment(a.created_at)}",
                  person=True),
            *_advice_fields(advice, "advice_now", _("Advies bij deze antwoorden")),
        ))


def decision_entry(d) -> Entry:
    advice = _advice_for(d.answers_snapshot or {})
    norm = (_("meldnorm %(n)s") % {"n": d.advice_reporting_norm}
            if d.advice_reporting_norm else "")
    if d.parents_exception:
        parents = _("niet vooraf: %(reason)s") % {"reason": d.get_parents_exception_display()}
    else:
        who = name_of(d.parents_informer) or d.parents_informer_other
        parents = _("%(who)s, op %(date)s") % {"who": who, "date": day(d.parents_inform_on)} \
            if who else ""
    title = (_("Spoedbesluit: %(choice)s") if d.urgent else _("Besluit: %(choice)s")) % {
        "choice": d.get_choice_display()}
    return Entry(
        label_of(type(d)), d.pk, title, date=d.decided_on, moment=d.created_at,
        author=name_of(d.author),
        tags=[_("wijkt af van het advies")] if d.deviates else [],
        fields=fields(
            Field("choice", _("Besluit"), d.get_choice_display()),
            Field("decided_on", _("Datum van het besluit"), day(d.decided_on)),
            Field("advice_outcome", _("Advies van het afwegingskader bij het besluit"),
                  _outcome_label(d.advice_outcome), style="advice"),
            Field("advice_report_required", _("Beslissing 1: melden noodzakelijk"),
                  " — ".join(x for x in (yes_no(d.advice_report_required), norm) if x)),
            Field("advice_help_possible", _("Beslissing 2: hulp (ook) mogelijk"),
                  yes_no(d.advice_help_possible)),
            Field("advice_explanation", _("Toelichting bij het advies"),
                  str(advice.explanation) if advice else ""),
            Field("deviates", _("Wijkt af van het advies"), yes_no(d.deviates)),
            Field("deviation_reason", _("Reden om af te wijken van het advies"),
                  d.deviation_reason, style="alert"),
            Field("motivation", _("Toelichting bij het besluit"), d.motivation),
            Field("urgent", _("Spoedbesluit door de veiligheidscoördinator"),
                  _("ja") if d.urgent else ""),
            Field("sot_meeting", _("SOT-overleg"),
                  day(d.sot_meeting.held_on) if d.sot_meeting_id else ""),
            Field("present", _("Aanwezig bij het besluit"), people_text(d.present), person=True),
            Field("present_external", _("Andere aanwezigen"), people_text(d.present_external)),
            Field("reporter", _("Wie meldt"), name_of(d.reporter), person=True),
            Field("parents_informer", _("Wie informeert de ouders"), parents),
            Field("parents_exception_explanation", _("Toelichting"),
                  d.parents_exception_explanation),
            Field("meldcode_version", _("Versie meldcode en afwegingskader"), d.meldcode_version),
        ))


def report_entry(r) -> Entry:
    signals = ", ".join(
        _("signaal van %(date)s") % {"date": day(link.signal.observed_on)}
        for link in r.signal_links.all())
    channel = r.get_channel_display()
    if r.channel_other:
        channel = f"{channel}: {r.channel_other}"
    entry = Entry(
        label_of(type(r)), r.pk, _("Melding bij Veilig Thuis"),
        date=timezone.localdate(r.reported_at), moment=r.reported_at, author=name_of(r.author),
        tags=[_("melder afgeschermd")] if r.anonymity_requested else [],
        fields=fields(
            Field("reported_at", _("Datum en tijd van de melding"), moment(r.reported_at)),
            Field("channel", _("Hoe is gemeld"), channel),
            Field("reporter", _("Melder"), name_of(r.reporter), person=True),
            Field("persons_involved", _("Betrokkenen"), people_text(r.persons_involved)),
            Field("signals", _("Meegestuurde signalen"), signals),
            Field("steps_taken", _("Gezette stappen tot nu toe"), r.steps_taken),
            Field("parents_informed", _("Ouders vooraf geïnformeerd"), yes_no(r.parents_informed)),
            Field("parents_informed_how", _("Hoe zijn de ouders geïnformeerd"),
                  r.parents_informed_how),
            Field("parents_reaction", _("Reactie van de ouders"), r.parents_reaction),
            Field("parents_exception", _("Reden om de ouders niet vooraf te informeren"),
                  r.get_parents_exception_display() if r.parents_exception else ""),
            Field("parents_exception_explanation", _("Toelichting"),
                  r.parents_exception_explanation),
            Field("anonymity_reason", _("Reden om de melder af te schermen"),
                  r.get_anonymity_reason_display() if r.anonymity_requested else ""),
            Field("anonymity_explanation", _("Toelichting bij de afscherming"),
                  r.anonymity_explanation),
            Field("vt_reference", _("Kenmerk van Veilig Thuis"), r.vt_reference),
            Field("safety_feedback_due", _("Terugkoppeling na veiligheidsbeoordeling verwacht"),
                  day(r.safety_feedback_due)),
            Field("safety_feedback_received_on", _("ontvangen op"),
                  day(r.safety_feedback_received_on)),
            Field("investigation_feedback_due", _("Terugkoppeling na onderzoek verwacht"),
                  day(r.investigation_feedback_due)),
            Field("investigation_feedback_received_on", _("ontvangen op"),
                  day(r.investigation_feedback_received_on)),
        ))
    for f in r.feedback.all():
        entry.children.append(Entry(
            label_of(type(f)), f.pk,
            _("Terugkoppeling van Veilig Thuis %(kind)s") % {"kind": f.get_kind_display()},
            date=f.received_on, moment=f.created_at, author=name_of(f.author),
            fields=fields(Field("received_on", _("Ontvangen op"), day(f.received_on)),
                          Field("content", _("Inhoud van de terugkoppeling"), f.content))))
    for g in r.role_agreements.all():
        entry.children.append(Entry(
            label_of(type(g)), g.pk, _("Afspraak met Veilig Thuis over de rol van de school"),
            date=g.agreed_on, moment=g.created_at, author=name_of(g.author),
            fields=fields(Field("agreed_on", _("Afgesproken op"), day(g.agreed_on)),
                          Field("vt_contact", _("Met wie bij Veilig Thuis"), g.vt_contact),
                          Field("school_role", _("Wat de school blijft doen"), g.school_role),
                          Field("parents_informed_by", _("Wie informeert de ouders"),
                                g.parents_informed_by))))
    return entry


def information_entry(i) -> Entry:
    return Entry(
        label_of(type(i)), i.pk, _("Informatie gegeven aan Veilig Thuis op verzoek"),
        date=i.given_on, moment=i.created_at, author=name_of(i.author),
        fields=fields(
            Field("requested_on", _("Gevraagd op"), day(i.requested_on)),
            Field("requested_by", _("Gevraagd door"), i.requested_by),
            Field("given_on", _("Gegeven op"), day(i.given_on)),
            Field("information_given", _("Welke informatie is gegeven"), i.information_given),
            Field("legal_basis", _("Grondslag"), i.get_legal_basis_display()),
            Field("legal_basis_explanation", _("Toelichting op de grondslag"),
                  i.legal_basis_explanation)))


def _reports(case):
    from django.db.models import Prefetch

    from afwegingskader.models import (SchoolRoleAgreement, VeiligThuisFeedback,
                                       VeiligThuisReport, VeiligThuisReportSignal)

    return list(
        VeiligThuisReport.objects.filter(case_id=case.pk)
        .select_related("reporter", "author")
        .prefetch_related(
            Prefetch("feedback", VeiligThuisFeedback.objects.select_related("author")
                     .order_by("received_on", "pk")),
            Prefetch("role_agreements", SchoolRoleAgreement.objects.select_related("author")
                     .order_by("agreed_on", "pk")),
            Prefetch("signal_links", VeiligThuisReportSignal.objects.select_related("signal")
                     .order_by("signal__observed_on", "pk")))
        .order_by("reported_at", "pk"))


def afwegingskader_sections(case) -> list[Section]:
    from afwegingskader.models import Assessment, Decision, InformationRequest

    assessments = [assessment_entry(a) for a in Assessment.objects.filter(case_id=case.pk)
                   .select_related("author", "updated_by").order_by("cycle", "pk")]
    decisions = [decision_entry(d) for d in Decision.objects.filter(case_id=case.pk)
                 .select_related("author", "reporter", "parents_informer", "sot_meeting")
                 .order_by("decided_on", "created_at", "pk")]
    reports = [report_entry(r) for r in _reports(case)]
    info = [information_entry(i) for i in InformationRequest.objects.filter(case_id=case.pk)
            .select_related("author").order_by("given_on", "pk")]
    out = []
    if assessments:
        out.append(Section("vragen", _("De vijf vragen van het afwegingskader"), "afwegingskader",
                           order=10, entries=assessments,
                           intro=_("Per vraag het antwoord met de onderbouwing (R10). Het advies "
                                   "ondersteunt de professionals; de beslissing ligt bij hen.")))
    if decisions:
        out.append(Section("besluiten", _("Besluiten in stap 5"), "afwegingskader", order=20,
                           entries=decisions,
                           intro=_("Elk besluit met het advies van het afwegingskader op dat "
                                   "moment, en de reden als het besluit daarvan afwijkt "
                                   "(R11).")))
    if reports:
        out.append(Section("meldingen", _("Meldingen, terugkoppelingen en afspraken"),
                           "veilig_thuis", order=20, entries=reports))
    if info:
        out.append(Section("informatie", _("Informatie op verzoek van Veilig Thuis"),
                           "veilig_thuis", order=30, entries=info))
    return out


def veilig_thuis_overview_rows(case) -> list[Entry]:
    """Rows for the Veilig Thuis overview table: reports, feedback, information given."""
    from afwegingskader.models import InformationRequest, VeiligThuisFeedback, VeiligThuisReport

    rows = []

    def row(obj, when, kind, by, name, text, *, person=True):
        rows.append(Entry(label_of(type(obj)), obj.pk, kind, date=when, fields=fields(
            Field("_date", _("Datum"), day(when)), Field("_kind", _("Soort"), kind),
            Field("_by", _("Door"), by, person=person),
            Field(name, _("Kern"), summary(text), column="_text"))))

    for r in VeiligThuisReport.objects.filter(case_id=case.pk).select_related("reporter"):
        row(r, timezone.localdate(r.reported_at), _("melding"), name_of(r.reporter),
            "_channel", r.get_channel_display())
    for f in VeiligThuisFeedback.objects.filter(report__case_id=case.pk):
        row(f, f.received_on, _("terugkoppeling"), _("Veilig Thuis"), "content", f.content,
            person=False)
    for i in InformationRequest.objects.filter(case_id=case.pk).select_related("author"):
        row(i, i.given_on, _("informatie op verzoek"), name_of(i.author), "information_given",
            i.information_given)
    return rows


def parents_rows(case):
    """(object, date, what, how, field name, explanation, names staff?) rows for the parents'
    involvement table."""
    from afwegingskader.models import Decision, VeiligThuisReport

    rows = []
    for d in Decision.objects.filter(case_id=case.pk).select_related("parents_informer"):
        if d.parents_exception:
            rows.append((d, d.decided_on, _("Besluit in stap 5"),
                         _("niet vooraf informeren: %(reason)s")
                         % {"reason": d.get_parents_exception_display()},
                         "parents_exception_explanation", d.parents_exception_explanation,
                         False))
        elif d.parents_informer_id or d.parents_informer_other:
            rows.append((d, d.decided_on, _("Besluit in stap 5"),
                         _("ouders worden geïnformeerd op %(date)s")
                         % {"date": day(d.parents_inform_on)}, "parents_informer",
                         name_of(d.parents_informer) or d.parents_informer_other,
                         bool(d.parents_informer_id)))
    for r in VeiligThuisReport.objects.filter(case_id=case.pk):
        when = timezone.localdate(r.reported_at)
        if r.parents_informed:
            rows.append((r, when, _("Melding bij Veilig Thuis"), _("vooraf geïnformeerd"),
                         "parents_reaction", " — ".join(x for x in (
                             r.parents_informed_how, r.parents_reaction) if x), False))
        else:
            rows.append((r, when, _("Melding bij Veilig Thuis"),
                         _("niet vooraf geïnformeerd: %(reason)s")
                         % {"reason": r.get_parents_exception_display()},
                         "parents_exception_explanation", r.parents_exception_explanation,
                         False))
    return rows


def followup_sections(case) -> list[Section]:
    from afwegingskader.models import (AftercareNote, BottleneckNote, Evaluation,
                                       FollowUpAction, HelpPlan, MonitoringAgreement)

    plans = [Entry(
        label_of(HelpPlan), p.pk, _("Hulpplan, ronde %(cycle)s") % {"cycle": p.cycle},
        date=timezone.localdate(p.created_at), moment=p.created_at, author=name_of(p.author),
        fields=fields(
            Field("help_description", _("Welke hulp"), p.help_description),
            Field("coordinator", _("Zorgcoördinator"),
                  name_of(p.coordinator) or p.coordinator_name, person=bool(p.coordinator_id)),
            Field("roles", _("Rollen"), people_text(p.roles)),
            Field("expected_results", _("Verwachte (meetbare) resultaten"), p.expected_results),
            Field("period", _("Termijn"), f"{day(p.period_start)} – {day(p.period_end)}"),
            Field("evaluation_on", _("Evaluatiedatum (vraag 5)"), day(p.evaluation_on)),
            Field("completed_on", _("Geëvalueerd op"), day(p.completed_on))))
        for p in HelpPlan.objects.filter(case_id=case.pk).select_related("author", "coordinator")
        .order_by("cycle", "pk")]
    actions = [Entry(
        label_of(FollowUpAction), a.pk, _("Actie"), date=a.due_on, author=name_of(a.author),
        fields=fields(
            Field("description", _("Actie"), a.description),
            Field("owner", _("Uitvoerder"), name_of(a.owner), person=True),
            Field("due_on", _("Uiterlijk op"), day(a.due_on)),
            Field("done_on", _("Uitgevoerd op"), day(a.done_on) or _("nog niet")),
            Field("result", _("Resultaat"), a.result)))
        for a in FollowUpAction.objects.filter(case_id=case.pk).select_related("author", "owner")
        .order_by("due_on", "pk")]
    evaluations = [Entry(
        label_of(Evaluation), e.pk, _("Evaluatie van %(date)s") % {"date": day(e.evaluated_on)},
        date=e.evaluated_on, moment=e.created_at, author=name_of(e.author),
        fields=fields(Field("participants", _("Deelnemers"), people_text(e.participants)),
                      Field("outcome", _("Uitkomst"), e.get_outcome_display()),
                      Field("note", _("Evaluatie"), e.note)))
        for e in Evaluation.objects.filter(case_id=case.pk).select_related("author")
        .order_by("evaluated_on", "pk")]
    aftercare = [Entry(
        label_of(AftercareNote), n.pk, _("Nazorg"), date=n.occurred_on, moment=n.created_at,
        author=name_of(n.author), fields=fields(Field("note", _("Nazorg"), n.note)))
        for n in AftercareNote.objects.filter(case_id=case.pk).select_related("author")
        .order_by("occurred_on", "pk")]
    monitoring = [Entry(
        label_of(MonitoringAgreement), m.pk, _("Afspraken over monitoring"), date=m.agreed_on,
        moment=m.created_at, author=name_of(m.author),
        fields=fields(Field("parties", _("Met wie"), m.parties),
                      Field("agreement", _("Afspraken"), m.agreement),
                      Field("review_on", _("Opnieuw bekijken op"), day(m.review_on))))
        for m in MonitoringAgreement.objects.filter(case_id=case.pk).select_related("author")
        .order_by("agreed_on", "pk")]
    bottlenecks = [Entry(
        label_of(BottleneckNote), b.pk, _("Knelpunt: %(theme)s") % {"theme": b.get_theme_display()},
        date=timezone.localdate(b.created_at), moment=b.created_at, author=name_of(b.author),
        fields=fields(Field("note", _("Knelpunt"), b.note)))
        for b in BottleneckNote.objects.filter(case_id=case.pk).select_related("author")
        .order_by("created_at", "pk")]
    out = []
    for key, title, order, entries, in_inzage in (
            ("hulpplan", _("Hulpplan"), 10, plans, True),
            ("acties", _("Acties in de volgfase"), 20, actions, True),
            ("evaluaties", _("Evaluaties"), 30, evaluations, True),
            ("nazorg", _("Nazorg"), 40, aftercare, True),
            ("monitoring", _("Afspraken over monitoring"), 50, monitoring, True),
            # R42: notes for policy advice, not about the pupil: not in the inzage copy.
            ("knelpunten", _("Knelpunten voor beleid"), 60, bottlenecks, False)):
        if entries:
            out.append(Section(key, title, "volgen", order=order, entries=entries,
                               in_inzage=in_inzage))
    return out

"""A draft of the report to Veilig Thuis, prepared from the dossier.

The draft follows the sections of the regional Veilig Thuis report form (domain.md §5, [E15]):
melder, betrokkenen, de melding, het netwerk rond het kind, overige informatie. Facts, the
child's own words and interpretations stay separate and labelled, interpretations with their
author, and every signal names its source (R29, R30, [E19]). The user copies the plain text
or prints the page; the app itself never sends anything to Veilig Thuis (R50).

``build_report_draft`` runs a fixed number of queries whatever the number of signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import CharField, F, Value
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases.models import Case, Consultation, Conversation, SotDiscussion, VeiligThuisAdvice
from cases.timeline import case_signals
from schools.models import PupilParent

from .models import Assessment, Decision, HelpPlan, VeiligThuisReport
from .timeline import outcome_label, parents_text, present_text


@dataclass
class DraftItem:
    """One labelled line or paragraph. ``kind`` marks facts, the child's words and
    interpretations (rendered as ``obs--fact`` / ``obs--words`` / ``obs--interpretation``)."""

    label: str
    text: str
    kind: str = ""


@dataclass
class DraftBlock:
    heading: str = ""
    items: list[DraftItem] = field(default_factory=list)

    def add(self, label, text, kind: str = "") -> None:
        if text not in (None, ""):
            self.items.append(DraftItem(str(label), str(text), kind))


@dataclass
class DraftSection:
    number: int
    title: str
    blocks: list[DraftBlock] = field(default_factory=list)
    note: str = ""


@dataclass
class ReportDraft:
    sections: list[DraftSection]
    case: Case
    report: VeiligThuisReport | None = None

    def as_text(self) -> str:
        """Plain text to paste into the Veilig Thuis form or to read out on the phone."""
        lines = [_("MELDING AAN VEILIG THUIS — CONCEPT"),
                 _("Voorbereid met de Meldcode-app. Deze app verstuurt niets: u meldt zelf, "
                   "telefonisch of via het formulier van Veilig Thuis."), ""]
        for section in self.sections:
            lines.append(f"{section.number}. {section.title.upper()}")
            if section.note:
                lines.append(section.note)
            for block in section.blocks:
                if block.heading:
                    lines.append("")
                    lines.append(block.heading)
                for item in block.items:
                    text = item.text.replace("\r\n", "\n").strip()
                    if "\n" in text:
                        lines.append(f"{item.label}:")
                        lines.extend(f"  {line}" for line in text.split("\n"))
                    else:
                        lines.append(f"{item.label}: {text}")
            lines.append("")
        return "\n".join(str(line) for line in lines).strip() + "\n"


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _day(value) -> str:
    return date_format(value, "j F Y") if value else ""


def steps_taken_lines(case: Case, decisions: list[Decision] | None = None) -> list[str]:
    """The steps taken so far, oldest first: "dd-mm-jjjj – what (who)".

    One query for the step records (a UNION of consultations, Veilig Thuis advice,
    conversations and SOT discussions) and one for the decisions unless they are passed in.
    """
    def columns(qs, kind, a, b, flag, c):
        return qs.filter(case_id=case.pk).order_by().annotate(
            k=Value(kind, output_field=CharField()), day=F("occurred_on"), a=a, b=b, flag=flag,
            c=c, first=F("author__first_name"), last=F("author__last_name"),
            login=F("author__username"), made=F("created_at"),
        ).values_list("k", "day", "a", "b", "flag", "c", "first", "last", "login", "made")

    empty = Value("", output_field=CharField())
    yes = Value(True)
    union = columns(Consultation.objects, "consultation", F("consulted"), F("advice"), yes,
                    empty).union(
        columns(VeiligThuisAdvice.objects, "vt_advice", empty, F("advice"), F("anonymous"),
                empty),
        columns(Conversation.objects, "conversation", F("kind"), F("discussed"), F("held"),
                F("not_held_reason")),
        columns(SotDiscussion.objects, "sot", empty, F("agreed_approach"), yes, empty),
        all=True)
    from cases.models import ConversationKind, NotHeldReason

    rows = []
    for kind, day, a, b, flag, c, first, last, login, made in union:
        who = f"{first} {last}".strip() or login
        b = _one_line(b)
        if kind == "consultation":
            text = _("Collegiale consultatie met %(who)s; advies: %(advice)s") % {
                "who": a, "advice": b}
        elif kind == "vt_advice":
            text = (_("Advies gevraagd aan Veilig Thuis (anoniem): %(advice)s") if flag
                    else _("Advies gevraagd aan Veilig Thuis: %(advice)s")) % {"advice": b}
        elif kind == "conversation" and flag:
            label = str(ConversationKind(a).label) if a in ConversationKind.values else a
            text = f"{label[:1].upper()}{label[1:]}: {b}"
        elif kind == "conversation":
            reason = NotHeldReason(c).label if c in NotHeldReason.values else c
            text = _("Gesprek met ouders en/of leerling niet gevoerd: %(reason)s") % {
                "reason": reason}
        else:
            text = _("Besproken in het SOT; afgesproken aanpak: %(approach)s") % {
                "approach": b or "-"}
        rows.append((day, made, f"{text} ({who})"))
    if decisions is None:
        decisions = list(Decision.objects.filter(case_id=case.pk).select_related("author"))
    for d in decisions:
        rows.append((d.decided_on, d.created_at,
                     _("Besluit in stap 5: %(choice)s (%(who)s)") % {
                         "choice": d.get_choice_display(), "who": _name(d.author)}))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [f"{day.strftime('%d-%m-%Y')} – {text}" for day, _made, text in rows]


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def build_report_draft(case: Case, *, user, report: VeiligThuisReport | None = None,
                       staff: dict | None = None) -> ReportDraft:
    """The draft for ``case``: from the recorded ``report`` when given, else from the dossier."""
    from .selectors import school_staff

    staff = staff if staff is not None else school_staff(case.school_id)
    decisions = list(Decision.objects.filter(case_id=case.pk, cycle=case.cycle)
                     .select_related("author", "reporter", "parents_informer", "assessment")
                     .order_by("created_at", "pk"))
    decision = decisions[-1] if decisions else None
    if decision is not None:
        assessment = decision.assessment
    else:
        assessment = Assessment.objects.filter(case_id=case.pk, cycle=case.cycle).first()
    signals = case_signals(case)
    if report is not None:
        included = set(report.signal_links.values_list("signal_id", flat=True))
        signals = [s for s in signals if s.pk in included]
    pupil = case.pupil
    parents = list(PupilParent.objects.filter(pupil_id=pupil.pk).select_related("parent")
                   .order_by("parent__name"))
    plan = HelpPlan.objects.filter(case_id=case.pk, cycle=case.cycle).select_related(
        "coordinator").first()

    # 1. Melder
    reporter = (report.reporter if report else None) or (decision.reporter if decision else None) \
        or user
    melder = DraftBlock()
    melder.add(_("Naam"), _name(reporter))
    entry = staff.get(reporter.pk)
    melder.add(_("Functie"), ", ".join(entry["roles"]) if entry else "")
    melder.add(_("Organisatie"), case.school.name)
    melder.add(_("E-mailadres"), reporter.email)
    melder.add(_("Adres en telefoonnummer"), _("[adres en telefoonnummer van de school invullen]"))
    if report is not None and report.anonymity_requested:
        melder.add(_("Verzoek om afscherming voor het gezin"), "%s — %s" % (
            report.get_anonymity_reason_display(), report.anonymity_explanation))

    # 2. Betrokkenen
    child = DraftBlock(_("Het kind"))
    child.add(_("Naam"), pupil.full_name)
    child.add(_("Geboortedatum"), _day(pupil.date_of_birth))
    child.add(_("School en groep"), ", ".join(
        p for p in (case.school.name, pupil.school_class.name if pupil.school_class else "") if p))
    parent_block = DraftBlock(_("Ouders/verzorgers"))
    for link in parents:
        contact = ", ".join(p for p in (link.parent.phone, link.parent.email) if p)
        text = "%s (%s)" % (link.get_relationship_display(),
                            _("met gezag") if link.has_authority else _("zonder gezag"))
        if contact:
            text += f"; {contact}"
        if not link.parent.safe_to_contact:
            text += "; " + _("let op: contact met deze ouder is mogelijk niet veilig")
        parent_block.add(link.parent.name, text)
    others = DraftBlock(_("Andere betrokkenen"))
    for person in (report.persons_involved if report else []):
        others.add(person.get("name", ""), person.get("relation", ""))
    involved = [b for b in (child, parent_block, others) if b.items]

    # 3. De melding
    blocks = []
    for signal in signals:
        version = signal.latest_version
        block = DraftBlock(_("Signaal van %(date)s: %(category)s") % {
            "date": _day(signal.observed_on), "category": signal.get_category_display()})
        source = signal.get_source_display()
        if signal.source_detail:
            source = f"{source}: {signal.source_detail}"
        block.add(_("Bron"), source, "source")
        block.add(_("Vastgelegd door"), _name(signal.recorded_by))
        block.add(_("Feiten (gezien of gehoord)"), version.facts, "fact")
        block.add(_("Letterlijke woorden van het kind"), version.child_words, "words")
        block.add(_("Interpretatie van %(author)s") % {"author": _name(version.author)},
                  version.interpretation, "interpretation")
        flags = [str(t) for on, t in ((signal.disclosure, _("het kind heeft zelf iets verteld "
                                                            "(disclosure)")),
                                      (signal.acute_danger, _("acuut gevaar"))) if on]
        block.add(_("Bijzonderheden"), ", ".join(flags))
        blocks.append(block)
    weighing = DraftBlock(_("Afweging van de school (afwegingskader)"))
    if assessment is not None:
        from .decision import QUESTIONS

        for n in range(1, 6):
            value = assessment.get_q2_display() if n == 2 and assessment.q2 else (
                {True: _("ja"), False: _("nee")}.get(getattr(assessment, f"q{n}")) if n != 2
                else None)
            if value:
                weighing.add(_("Vraag %(n)s: %(q)s") % {"n": n, "q": QUESTIONS[n]},
                             f"{value} — {getattr(assessment, f'q{n}_justification')}",
                             "interpretation")
        weighing.add(_("Advies van het afwegingskader"),
                     outcome_label(assessment.advice().outcome))
    if decision is not None:
        weighing.add(_("Besluit"), "%s (%s)" % (decision.get_choice_display(),
                                                _day(decision.decided_on)))
        weighing.add(_("Genomen door"), present_text(decision))
        weighing.add(_("Toelichting"), decision.motivation, "interpretation")
        if decision.deviates:
            weighing.add(_("Afwijking van het advies, reden"), decision.deviation_reason,
                         "interpretation")
    if weighing.items:
        blocks.append(weighing)
    steps = DraftBlock(_("Gezette stappen"))
    steps_text = report.steps_taken if report else "\n".join(
        steps_taken_lines(case, decisions=decisions))
    steps.add(_("Stappen"), steps_text or _("[nog geen stappen vastgelegd]"))
    blocks.append(steps)

    # 4. Het netwerk rond het kind
    network = DraftBlock()
    if report is not None:
        if report.parents_informed:
            network.add(_("Ouders vooraf geïnformeerd"), _("ja: %(how)s") % {
                "how": report.parents_informed_how})
            network.add(_("Reactie van de ouders"), report.parents_reaction)
        else:
            network.add(_("Ouders niet vooraf geïnformeerd, reden"), "%s — %s" % (
                report.get_parents_exception_display(), report.parents_exception_explanation))
    elif decision is not None:
        network.add(_("Ouders informeren"), parents_text(decision))
    else:
        network.add(_("Ouders informeren"), _("[hoe en door wie de ouders zijn geïnformeerd, en "
                                              "hun reactie]"))
    if plan is not None:
        network.add(_("Hulp"), plan.help_description)
        network.add(_("Zorgcoördinator"), _name(plan.coordinator) or plan.coordinator_name)
        network.add(_("Rollen"), "\n".join(f"{p.get('name', '')} – {p.get('role', '')}"
                                           for p in plan.roles or []))
    network.add(_("Andere betrokken hulpverleners"), _("[invullen indien bekend]"))

    # 5. Overige informatie
    other = DraftBlock()
    other.add(_("Dossiernummer van de school"), case.number)
    other.add(_("Versie van de meldcode"), case.meldcode_version)
    if report is not None and report.vt_reference:
        other.add(_("Kenmerk van Veilig Thuis"), report.vt_reference)

    sections = [
        DraftSection(1, _("Melder"), [melder]),
        DraftSection(2, _("Betrokkenen"), involved),
        DraftSection(3, _("De melding"), blocks,
                     note=_("Feiten, de letterlijke woorden van het kind en interpretaties staan "
                            "apart; bij elk signaal staat de bron.")),
        DraftSection(4, _("Het netwerk rond het kind"), [network]),
        DraftSection(5, _("Overige informatie"), [other],
                     note=_("Ouders en kinderen vanaf 12 jaar kunnen de tekst van een melding "
                            "lezen. Bijlagen vullen de beschrijving aan, maar vervangen die "
                            "niet.")),
    ]
    return ReportDraft(sections=sections, case=case, report=report)

"""The case timeline: every signal, step record and step move of a case in date order.

One query per record type, merged in Python (style.md §2.7), so the cost does not grow with
the number of records. The PDF dossier reuses ``case_timeline``. Other apps (the
afwegingskader) add their records with ``register_timeline_source`` so that this module
never imports them (architecture.md: cases does not import afwegingskader).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from signals.models import SignalVersion

from .models import (Case, CaseNote, Consultation, Conversation, ParentStatement, SotDiscussion,
                     Step, StepTransition, TransitionKind, VeiligThuisAdvice, VerwijsindexMatch,
                     VerwijsindexRegistration, organisations_text)


@dataclass
class TimelineEntry:
    """One item on the timeline.

    ``date`` is the day it happened (observation date, meeting date, day of a step move);
    ``moment`` the exact time where one is known (step moves), ``recorded_at`` when it was
    written down (orders items of the same day). ``details`` are (label, text) pairs any
    renderer can show without knowing the kind; signals carry ``obj.latest_version`` for the
    facts / child's words / interpretation blocks.
    """

    date: datetime.date
    kind: str
    title: str
    author: Any
    obj: Any
    moment: datetime.datetime | None = None
    recorded_at: datetime.datetime | None = None
    step: int | None = None
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def step_label(self) -> str:
        return Step(self.step).label if self.step else ""

    @property
    def sort_key(self):
        tiebreak = self.moment or self.recorded_at or _EPOCH
        return (self.date, tiebreak)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

TimelineSource = Callable[[Case], list[TimelineEntry]]
_EXTRA_SOURCES: list[TimelineSource] = []


def register_timeline_source(source: TimelineSource) -> None:
    """Add a callable ``source(case) -> list[TimelineEntry]``; it should run O(1) queries."""
    if source not in _EXTRA_SOURCES:
        _EXTRA_SOURCES.append(source)


def participants_text(participants) -> str:
    """``[{"name": ..., "role": ...}]`` as "Naam (rol), ..."."""
    parts = []
    for p in participants or []:
        if isinstance(p, dict) and "organisation" in p:  # a Verwijsindex match's organisations
            parts.append(organisations_text([p]))
        elif isinstance(p, dict):
            name, role = (p.get("name") or "").strip(), (p.get("role") or "").strip()
            parts.append(f"{name} ({role})" if name and role else name or role)
        elif p:
            parts.append(str(p))
    return ", ".join(p for p in parts if p)


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _details(*pairs) -> list[tuple[str, str]]:
    return [(str(label), str(value)) for label, value in pairs if value not in ("", None)]


def case_signals(case: Case) -> list:
    """The case's signals, each with ``latest_version``; one query.

    The newest ``SignalVersion`` is the current text of a signal (R31: corrections are new
    versions). ``latest_version.interpretation_author`` is who wrote the interpretation: the
    author of the version in which that text last changed, so a colleague's correction of the
    facts does not claim someone else's view (R29). All versions are read (corrections are
    rare) to work that out without a query per signal.
    """
    versions = (SignalVersion.objects
                .filter(signal__case_links__case_id=case.pk)
                .select_related("signal", "signal__recorded_by", "author")
                .order_by("signal__observed_on", "signal__recorded_at", "signal_id", "number"))
    by_signal: dict[int, list] = {}
    for version in versions:
        by_signal.setdefault(version.signal_id, []).append(version)
    signals = []
    for chain in by_signal.values():
        author, previous = None, None
        for version in chain:
            if previous is None or version.interpretation != previous.interpretation:
                author = version.author
            previous = version
        latest = chain[-1]
        latest.interpretation_author = author
        signal = latest.signal
        signal.latest_version = latest
        signals.append(signal)
    return signals


def _signal_entries(case: Case) -> list[TimelineEntry]:
    entries = []
    for signal in case_signals(case):
        flags = [str(label) for flag, label in (
            (signal.disclosure, _("disclosure: het kind heeft zelf iets verteld")),
            (signal.acute_danger, _("acuut gevaar")),
            (signal.staff_suspect, _("vermoedelijke pleger is een medewerker")),
        ) if flag]
        source = signal.get_source_display()
        if signal.source_detail:
            source = f"{source}: {signal.source_detail}"
        entries.append(TimelineEntry(
            date=signal.observed_on, kind="signal",
            title=_("Signaal: %(category)s") % {"category": signal.get_category_display()},
            author=signal.recorded_by, obj=signal, recorded_at=signal.recorded_at,
            step=Step.SIGNALEN,
            details=_details((_("Bron"), source), (_("Bijzonderheden"), ", ".join(flags)),
                             (_("Versie"), signal.latest_version.number
                              if signal.latest_version.number > 1 else ""))))
    return entries


def _verwijsindex_entries(case: Case) -> list[TimelineEntry]:
    return [TimelineEntry(
        date=r.occurred_on, kind="verwijsindex", title=_("Signaal afgegeven in de Verwijsindex"),
        author=r.author, obj=r, recorded_at=r.created_at, step=r.step,
        details=_details((_("Ouders geïnformeerd"), _("ja") if r.parents_informed else _("nee")),
                         (_("Herbeoordelen uiterlijk"), _date(r.review_on)),
                         (_("Ingetrokken op"), _date(r.withdrawn_on))))
        for r in VerwijsindexRegistration.objects.filter(case_id=case.pk).select_related("author")]


def _vir_match_entries(case: Case) -> list[TimelineEntry]:
    """A match notice on its day and, once agreed, the regievoerder on the day it was agreed:
    two moments, one query."""
    entries = []
    for m in VerwijsindexMatch.objects.filter(case_id=case.pk).select_related("author",
                                                                             "lead_staff"):
        entries.append(TimelineEntry(
            date=m.notified_on, kind="vir_match", title=_("Match in de Verwijsindex"),
            author=m.author, obj=m, recorded_at=m.created_at, step=m.step,
            details=_details((_("Andere betrokken organisaties"),
                              organisations_text(m.organisations)),
                             (_("Regievoerder"), m.lead_label() or _("nog niet afgesproken")))))
        if m.regie_agreed_on:
            entries.append(TimelineEntry(
                date=m.regie_agreed_on, kind="vir_regie",
                title=_("Regievoerder afgesproken na de match in de Verwijsindex"),
                author=m.author, obj=m, recorded_at=m.created_at, step=m.step,
                details=_details((_("Regievoerder"), m.lead_label()),
                                 (_("Match gemeld op"), _date(m.notified_on)))))
    return entries


def _consultation_entries(case: Case) -> list[TimelineEntry]:
    return [TimelineEntry(
        date=r.occurred_on, kind="consultation", title=_("Collegiale consultatie"),
        author=r.author, obj=r, recorded_at=r.created_at, step=r.step,
        details=_details((_("Met wie"), r.consulted),
                         (_("Deelnemers"), participants_text(r.participants)),
                         (_("Vraag of aanleiding"), r.question), (_("Advies"), r.advice),
                         (_("Afgesproken acties"), r.agreed_actions)))
        for r in Consultation.objects.filter(case_id=case.pk).select_related("author")]


def _vt_advice_entries(case: Case) -> list[TimelineEntry]:
    return [TimelineEntry(
        date=r.occurred_on, kind="vt_advice",
        title=_("Advies gevraagd aan Veilig Thuis (anoniem)") if r.anonymous
        else _("Advies gevraagd aan Veilig Thuis"),
        author=r.author, obj=r, recorded_at=r.created_at, step=r.step,
        details=_details((_("Adviseur"), r.adviser),
                         (_("Deelnemers"), participants_text(r.participants)),
                         (_("Voorgelegde vraag"), r.question), (_("Advies"), r.advice)))
        for r in VeiligThuisAdvice.objects.filter(case_id=case.pk).select_related("author")]


def _conversation_entries(case: Case) -> list[TimelineEntry]:
    entries = []
    for r in Conversation.objects.filter(case_id=case.pk).select_related("author"):
        if not r.held:
            title = _("Gesprek niet gevoerd")
            details = _details((_("Reden"), r.get_not_held_reason_display()),
                               (_("Toelichting"), r.not_held_explanation))
        else:
            title = r.get_kind_display()
            with_whom = [str(w) for w, on in ((_("ouders/verzorgers"), r.with_parents),
                                              (_("leerling"), r.with_pupil)) if on]
            details = _details((_("Met"), ", ".join(with_whom)),
                               (_("Deelnemers"), participants_text(r.participants)),
                               (_("Doel"), r.purpose), (_("Besproken"), r.discussed),
                               (_("Reacties"), r.reactions), (_("Afspraken"), r.agreements))
        entries.append(TimelineEntry(date=r.occurred_on, kind="conversation",
                                     title=str(title)[:1].upper() + str(title)[1:],
                                     author=r.author, obj=r, recorded_at=r.created_at,
                                     step=r.step, details=details))
    return entries


def _sot_entries(case: Case) -> list[TimelineEntry]:
    entries = []
    for r in SotDiscussion.objects.filter(case_id=case.pk).select_related(
            "author", "meeting", "meeting__chair"):
        chair = r.meeting.chair
        entries.append(TimelineEntry(
            date=r.occurred_on, kind="sot_discussion", title=_("Besproken in het SOT"),
            author=r.author, obj=r, recorded_at=r.created_at, step=r.step,
            details=_details((_("Voorzitter"), chair.get_full_name() or chair.username),
                             (_("Deelnemers"), participants_text(r.participants)),
                             (_("Aard en ernst van de signalen"), r.nature_severity),
                             (_("Inschatting van de risico's"), r.risk_assessment),
                             (_("Twijfel over de aard of ernst"),
                              _("ja, advies van Veilig Thuis vragen") if r.doubt else ""),
                             (_("Afgesproken aanpak"), r.agreed_approach))))
    return entries


def _note_entries(case: Case) -> list[TimelineEntry]:
    return [TimelineEntry(
        date=r.occurred_on, kind="note", title=_("Aantekening"), author=r.author, obj=r,
        recorded_at=r.created_at, step=r.step,
        details=_details((_("Deelnemers"), participants_text(r.participants)),
                         (_("Aantekening"), r.text)))
        for r in CaseNote.objects.filter(case_id=case.pk).select_related("author")]


def parent_statement_giver(r: ParentStatement) -> str:
    """"Naam (relatie, met gezag)": who gave a parents' statement (R39)."""
    extra = [r.relation] if r.relation else []
    if r.had_authority is not None:
        extra.append(_("met gezag") if r.had_authority else _("zonder gezag"))
    return f"{r.given_by_name} ({', '.join(str(e) for e in extra)})" if extra else r.given_by_name


def _parent_statement_entries(case: Case) -> list[TimelineEntry]:
    """Parents' own statements (R39): their words, unchanged, marked as theirs."""
    return [TimelineEntry(
        date=r.occurred_on, kind="parent_statement", title=_("Verklaring van ouders"),
        author=r.author, obj=r, recorded_at=r.created_at, step=r.step,
        details=_details((_("Gegeven door"), parent_statement_giver(r)),
                         (_("Ontvangen via"), r.get_received_via_display()),
                         (_("Reageert op"), r.responds_to),
                         (_("Gescande brief"), r.file_name),
                         (_("Verklaring van de ouders (ongewijzigd)"), r.statement)))
        for r in ParentStatement.objects.filter(case_id=case.pk).select_related("author")]


def transition_title(t: StepTransition) -> str:
    to_label = Step(t.to_step).label
    return {
        TransitionKind.OPEN: _("Dossier geopend in %(step)s") % {"step": to_label},
        TransitionKind.FORWARD: _("Verder naar %(step)s") % {"step": to_label},
        TransitionKind.BACK: _("Terug naar %(step)s") % {"step": to_label},
        TransitionKind.CLOSE: _("Dossier afgesloten"),
        TransitionKind.REOPEN: _("Dossier heropend: ronde %(cycle)s") % {"cycle": t.cycle},
    }.get(t.kind, t.get_kind_display())


def _transition_entries(case: Case) -> list[TimelineEntry]:
    return [TimelineEntry(
        date=timezone.localdate(t.at), kind="transition", title=transition_title(t),
        author=t.actor, obj=t, moment=t.at, recorded_at=t.at, step=t.to_step,
        details=_details((_("Reden"), t.reason)))
        for t in StepTransition.objects.filter(case_id=case.pk).select_related("actor")]


_BUILTIN_SOURCES: list[TimelineSource] = [
    _signal_entries, _verwijsindex_entries, _vir_match_entries, _consultation_entries,
    _vt_advice_entries, _conversation_entries, _sot_entries, _parent_statement_entries,
    _note_entries, _transition_entries,
]


def case_timeline(case: Case) -> list[TimelineEntry]:
    """All entries of the case, oldest first: one query per source, merged in Python."""
    entries: list[TimelineEntry] = []
    for source in (*_BUILTIN_SOURCES, *_EXTRA_SOURCES):
        entries.extend(source(case))
    entries.sort(key=lambda e: e.sort_key)
    return entries

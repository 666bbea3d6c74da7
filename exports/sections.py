"""The content of a dossier export, as plain data that any template can render.

A dossier is a list of chapters (:data:`CHAPTERS`); each chapter holds sections built by the
*section builders* in the registry. A builder is a callable ``builder(case)`` returning a
:class:`Section`, a list of them, or None; it should run a fixed number of queries (one per
record type), whatever the number of records.

Registering (from an ``AppConfig.ready``; a name registered again replaces the earlier one)::

    from exports import sections
    sections.register(my_builder, name="afwegingskader")

Built-in names: ``meldcode_steps``, ``veilig_thuis``, ``ouders``, ``ouderverklaringen``,
``tijdlijn`` (this module) and
``afwegingskader``, ``afwegingskader_volgen`` (``exports.sections_afwegingskader``, registered
when the afwegingskader app is installed).

Every value is plain text: templates escape it (Django autoescape) and nothing here is ever
marked safe. Entries carry the model label and id of what they show, so the inzage copy can
leave an entry out or black out one of its fields (``exports.redaction``) by those keys.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- data --------------------------------------------------------------------------------


@dataclass
class Field:
    """One labelled value of an entry.

    ``style``: "fact", "words", "interpretation" (R29, shown as distinct blocks), "parent"
    (a parents' own statement, R39: their words, framed apart from the school's), "question"
    (an afwegingskader answer, ``note`` holds the justification), "alert" (e.g. a deviation
    from the advice, R11) or "" (plain). ``person``: the value names staff members (left out of
    the inzage copy when the request says so). ``redacted``: the reason, when blacked out.
    """

    name: str
    label: str
    value: str
    style: str = ""
    note: str = ""
    person: bool = False
    redacted: str = ""
    # In a table: the column it belongs to, when that differs from ``name`` (``name`` stays
    # the record's own field, so a redaction of that field reaches the table cell too).
    column: str = ""
    # The staff member the value is attributed to (an interpretation's author, R29); shown
    # with the label, left out with the other staff names in the inzage copy.
    by: str = ""
    by_redacted: bool = False
    # Blacked out because the copy leaves out staff names (the reason is on the cover).
    staff_name: bool = False


OBSERVATION_STYLES = ("fact", "words", "interpretation", "parent")


@dataclass
class Entry:
    object_type: str
    object_id: int
    title: str
    date: datetime.date | None = None
    moment: datetime.datetime | None = None
    author: str = ""
    step_label: str = ""
    fields: list[Field] = field(default_factory=list)
    children: list[Entry] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Set in the inzage copy when the whole entry is left out: the reason.
    omitted: str = ""
    # The author's name was left out of the inzage copy.
    author_redacted: bool = False
    # Never left out or blacked out in the inzage copy: a parents' own statement (R39) in the
    # copy for the parent who gave it, who must see that it is on file. Staff names in it are
    # still replaced when the copy leaves them out. ``documents.inzage_parts`` clears it for
    # a copy that goes to anyone else: there the statement is another person's data, which
    # the school may have to leave out or black out (art. 15 lid 4 AVG, R37).
    always_in_copy: bool = False
    # The linked parent who gave a parents' statement (``ParentStatement.parent``), if any.
    given_by_parent_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.object_type, self.object_id)

    @property
    def meta_moment(self) -> datetime.datetime | None:
        """When it was written down, if that is not simply the entry's own date."""
        if self.moment is None:
            return None
        if self.date is not None and timezone.localdate(self.moment) == self.date:
            return None
        return self.moment

    @property
    def questions(self) -> list[Field]:
        return [f for f in self.fields if f.style == "question"]

    @property
    def observations(self) -> list[Field]:
        return [f for f in self.fields if f.style in OBSERVATION_STYLES]

    @property
    def plain_fields(self) -> list[Field]:
        return [f for f in self.fields
                if f.style != "question" and f.style not in OBSERVATION_STYLES]

    def cell(self, column: str) -> Field | None:
        return next((f for f in self.fields if (f.column or f.name) == column), None)


@dataclass
class Section:
    key: str
    title: str
    chapter: str
    order: int = 500
    entries: list[Entry] = field(default_factory=list)
    # "entries": one block per entry; "table": one row per entry, a cell per column.
    layout: str = "entries"
    # For tables: (field name, column heading) pairs.
    columns: list[tuple[str, str]] = field(default_factory=list)
    intro: str = ""
    empty_text: str = ""
    # Sections that are internal working documents (timeline, change history) are not part
    # of the inzage copy: it shows the records themselves.
    in_inzage: bool = True
    # Keeps anchors unique when one document holds several cases (the inzage copy).
    prefix: str = ""

    @property
    def anchor(self) -> str:
        return f"{self.prefix}sectie-{self.chapter}-{self.key}"

    @property
    def rows(self) -> list[tuple[Entry, list[Field | None]]]:
        """For tables: each entry with its cells in column order (None: empty cell)."""
        names = [name for name, _label in self.columns]
        return [(entry, [entry.cell(name) for name in names]) for entry in self.entries]


@dataclass
class Chapter:
    key: str
    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    empty_text: str = ""
    prefix: str = ""

    @property
    def anchor(self) -> str:
        return f"{self.prefix}hoofdstuk-{self.key}"

    @property
    def is_empty(self) -> bool:
        return not any(s.entries for s in self.sections)


def _step_chapters():
    from cases.models import SUPPORT_ROUTE, Step

    return [(f"stap{s.value}", s.label, SUPPORT_ROUTE[s]) for s in Step]


#: Chapter keys in document order, after the step chapters ``stap1`` .. ``stap6``.
CHAPTER_ORDER = ["afwegingskader", "veilig_thuis", "ouders", "volgen", "overig", "tijdlijn",
                 "bijlage"]
CHAPTER_TITLES = {
    "afwegingskader": gettext_lazy("Afwegingskader en besluit"),
    "veilig_thuis": gettext_lazy("Contact met Veilig Thuis"),
    "ouders": gettext_lazy("Betrokkenheid van de ouders"),
    "volgen": gettext_lazy("Hulp, volgen en evaluatie"),
    "overig": gettext_lazy("Overige onderdelen"),
    "tijdlijn": gettext_lazy("Tijdlijn"),
    "bijlage": gettext_lazy("Bijlage: wijzigingen in het dossier"),
}
CHAPTER_EMPTY = {
    "afwegingskader": gettext_lazy("Het afwegingskader is (nog) niet ingevuld."),
    "veilig_thuis": gettext_lazy("Er is (nog) geen contact met Veilig Thuis vastgelegd."),
    "ouders": gettext_lazy("Er is (nog) niets over de ouders vastgelegd."),
    "volgen": gettext_lazy("Er is (nog) geen hulp of vervolg vastgelegd."),
}


# --- the registry ------------------------------------------------------------------------

Builder = Callable[[Any], "Section | list[Section] | None"]
_REGISTRY: dict[str, Builder] = {}


def register(builder: Builder, *, name: str | None = None, replace: bool = True) -> Builder:
    """Add a section builder ``builder(case)``; the same ``name`` replaces the earlier one.

    The built-in builders register with ``replace=False``: an app that registered its own
    builder under a built-in name (``afwegingskader``) keeps it, whatever the order in which
    the apps are loaded.
    """
    key = name or f"{builder.__module__}.{builder.__qualname__}"
    if replace or key not in _REGISTRY:
        _REGISTRY[key] = builder
    return _REGISTRY[key]


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Builder]:
    return dict(_REGISTRY)


def register_builtin() -> None:
    register(meldcode_step_sections, name="meldcode_steps", replace=False)
    register(veilig_thuis_sections, name="veilig_thuis", replace=False)
    register(parents_sections, name="ouders", replace=False)
    register(parent_statement_sections, name="ouderverklaringen", replace=False)
    register(timeline_sections, name="tijdlijn", replace=False)
    register(access_sections, name="toegang", replace=False)
    if apps.is_installed("afwegingskader"):
        from . import sections_afwegingskader

        sections_afwegingskader.register_sections()


def build_sections(case, *, progress: Callable[[int, int], None] | None = None) -> list[Section]:
    """Run every registered builder on ``case``; ``progress(done, total)`` after each."""
    builders = list(_REGISTRY.values())
    out: list[Section] = []
    for n, builder in enumerate(builders, start=1):
        result = builder(case)
        if isinstance(result, Section):
            out.append(result)
        elif result:
            out.extend(result)
        if progress:
            progress(n, len(builders))
    return out


def chapters_for(sections: Iterable[Section], *, inzage: bool = False,
                 prefix: str = "") -> list[Chapter]:
    """Group sections into chapters in document order. The step chapters and the chapters
    of :data:`CHAPTER_EMPTY` are always there (saying so when empty); sections with a chapter
    key nobody knows go to "overig"."""
    steps = _step_chapters()
    known = {key for key, _title, _route in steps} | set(CHAPTER_ORDER)
    by_chapter: dict[str, list[Section]] = defaultdict(list)
    for section in sections:
        if inzage and not section.in_inzage:
            continue
        by_chapter[section.chapter if section.chapter in known else "overig"].append(section)
    chapters = [Chapter(key, str(title), str(route),
                        empty_text=_("Er is in deze stap niets vastgelegd."))
                for key, title, route in steps]
    for key in CHAPTER_ORDER:
        if by_chapter.get(key) or key in CHAPTER_EMPTY:
            chapters.append(Chapter(key, str(CHAPTER_TITLES[key]),
                                    empty_text=str(CHAPTER_EMPTY.get(key, ""))))
    for chapter in chapters:
        chapter.prefix = prefix
        chapter.sections = sorted(by_chapter.get(chapter.key, []), key=lambda s: s.order)
        for section in chapter.sections:
            section.prefix = prefix
    return chapters


# --- helpers -----------------------------------------------------------------------------


def name_of(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def day(value) -> str:
    return formats.date_format(value, "j F Y") if value else ""


def moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "j F Y, H:i") if value else ""


def yes_no(value) -> str:
    return "" if value is None else (_("ja") if value else _("nee"))


def people_text(people) -> str:
    """``[{"name": ..., "role": ...}]`` (or ``relation``) as "Naam (rol), ..."."""
    parts = []
    for p in people or []:
        if isinstance(p, dict):
            name = str(p.get("name") or "").strip()
            role = str(p.get("role") or p.get("relation") or "").strip()
            parts.append(f"{name} ({role})" if name and role else name or role)
        elif p:
            parts.append(str(p))
    return ", ".join(p for p in parts if p)


def fields(*items) -> list[Field]:
    """Keep only fields with a value."""
    return [f for f in items if f is not None and f.value not in ("", None)]


def label_of(model) -> str:
    return model._meta.label_lower


def summary(text: str, length: int = 160) -> str:
    """The start of a text for an overview table; the full text is in the record itself."""
    return Truncator(text or "").chars(length)


# --- the Meldcode steps: signals and step records -----------------------------------------

SIGNAL_TYPE = "signals.signal"
VERSION_TYPE = "signals.signalversion"


def signal_entries(signals_versions, pupils_by_signal, attachments_by_signal,
                   case_pupil_id) -> list[Entry]:
    """Entries for signals, from their versions grouped per signal (newest version first)."""
    entries = []
    for signal, versions in signals_versions:
        current, earlier = versions[0], versions[1:]
        flags = [str(label) for flag, label in (
            (signal.disclosure, _("disclosure: het kind heeft zelf iets verteld")),
            (signal.acute_danger, _("acuut gevaar")),
            (signal.staff_suspect, _("vermoedelijke pleger is een medewerker")),
            (signal.is_honour_related, _("raadpleeg een specialist (eergerelateerd geweld)")),
        ) if flag]
        others = [f"{p.pupil.full_name} ({p.get_role_display()})"
                  for p in pupils_by_signal.get(signal.pk, []) if p.pupil_id != case_pupil_id]
        attachments = [a.original_name for a in attachments_by_signal.get(signal.pk, [])]
        version_note = ""
        if current.number > 1:
            version_note = _("versie %(n)s, gecorrigeerd op %(when)s: %(reason)s") % {
                "n": current.number, "when": moment(current.created_at),
                "reason": current.reason}
        entry = Entry(
            SIGNAL_TYPE, signal.pk,
            _("Signaal: %(category)s") % {"category": signal.get_category_display()},
            date=signal.observed_on, moment=signal.recorded_at, author=name_of(signal.recorded_by),
            tags=flags,
            fields=fields(
                Field("source", _("Bron"), signal.get_source_display()),
                Field("source_detail", _("Naam of functie van de bron"), signal.source_detail),
                Field("facts", _("Feiten: gezien of gehoord"), current.facts, style="fact"),
                Field("child_words", _("Letterlijke woorden van het kind"), current.child_words,
                      style="words"),
                Field("interpretation", _("Interpretatie of niet-pluisgevoel"),
                      current.interpretation, style="interpretation",
                      by=name_of(current.author)),
                Field("other_pupils", _("Ook betrokken leerlingen"), ", ".join(others)),
                Field("attachments", _("Bijlagen (niet in deze export opgenomen)"),
                      ", ".join(attachments)),
                Field("version", _("Versie"), version_note, by=name_of(current.author)),
            ))
        for old in earlier:
            entry.children.append(Entry(
                VERSION_TYPE, old.pk,
                _("Eerdere versie %(n)s (vervangen)") % {"n": old.number},
                moment=old.created_at, author=name_of(old.author),
                fields=fields(
                    Field("facts", _("Feiten: gezien of gehoord"), old.facts, style="fact"),
                    Field("child_words", _("Letterlijke woorden van het kind"), old.child_words,
                          style="words"),
                    Field("interpretation", _("Interpretatie of niet-pluisgevoel"),
                          old.interpretation, style="interpretation", by=name_of(old.author)),
                    Field("reason", _("Reden van de correctie"), old.reason),
                )))
        entries.append(entry)
    return entries


def case_signal_data(case):
    """The case's signals with all their versions, pupils and attachments: three queries."""
    from signals.models import SignalAttachment, SignalPupil, SignalVersion

    versions = (SignalVersion.objects.filter(signal__case_links__case_id=case.pk)
                .select_related("signal", "signal__recorded_by", "author")
                .order_by("signal__observed_on", "signal__recorded_at", "signal_id", "-number"))
    grouped: dict[int, tuple] = {}
    for version in versions:
        grouped.setdefault(version.signal_id, (version.signal, []))[1].append(version)
    pupils: dict[int, list] = defaultdict(list)
    for link in (SignalPupil.objects.filter(signal__case_links__case_id=case.pk)
                 .select_related("pupil").order_by("pupil__last_name", "pupil__first_name")):
        pupils[link.signal_id].append(link)
    attachments: dict[int, list] = defaultdict(list)
    for att in (SignalAttachment.objects.filter(signal__case_links__case_id=case.pk)
                .only("signal_id", "original_name").order_by("uploaded_at", "pk")):
        attachments[att.signal_id].append(att)
    return list(grouped.values()), pupils, attachments


def _record_entry(record, title: str, *items: Field, tags=()) -> Entry:
    return Entry(label_of(type(record)), record.pk, title, date=record.occurred_on,
                 moment=record.created_at, author=name_of(record.author),
                 tags=list(tags),
                 fields=fields(*items))


def _participants(record) -> Field:
    return Field("participants", _("Deelnemers"), people_text(record.participants))


def verwijsindex_entry(r) -> Entry:
    entry = _record_entry(
        r, _("Signaal afgegeven in de Verwijsindex"),
        Field("parents_informed", _("Ouders geïnformeerd"), yes_no(r.parents_informed)),
        Field("review_on", _("Herbeoordelen uiterlijk"), day(r.review_on)),
        Field("withdrawn_on", _("Ingetrokken op"), day(r.withdrawn_on)),
        _participants(r))
    # R44: its matches and regievoerder (prefetched as ``r.matches``), nothing more than
    # what was recorded.
    entry.children = [vir_match_entry(m) for m in r.matches.all()]
    return entry


def vir_match_entry(m) -> Entry:
    from cases.models import Regie, organisations_text

    lead = m.lead_label() or _("nog niet afgesproken")
    return Entry(label_of(type(m)), m.pk, _("Match in de Verwijsindex"), date=m.notified_on,
                 moment=m.created_at, author=name_of(m.author), fields=fields(
                     Field("notified_on", _("Match gemeld op"), day(m.notified_on)),
                     Field("organisations", _("Andere betrokken organisaties"),
                           organisations_text(m.organisations)),
                     # "Our school" names a staff member: left out with the other staff names
                     # when an inzage copy asks so.
                     Field("regie", _("Regievoerder"), lead, person=m.regie == Regie.SCHOOL),
                     Field("regie_agreed_on", _("Regie afgesproken op"),
                           day(m.regie_agreed_on))))


def consultation_entry(r) -> Entry:
    return _record_entry(
        r, _("Collegiale consultatie"),
        Field("consulted", _("Met wie"), r.consulted), _participants(r),
        Field("question", _("Vraag of aanleiding"), r.question),
        Field("advice", _("Advies"), r.advice),
        Field("agreed_actions", _("Afgesproken acties"), r.agreed_actions))


def vt_advice_entry(r) -> Entry:
    return _record_entry(
        r, _("Advies gevraagd aan Veilig Thuis"),
        Field("adviser", _("Adviseur van Veilig Thuis"), r.adviser),
        Field("anonymous", _("Anoniem gevraagd"), yes_no(r.anonymous)),
        _participants(r),
        Field("question", _("Voorgelegde vraag"), r.question),
        Field("advice", _("Advies van Veilig Thuis"), r.advice))


def conversation_entry(r) -> Entry:
    title = r.get_kind_display()
    title = str(title)[:1].upper() + str(title)[1:]
    if not r.held:
        return _record_entry(
            r, _("%(kind)s: niet gevoerd") % {"kind": title},
            Field("not_held_reason", _("Reden om het gesprek niet te voeren"),
                  r.get_not_held_reason_display()),
            Field("not_held_explanation", _("Toelichting"), r.not_held_explanation),
            _participants(r), tags=[_("niet gevoerd")])
    with_whom = [str(w) for w, on in ((_("ouders/verzorgers"), r.with_parents),
                                      (_("de leerling"), r.with_pupil)) if on]
    return _record_entry(
        r, title,
        Field("with", _("Met"), ", ".join(with_whom)), _participants(r),
        Field("purpose", _("Doel"), r.purpose),
        Field("discussed", _("Wat is besproken"), r.discussed),
        Field("reactions", _("Reacties"), r.reactions),
        Field("agreements", _("Afspraken"), r.agreements))


def sot_entry(r) -> Entry:
    meeting = r.meeting
    attendees = ", ".join(name_of(u) for u in meeting.attendees.all())
    return _record_entry(
        r, _("Besproken in het SOT (overleg van %(date)s)") % {"date": day(meeting.held_on)},
        Field("chair", _("Voorzitter"), name_of(meeting.chair), person=True),
        Field("attendees", _("Aanwezig (medewerkers)"), attendees, person=True),
        Field("external_attendees", _("Aanwezig (anderen)"),
              people_text(meeting.external_attendees)),
        Field("parents_attended", _("Ouders aanwezig"), yes_no(meeting.parents_attended)),
        _participants(r),
        Field("nature_severity", _("Aard en ernst van de signalen"), r.nature_severity),
        Field("risk_assessment", _("Inschatting van de risico's"), r.risk_assessment),
        Field("doubt", _("Twijfel over de aard of ernst"), yes_no(r.doubt)),
        Field("agreed_approach", _("Afgesproken aanpak"), r.agreed_approach))


def note_entry(r) -> Entry:
    return _record_entry(r, _("Aantekening"), _participants(r),
                         Field("text", _("Aantekening"), r.text))


def _record_querysets(case):
    from django.contrib.auth import get_user_model
    from django.db.models import Prefetch

    from cases.models import (CaseNote, Consultation, Conversation, SotDiscussion,
                              VeiligThuisAdvice, VerwijsindexMatch, VerwijsindexRegistration)

    order = ("occurred_on", "created_at", "pk")
    return [
        ("verwijsindex", _("Verwijsindex"), verwijsindex_entry,
         VerwijsindexRegistration.objects.filter(case_id=case.pk).select_related("author")
         .prefetch_related(Prefetch("matches", queryset=VerwijsindexMatch.objects
                                    .select_related("author", "lead_staff")))),
        ("consultaties", _("Collegiale consultaties"), consultation_entry,
         Consultation.objects.filter(case_id=case.pk).select_related("author")),
        ("vt_advies", _("Adviesvragen aan Veilig Thuis"), vt_advice_entry,
         VeiligThuisAdvice.objects.filter(case_id=case.pk).select_related("author")),
        ("gesprekken", _("Gesprekken en contact met ouders en/of leerling"), conversation_entry,
         Conversation.objects.filter(case_id=case.pk).select_related("author")),
        ("sot", _("Besprekingen in het SOT"), sot_entry,
         SotDiscussion.objects.filter(case_id=case.pk)
         .select_related("author", "meeting", "meeting__chair")
         .prefetch_related(Prefetch("meeting__attendees",
                                    queryset=get_user_model().objects.order_by(
                                        "last_name", "first_name", "pk")))),
        # R32: shared working notes are dossier content like any record.
        ("aantekeningen", _("Aantekeningen"), note_entry,
         CaseNote.objects.filter(case_id=case.pk).select_related("author")),
    ], order


def meldcode_step_sections(case) -> list[Section]:
    """Per Meldcode step: its step moves, and every record made at that step (signals in 1)."""
    from cases.models import StepTransition

    out: list[Section] = []
    signal_data = case_signal_data(case)
    signals = signal_entries(*signal_data, case_pupil_id=case.pupil_id)
    out.append(Section("signalen", _("Signalen"), "stap1", order=10, entries=signals,
                       intro=_("Feiten, de letterlijke woorden van het kind en interpretaties "
                               "zijn apart gemarkeerd; interpretaties staan op naam van wie ze "
                               "schreef.")))
    querysets, order = _record_querysets(case)
    for n, (key, title, build, qs) in enumerate(querysets, start=1):
        by_step: dict[int, list[Entry]] = defaultdict(list)
        for record in qs.order_by(*order):
            by_step[record.step].append(build(record))
        for step, entries in by_step.items():
            out.append(Section(key, title, f"stap{step}", order=10 + n * 10, entries=entries))
    moves: dict[int, list[Entry]] = defaultdict(list)
    for t in StepTransition.objects.filter(case_id=case.pk).select_related("actor"):
        moves[t.to_step].append(Entry(
            label_of(StepTransition), t.pk, _transition_title(t),
            date=timezone.localdate(t.at), moment=t.at, author=name_of(t.actor),
            fields=fields(Field("_at", _("Moment"), moment(t.at)),
                          Field("_what", _("Wat"), _transition_title(t)),
                          Field("actor", _("Door"), name_of(t.actor), person=True),
                          Field("reason", _("Reden"), t.reason))))
    for step, entries in moves.items():
        out.append(Section("stapwissels", _("Stapwissels"), f"stap{step}", order=1,
                           entries=entries, layout="table",
                           columns=[("_at", _("Moment")), ("_what", _("Wat")),
                                    ("actor", _("Door")), ("reason", _("Reden"))]))
    return out


def _transition_title(t) -> str:
    try:
        from cases.timeline import transition_title
    except ImportError:
        return t.get_kind_display()
    return str(transition_title(t))


# --- Veilig Thuis: an overview of every contact -----------------------------------------------


def veilig_thuis_sections(case) -> list[Section]:
    """A table of every contact with Veilig Thuis: advice requests (step records) and, when the
    afwegingskader app is installed, reports, feedback and information given on request."""
    from cases.models import VeiligThuisAdvice

    rows = []
    for r in VeiligThuisAdvice.objects.filter(case_id=case.pk).select_related("author"):
        rows.append(Entry(label_of(VeiligThuisAdvice), r.pk, _("Adviesvraag"), date=r.occurred_on,
                          author=name_of(r.author), fields=fields(
                              Field("_date", _("Datum"), day(r.occurred_on)),
                              Field("_kind", _("Soort"), _("advies (anoniem)") if r.anonymous
                                    else _("advies")),
                              Field("_by", _("Door"), name_of(r.author), person=True),
                              Field("advice", _("Kern"), summary(r.advice), column="_text"))))
    if apps.is_installed("afwegingskader"):
        from .sections_afwegingskader import veilig_thuis_overview_rows

        rows.extend(veilig_thuis_overview_rows(case))
    rows.sort(key=lambda e: (e.date or datetime.date.min))
    if not rows:
        return []
    return [Section("overzicht", _("Overzicht van alle contacten"), "veilig_thuis", order=10,
                    entries=rows, layout="table",
                    columns=[("_date", _("Datum")), ("_kind", _("Soort")), ("_by", _("Door")),
                             ("_text", _("Kern"))],
                    intro=_("Adviesvragen staan volledig bij de stap waarin ze zijn gesteld; "
                            "meldingen en terugkoppelingen hieronder."))]


# --- the parents' involvement ---------------------------------------------------------------


def parents_sections(case) -> list[Section]:
    """Every moment the parents were involved, informed, or deliberately not (R7, R8, R33)."""
    from cases.models import Conversation, SotDiscussion, VerwijsindexRegistration

    rows: list[Entry] = []

    def row(obj, when, what, how, explanation_field="", explanation="", person=False):
        rows.append(Entry(label_of(type(obj)), obj.pk, what, date=when, fields=fields(
            Field("_date", _("Datum"), day(when)), Field("_what", _("Onderdeel"), what),
            Field("_how", _("Betrokkenheid van de ouders"), how),
            Field(explanation_field or "_explanation", _("Toelichting"),
                  summary(explanation, 200), column="_explanation", person=person))))

    for c in Conversation.objects.filter(case_id=case.pk).order_by("occurred_on", "pk"):
        if not c.with_parents and c.held:
            continue
        if c.held:
            row(c, c.occurred_on, c.get_kind_display(), _("gesprek gevoerd"), "reactions",
                c.reactions)
        else:
            row(c, c.occurred_on, c.get_kind_display(),
                _("niet gevoerd: %(reason)s") % {"reason": c.get_not_held_reason_display()},
                "not_held_explanation", c.not_held_explanation)
    for s in (SotDiscussion.objects.filter(case_id=case.pk, meeting__parents_attended=True)
              .select_related("meeting").order_by("occurred_on", "pk")):
        row(s, s.meeting.held_on, _("SOT-overleg"), _("ouders waren aanwezig"))
    for v in VerwijsindexRegistration.objects.filter(case_id=case.pk).order_by("occurred_on"):
        row(v, v.occurred_on, _("Verwijsindex"),
            _("ouders geïnformeerd") if v.parents_informed else _("ouders niet geïnformeerd"))
    if apps.is_installed("afwegingskader"):
        from .sections_afwegingskader import parents_rows

        for obj, when, what, how, name, explanation, person in parents_rows(case):
            row(obj, when, what, how, name, explanation, person)
    rows.sort(key=lambda e: (e.date or datetime.date.min))
    if not rows:
        return []
    return [Section("ouders", _("Contact met en informeren van de ouders"), "ouders", order=10,
                    entries=rows, layout="table",
                    columns=[("_date", _("Datum")), ("_what", _("Onderdeel")),
                             ("_how", _("Betrokkenheid van de ouders")),
                             ("_explanation", _("Toelichting"))])]


def parent_statement_sections(case) -> list[Section]:
    """The parents' own statements (R39), in full: their words, framed and labelled as theirs,
    apart from the school's facts and interpretations. One query. Always whole in the inzage
    copy for the parent who gave it (``Entry.always_in_copy``): they must see their statement
    is on file."""
    from cases.models import ParentStatement
    from cases.timeline import parent_statement_giver

    entries = []
    for r in (ParentStatement.objects.filter(case_id=case.pk).select_related("author")
              .order_by("occurred_on", "created_at", "pk")):
        entry = _record_entry(
            r, _("Verklaring van ouders"),
            Field("given_by", _("Gegeven door"), parent_statement_giver(r)),
            Field("received", _("Ontvangen"), _("%(date)s, via %(how)s") % {
                "date": day(r.occurred_on), "how": r.get_received_via_display()}),
            Field("responds_to", _("Reageert op"), r.responds_to),
            Field("statement", _("Verklaring van ouders: hun eigen woorden, ongewijzigd"),
                  r.statement, style="parent"),
            Field("file_name", _("Gescande brief (niet in deze export opgenomen)"),
                  r.file_name),
            tags=[_("verklaring van ouders")])
        entry.always_in_copy, entry.given_by_parent_id = True, r.parent_id
        entries.append(entry)
    if not entries:
        return []
    return [Section("verklaringen", _("Verklaringen van ouders"), "ouders", order=5,
                    entries=entries,
                    intro=_("Ouders kunnen hun eigen verklaring geven op wat in het dossier "
                            "staat. De school heeft die ongewijzigd toegevoegd; het zijn de "
                            "woorden van de ouders, geen feiten of interpretaties van de "
                            "school."))]


# --- timeline and change history ---------------------------------------------------------------


def timeline_sections(case) -> list[Section]:
    """The case timeline (``cases.timeline.case_timeline``) as a table: an index by date."""
    try:
        from cases.timeline import case_timeline
    except ImportError:
        return []
    from cases.models import SHORT_STEP, Step

    rows = []
    for item in case_timeline(case):
        obj = item.obj
        step = ""
        if item.step:
            step = (str(SHORT_STEP[Step.VOLGEN]) if item.step == Step.VOLGEN
                    else _("%(n)s. %(name)s") % {"n": item.step,
                                                 "name": SHORT_STEP[Step(item.step)]})
        rows.append(Entry(label_of(type(obj)), obj.pk, str(item.title), date=item.date,
                          moment=item.moment, fields=[
                              Field("date", _("Datum"), moment(item.moment) if item.moment
                                    else day(item.date)),
                              Field("step", _("Stap"), step),
                              Field("what", _("Wat"), str(item.title)),
                              Field("author", _("Door"), name_of(item.author), person=True)]))
    return [Section("tijdlijn", _("Alles in volgorde van datum"), "tijdlijn", order=10,
                    entries=rows, layout="table", in_inzage=False,
                    columns=[("date", _("Datum")), ("step", _("Stap")), ("what", _("Wat")),
                             ("author", _("Door"))],
                    empty_text=_("Nog niets vastgelegd."))]


def access_sections(case) -> list[Section]:
    """Who was invited into the case (read, or also add records) or lost that, by whom and
    when (``cases.AccessGrantEvent``). The school's own roles are not listed: they follow
    from the roles themselves. An internal record, not part of the inzage copy."""
    from cases.models import AccessGrantEvent

    rows = []
    for event in (AccessGrantEvent.objects.filter(case_id=case.pk)
                  .select_related("user", "actor").order_by("at", "pk")):
        rows.append(Entry(label_of(AccessGrantEvent), event.pk, event.get_action_display(),
                          moment=event.at, fields=[
                              Field("at", _("Datum"), moment(event.at)),
                              Field("user", _("Medewerker"), name_of(event.user), person=True),
                              Field("action", _("Wijziging"), event.get_action_display()),
                              Field("actor", _("Door"), name_of(event.actor) if event.actor
                                    else "—", person=True)]))
    if not rows:
        return []
    return [Section("toegang", _("Uitnodigingen in dit dossier"), "overig", order=20,
                    entries=rows, layout="table", in_inzage=False,
                    intro=_("Collega's die in dit ene dossier zijn uitgenodigd, en het "
                            "intrekken daarvan. Wie het dossier las, staat in het "
                            "inzagelogboek van de applicatie."),
                    columns=[("at", _("Datum")), ("user", _("Medewerker")),
                             ("action", _("Wijziging")), ("actor", _("Door"))])]


def history_section(case) -> Section | None:
    """The change history (``cases.history.case_history``) as an appendix table."""
    try:
        from cases.history import case_history
    except ImportError:
        return None
    rows = []
    for n, item in enumerate(case_history(case)):
        # What was written at creation is in the dossier itself, with author and date; the
        # appendix lists the later changes field by field.
        changes = "" if item.kind == "+" else "\n".join(
            f"{c.label}: {c.old} → {c.new}" for c in item.changes)
        rows.append(Entry("history", n, item.model_label, moment=item.at, fields=[
            Field("at", _("Moment"), moment(item.at)),
            Field("user", _("Door"), name_of(item.user) or _("systeem")),
            Field("what", _("Onderdeel"), f"{item.model_label} #{item.object_id} "
                                          f"({item.kind_label})"),
            Field("changes", _("Wijzigingen"), changes),
            Field("reason", _("Reden"), item.reason)]))
    return Section("wijzigingen", _("Wie wijzigde wat, nieuwste eerst"), "bijlage", order=10,
                   intro=_("Aangemaakte onderdelen staan met hun inhoud in het dossier; hier "
                           "staat van latere wijzigingen wat er veranderde."),
                   entries=rows, layout="table", in_inzage=False,
                   columns=[("at", _("Moment")), ("user", _("Door")), ("what", _("Onderdeel")),
                            ("changes", _("Wijzigingen")), ("reason", _("Reden"))],
                   empty_text=_("Geen wijzigingen gevonden."))

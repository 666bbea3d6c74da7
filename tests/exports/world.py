"""Case data for the export tests and the PDF benchmark (``bench/pdf_render.py``).

``fill_case(case, people, text=..., counts=...)`` writes every record type the dossier shows
(the Meldcode step records, signals with versions, and, when installed, the afwegingskader's
records) straight through the ORM, so every text field can be given a chosen value. ``text``
is called with a unique tag per field and returns the text to store; the escaping test uses it
to put HTML and script into every text field and find each one back.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.utils import timezone

from cases.models import (CaseNote, CaseSignal, Consultation, Conversation, SotDiscussion,
                          SotMeeting, Step, StepTransition, VeiligThuisAdvice, VerwijsindexMatch,
                          VerwijsindexRegistration)
from signals.models import Signal, SignalAttachment, SignalPupil, SignalVersion

DAY = timezone.localdate() - datetime.timedelta(days=90)

# Text fields that the dossier does not show, on purpose.
NOT_SHOWN = {
    "signals.signalattachment.content_type",  # technical
    "signals.signalattachment.file",
    # Step 5: who informs the parents is shown only when there is no exception.
}


@dataclass
class Filled:
    case: object
    tags: dict[str, str] = field(default_factory=dict)  # tag -> "model.field"
    objects: dict[str, list] = field(default_factory=dict)

    def add(self, label: str, obj):
        self.objects.setdefault(label, []).append(obj)
        return obj


def _text_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and f.editable
            and not f.choices and not isinstance(f, models.FileField)
            and not f.name.startswith("history_")]


class Texts:
    """Gives every text field of an object a value from ``text(tag)``."""

    def __init__(self, filled: Filled, text: Callable[[str], str],
                 short: Callable[[str], str] | None = None):
        self.filled, self.text, self.short = filled, text, short or text
        self.counter = itertools.count(1)

    def one(self, where: str, short: bool = False) -> str:
        tag = f"T{next(self.counter):03d}"
        self.filled.tags[tag] = where
        return (self.short if short else self.text)(tag)

    def values(self, model, skip=()) -> dict:
        out = {}
        for f in _text_fields(model):
            if f.name in skip:
                continue
            value = self.one(f"{model._meta.label_lower}.{f.name}",
                             short=isinstance(f, models.CharField))
            if f.max_length:
                value = value[:f.max_length]
            out[f.name] = value
        return out

    def people(self, model, name: str, role_key: str = "role") -> list[dict]:
        return [{"name": self.one(f"{model._meta.label_lower}.{name}.name", short=True),
                 role_key: self.one(f"{model._meta.label_lower}.{name}.{role_key}",
                                    short=True)}]


def _save(obj, actor):
    obj._history_user = actor
    obj._change_reason = "testgegevens"
    obj.save()
    return obj


def add_signal(case, actor, t: Texts, *, versions: int = 1, other_pupil=None, observed_on=DAY,
               **flags) -> Signal:
    values = t.values(Signal)
    signal = _save(Signal(school=case.school, recorded_by=actor, observed_on=observed_on,
                          category=flags.pop("category", "lichamelijk"),
                          source=flags.pop("source", "derde"), **values, **flags), actor)
    _save(SignalPupil(signal=signal, pupil=case.pupil), actor)
    if other_pupil is not None:
        _save(SignalPupil(signal=signal, pupil=other_pupil, role="getuige"), actor)
    for number in range(1, versions + 1):
        skip = ("reason",) if number == 1 else ()
        _save(SignalVersion(signal=signal, number=number, author=actor,
                            **t.values(SignalVersion, skip=skip)), actor)
    _save(CaseSignal(case=case, signal=signal, added_by=actor), actor)
    return signal


def add_attachment(signal, actor, t: Texts):
    from django.core.files.base import ContentFile

    att = SignalAttachment(signal=signal, original_name=t.one("signals.signalattachment."
                                                             "original_name", short=True)[:200],
                           content_type="application/pdf", size=10, uploaded_by=actor)
    att.file.save("bijlage.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    return _save(att, actor)


def _record(model, case, actor, t: Texts, step, skip=(), **fields):
    return _save(model(case=case, step=step, occurred_on=fields.pop("occurred_on", DAY),
                       author=actor, participants=t.people(model, "participants"),
                       **t.values(model, skip=skip), **fields), actor)


def fill_case(case, people: dict, *, text: Callable[[str], str] | None = None,
              short: Callable[[str], str] | None = None, counts: dict | None = None,
              other_pupil=None) -> Filled:
    """Write records of every type into ``case``; returns the tags of every text field.

    ``people``: users by role name ("ib", "vc", "director", "teacher", "sot").
    ``counts``: how many of each (defaults: one or two of each kind).
    """
    counts = {"signals": 2, "consultations": 1, "vt_advice": 1, "conversations": 2,
              "sot": 1, "vir": 1, "transitions": 1, "afwegingskader": 1, "actions": 1,
              "evaluations": 1, "notes": 1, **(counts or {})}
    text = text or (lambda tag: f"Tekst {tag}: wat er is gezien en gehoord.")
    filled = Filled(case)
    t = Texts(filled, text, short)
    ib, teacher = people["ib"], people.get("teacher", people["ib"])

    for n in range(counts["signals"]):
        signal = filled.add("signal", add_signal(
            case, teacher, t, versions=2 if n == 0 else 1,
            other_pupil=other_pupil if n == 0 else None,
            observed_on=DAY + datetime.timedelta(days=n % 30),
            disclosure=(n == 0)))
        if n == 0:
            add_attachment(signal, teacher, t)
    for n in range(counts["vir"]):
        vir = filled.add("vir", _record(VerwijsindexRegistration, case, ib, t, Step.SIGNALEN,
                                        review_on=DAY + datetime.timedelta(days=730),
                                        parents_informed=True))
        # R44: a match on it, with another organisation as regievoerder.
        label = VerwijsindexMatch._meta.label_lower
        filled.add("vir_match", _save(VerwijsindexMatch(
            registration=vir, case=case, step=Step.SIGNALEN, author=ib,
            notified_on=DAY + datetime.timedelta(days=1), regie_agreed_on=DAY
            + datetime.timedelta(days=2), regie="andere_organisatie",
            organisations=[{"organisation": t.one(f"{label}.organisations.organisation",
                                                  short=True)[:200],
                            "contact": t.one(f"{label}.organisations.contact", short=True)[:200]}],
            **t.values(VerwijsindexMatch)), ib))
    for n in range(counts["consultations"]):
        filled.add("consultation", _record(Consultation, case, ib, t, Step.CONSULTATIE,
                                           occurred_on=DAY + datetime.timedelta(days=5 + n % 20)))
    for n in range(counts["vt_advice"]):
        filled.add("vt_advice", _record(VeiligThuisAdvice, case, ib, t, Step.CONSULTATIE,
                                        anonymous=True,
                                        occurred_on=DAY + datetime.timedelta(days=6 + n % 20)))
    for n in range(counts["conversations"]):
        held = n != 1
        extra = {"skip": ("not_held_explanation",)} if held else {
            "held": False, "not_held_reason": "veiligheid_kind",
            "skip": ("purpose", "discussed", "reactions", "agreements")}
        filled.add("conversation", _record(
            Conversation, case, ib, t, Step.GESPREK,
            occurred_on=DAY + datetime.timedelta(days=10 + n % 20), **extra))
    for n in range(counts["notes"]):
        filled.add("note", _record(CaseNote, case, ib, t, Step.GESPREK,
                                   occurred_on=DAY + datetime.timedelta(days=12 + n % 20)))
    for n in range(counts["sot"]):
        meeting = SotMeeting(school=case.school, held_on=DAY + datetime.timedelta(days=20 + n),
                             chair=people.get("director", ib), created_by=ib,
                             external_attendees=t.people(SotMeeting, "external_attendees"),
                             parents_attended=(n == 0))
        _save(meeting, ib)
        meeting.attendees.add(ib, *(u for u in (people.get("director"), people.get("sot"))
                                    if u))
        filled.add("sot", _record(SotDiscussion, case, ib, t, Step.WEGEN, meeting=meeting,
                                  occurred_on=meeting.held_on))
    for n in range(counts["transitions"]):
        filled.add("transition", _save(StepTransition(
            case=case, kind="terug" if n % 2 == 0 else "verder", from_step=Step.WEGEN,
            to_step=Step.GESPREK if n % 2 == 0 else Step.WEGEN, actor=ib,
            reason=t.one("cases.steptransition.reason")), ib))
    if counts["afwegingskader"] and apps.is_installed("afwegingskader"):
        _fill_afwegingskader(case, people, t, filled, counts)
    return filled


def _fill_afwegingskader(case, people, t: Texts, filled: Filled, counts: dict) -> None:
    from afwegingskader import models as ak

    ib = people["ib"]
    director = people.get("director", ib)
    assessment = _save(ak.Assessment(
        case=case, cycle=case.cycle, author=ib, updated_by=ib, q1=True, q2="nee", q3=True,
        q4=True, q5=None, doubt_means_report=True,
        **t.values(ak.Assessment, skip=("q5_justification",))), ib)
    filled.add("assessment", assessment)
    snapshot = {**assessment.answers(), "doubt_means_report": True}
    base = dict(case=case, cycle=case.cycle, author=ib, assessment=assessment,
                decided_on=DAY + datetime.timedelta(days=30), advice_outcome="help",
                advice_report_required=False, advice_help_possible=True,
                answers_snapshot=snapshot,
                present=[{"user_id": ib.pk, "name": ib.get_full_name(), "role": "ib"}],
                present_external=t.people(ak.Decision, "present_external"))
    # One decision deviating with a parents exception, one with another person informing.
    values = t.values(ak.Decision, skip=("parents_informer_other", "advice_outcome"))
    d1 = _save(ak.Decision(choice="melden", deviates=True, reporter=director,
                           parents_exception="veiligheid_kind", **base, **values), ib)
    values = t.values(ak.Decision, skip=("deviation_reason", "parents_exception_explanation",
                                         "advice_outcome"))
    d2 = _save(ak.Decision(choice="hulp_organiseren", deviates=False, **base, **values), ib)
    filled.add("decision", d1)
    filled.add("decision", d2)
    report = _save(ak.VeiligThuisReport(
        case=case, cycle=case.cycle, author=ib, decision=d1,
        reported_at=timezone.now() - datetime.timedelta(days=40), channel="anders",
        reporter=director, persons_involved=t.people(ak.VeiligThuisReport, "persons_involved",
                                                     "relation"),
        parents_informed=True, anonymity_requested=True, anonymity_reason="veiligheid_kind",
        safety_feedback_due=DAY + datetime.timedelta(days=37),
        **t.values(ak.VeiligThuisReport)), ib)
    filled.add("report", report)
    first_signal = filled.objects["signal"][0]
    _save(ak.VeiligThuisReportSignal(report=report, signal=first_signal), ib)
    filled.add("feedback", _save(ak.VeiligThuisFeedback(
        report=report, kind="veiligheidsbeoordeling", received_on=DAY + datetime.timedelta(
            days=36), author=ib, **t.values(ak.VeiligThuisFeedback)), ib))
    filled.add("role_agreement", _save(ak.SchoolRoleAgreement(
        report=report, agreed_on=DAY + datetime.timedelta(days=38), author=ib,
        **t.values(ak.SchoolRoleAgreement)), ib))
    filled.add("information", _save(ak.InformationRequest(
        case=case, cycle=case.cycle, author=ib, report=report,
        requested_on=DAY + datetime.timedelta(days=39), given_on=DAY + datetime.timedelta(
            days=40), **t.values(ak.InformationRequest)), ib))
    filled.add("help_plan", _save(ak.HelpPlan(
        case=case, cycle=case.cycle, author=ib, decision=d2, coordinator=None,
        roles=t.people(ak.HelpPlan, "roles"), period_start=DAY + datetime.timedelta(days=30),
        period_end=DAY + datetime.timedelta(days=90),
        evaluation_on=DAY + datetime.timedelta(days=90), **t.values(ak.HelpPlan)), ib))
    for n in range(counts["actions"]):
        filled.add("action", _save(ak.FollowUpAction(
            case=case, cycle=case.cycle, author=ib, owner=ib,
            due_on=DAY + datetime.timedelta(days=45 + n % 30),
            **t.values(ak.FollowUpAction)), ib))
    for n in range(counts["evaluations"]):
        filled.add("evaluation", _save(ak.Evaluation(
            case=case, cycle=case.cycle, author=ib,
            evaluated_on=DAY + datetime.timedelta(days=60 + n % 20),
            participants=t.people(ak.Evaluation, "participants"), outcome="deels",
            **t.values(ak.Evaluation)), ib))
    filled.add("aftercare", _save(ak.AftercareNote(
        case=case, cycle=case.cycle, author=ib, occurred_on=DAY + datetime.timedelta(days=70),
        **t.values(ak.AftercareNote)), ib))
    filled.add("monitoring", _save(ak.MonitoringAgreement(
        case=case, cycle=case.cycle, author=ib, agreed_on=DAY + datetime.timedelta(days=71),
        review_on=DAY + datetime.timedelta(days=160), **t.values(ak.MonitoringAgreement)), ib))
    filled.add("bottleneck", _save(ak.BottleneckNote(
        case=case, cycle=case.cycle, author=ib, school=case.school, theme="wachttijd",
        **t.values(ak.BottleneckNote)), ib))

"""The template context of the two documents: the internal dossier and the inzage copy.

Both are built from the same sections (``exports.sections``); the inzage copy leaves out the
internal working parts (timeline, change history, policy notes) and applies the request's
redactions (``exports.redaction``). Kept apart: separate templates, separate job kinds.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Route

from . import redaction
from .sections import (Chapter, Field, Section, build_sections, chapters_for,
                       day, history_section, moment, name_of, signal_entries)

Progress = Callable[[int, int], None]


def case_for_export(case_id: int) -> Case:
    return Case.objects.select_related("school", "school__board", "pupil",
                                       "pupil__school_class", "owner").get(pk=case_id)


def cover_fields(case: Case) -> list[Field]:
    """The cover page: who and what the dossier is about (R48: the Meldcode version)."""
    pupil = case.pupil
    closed = ""
    if case.closed_at:
        closed = day(timezone.localtime(case.closed_at))
        if case.close_reason:
            closed = f"{closed} — {case.get_close_reason_display()}"
    return [f for f in [
        Field("pupil", _("Leerling"), pupil.full_name),
        Field("date_of_birth", _("Geboortedatum"), day(pupil.date_of_birth)),
        Field("group", _("Groep"), pupil.school_class.name if pupil.school_class_id else "—"),
        Field("school", _("School"), case.school.name),
        Field("number", _("Dossiernummer"), case.number),
        Field("status", _("Status"), case.get_status_display()),
        Field("opened_at", _("Geopend op"), day(timezone.localtime(case.opened_at))),
        Field("closed_at", _("Afgesloten op"), closed),
        Field("close_explanation", _("Toelichting bij afsluiten"), case.close_explanation),
        Field("step", _("Huidige stap"), case.get_step_display()),
        Field("support_route", _("Ondersteuningsroute"), str(case.support_route_label)),
        Field("step_since", _("In deze stap sinds"), day(timezone.localtime(case.step_entered_at))),
        Field("cycle", _("Ronde"), str(case.cycle) if case.cycle > 1 else ""),
        Field("route", _("Route"), case.get_route_display()),
        Field("meldcode_version", _("Versie meldcode"), case.meldcode_version),
        Field("owner", _("Casusregisseur"), name_of(case.owner), person=True),
        Field("acute", _("Acuut gevaar gemeld"), _("ja") if case.acute else ""),
    ] if f.value]


def dossier_context(case: Case, *, requester, include_history: bool,
                    generated_at=None, progress: Progress | None = None) -> dict:
    """Everything ``exports/pdf/case_report.html`` shows."""
    sections: list[Section] = build_sections(case, progress=progress)
    if include_history:
        appendix = history_section(case)
        if appendix is not None:
            sections.append(appendix)
    generated_at = generated_at or timezone.now()
    return {
        "case": case,
        "cover": cover_fields(case),
        "chapters": chapters_for(sections),
        "requester_name": name_of(requester),
        "generated_at": generated_at,
        "generated_label": moment(generated_at),
        "include_history": include_history,
    }


# --- the inzage copy ---------------------------------------------------------------------


def inzage_cases(access_request) -> list[Case]:
    """The pupil's Meldcode-route cases at the request's school, oldest first.

    Staff-route cases (domain.md §6) belong to the board and are not part of this copy.
    """
    return list(Case.objects.filter(pupil_id=access_request.pupil_id,
                                    school_id=access_request.school_id, route=Route.MELDCODE)
                .select_related("school", "school__board", "pupil", "pupil__school_class",
                                "owner")
                .order_by("opened_at", "pk"))


def loose_signal_chapter(access_request) -> Chapter | None:
    """Signals about the pupil that are in no case (still personal data of the pupil)."""
    from signals.models import SignalAttachment, SignalPupil, SignalVersion

    signal_ids = (SignalPupil.objects.filter(pupil_id=access_request.pupil_id,
                                             signal__school_id=access_request.school_id,
                                             signal__staff_suspect=False,
                                             signal__case_links__isnull=True)
                  .values("signal_id"))
    versions = (SignalVersion.objects.filter(signal_id__in=signal_ids)
                .select_related("signal", "signal__recorded_by", "author")
                .order_by("signal__observed_on", "signal__recorded_at", "signal_id", "-number"))
    grouped: dict[int, tuple] = {}
    for version in versions:
        grouped.setdefault(version.signal_id, (version.signal, []))[1].append(version)
    if not grouped:
        return None
    pupils: dict[int, list] = {}
    for link in (SignalPupil.objects.filter(signal_id__in=signal_ids).select_related("pupil")):
        pupils.setdefault(link.signal_id, []).append(link)
    attachments: dict[int, list] = {}
    for att in SignalAttachment.objects.filter(signal_id__in=signal_ids).only(
            "signal_id", "original_name"):
        attachments.setdefault(att.signal_id, []).append(att)
    entries = signal_entries(list(grouped.values()), pupils, attachments,
                             access_request.pupil_id)
    section = Section("losse_signalen", _("Signalen"), "losse_signalen", order=10,
                      entries=entries, prefix="los-")
    return Chapter("losse_signalen", _("Signalen die (nog) niet in een dossier staan"),
                   sections=[section], prefix="los-")


def requester_parent_id(access_request) -> int | None:
    """The parent (``schools.Parent``) who asked for the copy; None for a pupil of 16 or older
    (or a request without a parent link)."""
    if not access_request.parent_link_id:
        return None
    from schools.models import PupilParent

    return (PupilParent.objects.filter(pk=access_request.parent_link_id)
            .values_list("parent_id", flat=True).first())


def inzage_parts(access_request, *, apply_redactions: bool = True,
                 progress: Progress | None = None) -> tuple[list[dict], Chapter | None]:
    """Per case its chapters for the copy, plus the chapter of loose signals.

    With ``apply_redactions`` the request's redactions are applied (the copy); without, the
    handler sees what there is to redact.
    """
    cases = inzage_cases(access_request)
    redactions = redaction.Redactions.for_request(access_request) if apply_redactions else None
    requester = requester_parent_id(access_request)
    parts = []
    for n, case in enumerate(cases, start=1):
        chapters = chapters_for(build_sections(case), inzage=True, prefix=f"d{case.pk}-")
        # A parents' statement is whole and beyond redaction only in the copy for the parent
        # who gave it; for anyone else it is another person's data (R37, art. 15 lid 4 AVG).
        for _chapter, _section, entry in redaction.walk(chapters):
            if entry.always_in_copy:
                entry.always_in_copy = (entry.given_by_parent_id is not None
                                        and entry.given_by_parent_id == requester)
        parts.append({"case": case, "cover": cover_fields(case), "chapters": chapters})
        if progress:
            progress(n, len(cases) + 1)
    loose = loose_signal_chapter(access_request)
    if redactions is not None:
        for part in parts:
            redaction.apply(part["chapters"], redactions)
            for f in part["cover"]:
                if f.person and redactions.staff_names_reason:
                    f.value, f.redacted = "", redactions.staff_names_reason
                    f.staff_name = True
        if loose is not None:
            redaction.apply([loose], redactions)
    if progress:
        progress(len(cases) + 1, len(cases) + 1)
    return parts, loose


def inzage_context(access_request, *, generated_at=None, progress: Progress | None = None) -> dict:
    """Everything ``exports/pdf/inzage.html`` shows. No name of the staff member who made the
    copy: the watermark names the request, not the person (staff names may be left out)."""
    parts, loose = inzage_parts(access_request, progress=progress)
    generated_at = generated_at or timezone.now()
    redaction_count = access_request.redactions.count()
    return {
        "request": access_request,
        "pupil": access_request.pupil,
        "parts": parts,
        "loose": loose,
        "generated_at": generated_at,
        "generated_label": moment(generated_at),
        "has_redactions": bool(redaction_count or access_request.redact_staff_names),
    }

"""How the special routes show up in the case's timeline and change history, and what they
ask before a case may be closed. Registered from ``SpecialRoutesConfig.ready`` through the
registries of ``cases`` (architecture.md: cases does not import this app).

Every source returns nothing, without a query, for cases outside its route.
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.models import Route

from .models import (AcuteCall, AcuteRetrospective, BoardInformed, InspectorConsultation,
                     Notice, PoliceReport, StaffConcern)


def _user_label(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _details(*pairs):
    return [(str(label), str(value)) for label, value in pairs if value not in ("", None)]


def acute_timeline(case):
    from cases.timeline import TimelineEntry

    if not case.acute:
        return []
    calls = list(AcuteCall.objects.filter(case_id=case.pk).select_related("called_by"))
    if not calls:
        return []
    entries = []
    for call in calls:
        entries.append(TimelineEntry(
            date=timezone.localdate(call.called_at), kind="acute_call",
            title=_("Acuut gevaar: %(party)s gebeld") % {"party": call.called_party_label},
            author=call.called_by, obj=call, moment=call.called_at, recorded_at=call.recorded_at,
            details=_details((_("Tijdstip"), formats.date_format(
                                 timezone.localtime(call.called_at), "DATETIME_FORMAT")),
                             (_("Afgesproken aan de telefoon"), call.phone_note))))
    # One query; the newest version of each call's retrospective is its current text (R31).
    latest: dict[int, AcuteRetrospective] = {}
    for version in (AcuteRetrospective.objects.filter(call_id__in=[c.pk for c in calls])
                    .select_related("author").order_by("call_id", "number")):
        latest[version.call_id] = version
    for version in latest.values():
        entries.append(TimelineEntry(
            date=timezone.localdate(version.created_at), kind="acute_retrospective",
            title=_("Terugblik op acuut gevaar"), author=version.author, obj=version,
            recorded_at=version.created_at,
            details=_details(
                (_("Wat is er gebeurd"), version.situation),
                (_("Feiten"), version.facts),
                (_("Letterlijke woorden van het kind"), version.child_words),
                (_("Interpretatie van %(name)s") % {"name": _user_label(version.author)},
                 version.interpretation),
                (_("Aan de telefoon gezegd"), version.phone_summary),
                (_("Afspraken"), version.agreements),
                (_("Geïnformeerd"), version.informed),
                (_("Versie"), version.number if version.number > 1 else ""))))
    return entries


def staff_timeline(case):
    from cases.timeline import TimelineEntry

    if case.route != Route.STAFF:
        return []
    concern = (StaffConcern.objects.filter(case_id=case.pk)
               .select_related("started_by", "accused_user").first())
    if concern is None:
        return []
    entries = [TimelineEntry(
        date=timezone.localdate(concern.started_at), kind="staff_concern",
        title=_("Route bevoegd gezag gestart"), author=concern.started_by, obj=concern,
        moment=concern.started_at, recorded_at=concern.started_at,
        details=_details((_("Medewerker"), concern.accused_description
                          or _user_label(concern.accused_user))))]
    for r in BoardInformed.objects.filter(concern=concern).select_related("author"):
        entries.append(TimelineEntry(
            date=r.informed_on, kind="staff_board_informed",
            title=_("Informeren: %(party)s") % {"party": r.get_informed_party_display()},
            author=r.author, obj=r, recorded_at=r.created_at,
            details=_details((_("Naam"), r.informed_name), (_("Hoe"), r.get_channel_display()),
                             (_("Door"), r.informed_by), (_("Toelichting"), r.notes))))
    for r in InspectorConsultation.objects.filter(concern=concern).select_related("author"):
        entries.append(TimelineEntry(
            date=r.consulted_on, kind="staff_inspector",
            title=_("Overleg met de vertrouwensinspecteur"), author=r.author, obj=r,
            recorded_at=r.created_at,
            details=_details((_("Vertrouwensinspecteur"), r.inspector_name),
                             (_("Conclusie"), _("redelijk vermoeden") if r.reasonable_suspicion
                              else _("geen redelijk vermoeden")),
                             (_("Toelichting"), r.notes))))
    for r in PoliceReport.objects.filter(concern=concern).select_related("author"):
        entries.append(TimelineEntry(
            date=r.reported_on, kind="staff_police", title=_("Aangifte bij de politie"),
            author=r.author, obj=r, recorded_at=r.created_at,
            details=_details((_("Door"), r.reported_by_name), (_("Kenmerk"), r.reference),
                             (_("Toelichting"), r.notes))))
    for r in Notice.objects.filter(concern=concern).select_related("author"):
        entries.append(TimelineEntry(
            date=r.notified_on, kind="staff_notice",
            title=_("Geïnformeerd: %(who)s") % {"who": r.get_recipient_display()},
            author=r.author, obj=r, recorded_at=r.created_at,
            details=_details((_("Door"), r.notified_by), (_("Hoe"), r.get_channel_display()),
                             (_("Toelichting"), r.notes))))
    return entries


def _acute_history(model):
    def source(case):
        if not case.acute:
            return model.history.none()
        if model is AcuteCall:
            return AcuteCall.history.filter(case_id=case.pk)
        return model.history.filter(
            call_id__in=AcuteCall.objects.filter(case_id=case.pk).values("pk"))
    return source


def _staff_history(model):
    def source(case):
        if case.route != Route.STAFF:
            return model.history.none()
        if model is StaffConcern:
            return StaffConcern.history.filter(case_id=case.pk)
        return model.history.filter(
            concern_id__in=StaffConcern.objects.filter(case_id=case.pk).values("pk"))
    return source


def close_guard(case, user) -> list[str]:
    """What the special routes require before a case is closed.

    Acute: the retrospective entry (R5). Board route: every item the route still misses,
    such as the police report after a reasonable suspicion (domain.md §6).
    """
    from .selectors import staff_route_status_for

    reasons = []
    if case.acute and AcuteCall.objects.filter(case_id=case.pk,
                                               retrospective_entered_at__isnull=True).exists():
        reasons.append(_("Leg eerst de terugblik op de melding van acuut gevaar vast."))
    if case.route == Route.STAFF:
        concern = StaffConcern.objects.filter(case_id=case.pk).first()
        if concern is not None:
            reasons += [item.message for item in staff_route_status_for(concern).missing]
    return reasons


_registered = False


def register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from cases import workflow
    from cases.history import register_history_source
    from cases.timeline import register_timeline_source

    register_timeline_source(acute_timeline)
    register_timeline_source(staff_timeline)
    for model in (AcuteCall, AcuteRetrospective):
        register_history_source(_acute_history(model))
    for model in (StaffConcern, BoardInformed, InspectorConsultation, PoliceReport, Notice):
        register_history_source(_staff_history(model))
    if hasattr(workflow, "register_close_guard"):
        workflow.register_close_guard(close_guard)
    # R28: the accused never gets access, whichever page grants it. Active once
    # ``cases.services`` offers the hook (see the report to the lead).
    from cases import services as case_services

    if hasattr(case_services, "register_grant_guard"):
        from .services import grant_refusal

        case_services.register_grant_guard(grant_refusal)


def acute_dossier_sections(case):
    """The PDF dossier's section on acute danger (R5): each call and its latest retrospective.

    Registered with ``exports.sections`` when that app is installed; two queries, none for
    cases without an acute call.
    """
    if not case.acute:
        return []
    from django.utils.translation import gettext as _

    from exports.sections import Entry, Field, Section, fields, label_of, moment, name_of

    calls = list(AcuteCall.objects.filter(case_id=case.pk).select_related("called_by")
                 .order_by("called_at"))
    if not calls:
        return []
    latest = {}
    for retro in (AcuteRetrospective.objects.filter(call__in=calls).select_related("author")
                  .order_by("call_id", "number")):
        latest[retro.call_id] = retro
    entries = []
    for call in calls:
        retro = latest.get(call.pk)
        items = [
            Field("called_party", _("Gebeld"), call.get_called_party_display()
                  + (f" ({call.called_party_other})" if call.called_party_other else "")),
            Field("called_at", _("Tijdstip"), moment(call.called_at)),
            Field("phone_note", _("Aan de telefoon afgesproken"), call.phone_note),
            Field("retrospective_due_at", _("Terugblik uiterlijk"),
                  moment(call.retrospective_due_at)),
        ]
        if retro is None:
            items.append(Field("_missing", _("Terugblik"), _("nog niet vastgelegd"),
                               style="alert"))
        else:
            items += [
                Field("situation", _("Wat is er gebeurd"), retro.situation),
                Field("facts", _("Feiten: gezien of gehoord"), retro.facts, style="fact"),
                Field("child_words", _("Letterlijke woorden van het kind"), retro.child_words,
                      style="words"),
                Field("interpretation", _("Interpretatie"), retro.interpretation,
                      style="interpretation", by=name_of(retro.author)),
                Field("phone_summary", _("Wat is er aan de telefoon gezegd"),
                      retro.phone_summary),
                Field("agreements", _("Afspraken"), retro.agreements),
                Field("informed", _("Wie is er geïnformeerd"), retro.informed),
            ]
        entries.append(Entry(label_of(AcuteCall), call.pk, _("Melding acuut gevaar"),
                             moment=call.called_at, author=name_of(call.called_by),
                             fields=fields(*items)))
    return [Section("acuut", _("Acuut gevaar"), "overig", order=5, entries=entries)]


def register_dossier_sections() -> None:
    from django.apps import apps

    if apps.is_installed("exports"):
        from exports import sections

        sections.register(acute_dossier_sections, name="acuut_gevaar")

"""Reads of the special routes, as querysets filtered in SQL, and the board route's status.

Visibility follows ``cases.selectors``: an acute call is seen by whoever may see its case
(and by its caller); a board-route case only by the bestuurders assigned to it (R28).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from cases.models import Case, CaseSignal, Route, Status
from cases.selectors import case_visibility_q
from schools.access import active_roles
from schools.roles import Role
from signals.models import Signal, SignalPupil, SignalVersion

from .models import (AcuteCall, AcuteRetrospective, BoardInformed, InformedParty,
                     InspectorConsultation, Notice, NoticeRecipient, PoliceReport, StaffConcern)

# Roles that keep the overview of a school's acute calls (R5: directeur and
# veiligheidscoördinator are informed of every acute call).
ACUTE_OVERVIEW_ROLES = {Role.VC, Role.DIRECTEUR}


def acute_overview_school_ids(user) -> set[int]:
    return {r.school_id for r in active_roles(user)
            if r.school_id is not None and r.role in ACUTE_OVERVIEW_ROLES}


def acute_calls_for_overview(user, school_ids, *, only_open: bool = True) -> QuerySet[AcuteCall]:
    """Acute calls of ``school_ids`` whose case ``user`` may see, newest first.

    ``only_open``: calls whose case is open or whose retrospective is still missing.
    Preloads case, pupil, school, caller and who entered the retrospective.
    """
    qs = AcuteCall.objects.filter(school_id__in=school_ids,
                                  case__in=Case.objects.filter(case_visibility_q(user)))
    if only_open:
        qs = qs.filter(Q(case__status=Status.OPEN) | Q(retrospective_entered_at__isnull=True))
    return (qs.select_related("case", "case__pupil", "case__pupil__school_class", "school",
                              "called_by", "retrospective_by")
            .order_by("-called_at", "-pk"))


def latest_retrospective(call: AcuteCall) -> AcuteRetrospective | None:
    return (AcuteRetrospective.objects.filter(call=call).select_related("author")
            .order_by("-number").first())


def calls_for_case(case: Case) -> list[AcuteCall]:
    """The acute calls in a case, oldest first (none when the case is not marked acute)."""
    if not case.acute:
        return []
    return list(AcuteCall.objects.filter(case_id=case.pk).select_related("called_by")
                .order_by("called_at", "pk"))


# --- Board route ---------------------------------------------------------------------------

def bestuur_board_ids(user) -> set[int]:
    return {r.board_id for r in active_roles(user)
            if r.school_id is None and r.role == Role.BESTUUR}


def pending_staff_signals(user) -> QuerySet[Signal]:
    """Staff-suspect signals of the user's board(s) for which no route has started yet.

    Only bestuurders see them: the signal skipped the school (R25). Preloads school,
    recorder and the pupils.
    """
    board_ids = bestuur_board_ids(user)
    if not board_ids:
        return Signal.objects.none()
    return (Signal.objects.filter(staff_suspect=True, school__board_id__in=board_ids)
            .exclude(Exists(CaseSignal.objects.filter(signal_id=OuterRef("pk"))))
            .select_related("school", "recorded_by")
            .prefetch_related(Prefetch("pupil_links", queryset=SignalPupil.objects
                                       .select_related("pupil").order_by("role", "pk")))
            .order_by("-recorded_at", "-pk"))


def pending_staff_signal_get(user, pk: int) -> Signal:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(pending_staff_signals(user), pk=pk)


def signal_current_version(signal: Signal) -> SignalVersion | None:
    return (SignalVersion.objects.filter(signal=signal).select_related("author")
            .order_by("-number").first())


_RECORD_SETS = ("boardinformed_set", "inspectorconsultation_set", "policereport_set",
                "notice_set")


def staff_concerns_visible_to(user) -> QuerySet[StaffConcern]:
    """Board-route concerns whose case ``user`` may see, with their records preloaded
    (one query per record type, whatever the number of concerns)."""
    return (StaffConcern.objects
            .filter(case__in=Case.objects.filter(case_visibility_q(user), route=Route.STAFF))
            .select_related("case", "case__pupil", "case__school", "accused_user",
                            "reported_by")
            .prefetch_related(*[Prefetch(name, queryset=_record_model(name).objects
                                         .select_related("author").order_by("created_at", "pk"))
                                for name in _RECORD_SETS])
            .order_by("-started_at", "-pk"))


def _record_model(name: str):
    return {"boardinformed_set": BoardInformed,
            "inspectorconsultation_set": InspectorConsultation,
            "policereport_set": PoliceReport, "notice_set": Notice}[name]


@dataclass
class RouteItem:
    key: str
    label: str
    done: bool
    required: bool
    message: str = ""


@dataclass
class RouteStatus:
    conclusion: bool | None = None  # latest conclusion of the vertrouwensinspecteur
    items: list[RouteItem] = field(default_factory=list)

    @property
    def missing(self) -> list[RouteItem]:
        return [i for i in self.items if i.required and not i.done]

    @property
    def complete(self) -> bool:
        return not self.missing


def staff_route_status(*, informed, consultations, police_reports, notices) -> RouteStatus:
    """What the board route has on file and what is still missing, from the record lists."""
    latest = max(consultations, key=lambda r: (r.consulted_on, r.created_at, r.pk),
                 default=None)
    return staff_route_status_from_flags(
        board_informed=any(r.informed_party == InformedParty.BOARD for r in informed),
        anyone_informed=bool(informed), consulted=latest is not None,
        conclusion=latest.reasonable_suspicion if latest else None,
        police_reported=bool(police_reports),
        accused_notified=any(n.recipient == NoticeRecipient.ACCUSED for n in notices),
        parents_notified=any(n.recipient == NoticeRecipient.PARENTS for n in notices))


def staff_route_status_from_flags(*, board_informed: bool, anyone_informed: bool,
                                  consulted: bool, conclusion: bool | None,
                                  police_reported: bool, accused_notified: bool,
                                  parents_notified: bool) -> RouteStatus:
    """The route's checklist (domain.md §6). Pure: runs no queries.

    1. The board itself was informed (R26): informing only the directeur does not count.
    2. The board consulted the vertrouwensinspecteur (R27); the latest consultation's
       conclusion counts.
    3. After a reasonable suspicion: a police report (aangifte) is required, and the accused
       and the parents are informed.
    """
    status = RouteStatus(conclusion=conclusion)
    if board_informed:
        message = ""
    elif anyone_informed:
        message = _("Alleen de directeur is geïnformeerd. Dat is niet genoeg: het bevoegd gezag "
                    "zelf moet worden geïnformeerd (naam van de bestuurder, datum).")
    else:
        message = _("Nog niet vastgelegd dat het bestuur zelf is geïnformeerd (naam, datum).")
    status.items.append(RouteItem(
        "board_informed", _("Het bestuur (bevoegd gezag) zelf is geïnformeerd"), board_informed,
        True, message))
    status.items.append(RouteItem(
        "inspector", _("De vertrouwensinspecteur is geraadpleegd"), consulted, True,
        "" if consulted else _("Het bestuur moet direct de vertrouwensinspecteur raadplegen.")))
    required = conclusion is True
    if conclusion is None:
        pending = _("Hangt af van de conclusie van de vertrouwensinspecteur.")
    elif conclusion is False:
        pending = _("Niet verplicht: geen redelijk vermoeden.")
    else:
        pending = ""
    status.items.append(RouteItem(
        "police", _("Aangifte bij de politie"), police_reported, required,
        "" if police_reported else (_("Aangifte is verplicht na een redelijk vermoeden.")
                                    if required else pending)))
    for done, key, label, missing in (
            (accused_notified, "notice_accused",
             _("De beschuldigde medewerker is geïnformeerd"),
             _("Het bestuur informeert de beschuldigde medewerker.")),
            (parents_notified, "notice_parents", _("De ouders zijn geïnformeerd"),
             _("Het bestuur informeert de ouders."))):
        status.items.append(RouteItem(key, label, done, required,
                                      "" if done else (missing if required else pending)))
    return status


def staff_concerns_for_overview(user) -> QuerySet[StaffConcern]:
    """Board-route concerns ``user`` may see, each annotated with the flags of its checklist:
    one query, whatever the number of concerns (``staff_route_status_annotated``)."""
    def exists(model, **filters):
        return Exists(model.objects.filter(concern_id=OuterRef("pk"), **filters))

    latest_conclusion = (InspectorConsultation.objects.filter(concern_id=OuterRef("pk"))
                         .order_by("-consulted_on", "-created_at", "-pk")
                         .values("reasonable_suspicion")[:1])
    return (StaffConcern.objects
            .filter(case__in=Case.objects.filter(case_visibility_q(user), route=Route.STAFF))
            .select_related("case", "case__pupil", "case__school")
            .annotate(f_board=exists(BoardInformed, informed_party=InformedParty.BOARD),
                      f_informed=exists(BoardInformed),
                      f_consulted=exists(InspectorConsultation),
                      f_conclusion=Subquery(latest_conclusion, output_field=BooleanField()),
                      f_police=exists(PoliceReport),
                      f_accused=exists(Notice, recipient=NoticeRecipient.ACCUSED),
                      f_parents=exists(Notice, recipient=NoticeRecipient.PARENTS))
            .order_by("-started_at", "-pk"))


def staff_route_status_annotated(concern: StaffConcern) -> RouteStatus:
    """The status of a concern from ``staff_concerns_for_overview``'s annotations."""
    return staff_route_status_from_flags(
        board_informed=concern.f_board, anyone_informed=concern.f_informed,
        consulted=concern.f_consulted, conclusion=concern.f_conclusion,
        police_reported=concern.f_police, accused_notified=concern.f_accused,
        parents_notified=concern.f_parents)


def staff_route_status_for(concern: StaffConcern) -> RouteStatus:
    """The status of one concern; uses prefetched record sets when present."""
    return staff_route_status(informed=list(concern.boardinformed_set.all()),
                              consultations=list(concern.inspectorconsultation_set.all()),
                              police_reports=list(concern.policereport_set.all()),
                              notices=list(concern.notice_set.all()))


def staff_concern_for_case(user, case: Case) -> StaffConcern:
    """The concern of a board-route case the user may see (404 otherwise), records preloaded."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(staff_concerns_visible_to(user).select_related("signal"),
                             case_id=case.pk)

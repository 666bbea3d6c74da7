"""Reads: who may handle destruction where, which cases and loose signals are due, and the
board's terms.

Access: the veiligheidscoördinator and the directeur of a school handle its destructions and
requests (domain.md §7, R36). Someone who holds neither role anywhere gets 403; someone who
holds one elsewhere gets 404 for this school's objects (existence is not leaked).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cases.models import Case, CaseSignal, Route, Status
from schools.access import active_roles
from schools.models import Membership, Pupil
from schools.roles import Role
from signals.models import Signal, SignalPupil

from .models import (DEFAULT_TERM_YEARS, DestructionProposal, DestructionRequest, LegalHold,
                     ProposalState, RecordType, RequestDecision, RetentionTerm, Rule)

LEAD_ROLES = (Role.VC, Role.DIRECTEUR)


def lead_school_ids(user) -> set[int]:
    """Schools where ``user`` is veiligheidscoördinator or directeur today."""
    return {r.school_id for r in active_roles(user)
            if r.role in LEAD_ROLES and r.school_id is not None}


def require_lead(user) -> set[int]:
    ids = lead_school_ids(user)
    if not ids:
        raise PermissionDenied
    return ids


def case_for_lead(user, case_pk: int) -> Case:
    ids = require_lead(user)
    return get_object_or_404(Case.objects.select_related("pupil", "school__board"),
                             pk=case_pk, school_id__in=ids, route=Route.MELDCODE)


def pupil_for_lead(user, pupil_pk: int) -> Pupil:
    ids = require_lead(user)
    return get_object_or_404(Pupil.objects.select_related("school"), pk=pupil_pk,
                             school_id__in=ids)


def request_for_lead(user, pk: int) -> DestructionRequest:
    ids = require_lead(user)
    return get_object_or_404(DestructionRequest.objects.select_related(
        "pupil", "school", "recorded_by", "decided_by"), pk=pk, school_id__in=ids)


def hold_for_lead(user, pk: int) -> LegalHold:
    ids = require_lead(user)
    return get_object_or_404(LegalHold.objects.select_related("case__pupil", "case__school"),
                             pk=pk, case__school_id__in=ids, case__route=Route.MELDCODE)


def holds_role_now(user_id: int, school_id: int, role: str) -> bool:
    """A fresh query (not the per-request cache): used between two approvals."""
    return Membership.objects.active().filter(user_id=user_id, user__is_active=True,
                                              school_id=school_id, role=role).exists()


# --- terms ------------------------------------------------------------------------------------


def terms_for_boards(board_ids) -> dict[int, dict[str, int]]:
    """{board_id: {record_type: years}} with the defaults filled in; one query."""
    board_ids = list(board_ids)
    result = {b: dict(DEFAULT_TERM_YEARS) for b in board_ids}
    for board_id, record_type, years in RetentionTerm.objects.filter(
            board_id__in=board_ids).values_list("board_id", "record_type", "years"):
        result[board_id][record_type] = years
    return result


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_after(day: datetime.date, years: int) -> datetime.date:
    return years_before(day, -years)


def _term_q(today: datetime.date, record_type: str = RecordType.CASE,
            left_field: str = "pupil__left_on") -> Q:
    """Rows whose ``left_field`` (a leaving date) lies at least the board's term for
    ``record_type`` before ``today`` (one query for the terms).

    Compared per distinct term length, as the reminders compare step terms: portable date
    arithmetic, and the database can use ``left_on`` before joining the boards.
    """
    custom = list(RetentionTerm.objects.filter(record_type=record_type)
                  .values_list("board_id", "years"))
    by_years: dict[int, set[int]] = {}
    for board_id, years in custom:
        by_years.setdefault(years, set()).add(board_id)
    q = Q(**{f"{left_field}__lte": years_before(today, DEFAULT_TERM_YEARS[record_type])}) & ~Q(
        school__board_id__in=[b for b, _y in custom])
    for years, boards in by_years.items():
        q |= Q(school__board_id__in=boards, **{f"{left_field}__lte": years_before(today, years)})
    return q


def _requested_q() -> Q:
    """Cases of pupils whose request to destroy was granted and not yet carried out."""
    return Q(Exists(DestructionRequest.objects.filter(
        pupil_id=OuterRef("pupil_id"), decision=RequestDecision.CARRY_OUT,
        decided_at__gte=OuterRef("opened_at"))))


def due_cases(*, school_ids=None, today: datetime.date | None = None) -> QuerySet[Case]:
    """Closed Meldcode cases whose term has ended, or whose pupil's request was granted, and
    that no active legal hold keeps. Annotated ``requested`` (bool)."""
    today = today or timezone.localdate()
    active_hold = LegalHold.objects.filter(case_id=OuterRef("pk"), lifted_at__isnull=True)
    qs = (Case.objects.filter(status=Status.CLOSED, route=Route.MELDCODE)
          .filter(_term_q(today) | _requested_q())
          .exclude(Exists(active_hold))
          .annotate(requested=_requested_q()))
    if school_ids is not None:
        qs = qs.filter(school_id__in=school_ids)
    return qs


@dataclass
class Due:
    rule: str
    rule_text: str
    request: DestructionRequest | None
    due_on: datetime.date | None


def due_reason(case: Case, today: datetime.date | None = None) -> Due | None:
    """Why ``case`` may be destroyed now, or None. Checked again under the row lock."""
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    if case.status != Status.CLOSED or case.route != Route.MELDCODE:
        return None
    if LegalHold.objects.filter(case_id=case.pk, lifted_at__isnull=True).exists():
        return None
    request = (DestructionRequest.objects.filter(pupil_id=case.pupil_id,
                                                 decision=RequestDecision.CARRY_OUT,
                                                 decided_at__gte=case.opened_at)
               .order_by("decided_at", "pk").first())
    if request is not None:
        return Due(Rule.REQUEST, _("Verzoek van de leerling om vernietiging (AVG artikel 17), "
                                   "toegekend op %(date)s.")
                   % {"date": timezone.localdate(request.decided_at).isoformat()},
                   request, None)
    left_on = case.pupil.left_on
    if left_on is None:
        return None
    years = terms_for_boards([case.school.board_id])[case.school.board_id][RecordType.CASE]
    due_on = years_after(left_on, years)
    if due_on > today:
        return None
    return Due(Rule.TERM, _("Bewaartermijn van het schoolbestuur verlopen: %(years)s jaar na "
                            "uitschrijving van de leerling (R36).") % {"years": years},
               None, due_on)


def open_proposals(school_ids) -> QuerySet[DestructionProposal]:
    """Waiting approvals of cases and of loose signals."""
    return (DestructionProposal.objects.filter(school_id__in=school_ids,
                                               state=ProposalState.APPROVED)
            .select_related("case__pupil", "approved_by", "school"))


# --- loose signals ----------------------------------------------------------------------------


def loose_signals() -> QuerySet[Signal]:
    """Signals that never became part of any case and are not the board's.

    Excluded: a signal linked to a case now or ever (``cases.CaseSignal`` or its history: it
    goes with that case, see ``purge._case_signals``), a staff-route signal
    (``staff_suspect``, or used by a staff-route concern: the board's route, as staff-route
    cases are not destroyed here either), and a signal cited in a Veilig Thuis report.
    """
    qs = (Signal.objects.filter(staff_suspect=False)
          .exclude(Exists(CaseSignal.objects.filter(signal_id=OuterRef("pk"))))
          .exclude(Exists(CaseSignal.history.filter(signal_id=OuterRef("pk")))))
    for app, name in (("specialroutes", "StaffConcern"),
                      ("afwegingskader", "VeiligThuisReportSignal")):
        if apps.is_installed(app):
            model = apps.get_model(app, name)
            qs = (qs.exclude(Exists(model.objects.filter(signal_id=OuterRef("pk"))))
                  .exclude(Exists(model.history.filter(signal_id=OuterRef("pk")))))
    return qs


def due_loose_signals(*, school_ids=None, today: datetime.date | None = None) -> QuerySet[Signal]:
    """Loose signals whose term has ended: every pupil linked to the signal has left the
    school (``Pupil.left_on``) and the board's term for loose signals has passed since the
    *last* of them left. Annotated ``last_left`` (date).

    A signal without any pupil link (none left to anchor the term on) is never due: it is
    kept, and not proposed. The app cannot create one (a signal is recorded with at least one
    pupil; only a case's destruction removes a link, from a signal that was in a case).
    """
    today = today or timezone.localdate()
    links = SignalPupil.objects.filter(signal_id=OuterRef("pk"))
    last_left = Subquery(links.order_by("-pupil__left_on").values("pupil__left_on")[:1])
    qs = (loose_signals()
          .filter(Exists(links))
          .exclude(Exists(links.filter(pupil__left_on__isnull=True)))
          .annotate(last_left=last_left)
          .filter(_term_q(today, RecordType.LOOSE_SIGNAL, "last_left")))
    if school_ids is not None:
        qs = qs.filter(school_id__in=school_ids)
    return qs


def signal_due_reason(signal: Signal, today: datetime.date | None = None) -> Due | None:
    """Why the loose ``signal`` may be destroyed now, or None. Checked again under the row
    lock; the same query as the list (``due_loose_signals``), so the two cannot disagree."""
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    last_left = (due_loose_signals(today=today).filter(pk=signal.pk)
                 .values_list("last_left", flat=True).first())
    if last_left is None:
        return None
    board_id = signal.school.board_id
    years = terms_for_boards([board_id])[board_id][RecordType.LOOSE_SIGNAL]
    return Due(Rule.TERM, _("Bewaartermijn van het schoolbestuur verlopen: %(years)s jaar nadat "
                            "de laatste leerling van het signaal is uitgeschreven; het signaal "
                            "is nooit in een dossier opgenomen (R36).") % {"years": years},
               None, years_after(last_left, years))


def signal_for_lead(user, signal_pk: int) -> Signal:
    """A loose signal of one of the user's lead schools; 404 for any other signal (also a
    signal in a case: it goes with its case), 403 without a lead role anywhere."""
    ids = require_lead(user)
    return get_object_or_404(loose_signals().select_related("school"), pk=signal_pk,
                             school_id__in=ids)

"""Reads: which cases and signals a user may see, as querysets filtered in SQL.

Need-to-know (issue #3, domain.md R34):
- IB'er, veiligheidscoördinator and directeur see every Meldcode-route case of their school;
- SOT members see the cases on the agenda of a meeting they attend;
- anyone can be invited into one case (guardian object permission ``view_case``);
- staff-route cases (domain.md §6) are seen only by users assigned to them (guardian), never
  through a school role;
- every branch requires a role in force at the case's school (or, for the staff route, at its
  board): a grant does not outlive the job. Nothing looks at ``is_superuser``.
Views answer 404 for anything outside these querysets.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from core import rawload
from schools.access import active_roles, board_ids_with_perm, permission_id, school_ids_with_perm
from schools.roles import Role
from signals.models import Signal

from .models import Case, CaseSignal, CaseUserObjectPermission, Route, SotDiscussion


def _grant_exists(user, codename: str):
    return Exists(CaseUserObjectPermission.objects.filter(
        content_object_id=OuterRef("pk"), user_id=user.pk,
        permission_id=permission_id("cases", codename)))


def _meetings_attended(user):
    """Ids of the SOT meetings ``user`` attends (the attendee link only, no join)."""
    from .models import SotMeeting

    return SotMeeting.attendees.through.objects.filter(user_id=user.pk).values("sotmeeting_id")


def case_visibility_q(user) -> Q:
    """The condition on ``Case`` rows that ``user`` may see. ``Q(pk__in=[])`` when none."""
    roles = active_roles(user)
    if not roles:
        return Q(pk__in=[])
    school_ids = {r.school_id for r in roles if r.school_id is not None}
    board_ids = {r.board_id for r in roles if r.school_id is None}
    sot_school_ids = {r.school_id for r in roles if r.role == Role.SOT and r.school_id}
    lead_school_ids = school_ids_with_perm(user, "cases.view_school_cases")

    q = Q(route=Route.MELDCODE, school_id__in=lead_school_ids)
    if sot_school_ids:
        q |= Q(route=Route.MELDCODE, school_id__in=sot_school_ids) & Exists(
            SotDiscussion.objects.filter(case_id=OuterRef("pk"),
                                         meeting_id__in=_meetings_attended(user)))
    # Invitations (Meldcode route) and assignments (staff route) are guardian grants.
    q |= Q(route=Route.MELDCODE, school_id__in=school_ids) & _grant_exists(user, "view_case")
    if board_ids:
        q |= Q(route=Route.STAFF, school__board_id__in=board_ids) & _grant_exists(user, "view_case")
    return q


CASE_RELATED = ("school", "pupil", "pupil__school_class", "owner")


def cases_visible_to(user, related=CASE_RELATED) -> QuerySet[Case]:
    """Cases ``user`` may read, with school, pupil and owner preloaded (``related``)."""
    return Case.objects.filter(case_visibility_q(user)).select_related(*related)


def case_get_for_user(user, pk: int, related=CASE_RELATED) -> Case:
    """The case, or 404 when it does not exist *or* the user may not see it (no leak).

    The school's case leads (the first branch of ``case_visibility_q``) are answered with
    that branch alone, a query that is much cheaper to build than the whole condition; any
    other reader, or a lead asking for a case outside that branch, gets the whole condition.
    """
    lead_school_ids = school_ids_with_perm(user, "cases.view_school_cases")
    if lead_school_ids:
        case = _lead_case(pk, lead_school_ids, related)
        if case is not None:
            return case
    return get_object_or_404(cases_visible_to(user, related), pk=pk)


def _lead_case(pk: int, lead_school_ids: set[int], related) -> Case | None:
    """The first branch of ``case_visibility_q`` for one case: ``Case.objects.filter(pk=pk,
    route=Route.MELDCODE, school_id__in=lead_school_ids).select_related(*related).first()``.

    With direct foreign keys only in ``related`` (the case page's ``("pupil",)``), as one
    hand-written query (``core.rawload``): building that queryset costs more CPU than the rest
    of the access check. Equality with the queryset is pinned in ``tests/cases/test_rawload``.
    """
    if any("__" in name for name in related):
        return (Case.objects.filter(pk=pk, route=Route.MELDCODE, school_id__in=lead_school_ids)
                .select_related(*related).first())
    schools = sorted(lead_school_ids)
    where = (f"{rawload.column(Case, 'pk')} = %s AND {rawload.column(Case, 'route')} = %s"
             f" AND {rawload.column(Case, 'school')} IN ({rawload.placeholders(schools)})")
    return rawload.load_one(Case, where, [int(pk), Route.MELDCODE.value, *schools],
                            related=related)


def case_permissions(user, case: Case) -> set[str]:
    """Codenames ``user`` may exercise on ``case`` (``view_case``, ``add_record``, ...).

    Views and templates use this set; they never call ``has_perm`` per object.
    """
    from schools.access import perms_at

    grants = set(CaseUserObjectPermission.objects.filter(
        content_object_id=case.pk, user_id=user.pk).values_list("permission__codename", flat=True))
    if case.route == Route.STAFF:
        # The board route is run only by those assigned to it (domain.md §6).
        if "view_case" not in grants:
            return set()
        if "contribute_case" in grants:
            return {"view_case", "add_record", "advance_case"}
        return {"view_case"}
    at_school = {p.split(".", 1)[1] for p in perms_at(user, case.school) if p.startswith("cases.")}
    if not at_school and not any(r.school_id == case.school_id for r in active_roles(user)):
        return set()
    lead = "view_school_cases" in at_school
    sot = "decide_case" in at_school and _sees_as_sot(user, case)
    perms: set[str] = set()
    if lead or sot or "view_case" in grants:
        perms.add("view_case")
    if lead:
        perms |= at_school - {"decide_case"}
    if sot:
        perms |= {"add_record", "decide_case"}
    if "contribute_case" in grants:
        perms.add("add_record")
    return perms


def _sees_as_sot(user, case: Case) -> bool:
    cache = getattr(user, "_sot_cases", None)
    if cache is None:
        cache = user._sot_cases = {}
    if case.pk not in cache:
        cache[case.pk] = SotDiscussion.objects.filter(case=case, meeting__attendees=user).exists()
    return cache[case.pk]


def signal_visibility_q(user) -> Q:
    """Signals ``user`` may read.

    The recorder sees their own; those who triage (IB'er, veiligheidscoördinator) and the
    directeur see their school's Meldcode-route signals; anyone who may see a case sees the
    signals in it. Staff-suspect signals skip the school: only their recorder and the people
    assigned to the staff-route case see them.
    """
    roles = active_roles(user)
    if not roles:
        return Q(pk__in=[])
    school_ids = {r.school_id for r in roles if r.school_id is not None}
    triage = (school_ids_with_perm(user, "signals.triage_signal")
              | school_ids_with_perm(user, "cases.view_school_cases"))
    q = Q(recorded_by_id=user.pk, school_id__in=school_ids)
    q |= Q(school_id__in=triage, staff_suspect=False)
    q |= Exists(CaseSignal.objects.filter(signal_id=OuterRef("pk"))
                .filter(case__in=Case.objects.filter(case_visibility_q(user))))
    # domain.md §6: the board itself must be informed of a suspicion against staff.
    # Never the accused, even when they hold a board role (R28).
    if staff_board_ids := board_ids_with_perm(user, "cases.view_staff_route"):
        q |= (Q(staff_suspect=True, school__board_id__in=staff_board_ids)
              & ~Q(staff_concern__accused_user_id=user.pk))
    return q


def signals_visible_to(user) -> QuerySet[Signal]:
    return Signal.objects.filter(signal_visibility_q(user)).select_related("school", "recorded_by")


def signal_get_for_user(user, pk: int) -> Signal:
    return get_object_or_404(signals_visible_to(user), pk=pk)

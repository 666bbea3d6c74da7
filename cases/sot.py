"""SOT meetings (schoolondersteuningsteam, Meldcode step 4, R9): who may see them, their
agenda, and the writes (meeting, agenda item, weighing).

Visibility: the school's IB'er, veiligheidscoördinator and directeur (``view_school_cases``
at the school) see every meeting of that school; anyone else with a role at the school sees
only the meetings they attend or chair. On a meeting page each user sees only the agenda items
whose case ``cases_visible_to`` lets them see: SOT members see a case once they attend a
meeting that discusses it (``selectors.case_visibility_q``).
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import rawload
from notifications.models import Kind
from notifications.services import notify
from schools.access import active_roles, perms_at, school_ids_with_perm
from schools.roles import Role

from .models import AccessAction, Case, Route, SotDiscussion, SotMeeting, Status
from .selectors import case_permissions, case_visibility_q
from .services import ServiceError, insert_access_rows, record_save

MANAGE_PERM = "cases.view_school_cases"  # IB'er, veiligheidscoördinator, directeur


def _attends(user):
    return Exists(SotMeeting.attendees.through.objects.filter(
        sotmeeting_id=OuterRef("pk"), user_id=user.pk))


def _meeting_scope(user) -> tuple[set[int], set[int]]:
    """(schools whose every meeting ``user`` sees, schools where they see the meetings they
    attend or chair). Both empty without a role at a school: attending a meeting once gives
    nothing after the job ends."""
    school_ids = {r.school_id for r in active_roles(user) if r.school_id is not None}
    if not school_ids:
        return set(), set()
    return school_ids_with_perm(user, MANAGE_PERM), school_ids


def meeting_visibility_q(user) -> Q:
    """The condition on ``SotMeeting`` rows ``user`` may see. A role at the school is always
    required: attending a meeting once gives nothing after the job ends."""
    lead, school_ids = _meeting_scope(user)
    if not school_ids:
        return Q(pk__in=[])
    return Q(school_id__in=lead) | (Q(school_id__in=school_ids) & (Q(chair_id=user.pk)
                                                                   | _attends(user)))


def meetings_visible_to(user) -> QuerySet[SotMeeting]:
    """Meetings ``user`` may see, with school and chair preloaded."""
    return (SotMeeting.objects.filter(meeting_visibility_q(user))
            .select_related("school", "chair"))


def meeting_get_for_user(user, pk: int) -> SotMeeting:
    """The meeting with school and chair, or 404 when it does not exist or ``user`` may not
    see it: ``get_object_or_404(meetings_visible_to(user), pk=pk)``, as one hand-written query
    (``core.rawload``; building that queryset costs more CPU than the rest of the page on a
    cache hit). The condition is ``meeting_visibility_q``'s; equality with the queryset for
    every user and meeting is pinned in ``tests/cases/test_rawload``."""
    lead, school_ids = _meeting_scope(user)
    if not school_ids:
        raise Http404
    col = functools.partial(rawload.column, SotMeeting)
    link = SotMeeting.attendees.through
    attends = (f"EXISTS (SELECT 1 FROM {rawload.table(link, 'a')}"
               f" WHERE {rawload.column(link, 'sotmeeting', 'a')} = {col('pk')}"
               f" AND {rawload.column(link, 'user', 'a')} = %s)")
    schools = sorted(school_ids)
    visible = (f"({col('school')} IN ({rawload.placeholders(schools)})"
               f" AND ({col('chair')} = %s OR {attends}))")
    params = [int(pk), *schools, user.pk, user.pk]
    if lead:
        leads = sorted(lead)
        visible = f"({col('school')} IN ({rawload.placeholders(leads)}) OR {visible})"
        params[1:1] = leads
    meeting = rawload.load_one(SotMeeting, f"{col('pk')} = %s AND {visible}", params,
                               related=("school", "chair"))
    if meeting is None:
        raise Http404
    return meeting


def can_manage_meetings(user, school) -> bool:
    """Plan and edit the school's SOT meetings: IB'er, veiligheidscoördinator, directeur."""
    return MANAGE_PERM in perms_at(user, school)


def may_use_sot(user) -> bool:
    """Whether the SOT pages are for this user at all (a lead or SOT role somewhere)."""
    return bool(school_ids_with_perm(user, MANAGE_PERM)) or any(
        r.role == Role.SOT for r in active_roles(user))


def meeting_list_for(user) -> QuerySet[SotMeeting]:
    """Visible meetings, newest first, with the number of agenda items (one query)."""
    return (meetings_visible_to(user).annotate(agenda_size=Count("discussions"))
            .order_by("-held_on", "-pk"))


def _visible_discussions(user) -> QuerySet[SotDiscussion]:
    return (SotDiscussion.objects
            .filter(case__in=Case.objects.filter(case_visibility_q(user)))
            .select_related("case", "case__pupil", "case__pupil__school_class", "author")
            .order_by("pk"))


def meeting_agenda(user, meeting: SotMeeting) -> list[SotDiscussion]:
    """The agenda items of ``meeting`` whose case ``user`` may see (one query)."""
    return list(_visible_discussions(user).filter(meeting=meeting))


def log_agenda_access(user, meeting: SotMeeting, case_ids) -> None:
    """One access-log row per case shown on the meeting page (``case_ids``), in one insert."""
    insert_access_rows([(user.pk, meeting.school_id, case_id, SotMeeting._meta.label_lower,
                         meeting.pk, AccessAction.VIEW) for case_id in case_ids])


def weighing_editable_ids(user, meeting: SotMeeting, discussions) -> set[int]:
    """Ids of the agenda items ``user`` may record the weighing of, without a query per item.

    Mirrors ``selectors.case_permissions``: the school's leads hold ``add_record`` on every case;
    an SOT member attending this meeting holds it on the cases it discusses; others only by a
    "contribute" invitation into the case.
    """
    from .models import CaseUserObjectPermission

    at_school = perms_at(user, meeting.school)
    if not discussions:
        return set()
    lead = MANAGE_PERM in at_school and "cases.add_record" in at_school
    attending = any(a.pk == user.pk for a in meeting.attendees.all())
    sot = "cases.decide_case" in at_school and attending
    invited: set[int] = set()
    if not (lead or sot):
        invited = set(CaseUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename="contribute_case",
            content_object_id__in=[d.case_id for d in discussions],
        ).values_list("content_object_id", flat=True))
    return {d.pk for d in discussions
            if d.case.status == Status.OPEN and d.case.route == Route.MELDCODE
            and (lead or sot or d.case_id in invited)}


def meeting_url(meeting: SotMeeting) -> str:
    return reverse("cases:sot_meeting_detail", args=[meeting.pk])


@transaction.atomic
def sot_meeting_save(*, meeting: SotMeeting, attendees, actor, base_version: int | None = None,
                     reason: str = "") -> SotMeeting:
    """Create or change a meeting; the chair always attends. New attendees of a meeting that
    already has cases on its agenda are notified (no content, a link only)."""
    creating = meeting.pk is None
    if creating:
        meeting.created_by = actor
        previous_attendees: set[int] = set()
        previous_date = None
    else:
        previous_attendees = set(meeting.attendees.values_list("pk", flat=True))
        previous_date = SotMeeting.objects.values_list("held_on", flat=True).get(pk=meeting.pk)
    if not creating and not reason.strip():
        raise ServiceError(_("Geef een reden voor de wijziging."))
    record_save(record=meeting, actor=actor, base_version=base_version,
                reason="aangemaakt" if creating else reason.strip())
    wanted = {u.pk: u for u in attendees}
    wanted[meeting.chair_id] = meeting.chair
    if set(wanted) != previous_attendees:
        meeting.attendees.set(list(wanted))
    if not creating:
        discussions = list(meeting.discussions.select_related("case"))
        if previous_date != meeting.held_on:
            for discussion in discussions:  # keep each agenda item's date with the meeting's
                discussion.occurred_on = meeting.held_on
                record_save(record=discussion, actor=actor, reason="datum SOT-overleg gewijzigd")
        new = [u for pk, u in wanted.items() if pk not in previous_attendees and pk != actor.pk]
        if new and discussions:
            notify(users=new, kind=Kind.SOT_AGENDA, url=meeting_url(meeting),
                   school=meeting.school, obj=meeting)
    return meeting


@transaction.atomic
def sot_agenda_add(*, meeting: SotMeeting, case: Case, actor) -> SotDiscussion:
    """Put ``case`` on the agenda of ``meeting`` (an empty weighing) and notify the attendees.

    Only someone who may add records to or advance the case may do this, and only for an open
    Meldcode-route case of the meeting's school.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    errors = []
    if not {"add_record", "advance_case"} & case_permissions(actor, case):
        errors.append(_("U mag dit dossier niet op de agenda van het SOT zetten."))
    if case.status != Status.OPEN:
        errors.append(_("Dit dossier is afgesloten."))
    if case.route != Route.MELDCODE:
        errors.append(_("Een dossier in de route bevoegd gezag wordt niet in het SOT besproken."))
    if case.school_id != meeting.school_id:
        errors.append(_("Dit dossier hoort bij een andere school dan dit overleg."))
    if SotDiscussion.objects.filter(meeting=meeting, case=case).exists():
        errors.append(_("Dit dossier staat al op de agenda van dit overleg."))
    if errors:
        raise ServiceError(errors)
    discussion = SotDiscussion(meeting=meeting, case=case, step=case.step,
                               occurred_on=meeting.held_on, author=actor)
    record_save(record=discussion, actor=actor, reason="op de agenda van het SOT gezet")
    others = [u for u in meeting.attendees.all() if u.pk != actor.pk]
    if others:
        notify(users=others, kind=Kind.SOT_AGENDA, url=meeting_url(meeting),
               school=meeting.school, obj=meeting)
    return discussion


@transaction.atomic
def sot_weighing_save(*, discussion: SotDiscussion, actor, base_version: int,
                      reason: str = "") -> SotDiscussion:
    """Record or change the weighing of one case (nature and severity, risks, approach).

    Raises ``EditConflict`` when someone else saved it since ``base_version``.
    """
    case = Case.objects.select_for_update().get(pk=discussion.case_id)
    if case.status != Status.OPEN:
        raise ServiceError(_("Dit dossier is afgesloten. Heropen het dossier om er iets aan toe "
                             "te voegen of te wijzigen."))
    return record_save(record=discussion, actor=actor, base_version=base_version,
                       reason=reason.strip() or "weging vastgelegd")


def sot_agenda_for(user, *, school=None, limit: int | None = 3) -> list[SotMeeting]:
    """Upcoming meetings (today or later) ``user`` may see, soonest first, each with
    ``.agenda``: the list of its agenda items whose case the user may see, with case, pupil and
    group preloaded. Two queries whatever the number of meetings and cases.

    For the SOT chair's dashboard: ``{% for d in meeting.agenda %}{{ d.case.pupil }}``.
    """
    qs = meetings_visible_to(user).filter(held_on__gte=timezone.localdate())
    if school is not None:
        qs = qs.filter(school_id=getattr(school, "pk", school))
    qs = qs.order_by("held_on", "pk").prefetch_related(
        Prefetch("discussions", queryset=_visible_discussions(user), to_attr="agenda"))
    return list(qs[:limit] if limit else qs)


def next_sot_meeting(user, school) -> SotMeeting | None:
    """The next meeting of ``school`` that ``user`` may see, with ``.agenda`` (see above)."""
    meetings = sot_agenda_for(user, school=school, limit=1)
    return meetings[0] if meetings else None

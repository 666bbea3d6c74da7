"""Selectors for the start page: one panel per role the user holds, at each school.

Every panel reads through the access selectors (``cases_visible_to``, ``signals_visible_to``,
``case_visibility_q``), so nothing of a school where the user holds no role, and no case the
user may not see, can appear. Each selector runs a fixed number of queries whatever the number
of signals, cases or schools: per-school limits use window functions, counts use conditional
aggregates, pupils of signals come from correlated subqueries and all case lists share one
query. ``dashboard_for`` composes them; for a user holding every role the whole page stays
within 17 queries.

The dashboard shows numbers, pupil names, steps and dates, never observation text, and like the
other list pages it writes no access-log rows; opening a case or signal does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Case as SqlCase
from django.db.models import (BooleanField, CharField, Count, DateField, Exists,
                              ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Value,
                              When, Window)
from django.db.models.functions import Coalesce, Concat, RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from afwegingskader.selectors import evaluation_due, feedback_due
from cases.models import (SUPPORT_ROUTE, Case, CaseSignal, CaseUserObjectPermission, Route,
                          Status, Step, SotDiscussion, SotMeeting, VerwijsindexRegistration)
from cases.selectors import case_visibility_q, cases_visible_to, signals_visible_to
from reminders.builtin import is_past_term, past_term_q, term_lengths, with_term_days
from schools.access import active_roles, permission_id, school_ids_with_perm
from schools.models import Membership, Pupil, School
from schools.roles import Role
from signals.models import PupilRole, Signal, SignalPupil

# One source of truth: "too long in one step" follows the school's step terms as the reminders
# decide them (R52: ``with_term_days``, ``past_term_q``); overdue help evaluations and Veilig
# Thuis feedback come from afwegingskader's due-date selectors (R49: ``evaluation_due``,
# ``feedback_due``).

# Verwijsindex registrations whose review date (two years on, R44) falls within this window.
VIR_REVIEW_WITHIN = datetime.timedelta(days=60)
LIST_LIMIT = 10

LEAD_ROLES = {Role.IB, Role.VC}
SCHOOL_ROLES_WITH_SOT_VIEW = {Role.SOT, Role.DIRECTEUR, Role.IB, Role.VC}


def url_or_none(name: str, *args, query: str = "") -> str | None:
    """The URL of ``name`` or None when that page does not exist (yet); never raises."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def first_url(names: list[str], *args) -> str | None:
    for name in names:
        if (url := url_or_none(name, *args)) is not None:
            return url
    return None


def school_year_start(day: datetime.date) -> datetime.date:
    """1 August of the school year ``day`` falls in."""
    return datetime.date(day.year if day.month >= 8 else day.year - 1, 8, 1)


# --- Data shapes ---------------------------------------------------------------------------

@dataclass
class StepRow:
    step: int
    label: str
    support_route: str
    open: int = 0
    overdue: int = 0
    url: str | None = None


@dataclass
class SchoolOverview:
    """What the case leads (IB'er, veiligheidscoördinator) and the directeur see of one school."""

    school: School
    roles: set[str]
    steps: list[StepRow] = field(default_factory=list)
    open_total: int = 0
    overdue_total: int = 0
    acute_total: int = 0
    closed_this_year: int = 0
    triage: list = field(default_factory=list)
    triage_total: int = 0
    overdue: list = field(default_factory=list)
    acute: list = field(default_factory=list)
    verwijsindex: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)
    evaluations_total: int = 0
    feedback: list = field(default_factory=list)
    feedback_total: int = 0

    @property
    def is_lead(self) -> bool:
        return bool(self.roles & LEAD_ROLES)

    @property
    def is_director(self) -> bool:
        return Role.DIRECTEUR in self.roles

    @property
    def show_verwijsindex(self) -> bool:
        return self.is_lead and self.school.verwijsindex_enabled


@dataclass
class Dashboard:
    roles: list[tuple[str, str]]  # (role label, where) for the heading
    can_record_signal: bool = False
    record_signal_url: str | None = None
    cases_url: str | None = None
    teacher: bool = False
    my_signals: list = field(default_factory=list)
    my_signals_url: str | None = None
    invited_cases: list = field(default_factory=list)
    schools: list[SchoolOverview] = field(default_factory=list)
    sot_meetings: list = field(default_factory=list)
    sot_member: bool = False
    admin_schools: list = field(default_factory=list)
    admin_links: list[tuple[str, str]] = field(default_factory=list)
    staff_route: bool = False
    staff_route_cases: list = field(default_factory=list)

    def listed_objects(self) -> list:
        """The cases and signals this page names, for the access log (never counts)."""
        objects = [*self.my_signals, *self.invited_cases, *self.staff_route_cases]
        for overview in self.schools:
            objects += [*overview.triage, *overview.overdue, *overview.acute,
                        *overview.verwijsindex]
            objects += [row.case for row in (*overview.evaluations, *overview.feedback)]
        for meeting in self.sot_meetings:
            objects += [item.case for item in getattr(meeting, "agenda", ())
                        if hasattr(item, "case")]
        return [o for o in objects if isinstance(o, (Case, Signal))]


# --- Selectors -------------------------------------------------------------------------------

def schools_for_dashboard(school_ids: set[int], board_ids: set[int], *,
                          with_counts: bool) -> dict[int, School]:
    """The user's schools and the schools of boards where they hold a board role, by id, with
    board preloaded; with ``with_counts`` each carries ``pupil_count`` (pupils currently
    enrolled) and ``staff_count`` (people with a role in force). One query."""
    qs = School.objects.filter(Q(pk__in=school_ids) | Q(board_id__in=board_ids)).select_related(
        "board").order_by("name", "pk")
    if with_counts:
        today = timezone.localdate()
        pupils = (Pupil.objects.current(today).filter(school_id=OuterRef("pk")).order_by()
                  .values("school_id").annotate(n=Count("pk")).values("n"))
        staff = (Membership.objects.active(today).filter(school_id=OuterRef("pk")).order_by()
                 .values("school_id").annotate(n=Count("user_id", distinct=True)).values("n"))
        qs = qs.annotate(
            pupil_count=Coalesce(Subquery(pupils, output_field=IntegerField()), Value(0)),
            staff_count=Coalesce(Subquery(staff, output_field=IntegerField()), Value(0)))
    return {s.pk: s for s in qs}


def _with_pupils(qs):
    """Annotate signals with the pupil the concern is about (``pupil_name``; the first pupil
    when no one has that role) and how many pupils are in it (``pupil_total``): two correlated
    subqueries instead of a query per signal."""
    links = SignalPupil.objects.filter(signal_id=OuterRef("pk"))
    first = (links.annotate(concerned_first=SqlCase(When(role=PupilRole.CONCERNED, then=Value(0)),
                                                    default=Value(1)),
                            full_name=Concat("pupil__first_name", Value(" "),
                                             "pupil__last_name", output_field=CharField()))
             .order_by("concerned_first", "pk").values("full_name")[:1])
    total = links.order_by().values("signal_id").annotate(n=Count("pk")).values("n")
    return qs.annotate(pupil_name=Subquery(first, output_field=CharField()),
                       pupil_total=Coalesce(Subquery(total, output_field=IntegerField()),
                                            Value(0)))


@dataclass
class SignalLists:
    own: list = field(default_factory=list)
    triage: list = field(default_factory=list)


def signal_lists(user, *, own: bool = False, triage_school_ids: set[int] = frozenset(),
                 limit: int = LIST_LIMIT) -> SignalLists:
    """The signals the panels list, in one query, each with its pupils (``_with_pupils``):

    - ``own``: the last signals ``user`` recorded, with ``status``: "nieuw", "gezien" (the
      IB'er or veiligheidscoördinator acknowledged it) or "dossier" (a case holds it);
    - ``triage``: per school in ``triage_school_ids`` the oldest unacknowledged Meldcode-route
      signals, each with ``school_total``: how many wait at that school.
    """
    kinds = {}
    if own:
        kinds["own"] = (Q(recorded_by_id=user.pk), [],
                        [F("recorded_at").desc(), F("pk").desc()])
    if triage_school_ids:
        kinds["triage"] = (Q(school_id__in=triage_school_ids, acknowledged_at__isnull=True,
                             staff_suspect=False), [F("school_id")],
                           [F("recorded_at").asc(), F("pk").asc()])
    result = SignalLists()
    if not kinds:
        return result
    any_kind, keep, windows = Q(), Q(), {}
    for kind, (condition, partition, order) in kinds.items():
        any_kind |= condition
        flag = ExpressionWrapper(condition, output_field=BooleanField())
        windows[f"{kind}_row"] = Window(RowNumber(), partition_by=[flag, *partition],
                                        order_by=order)
        keep |= condition & Q(**{f"{kind}_row__lte": limit})
    if "triage" in kinds:
        flag = ExpressionWrapper(kinds["triage"][0], output_field=BooleanField())
        windows["school_total"] = Window(Count("pk"), partition_by=[flag, F("school_id")])
    qs = (_with_pupils(signals_visible_to(user).filter(any_kind))
          .annotate(in_case=Exists(CaseSignal.objects.filter(signal_id=OuterRef("pk"))))
          .annotate(**windows).filter(keep).order_by("-recorded_at", "-pk"))
    for signal in qs:
        signal.url = url_or_none("signals:detail", signal.pk)
        signal.status = ("dossier" if signal.in_case
                         else "gezien" if signal.acknowledged_at else "nieuw")
        if own and signal.recorded_by_id == user.pk and signal.own_row <= limit:
            result.own.append(signal)
        if ("triage" in kinds and signal.school_id in triage_school_ids
                and signal.acknowledged_at is None and not signal.staff_suspect
                and signal.triage_row <= limit):
            result.triage.append(signal)
    result.triage.sort(key=lambda s: (s.recorded_at, s.pk))
    return result


def case_counts(user, school_ids: set[int], *, now=None,
                lengths: set[int] | None = None) -> dict[int, dict[int, dict]]:
    """Per school and step: open, overdue (in the step for at least the school's term for it,
    R52) and acute open cases, and cases closed this school year (under the step they were
    closed in). Meldcode route only. One query (two without ``lengths``: ``term_lengths``)."""
    if not school_ids:
        return {}
    now = now or timezone.now()
    past_term = past_term_q(now, term_lengths(school_ids) if lengths is None else lengths)
    year_start = school_year_start(timezone.localdate(now))
    year_start_dt = timezone.make_aware(datetime.datetime.combine(year_start, datetime.time()))
    is_open = Q(status=Status.OPEN)
    rows = (with_term_days(Case.objects.filter(case_visibility_q(user)))
            .filter(school_id__in=school_ids, route=Route.MELDCODE)
            .filter(is_open | Q(status=Status.CLOSED, closed_at__gte=year_start_dt))
            .order_by().values("school_id", "step")
            .annotate(open=Count("pk", filter=is_open),
                      overdue=Count("pk", filter=is_open & past_term),
                      acute=Count("pk", filter=is_open & Q(acute=True)),
                      closed=Count("pk", filter=Q(status=Status.CLOSED))))
    result: dict[int, dict[int, dict]] = {}
    for row in rows:
        result.setdefault(row["school_id"], {})[row["step"]] = row
    return result


@dataclass
class CaseLists:
    invited: list = field(default_factory=list)
    staff_route: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    acute: list = field(default_factory=list)
    verwijsindex: list = field(default_factory=list)


def case_lists(user, *, invited: bool = False, staff_route: bool = False,
               overdue_school_ids: set[int] = frozenset(),
               acute_school_ids: set[int] = frozenset(),
               verwijsindex_school_ids: set[int] = frozenset(), limit: int = LIST_LIMIT,
               now=None, lengths: set[int] | None = None) -> CaseLists:
    """The cases the panels list, in one query:

    - ``invited``: open Meldcode-route cases ``user`` was invited into (a guardian
      ``view_case`` grant), newest first;
    - ``staff_route``: open cases in the board's route (suspected staff member, domain.md §6)
      that ``user`` is assigned to, newest first;
    - ``overdue``: per school in ``overdue_school_ids`` the open cases in their step for at
      least the school's term for that step (R52, as the reminders decide it: ``term_days``),
      longest waiting first; ``lengths`` are the term lengths that can apply
      (``term_lengths``, queried when not given);
    - ``acute``: per school in ``acute_school_ids`` the open cases marked acute;
    - ``verwijsindex``: per school in ``verwijsindex_school_ids`` the cases, open or closed (a
      registration outlives its case, R44), with a Verwijsindex registration not withdrawn
      whose review date falls within ``VIR_REVIEW_WITHIN`` or has passed; ``vir_review_on``
      is the earliest such date, ``vir_overdue`` whether it has passed.

    Up to ``limit`` of each (per school where it says so): each kind is ranked by its own
    window, so many cases of one kind never push out another. Cases carry ``days_in_step``,
    ``term_days`` and ``url``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    granted = Exists(CaseUserObjectPermission.objects.filter(
        content_object_id=OuterRef("pk"), user_id=user.pk,
        permission_id=permission_id("cases", "view_case")))
    vir_due = (VerwijsindexRegistration.objects
               .filter(case_id=OuterRef("pk"), withdrawn_on__isnull=True,
                       review_on__lte=today + VIR_REVIEW_WITHIN)
               .order_by("review_on").values("review_on")[:1])
    open_meldcode = Q(status=Status.OPEN, route=Route.MELDCODE)
    newest = [F("opened_at").desc(), F("pk").desc()]
    longest = [F("step_entered_at").asc(), F("pk").asc()]
    # kind -> (condition, extra partition, ordering, check in Python)
    kinds = {}
    if invited:
        kinds["invited"] = (open_meldcode & Q(granted=True), [], newest,
                            lambda c: c.is_open and c.route == Route.MELDCODE and c.granted)
    if staff_route:
        kinds["staff_route"] = (Q(status=Status.OPEN, route=Route.STAFF), [], newest,
                                lambda c: c.is_open and c.route == Route.STAFF)
    if overdue_school_ids:
        past_term = past_term_q(
            now, term_lengths(overdue_school_ids) if lengths is None else lengths)
        kinds["overdue"] = (
            open_meldcode & Q(school_id__in=overdue_school_ids) & past_term,
            [F("school_id")], longest,
            lambda c: (c.is_open and c.route == Route.MELDCODE
                       and c.school_id in overdue_school_ids
                       and is_past_term(c.step_entered_at, c.term_days, now)))
    if acute_school_ids:
        kinds["acute"] = (
            open_meldcode & Q(school_id__in=acute_school_ids, acute=True), [F("school_id")],
            longest,
            lambda c: (c.is_open and c.route == Route.MELDCODE
                       and c.school_id in acute_school_ids and c.acute))
    if verwijsindex_school_ids:
        kinds["verwijsindex"] = (
            Q(route=Route.MELDCODE, school_id__in=verwijsindex_school_ids,
              vir_review_on__isnull=False), [F("school_id")],
            [F("vir_review_on").asc(), F("pk").asc()],
            lambda c: (c.route == Route.MELDCODE and c.school_id in verwijsindex_school_ids
                       and c.vir_review_on is not None))
    result = CaseLists()
    if not kinds:
        return result
    qs = with_term_days(cases_visible_to(user)).annotate(
        granted=granted, vir_review_on=Subquery(vir_due, output_field=DateField()))
    any_kind, keep, windows = Q(), Q(), {}
    for kind, (condition, partition, order, _check) in kinds.items():
        any_kind |= condition
        flag = ExpressionWrapper(condition, output_field=BooleanField())
        windows[f"{kind}_row"] = Window(RowNumber(), partition_by=[flag, *partition],
                                        order_by=order)
        keep |= condition & Q(**{f"{kind}_row__lte": limit})
    cases = list(qs.filter(any_kind).annotate(**windows).filter(keep)
                 .order_by("school__name", "step_entered_at", "pk"))
    for case in cases:
        case.days_in_step = (now - case.step_entered_at).days
        case.vir_overdue = case.vir_review_on is not None and case.vir_review_on < today
        case.url = url_or_none("cases:detail", case.pk)
        for kind, (_condition, _partition, _order, check) in kinds.items():
            if check(case) and getattr(case, f"{kind}_row") <= limit:
                getattr(result, kind).append(case)
    for kind in ("invited", "staff_route"):
        getattr(result, kind).sort(key=lambda c: (c.opened_at, c.pk), reverse=True)
    result.verwijsindex.sort(key=lambda c: (c.vir_review_on, c.pk))
    return result


@dataclass
class FollowUpLists:
    evaluations: list = field(default_factory=list)
    feedback: list = field(default_factory=list)


def follow_up_lists(user, school_ids: set[int], *, limit: int = LIST_LIMIT,
                    today: datetime.date | None = None) -> FollowUpLists:
    """What is late after step 5 (R49), per school in ``school_ids``, for the cases of the
    open-cases block (open, Meldcode route, visible to ``user``: ``case_visibility_q``):

    - ``evaluations``: help plans whose evaluation date (Q5, R13) has passed while they are not
      evaluated (``evaluation_due``), the longest overdue first;
    - ``feedback``: Veilig Thuis reports whose expected feedback (after the safety assessment
      or the investigation, R22) has not come by its date (``feedback_due``), with
      ``safety_late`` and ``investigation_late`` saying which.

    "Late" is a due date before ``today``: on the date itself nothing is late yet. Each row has
    ``case`` (with ``pupil``), ``case.url`` and ``school_total`` (how many at that school); up
    to ``limit`` per school. One query per list (none without ``school_ids``).
    """
    result = FollowUpLists()
    if not school_ids:
        return result
    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    cases = (Case.objects.filter(case_visibility_q(user))
             .filter(school_id__in=school_ids, status=Status.OPEN, route=Route.MELDCODE)
             .values("pk"))

    def ranked(qs, order):
        return list(
            qs.filter(case__in=cases)
            .select_related("case__pupil")
            .annotate(school_row=Window(RowNumber(), partition_by=[F("case__school_id")],
                                        order_by=order),
                      school_total=Window(Count("pk"), partition_by=[F("case__school_id")]))
            .filter(school_row__lte=limit)
            .order_by(*order))

    result.evaluations = ranked(evaluation_due(yesterday),
                                [F("evaluation_on").asc(), F("pk").asc()])
    result.feedback = ranked(feedback_due(yesterday),
                             [F("safety_feedback_due").asc(), F("pk").asc()])
    for plan in result.evaluations:
        plan.case.url = url_or_none("cases:detail", plan.case_id)
    for report in result.feedback:
        report.case.url = url_or_none("cases:detail", report.case_id)
        report.safety_late = (report.safety_feedback_received_on is None
                              and report.safety_feedback_due is not None
                              and report.safety_feedback_due <= yesterday)
        report.investigation_late = (report.investigation_feedback_received_on is None
                                     and report.investigation_feedback_due is not None
                                     and report.investigation_feedback_due <= yesterday)
    return result


def next_sot_meetings(user, school_ids: set[int]) -> list[SotMeeting]:
    """Per school the next SOT meeting (today or later) that ``user`` chairs or attends, with
    ``agenda``: its discussions of cases the user may see, with case, pupil and group.
    Two queries (none when ``school_ids`` is empty, one when no meeting is planned)."""
    if not school_ids:
        return []
    attends = SotMeeting.attendees.through.objects.filter(sotmeeting_id=OuterRef("pk"),
                                                          user_id=user.pk)
    meetings = list(
        SotMeeting.objects
        .filter(school_id__in=school_ids, held_on__gte=timezone.localdate())
        .filter(Q(chair_id=user.pk) | Exists(attends))
        .select_related("school", "chair")
        .annotate(row=Window(RowNumber(), partition_by=[F("school_id")],
                             order_by=[F("held_on").asc(), F("pk").asc()]))
        .filter(row=1)
        .order_by("held_on", "pk"))
    if not meetings:
        return []
    by_id = {m.pk: m for m in meetings}
    for meeting in meetings:
        meeting.agenda = []
        meeting.url = url_or_none("cases:sot_meeting_detail", meeting.pk)
    discussions = (SotDiscussion.objects
                   .filter(meeting_id__in=list(by_id),
                           case__in=Case.objects.filter(case_visibility_q(user)))
                   .select_related("case", "case__pupil", "case__pupil__school_class")
                   .order_by("pk"))
    for discussion in discussions:
        discussion.case.url = url_or_none("cases:detail", discussion.case_id)
        by_id[discussion.meeting_id].agenda.append(discussion)
    return meetings


# --- Composition -----------------------------------------------------------------------------

def _step_rows(counts: dict[int, dict]) -> list[StepRow]:
    rows = []
    for step in Step:
        row = counts.get(step.value, {})
        rows.append(StepRow(step=step.value, label=step.label,
                            support_route=str(SUPPORT_ROUTE[step]),
                            open=row.get("open", 0), overdue=row.get("overdue", 0),
                            url=url_or_none("cases:list", query=f"step={step.value}")))
    return rows


def dashboard_for(user) -> Dashboard:
    """Everything the start page shows ``user``, panel by panel, for the roles in force.

    Queries, each only when a role calls for it: the user's schools (1), signal lists (1), case
    lists (1), the term lengths in use at the case leads' schools (1), case counts (1),
    overdue evaluations (1) and Veilig Thuis feedback (1), next SOT meetings and their agendas
    (2); plus the role permissions the access selectors read (1, cached on the user).
    """
    roles = active_roles(user)
    school_roles: dict[int, set[str]] = {}
    for r in roles:
        if r.school_id is not None:
            school_roles.setdefault(r.school_id, set()).add(r.role)
    board_roles = {(r.board_id, r.role) for r in roles if r.school_id is None}
    admin_boards = {b for b, role in board_roles if role == Role.BEHEERDER}
    bestuur_boards = {b for b, role in board_roles if role == Role.BESTUUR}

    schools = (schools_for_dashboard(set(school_roles), admin_boards,
                                     with_counts=bool(admin_boards))
               if school_roles or admin_boards else {})
    role_labels = dict(Role.choices)
    boards = {s.board_id: s.board for s in schools.values()}
    dash = Dashboard(roles=[
        (role_labels.get(r.role, r.role),
         str(schools[r.school_id]) if r.school_id in schools
         else str(boards.get(r.board_id, "")))
        for r in sorted(roles, key=lambda r: (r.school_id is None, r.school_id or 0, r.role))])
    if not roles:
        return dash

    # Teacher: own signals and the cases they were invited into.
    dash.can_record_signal = bool(school_ids_with_perm(user, "signals.add_signal"))
    dash.record_signal_url = first_url(["signals:create", "signals:record"])
    dash.teacher = any(Role.LEERKRACHT in rs for rs in school_roles.values())
    if dash.teacher:
        dash.my_signals_url = url_or_none("signals:mine")

    # Case leads (IB'er, veiligheidscoördinator) and directeur, per school; the bestuurder's
    # board route. All case lists in one query.
    lead_ids = {sid for sid, rs in school_roles.items() if rs & LEAD_ROLES}
    director_ids = {sid for sid, rs in school_roles.items() if Role.DIRECTEUR in rs}
    overview_ids = lead_ids | director_ids
    dash.staff_route = bool(bestuur_boards)
    vir_ids = {sid for sid in lead_ids if schools[sid].verwijsindex_enabled}
    lengths = term_lengths(overview_ids) if overview_ids else set()
    lists = case_lists(user, invited=dash.teacher, staff_route=dash.staff_route,
                       overdue_school_ids=lead_ids, acute_school_ids=director_ids,
                       verwijsindex_school_ids=vir_ids, lengths=lengths)
    dash.invited_cases, dash.staff_route_cases = lists.invited, lists.staff_route
    signals = signal_lists(user, own=dash.teacher, triage_school_ids=lead_ids)
    dash.my_signals = signals.own
    if overview_ids:
        dash.cases_url = url_or_none("cases:list")
        counts = case_counts(user, overview_ids, lengths=lengths)
        late = follow_up_lists(user, overview_ids)
        for sid in sorted(overview_ids, key=lambda i: (schools[i].name, i)):
            per_step = counts.get(sid, {})
            overview = SchoolOverview(
                school=schools[sid], roles=school_roles[sid] & (LEAD_ROLES | {Role.DIRECTEUR}),
                steps=_step_rows(per_step),
                open_total=sum(r["open"] for r in per_step.values()),
                overdue_total=sum(r["overdue"] for r in per_step.values()),
                acute_total=sum(r["acute"] for r in per_step.values()),
                closed_this_year=sum(r["closed"] for r in per_step.values()))
            overview.triage = [s for s in signals.triage if s.school_id == sid]
            overview.triage_total = overview.triage[0].school_total if overview.triage else 0
            overview.overdue = [c for c in lists.overdue if c.school_id == sid]
            overview.acute = [c for c in lists.acute if c.school_id == sid]
            overview.verwijsindex = [c for c in lists.verwijsindex if c.school_id == sid]
            overview.evaluations = [p for p in late.evaluations if p.case.school_id == sid]
            overview.evaluations_total = (overview.evaluations[0].school_total
                                          if overview.evaluations else 0)
            overview.feedback = [r for r in late.feedback if r.case.school_id == sid]
            overview.feedback_total = overview.feedback[0].school_total if overview.feedback else 0
            dash.schools.append(overview)

    # SOT chair and members: the next meeting's agenda.
    sot_school_ids = {sid for sid, rs in school_roles.items() if rs & SCHOOL_ROLES_WITH_SOT_VIEW}
    dash.sot_member = any(Role.SOT in rs for rs in school_roles.values())
    dash.sot_meetings = next_sot_meetings(user, sot_school_ids)

    # Beheerder: people and pupils, never case content.
    if admin_boards:
        dash.admin_schools = [s for s in schools.values() if s.board_id in admin_boards]
        for school in dash.admin_schools:
            school.pupils_url = url_or_none("schools:pupil_list", school.pk)
        dash.admin_links = [(label, url) for label, url in [
            (_("Personen en rollen"), url_or_none("schools:people")),
            (_("Scholen en groepen"), url_or_none("schools:school_list")),
            (_("Leerlingen importeren"), url_or_none("schools:pupil_import")),
        ] if url]
    return dash

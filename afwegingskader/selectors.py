"""Reads of step 5 and its follow-through.

Access is decided by ``cases.selectors`` (``case_get_for_user`` / ``case_permissions``); the
functions here take a case the caller may already see, or scan due dates for the reminders
(which then notify people who may see the case, with no content in the message).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.models import Case, Status
from cases.timeline import case_signals
from schools.models import Membership
from schools.roles import Role

from .models import (AftercareNote, Assessment, BottleneckNote, Decision, Evaluation,
                     FollowUpAction, HelpPlan, InformationRequest, MonitoringAgreement,
                     VeiligThuisReport)

# --- one case -------------------------------------------------------------------------------


def assessment_for(case: Case) -> Assessment | None:
    """The afwegingskader of the case's current cycle, or None when not started."""
    return (Assessment.objects.filter(case_id=case.pk, cycle=case.cycle)
            .select_related("updated_by").first())


def decisions_for(case: Case, cycle: int | None = None) -> list[Decision]:
    """Decisions of the (current) cycle, oldest first; the last one is in force."""
    return list(Decision.objects.filter(case_id=case.pk, cycle=cycle or case.cycle)
                .select_related("author", "reporter", "parents_informer", "sot_meeting")
                .order_by("created_at", "pk"))


def latest_decision(case: Case) -> Decision | None:
    return (Decision.objects.filter(case_id=case.pk, cycle=case.cycle)
            .select_related("reporter", "parents_informer").order_by("-created_at", "-pk")
            .first())


def reports_for(case: Case, cycle: int | None = None, *, with_parts: bool = False
                ) -> list[VeiligThuisReport]:
    """Reports of the (current) cycle with the reporter; with ``with_parts`` also their
    feedback and role agreements (two more queries)."""
    qs = (VeiligThuisReport.objects.filter(case_id=case.pk, cycle=cycle or case.cycle)
          .select_related("reporter").order_by("reported_at", "pk"))
    if with_parts:
        qs = qs.prefetch_related("feedback", "role_agreements")
    return list(qs)


def help_plan_for(case: Case) -> HelpPlan | None:
    return (HelpPlan.objects.filter(case_id=case.pk, cycle=case.cycle)
            .select_related("coordinator").first())


@dataclass
class CaseFlags:
    """What the signals of a case say for step 5: disclosure (R18) and honour-related (R17)."""

    disclosure_dates: list[datetime.date] = field(default_factory=list)
    honour_related: bool = False
    acute_danger: bool = False

    @property
    def disclosure(self) -> bool:
        return bool(self.disclosure_dates)


def case_flags(case: Case) -> CaseFlags:
    """One query over the case's signals."""
    from signals.models import Category, Signal

    flags = CaseFlags()
    rows = (Signal.objects.filter(case_links__case_id=case.pk)
            .filter(Q(disclosure=True) | Q(category=Category.HONOUR) | Q(acute_danger=True))
            .values_list("disclosure", "category", "acute_danger", "observed_on")
            .order_by("observed_on"))
    for disclosure, category, acute, observed_on in rows:
        if disclosure:
            flags.disclosure_dates.append(observed_on)
        if category == Category.HONOUR:
            flags.honour_related = True
        if acute:
            flags.acute_danger = True
    return flags


def school_staff(school_id: int) -> dict[int, dict]:
    """Users with a role in force at the school: ``{user_id: {"user", "roles", "label"}}``.

    Roles are the display labels (for the "who decided" snapshot, R15). One query.
    """
    staff: dict[int, dict] = {}
    rows = (Membership.objects.active().filter(school_id=school_id)
            .exclude(role__in=Role.board_level()).select_related("user")
            .order_by("user__last_name", "user__first_name", "user_id"))
    for m in rows:
        if not m.user.is_active:
            continue
        entry = staff.setdefault(m.user_id, {"user": m.user, "roles": [], "role_codes": []})
        entry["roles"].append(str(m.get_role_display()))
        entry["role_codes"].append(m.role)
        if m.external_function:
            entry["roles"].append(str(m.get_external_function_display()))
    for entry in staff.values():
        user = entry["user"]
        entry["name"] = user.get_full_name() or user.username
        entry["label"] = f"{entry['name']} ({', '.join(entry['roles'])})"
    return staff


def case_sot_meetings(case: Case):
    """SOT meetings where this case was on the agenda, newest first (for the decision form)."""
    from cases.models import SotMeeting

    return (SotMeeting.objects.filter(school_id=case.school_id,
                                      discussions__case_id=case.pk)
            .order_by("-held_on", "-pk").distinct())


def followup_for(case: Case) -> dict:
    """The follow-up records of the current cycle for the overview page, in two queries:
    the actions, and one UNION of evaluations, aftercare notes, monitoring agreements,
    bottleneck notes and information given on request (read-only rows with the attributes
    the page shows, display values resolved)."""
    from types import SimpleNamespace

    from django.db.models import CharField, DateField, IntegerField, Value
    from django.db.models.functions import Cast

    from .models import BottleneckTheme, EvaluationOutcome, LegalBasis

    base = {"case_id": case.pk, "cycle": case.cycle}

    # Fresh expressions for every column (a shared expression object can be collapsed into one
    # select column), and only annotations in ``values_list`` so every part of the UNION has
    # the same columns in the same order.
    def none_date():
        # A typed NULL: PostgreSQL resolves UNION column types pair by pair, and two bare
        # NULLs become text, which no longer matches a date column further on.
        return Cast(Value(None), output_field=DateField())

    def empty():
        return Value("", output_field=CharField())

    def rows(model, kind, day, title, text, code, extra_day):
        version = (F("lock_version") if kind == "monitoring"
                   else Value(0, output_field=IntegerField()))
        return (model.objects.filter(**base).order_by()
                .annotate(k=Value(kind, output_field=CharField()), i=F("pk"), d=day, t=title,
                          x=text, c=code, e=extra_day, v=version, m=F("created_at"))
                .values_list("k", "i", "d", "t", "x", "c", "e", "v", "m"))

    union = rows(Evaluation, "evaluation", F("evaluated_on"), empty(), F("note"), F("outcome"),
                 none_date()).union(
        rows(AftercareNote, "aftercare", F("occurred_on"), empty(), F("note"), empty(),
             none_date()),
        rows(MonitoringAgreement, "monitoring", F("agreed_on"), F("parties"), F("agreement"),
             empty(), F("review_on")),
        rows(BottleneckNote, "bottleneck", none_date(), empty(), F("note"), F("theme"),
             none_date()),
        rows(InformationRequest, "info", F("given_on"), F("requested_by"),
             F("information_given"), F("legal_basis"), none_date()),
        all=True)
    out = {"evaluations": [], "aftercare": [], "monitoring": [], "bottlenecks": [],
           "info_requests": []}
    outcomes, themes, bases = (dict(EvaluationOutcome.choices), dict(BottleneckTheme.choices),
                               dict(LegalBasis.choices))
    for kind, pk, day, title, text, code, extra_day, version, created in sorted(
            union, key=lambda r: (r[2] or r[8].date(), r[8])):
        if kind == "evaluation":
            out["evaluations"].append(SimpleNamespace(
                pk=pk, evaluated_on=day, note=text, outcome=code,
                get_outcome_display=outcomes.get(code, code)))
        elif kind == "aftercare":
            out["aftercare"].append(SimpleNamespace(pk=pk, occurred_on=day, note=text))
        elif kind == "monitoring":
            out["monitoring"].append(SimpleNamespace(pk=pk, agreed_on=day, parties=title,
                                                     agreement=text, review_on=extra_day,
                                                     lock_version=version))
        elif kind == "bottleneck":
            out["bottlenecks"].append(SimpleNamespace(pk=pk, note=text, theme=code,
                                                      get_theme_display=themes.get(code, code)))
        else:
            out["info_requests"].append(SimpleNamespace(
                pk=pk, given_on=day, requested_by=title, information_given=text,
                legal_basis=code, get_legal_basis_display=bases.get(code, code)))
    out["actions"] = list(FollowUpAction.objects.filter(**base).select_related("owner")
                          .order_by("due_on", "pk"))
    return out


def case_signal_list(case: Case) -> list:
    """The case's signals with their current text (``latest_version``); one query."""
    return case_signals(case)


# --- due dates (scanned by the reminders) --------------------------------------------------


def _open_case_q() -> Q:
    # Only open cases, and only their current cycle: due dates of an earlier cycle are history.
    return Q(case__status=Status.OPEN, cycle=F("case__cycle"))


def feedback_due(on: datetime.date | None = None) -> QuerySet[VeiligThuisReport]:
    """Reports whose expected Veilig Thuis feedback is due on or before ``on`` (default today)
    and not yet received: after the safety assessment, or after an investigation (R22).

    Which feedback is due shows in the two due/received column pairs; both partial indexes
    serve this query. Only the current cycle of open cases.
    """
    on = on or timezone.localdate()
    return (VeiligThuisReport.objects
            .filter(Q(safety_feedback_received_on__isnull=True, safety_feedback_due__lte=on)
                    | Q(investigation_feedback_received_on__isnull=True,
                        investigation_feedback_due__lte=on))
            .filter(_open_case_q())
            .select_related("case", "reporter")
            .order_by("safety_feedback_due", "pk"))


def evaluation_due(on: datetime.date | None = None) -> QuerySet[HelpPlan]:
    """Help plans whose evaluation date (Q5 due, R13) is on or before ``on`` and that are not
    evaluated yet, in the current cycle of open cases."""
    on = on or timezone.localdate()
    return (HelpPlan.objects.filter(completed_on__isnull=True, evaluation_on__lte=on)
            .filter(_open_case_q()).select_related("case", "coordinator")
            .order_by("evaluation_on", "pk"))


def actions_due(on: datetime.date | None = None) -> QuerySet[FollowUpAction]:
    """Follow-up actions due on or before ``on`` and not done, in the current cycle of open
    cases (R40)."""
    on = on or timezone.localdate()
    return (FollowUpAction.objects.filter(done_on__isnull=True, due_on__lte=on)
            .filter(_open_case_q()).select_related("case", "owner")
            .order_by("due_on", "pk"))


# --- existence checks used by the workflow guards ------------------------------------------


def went_through_help_path(case: Case) -> bool:
    """Whether the current cycle took the help path: a decision that organises help, or a
    help plan. One query."""
    return Case.objects.filter(pk=case.pk).filter(
        Exists(Decision.objects.filter(case_id=OuterRef("pk"), cycle=case.cycle,
                                       choice__in=["hulp_organiseren", "beide"]))
        | Exists(HelpPlan.objects.filter(case_id=OuterRef("pk"), cycle=case.cycle))).exists()

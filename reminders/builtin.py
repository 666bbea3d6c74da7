"""The due moments of the apps that exist, registered by ``RemindersConfig.ready``.

Each function reads another app's models (allowed: reminders depends on them, never the
other way round) in one ``values_list`` query over an indexed due column, and yields only
unresolved causes. Sources for optional apps (afwegingskader, specialroutes) are registered
only when the app is installed and its model has the columns read here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case as SqlCase
from django.db.models import F, FilteredRelation, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Regie, Route, Status, VerwijsindexMatch, VerwijsindexRegistration
from notifications.models import Kind
from schools.roles import Role
from signals.models import Signal

from .models import DEFAULT_STEP_TERMS, StepTerm
from .sources import Due, Source, register
from .workdays import add_working_days_at

logger = logging.getLogger(__name__)

#: Escalation levels of a step term (R52): 1 the owner, 2 the veiligheidscoördinator(s),
#: 3 the directeur(s), each one term after the previous level.
ESCALATION_ROLES = {2: (Role.VC,), 3: (Role.DIRECTEUR,)}
#: Roles through which someone can own (casusregisseur) a case: the school's case leads, and
#: for the board route the bestuurder. Anyone else no longer sees the case, so gets nothing.
CASE_LEAD_ROLES = (Role.IB, Role.VC, Role.DIRECTEUR, Role.BESTUUR)
#: "Not acknowledged within two school days" (issue 5).
SIGNAL_ACK_WORKING_DAYS = 2
#: R44: remind to review or withdraw a Verwijsindex signal this long before ``review_on``.
VIR_REVIEW_NOTICE = datetime.timedelta(days=30)
#: R44: a match whose regievoerder is still not recorded this many working days after the
#: match notice is brought to the case owner's (and the match's author's) attention.
VIR_REGIE_WORKING_DAYS = 10
#: R5: remind the caller this long before the retrospective entry is due (24 h after the
#: call); when it is overdue, the directeur hears of it.
ACUTE_NOTICE = datetime.timedelta(hours=6)

_PLACEHOLDER = 987654321


class UrlPattern:
    """``reverse()`` once, then format ids into it (no URL resolving per row)."""

    def __init__(self, name: str, nargs: int = 1):
        self.name, self.nargs = name, nargs
        self._pattern: str | None = None

    def __call__(self, *ids: int) -> str:
        if self._pattern is None:
            raw = reverse(self.name, args=[_PLACEHOLDER + i for i in range(self.nargs)])
            for i in range(self.nargs):
                raw = raw.replace(str(_PLACEHOLDER + i), "{%d}" % i)
            self._pattern = raw
        return self._pattern.format(*ids)

    def available(self) -> bool:
        try:
            self(*range(1, self.nargs + 1))
        except NoReverseMatch:
            return False
        return True


case_url = UrlPattern("cases:detail")
signal_url = UrlPattern("signals:detail")
vir_url = UrlPattern("cases:vir_detail", nargs=2)


def start_of(day: datetime.date) -> datetime.datetime:
    """A date as the aware moment its day starts (the occurrence of a date-column cause)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- cases: too long in one step (R52) ---------------------------------------------------------


def with_term_days(cases):
    """Annotate ``term_days``: the school's term for the case's current step, else the
    default. A LEFT JOIN on the school's terms (one hash join), not a subquery per row."""
    default = SqlCase(*[When(step=step, then=Value(days))
                        for step, days in DEFAULT_STEP_TERMS.items()],
                      default=Value(max(DEFAULT_STEP_TERMS.values())), output_field=IntegerField())
    return (cases.annotate(own_term=FilteredRelation(
                "school__step_terms", condition=Q(school__step_terms__step=F("step"))))
            .annotate(term_days=Coalesce(F("own_term__days"), default)))


def term_lengths(school_ids: Iterable[int] | None = None) -> set[int]:
    """The term lengths in days that can apply: the defaults and the schools' own terms (of
    ``school_ids`` only, when given). One query."""
    terms = StepTerm.objects.all()
    if school_ids is not None:
        terms = terms.filter(school_id__in=list(school_ids))
    return set(DEFAULT_STEP_TERMS.values()) | set(
        terms.order_by().values_list("days", flat=True).distinct())


def past_term_q(now: datetime.datetime, lengths: Iterable[int]) -> Q:
    """The condition on cases annotated by ``with_term_days``: in their current step for at
    least one term at ``now``. ``lengths`` must hold every ``term_days`` that can occur
    (``term_lengths``); comparing per length keeps the date arithmetic portable."""
    overdue = Q(pk__in=[])
    for days in sorted(set(lengths)):
        overdue |= Q(term_days=days, step_entered_at__lte=now - datetime.timedelta(days=days))
    return overdue


def is_past_term(step_entered_at: datetime.datetime, term_days: int,
                 now: datetime.datetime) -> bool:
    """``past_term_q`` for one case in Python."""
    return step_entered_at + datetime.timedelta(days=term_days) <= now


def step_term_due(now: datetime.datetime) -> Iterator[Due]:
    """Open cases in their current step for longer than the term: level 1 after one term to
    the owner, level 2 after two terms to the veiligheidscoördinator(s), level 3 after three
    to the directeur(s). The board route (domain.md §6) stays with its owner: the school's
    roles never hear of it (R28).

    Two queries: the distinct term lengths in use, then the due cases. Comparing per term
    length keeps the date arithmetic portable (no interval maths in SQL) and lets the database
    pre-filter on ``step_entered_at`` before it joins the terms.
    """
    rows = (with_term_days(Case.objects.filter(status=Status.OPEN))
            .filter(past_term_q(now, term_lengths())).order_by()
            .values_list("pk", "school_id", "step_entered_at", "term_days", "owner_id", "route"))
    for pk, school_id, entered, days, owner_id, route in rows:
        term = datetime.timedelta(days=days)
        url = case_url(pk)
        yield Due(pk, school_id, entered, entered + term, url, level=1, users=(owner_id,),
                  kind=Kind.STEP_TERM)
        if route != Route.MELDCODE:
            continue
        for level, roles in ESCALATION_ROLES.items():
            due_at = entered + level * term
            if due_at > now:
                break
            yield Due(pk, school_id, entered, due_at, url, level=level, roles=roles,
                      kind=Kind.STEP_ESCALATION)


# --- signals: not acknowledged within two school days ----------------------------------------


def signal_ack_due(now: datetime.datetime) -> Iterator[Due]:
    """New signals no IB'er or veiligheidscoördinator marked as seen within two working days.

    The SQL bound (two calendar days, partial index ``signal_unacknowledged``) is safe
    because two working days are never shorter; the exact check skips weekends and Dutch
    holidays. Suspected-staff signals go to the board, not to the school (§6): excluded.
    """
    rows = (Signal.objects.filter(acknowledged_at__isnull=True, staff_suspect=False,
                                  recorded_at__lte=now - datetime.timedelta(
                                      days=SIGNAL_ACK_WORKING_DAYS))
            .values_list("pk", "school_id", "recorded_at", "recorded_by_id"))
    for pk, school_id, recorded_at, recorder in rows:
        due_at = add_working_days_at(recorded_at, SIGNAL_ACK_WORKING_DAYS)
        if due_at <= now:
            yield Due(pk, school_id, recorded_at, due_at, signal_url(pk),
                      roles=(Role.IB, Role.VC), exclude_user=recorder)


# --- cases: Verwijsindex review (R44) ----------------------------------------------------------


def vir_review_due(now: datetime.datetime) -> Iterator[Due]:
    """Verwijsindex registrations not withdrawn whose review date is within 30 days."""
    today = timezone.localdate(now)
    rows = (VerwijsindexRegistration.objects
            .filter(withdrawn_on__isnull=True, review_on__lte=today + VIR_REVIEW_NOTICE)
            .values_list("pk", "case_id", "case__school_id", "review_on", "case__owner_id"))
    for pk, case_id, school_id, review_on, owner_id in rows:
        yield Due(pk, school_id, start_of(review_on), start_of(review_on - VIR_REVIEW_NOTICE),
                  vir_url(case_id, pk), users=(owner_id,))


def vir_regie_due(now: datetime.datetime) -> Iterator[Due]:
    """Matches in the Verwijsindex without a recorded regievoerder ten working days after the
    match notice, on a registration that is not withdrawn: to the case owner and to whoever
    recorded the match (if they still hold a case-lead role). Resolved by recording the
    regievoerder, or by withdrawing the registration.

    The SQL bound (ten calendar days, partial index ``vir_match_regie_open``) is safe because
    ten working days are never shorter; the exact check skips weekends and holidays.
    """
    cutoff = timezone.localdate(now) - datetime.timedelta(days=VIR_REGIE_WORKING_DAYS)
    rows = (VerwijsindexMatch.objects
            .filter(regie=Regie.PENDING, notified_on__lte=cutoff,
                    registration__withdrawn_on__isnull=True)
            .values_list("pk", "case_id", "registration_id", "case__school_id", "notified_on",
                         "case__owner_id", "author_id"))
    for pk, case_id, registration_id, school_id, notified_on, owner_id, author_id in rows:
        occurrence = start_of(notified_on)
        due_at = add_working_days_at(occurrence, VIR_REGIE_WORKING_DAYS)
        if due_at <= now:
            yield Due(pk, school_id, occurrence, due_at,
                      vir_url(case_id, registration_id) + f"#match-{pk}",
                      users=tuple(dict.fromkeys((owner_id, author_id))))


# --- afwegingskader: Veilig Thuis feedback, help evaluation, follow-up (R13, R22, R40) -------


def _current_open_cycle() -> Q:
    # A reopened case starts a new cycle (R3): due dates of an earlier cycle are history.
    return Q(case__status=Status.OPEN, cycle=F("case__cycle"))


def _date_due(model, *, date_field: str, resolved: Q, extra: Q = Q(), users: tuple[str, ...],
              open_cycle: bool = True):
    """A due source over a date column of a case-cycle model: due on or after the date."""

    def due(now: datetime.datetime) -> Iterator[Due]:
        today = timezone.localdate(now)
        qs = model.objects.filter(resolved, extra, **{f"{date_field}__lte": today})
        if open_cycle:
            qs = qs.filter(_current_open_cycle())
        for pk, case_id, school_id, day, *people in qs.values_list(
                "pk", "case_id", "case__school_id", date_field, *users):
            moment = start_of(day)
            yield Due(pk, school_id, moment, moment, case_url(case_id),
                      users=tuple(dict.fromkeys(p for p in people if p)))

    return due


def _has_fields(model, *names: str) -> bool:
    try:
        for name in names:
            model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def register_afwegingskader() -> list[str]:
    if not apps.is_installed("afwegingskader"):
        return []
    names = []
    try:
        report = apps.get_model("afwegingskader", "VeiligThuisReport")
        plan = apps.get_model("afwegingskader", "HelpPlan")
        action = apps.get_model("afwegingskader", "FollowUpAction")
        monitoring = apps.get_model("afwegingskader", "MonitoringAgreement")
    except LookupError:
        logger.warning("reminders: afwegingskader models not found, no sources registered")
        return []
    if _has_fields(report, "case", "cycle", "reporter", "safety_feedback_due",
                   "safety_feedback_received_on", "investigation_feedback_due",
                   "investigation_feedback_received_on"):
        names.append(register(Source(
            name="vt_safety_feedback",
            label=_("Terugkoppeling Veilig Thuis na de veiligheidsbeoordeling"),
            kind=Kind.VT_FEEDBACK, object_type="afwegingskader.veiligthuisreport",
            due=_date_due(report, date_field="safety_feedback_due",
                          resolved=Q(safety_feedback_received_on__isnull=True),
                          users=("case__owner_id", "reporter_id")),
            user_roles=CASE_LEAD_ROLES, rule="R22",
            description=_("Vijf werkdagen na de melding, aan de casusregisseur en de melder."),
        )).name)
        names.append(register(Source(
            name="vt_investigation_feedback", label=_("Terugkoppeling Veilig Thuis na onderzoek"),
            kind=Kind.VT_FEEDBACK, object_type="afwegingskader.veiligthuisreport",
            due=_date_due(report, date_field="investigation_feedback_due",
                          resolved=Q(investigation_feedback_received_on__isnull=True),
                          extra=Q(investigation_feedback_due__isnull=False),
                          users=("case__owner_id", "reporter_id")),
            user_roles=CASE_LEAD_ROLES, rule="R22",
            description=_("Op de verwachte einddatum van het onderzoek, aan de casusregisseur "
                          "en de melder."),
        )).name)
    if _has_fields(plan, "case", "cycle", "evaluation_on", "completed_on", "coordinator"):
        names.append(register(Source(
            name="help_evaluation", label=_("Evaluatie van de hulp (vraag 5)"),
            kind=Kind.HELP_EVALUATION, object_type="afwegingskader.helpplan",
            due=_date_due(plan, date_field="evaluation_on", resolved=Q(completed_on__isnull=True),
                          users=("coordinator_id", "case__owner_id")),
            rule="R13",
            description=_("Op de evaluatiedatum, aan de zorgcoördinator en de casusregisseur."),
        )).name)
    if _has_fields(action, "case", "cycle", "due_on", "done_on", "owner"):
        names.append(register(Source(
            name="follow_up_action", label=_("Acties in de volgfase"),
            kind=Kind.FOLLOW_UP, object_type="afwegingskader.followupaction",
            due=_date_due(action, date_field="due_on", resolved=Q(done_on__isnull=True),
                          users=("owner_id",)),
            rule="R40", description=_("Op de uiterste datum, aan de uitvoerder."),
        )).name)
    if _has_fields(monitoring, "case", "cycle", "review_on"):
        # Monitoring agreements outlive the case (R41): no open-case filter. There is no
        # "reviewed" column, so moving ``review_on`` is what resolves it.
        names.append(register(Source(
            name="monitoring_review", label=_("Nazorg: afspraken over monitoring bekijken"),
            kind=Kind.MONITORING_REVIEW, object_type="afwegingskader.monitoringagreement",
            due=_date_due(monitoring, date_field="review_on",
                          resolved=Q(review_on__isnull=False), users=("case__owner_id",),
                          open_cycle=False),
            user_roles=CASE_LEAD_ROLES, rule="R40, R41",
            description=_("Op de datum waarop de afspraken opnieuw worden bekeken, aan de "
                          "casusregisseur."),
        )).name)
    return names


# --- specialroutes: the retrospective after an acute call (R5) --------------------------------


def register_specialroutes() -> list[str]:
    if not apps.is_installed("specialroutes"):
        return []
    try:
        call = apps.get_model("specialroutes", "AcuteCall")
    except LookupError:
        return []
    if not _has_fields(call, "case", "school", "called_by", "retrospective_due_at",
                       "retrospective_entered_at"):
        return []
    retrospective_url = UrlPattern("specialroutes:acute_retrospective")

    def acute_due(now: datetime.datetime) -> Iterator[Due]:
        """Level 1 to the caller six hours before the 24-hour deadline; level 2 to the
        directeur(s) once it has passed. Resolved by the retrospective entry."""
        rows = (call.objects.filter(retrospective_entered_at__isnull=True,
                                    retrospective_due_at__lte=now + ACUTE_NOTICE)
                .values_list("pk", "case_id", "school_id", "retrospective_due_at",
                             "called_by_id"))
        # The retrospective form when specialroutes' URLs are included, else the case page.
        direct = retrospective_url.available()
        for pk, case_id, school_id, due_at, caller in rows:
            url = retrospective_url(pk) if direct else case_url(case_id)
            yield Due(pk, school_id, due_at, due_at - ACUTE_NOTICE, url, users=(caller,))
            if due_at <= now:
                yield Due(pk, school_id, due_at, due_at, url, level=2, roles=(Role.DIRECTEUR,))

    register(Source(
        name="acute_retrospective", label=_("Terugblik na acuut gevaar"),
        kind=Kind.ACUTE_RETROSPECTIVE, object_type="specialroutes.acutecall", due=acute_due,
        rule="R5", description=_("Zes uur voor de termijn van 24 uur aan wie belde; daarna aan "
                                 "de directeur.")))
    return ["acute_retrospective"]


def register_builtin() -> list[str]:
    """Register every source this app knows about; returns their names."""
    register(Source(
        name="step_term", label=_("Dossier langer in een stap dan de termijn"),
        kind=Kind.STEP_TERM, object_type="cases.case", due=step_term_due,
        user_roles=CASE_LEAD_ROLES, rule="R52",
        description=_("Na één termijn aan de casusregisseur, na twee termijnen aan de "
                      "veiligheidscoördinator, na drie aan de directeur.")))
    register(Source(
        name="signal_unacknowledged", label=_("Signaal niet gezien binnen twee schooldagen"),
        kind=Kind.SIGNAL_UNSEEN, object_type="signals.signal", due=signal_ack_due,
        rule=_("stap 1"),
        description=_("Aan de IB'ers en veiligheidscoördinatoren van de school.")))
    register(Source(
        name="vir_review", label=_("Verwijsindex: herbeoordelen of intrekken"),
        kind=Kind.VIR_REVIEW, object_type="cases.verwijsindexregistration", due=vir_review_due,
        user_roles=CASE_LEAD_ROLES, rule="R44",
        description=_("Dertig dagen voor de herbeoordelingsdatum, aan de casusregisseur.")))
    register(Source(
        name="vir_regie", label=_("Verwijsindex: regievoerder na een match vastleggen"),
        # The generic text: a kind of its own would change the notifications' choices.
        kind=Kind.REMINDER, object_type="cases.verwijsindexmatch", due=vir_regie_due,
        user_roles=CASE_LEAD_ROLES, rule="R44",
        description=_("Tien werkdagen na een match zonder vastgelegde regievoerder, aan de "
                      "casusregisseur en wie de match vastlegde.")))
    names = ["step_term", "signal_unacknowledged", "vir_review", "vir_regie"]
    names += register_afwegingskader()
    names += register_specialroutes()
    return names

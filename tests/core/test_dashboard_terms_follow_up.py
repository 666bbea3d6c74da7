"""The dashboard follows the school's step terms (R52) and lists overdue help evaluations and
overdue Veilig Thuis feedback (R49): per school, scoped like the open-cases block, a bounded
number of queries, and never stale from the fragment cache."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from afwegingskader.models import HelpPlan, VeiligThuisReport
from cases.models import Case, CloseReason, Status, Step
from core.dashboard import dashboard_for, follow_up_lists
from reminders.builtin import step_term_due
from reminders.models import DEFAULT_STEP_TERMS
from reminders.services import step_terms_save
from schools.roles import Role
from tests.factories import staff

from .test_dashboard import count_queries, make_case, page, pupil_at

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SIGNALEN_TERM = DEFAULT_STEP_TERMS[Step.SIGNALEN]


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def beheerder(school):
    return staff(Role.BEHEERDER, school, username="beheerder")


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def help_plan(case, author, *, evaluation_on, completed_on=None):
    return HelpPlan.objects.create(
        case=case, cycle=case.cycle, author=author, help_description="Hulp thuis.",
        coordinator=author, expected_results="Rust in huis.",
        period_start=evaluation_on - datetime.timedelta(days=60),
        period_end=evaluation_on, evaluation_on=evaluation_on, completed_on=completed_on)


def vt_report(case, author, *, safety_due, safety_received=None, investigation_due=None):
    return VeiligThuisReport.objects.create(
        case=case, cycle=case.cycle, author=author, reporter=author,
        reported_at=timezone.now() - datetime.timedelta(days=30), channel="anders",
        steps_taken="Gesprek met ouders.", parents_informed=True,
        parents_informed_how="In een gesprek op school.",
        safety_feedback_due=safety_due, safety_feedback_received_on=safety_received,
        investigation_feedback_due=investigation_due)


# --- R52: the school's step terms ---------------------------------------------------------------

def test_each_school_uses_its_own_step_term(verified_client, school, other_school, teacher, ib,
                                            beheerder):
    """20 days in step 1: over the default term (14) at one school, within the other school's
    own term (30). The dashboard and the reminders agree."""
    step_terms_save(school=other_school, terms={Step.SIGNALEN: 30}, actor=beheerder)
    other_teacher = staff(Role.LEERKRACHT, other_school, username="lk2")
    other_ib = staff(Role.IB, other_school, username="ib2")
    late = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Overtijd"),
                     at=days_ago(SIGNALEN_TERM + 6))
    within = make_case(other_school, other_ib, other_teacher,
                       pupil=pupil_at(other_school, last_name="Optijd"),
                       at=days_ago(SIGNALEN_TERM + 6))

    overview = dashboard_for(ib).schools[0]
    assert [c.pk for c in overview.overdue] == [late.pk]
    assert overview.overdue[0].term_days == SIGNALEN_TERM
    assert overview.overdue_total == 1
    other = dashboard_for(other_ib).schools[0]
    assert other.overdue == [] and other.overdue_total == 0
    # One source of truth: the reminders see exactly the same cases as overdue.
    reminded = {due.object_id for due in step_term_due(timezone.now()) if due.level == 1}
    assert reminded == {late.pk}
    assert within.pk not in reminded

    html = page(verified_client, ib)
    assert "Langer in dezelfde stap dan de termijn van de school" in html
    assert f"(termijn {SIGNALEN_TERM} dagen)" in html and "Overtijd" in html

    # A shorter term of its own makes the other school's case overdue, with that term shown.
    step_terms_save(school=other_school, terms={Step.SIGNALEN: 7}, actor=beheerder)
    other = dashboard_for(other_ib).schools[0]
    assert [c.pk for c in other.overdue] == [within.pk] and other.overdue[0].term_days == 7
    assert page(verified_client, other_ib).count("(termijn 7 dagen)") == 1


def test_term_per_step(school, teacher, ib, beheerder):
    step_terms_save(school=school, terms={Step.WEGEN: 5}, actor=beheerder)
    in_step_4 = make_case(school, ib, teacher, at=days_ago(6), step=Step.WEGEN)
    make_case(school, ib, teacher, at=days_ago(6))  # step 1, term 14

    overview = dashboard_for(ib).schools[0]
    assert [c.pk for c in overview.overdue] == [in_step_4.pk]
    counts = {row.step: row.overdue for row in overview.steps}
    assert counts[Step.WEGEN] == 1 and counts[Step.SIGNALEN] == 0


# --- R49: overdue evaluations and Veilig Thuis feedback ---------------------------------------

def test_lead_sees_overdue_evaluations_and_feedback(verified_client, school, teacher, ib):
    evaluation_late = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Evalaat"))
    help_plan(evaluation_late, ib, evaluation_on=TODAY - datetime.timedelta(days=3))
    due_today = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Vandaag"))
    help_plan(due_today, ib, evaluation_on=TODAY)
    evaluated = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Geevalueerd"))
    help_plan(evaluated, ib, evaluation_on=TODAY - datetime.timedelta(days=3),
              completed_on=TODAY - datetime.timedelta(days=1))
    feedback_late = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Stilte"))
    vt_report(feedback_late, ib, safety_due=TODAY - datetime.timedelta(days=2))
    investigation_late = make_case(school, ib, teacher,
                                   pupil=pupil_at(school, last_name="Onderzocht"))
    vt_report(investigation_late, ib, safety_due=TODAY - datetime.timedelta(days=20),
              safety_received=TODAY - datetime.timedelta(days=19),
              investigation_due=TODAY - datetime.timedelta(days=1))
    received = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Ontvangen"))
    vt_report(received, ib, safety_due=TODAY - datetime.timedelta(days=2),
              safety_received=TODAY - datetime.timedelta(days=3))

    overview = dashboard_for(ib).schools[0]
    assert [p.case.pk for p in overview.evaluations] == [evaluation_late.pk]
    assert overview.evaluations_total == 1
    assert [r.case.pk for r in overview.feedback] == [investigation_late.pk, feedback_late.pk]
    by_case = {r.case.pk: r for r in overview.feedback}
    assert by_case[feedback_late.pk].safety_late and not by_case[feedback_late.pk].investigation_late
    assert (by_case[investigation_late.pk].investigation_late
            and not by_case[investigation_late.pk].safety_late)

    html = page(verified_client, ib)
    assert "Evaluatie van de hulp te laat" in html
    assert "Terugkoppeling van Veilig Thuis uitgebleven" in html
    for name in ("Evalaat", "Stilte", "Onderzocht"):
        assert name in html
    for name in ("Vandaag", "Geevalueerd", "Ontvangen"):
        assert name not in html
    assert f'href="/dossiers/{evaluation_late.pk}/"' in html or (
        evaluation_late.number in html)
    assert "na het onderzoek, verwacht uiterlijk" in html


def test_director_and_vc_see_the_lists_teacher_and_sot_do_not(verified_client, school, teacher,
                                                              ib, vc, director, sot_member):
    case = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Evalaat"))
    help_plan(case, ib, evaluation_on=TODAY - datetime.timedelta(days=3))
    vt_report(case, ib, safety_due=TODAY - datetime.timedelta(days=2))
    for user in (vc, director):
        overview = dashboard_for(user).schools[0]
        assert [p.case.pk for p in overview.evaluations] == [case.pk]
        assert [r.case.pk for r in overview.feedback] == [case.pk]
        assert "Evalaat" in page(verified_client, user)
    for user in (teacher, sot_member):
        assert dashboard_for(user).schools == []
        html = page(verified_client, user)
        assert "Evaluatie van de hulp te laat" not in html
        assert "Terugkoppeling van Veilig Thuis uitgebleven" not in html
        assert case.number not in html
    # Without a role at the school the lists are empty whatever is asked for.
    lists = follow_up_lists(teacher, {school.pk})
    assert lists.evaluations == [] and lists.feedback == []


def test_lists_never_show_another_school_or_a_closed_case(
        verified_client, school, other_school, teacher, ib):
    other_ib = staff(Role.IB, other_school, username="ib2")
    other_teacher = staff(Role.LEERKRACHT, other_school, username="lk2")
    elsewhere = make_case(other_school, other_ib, other_teacher,
                          pupil=pupil_at(other_school, last_name="Verweg"))
    help_plan(elsewhere, other_ib, evaluation_on=TODAY - datetime.timedelta(days=3))
    vt_report(elsewhere, other_ib, safety_due=TODAY - datetime.timedelta(days=2))
    closed = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Gesloten"))
    help_plan(closed, ib, evaluation_on=TODAY - datetime.timedelta(days=3))
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED, closed_at=timezone.now(),
                                             close_reason=CloseReason.NO_CONCERN)

    overview = dashboard_for(ib).schools[0]
    assert overview.evaluations == [] and overview.feedback == []
    # Even when asked for the other school's id, nothing of it comes back.
    lists = follow_up_lists(ib, {school.pk, other_school.pk})
    assert lists.evaluations == [] and lists.feedback == []
    html = page(verified_client, ib)
    assert "Verweg" not in html and "Gesloten" not in html
    assert "Geen evaluaties te laat." in html
    assert "Geen terugkoppeling van Veilig Thuis uitgebleven." in html


def test_lists_are_capped_per_school_but_count_all(school, teacher, ib):
    for i in range(12):
        case = make_case(school, ib, teacher)
        help_plan(case, ib, evaluation_on=TODAY - datetime.timedelta(days=1 + i))
    overview = dashboard_for(ib).schools[0]
    assert len(overview.evaluations) == 10 and overview.evaluations_total == 12
    dates = [p.evaluation_on for p in overview.evaluations]
    assert dates == sorted(dates)  # longest overdue first


def test_query_count_does_not_grow_with_the_lists(verified_client, school, teacher, ib,
                                                  beheerder):
    step_terms_save(school=school, terms={Step.SIGNALEN: 3}, actor=beheerder)

    def fill(n):
        for _ in range(n):
            case = make_case(school, ib, teacher, at=days_ago(20))
            help_plan(case, ib, evaluation_on=TODAY - datetime.timedelta(days=3))
            vt_report(case, ib, safety_due=TODAY - datetime.timedelta(days=2))

    fill(1)
    one = count_queries(verified_client, ib)
    fill(12)
    many = count_queries(verified_client, ib)
    assert one == many
    assert many <= 17
    overview = dashboard_for(ib).schools[0]
    assert len(overview.overdue) == 10 and len(overview.feedback) == 10


# --- The fragment cache ------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_cache_is_not_stale_after_a_term_change_or_a_resolved_due_date(
        verified_client, school, teacher, ib, beheerder, fragment_cache_on, fragment_builds):
    case = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Termijn"),
                     at=days_ago(10))
    plan = help_plan(case, ib, evaluation_on=TODAY - datetime.timedelta(days=3))
    report = vt_report(case, ib, safety_due=TODAY - datetime.timedelta(days=2))

    html = page(verified_client, ib)
    assert "(termijn" not in html  # 10 days within the default 14
    assert "evaluatie gepland op" in html and "na de veiligheidsbeoordeling" in html
    page(verified_client, ib)
    assert fragment_builds["dashboard"] == 1  # served from the cache the second time

    # The beheerder shortens the term: the case is overdue at once.
    step_terms_save(school=school, terms={Step.SIGNALEN: 7}, actor=beheerder)
    html = page(verified_client, ib)
    assert "(termijn 7 dagen)" in html
    assert fragment_builds["dashboard"] == 2

    # The evaluation is done and the feedback came: both leave the lists.
    plan.completed_on = TODAY
    plan.save()
    html = page(verified_client, ib)
    assert "evaluatie gepland op" not in html and "Geen evaluaties te laat." in html
    report.safety_feedback_received_on = TODAY
    report.save()
    html = page(verified_client, ib)
    assert "Geen terugkoppeling van Veilig Thuis uitgebleven." in html
    # Back to the default term: no longer overdue.
    step_terms_save(school=school, terms={Step.SIGNALEN: SIGNALEN_TERM}, actor=beheerder)
    assert "(termijn" not in page(verified_client, ib)


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_key_changes_with_the_hour(verified_client, school, ib, fragment_cache_on,
                                                fragment_builds, monkeypatch):
    """Overdue-ness changes with time alone (a due date passes at midnight, a term runs out at
    any hour): the dashboard is cached per hour, so a new hour builds it again."""
    page(verified_client, ib)
    page(verified_client, ib)
    assert fragment_builds["dashboard"] == 1
    from types import SimpleNamespace

    from core import fragments

    later = timezone.localtime() + datetime.timedelta(hours=1)
    monkeypatch.setattr(fragments, "timezone", SimpleNamespace(localtime=lambda: later))
    page(verified_client, ib)
    assert fragment_builds["dashboard"] == 2

"""``manage.py seed_demo``: the demo board, its people and cases at every step, idempotent."""

import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import (Case, SotDiscussion, SotMeeting, Status, Step, StepTransition,
                          VerwijsindexRegistration)
from afwegingskader.decision import advise
from afwegingskader.models import (Assessment, Decision, Evaluation, HelpPlan,
                                   MonitoringAgreement, VeiligThuisReport)
from afwegingskader.services import decision_deviates, q2_value
from core import demo
from notifications.models import Notification
from schools.models import (Board, ExternalFunction, Family, Membership, Parent, Pupil,
                            PupilParent, School, SchoolClass)
from schools.roles import Role
from signals.models import Signal, SignalVersion

pytestmark = pytest.mark.django_db

PUPILS = demo.MIN_PUPILS  # per school; the default (200) is exercised once, for speed
User = get_user_model()


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--pupils", str(PUPILS), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def seeded(demo_mode):
    out, err = run()
    assert err == "", err  # no step refused
    return out


def schools():
    return {s.brin_code: s for s in School.objects.filter(board__name=demo.BOARD_NAME)}


def totals():
    return {model.__name__: model.objects.count() for model in (
        Board, School, SchoolClass, Pupil, Parent, PupilParent, Family, User, Membership, Signal,
        SignalVersion, Case, StepTransition, SotMeeting, SotDiscussion, Notification,
        VerwijsindexRegistration)}


# --- refusing ----------------------------------------------------------------------------------

def test_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo"):
        run()
    assert not Board.objects.exists()


def test_seed_builds_the_demo_board(seeded, client):
    """One seed, checked from every side (seeding takes a few seconds, so it runs once)."""
    assert "Demogegevens aangemaakt" in seeded
    check_one_board_with_two_schools_groups_and_pupils()
    check_pupils_have_parents_and_siblings()
    check_staff_in_every_role_with_the_demo_password()
    check_leerkracht_a_teaches_groep_5_of_school_a()
    check_demo_users_can_log_in(client)
    check_a_case_at_every_step_and_a_closed_one_at_both_schools()
    check_new_signals_for_triage_and_an_upcoming_sot_meeting()
    check_a_case_in_every_afwegingskader_outcome()


# --- organisation ------------------------------------------------------------------------------

def check_one_board_with_two_schools_groups_and_pupils():
    board = Board.objects.get(name=demo.BOARD_NAME)
    by_brin = schools()
    assert set(by_brin) == {"12AB00", "34CD00"}
    assert by_brin["12AB00"].name == "Basisschool De Wilgenhoek"
    assert by_brin["34CD00"].name == "Basisschool Het Kompas"
    year = demo.school_year(timezone.localdate())
    for school in by_brin.values():
        assert school.board == board
        assert sorted(school.classes.values_list("name", flat=True)) == [
            f"groep {g}" for g in range(1, 9)]
        assert set(school.classes.values_list("school_year", flat=True)) == {year}
        assert school.pupils.count() == PUPILS
        assert not school.pupils.filter(school_class__isnull=True).exists()


def check_pupils_have_parents_and_siblings():
    for pupil in Pupil.objects.prefetch_related("parent_links__parent"):
        links = list(pupil.parent_links.all())
        assert 1 <= len(links) <= 2
        assert all(link.parent.school_id == pupil.school_id for link in links)
    assert PupilParent.objects.filter(has_authority=True).count() > \
        PupilParent.objects.filter(has_authority=False).count()
    assert Parent.objects.filter(safe_to_contact=True).count() > \
        Parent.objects.filter(safe_to_contact=False).count()
    assert Parent.objects.exclude(email__endswith="@demo.invalid").count() == 0
    families = Family.objects.filter(board__name=demo.BOARD_NAME)
    assert families.exists()
    for family in families:
        assert family.pupils.count() >= 2
    # Some families have children at both schools (siblings within the board).
    both = [f for f in families if f.pupils.values("school").distinct().count() == 2]
    assert both
    # Ages fit the groups: groep 1 four or five, groep 8 eleven or twelve, on 1 October.
    day = demo.school_year_start(timezone.localdate()).replace(month=10, day=1)
    for group, ages in ((1, {4, 5}), (8, {11, 12})):
        for pupil in Pupil.objects.filter(school_class__name=f"groep {group}"):
            assert pupil.age_on(day) in ages


# --- people and roles --------------------------------------------------------------------------

EXPECTED_ROLES = {
    **{f"{prefix}.{key}": (role, brin)
       for key, brin in (("a", "12AB00"), ("b", "34CD00"))
       for prefix, role in (("leerkracht", Role.LEERKRACHT), ("ib", Role.IB), ("vc", Role.VC),
                            ("sot", Role.SOT), ("directeur", Role.DIRECTEUR))},
    "beheerder": (Role.BEHEERDER, None),
    "bestuurder": (Role.BESTUUR, None),
}


def check_staff_in_every_role_with_the_demo_password():
    for username, (role, brin) in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert user.check_password(demo.PASSWORD), username
        assert user.email == f"{username}@demo.invalid"
        assert user.first_name and user.last_name
        membership = Membership.objects.active().get(user=user)
        assert membership.role == role
        assert (membership.school.brin_code if membership.school else None) == brin
    for username in demo.demo_usernames():
        assert User.objects.get(username=username).check_password(demo.PASSWORD)
    # More teachers per school, one per group.
    for brin in ("12AB00", "34CD00"):
        teachers = Membership.objects.filter(school__brin_code=brin, role=Role.LEERKRACHT)
        assert teachers.count() == 8
    # External SOT members: only the SOT role, at both schools.
    for username, function in (("jeugdverpleegkundige", ExternalFunction.YOUTH_NURSE),
                               ("schoolmaatschappelijkwerker", ExternalFunction.SOCIAL_WORKER)):
        roles = Membership.objects.filter(user__username=username)
        assert {(m.role, m.external_function) for m in roles} == {(Role.SOT, function)}
        assert roles.count() == 2


def check_leerkracht_a_teaches_groep_5_of_school_a():
    membership = Membership.objects.get(user__username="leerkracht.a", role=Role.LEERKRACHT)
    assert [(c.name, c.school.brin_code) for c in membership.classes.all()] == [
        ("groep 5", "12AB00")]


def check_demo_users_can_log_in(client):
    response = client.post(reverse("two_factor:login"), {
        "login_view-current_step": "auth", "auth-username": "ib.a",
        "auth-password": demo.PASSWORD})
    # No second factor set up yet: the password step logs in (2FA setup follows).
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(User.objects.get(username="ib.a").pk)


# --- cases -------------------------------------------------------------------------------------

def check_a_case_at_every_step_and_a_closed_one_at_both_schools():
    for school in schools().values():
        open_steps = set(Case.objects.filter(school=school, status=Status.OPEN)
                         .values_list("step", flat=True))
        assert open_steps == {1, 2, 3, 4, 5, 6}, school
        closed = Case.objects.filter(school=school, status=Status.CLOSED)
        assert closed.exists()
        assert all(case.close_explanation for case in closed)
    for case in Case.objects.all():
        # Built through the workflow: an opening row and one row per move, history kept.
        kinds = list(case.transitions.values_list("kind", flat=True))
        assert kinds[0] == "geopend"
        assert len([k for k in kinds if k == "verder"]) == case.step - 1
        assert case.history.exists()
        assert case.signal_links.exists()
        assert case.pupil.school_id == case.school_id
    # Records the guards ask for exist for every case beyond step 2.
    for case in Case.objects.filter(step__gte=Step.GESPREK):
        assert case.consultation_set.exists() or case.veiligthuisadvice_set.exists()
    for case in Case.objects.filter(step__gte=Step.BESLISSEN):
        assert case.sotdiscussion_set.exclude(nature_severity="").exists()
    # Observations keep facts, the child's words and the interpretation apart.
    assert SignalVersion.objects.exclude(child_words="").exists()
    assert SignalVersion.objects.exclude(interpretation="").exists()
    # One case is acute, some are overdue (longer than the school's term in their step).
    assert Case.objects.filter(acute=True, status=Status.OPEN).exists()
    assert VerwijsindexRegistration.objects.filter(withdrawn_on__isnull=True).exists()


def _advice(answers):
    """The advice for answers (q2 as ``advise`` takes it), by the afwegingskader's own table."""
    return advise(answers["q1"], answers["q2"], answers["q3"], answers["q4"], answers["q5"],
                  doubt_means_report=answers["doubt_means_report"])


def check_a_case_in_every_afwegingskader_outcome():
    """Step 5 (issue 4): every outcome of the afwegingskader is in the demo, each computed with
    ``advise()`` from the stored answers, and what was decided, reported, planned and
    evaluated fits that advice (or the decision gives its reason to deviate)."""
    now, today = timezone.now(), timezone.localdate()
    by_outcome = {}
    for assessment in Assessment.objects.select_related("case"):
        case = assessment.case
        assert assessment.cycle == case.cycle
        advice = _advice({"q1": assessment.q1, "q2": q2_value(assessment.q2),
                          "q3": assessment.q3, "q4": assessment.q4, "q5": assessment.q5,
                          "doubt_means_report": assessment.doubt_means_report})
        assert advice.is_determined, case.number
        by_outcome.setdefault(str(advice.outcome), []).append((case, advice))
        cycle = {"case": case, "cycle": case.cycle}
        decisions = list(Decision.objects.filter(**cycle).order_by("created_at", "pk"))
        assert decisions, case.number
        for decision in decisions:
            # Each decision against the answers it was taken on, and its stored snapshot.
            taken_on = _advice(decision.answers_snapshot)
            assert decision.advice_outcome == str(taken_on.outcome)
            assert decision.deviates == decision_deviates(decision.choice, taken_on)
            assert not decision.deviates or decision.deviation_reason.strip()
            assert decision.decided_on <= today
            assert decision.decided_on >= case.opened_at.date()
            assert decision.motivation and decision.present
        latest = decisions[-1]
        assert not decision_deviates(latest.choice, advice) or latest.deviation_reason.strip()
        reports = list(VeiligThuisReport.objects.filter(**cycle).select_related("decision"))
        assert bool(reports) == bool(advice.report_required), case.number
        for report in reports:
            assert report.decision.includes_report
            assert report.reported_at <= now
            assert timezone.localtime(report.reported_at).date() >= report.decision.decided_on
            assert report.safety_feedback_due > timezone.localtime(report.reported_at).date()
            assert report.signal_links.exists() and report.persons_involved
            assert report.steps_taken.strip()
            # "Open melden, tenzij" (R8): the parents were told, or an allowed exception.
            assert (report.parents_informed and report.parents_informed_how
                    and report.parents_reaction) or (report.parents_exception
                                                     and report.parents_exception_explanation)
        plan = HelpPlan.objects.filter(**cycle).first()
        assert (plan is not None) == bool(advice.help_possible), case.number
        if plan is not None:
            assert plan.period_start <= plan.evaluation_on
            assert (plan.completed_on is not None) == (assessment.q5 is not None)
        evaluations = Evaluation.objects.filter(**cycle)
        monitoring = MonitoringAgreement.objects.filter(**cycle)
        if advice.outcome == "no_suspicion":
            assert latest.choice == "afsluiten"
            assert case.status == Status.CLOSED and case.close_explanation
        elif advice.outcome == "report":
            assert latest.choice in ("melden", "beide")
        elif advice.outcome == "help":
            assert latest.includes_help and case.status == Status.OPEN
            assert plan.evaluation_on > today  # Q5 is still to come
        elif advice.outcome == "report_after_help":
            assert latest.includes_report and assessment.q5 is False
            assert evaluations.exists()
            assert latest.decided_on >= plan.evaluation_on
        elif advice.outcome == "help_succeeded":
            assert assessment.q5 is True and evaluations.exists() and monitoring.exists()
            assert plan.completed_on >= plan.evaluation_on
            assert not reports
    assert set(by_outcome) >= {"no_suspicion", "report", "help", "report_after_help",
                               "help_succeeded"}, sorted(by_outcome)
    # A report whose feedback is still pending, and one whose feedback came in.
    reports = VeiligThuisReport.objects.all()
    assert reports.filter(safety_feedback_received_on__isnull=True).exists()
    assert reports.filter(safety_feedback_received_on__isnull=False).exists()
    # The help path: running with the evaluation upcoming, and closed after it succeeded.
    assert any(case.status == Status.CLOSED for case, _a in by_outcome["help_succeeded"])
    assert any(case.status == Status.OPEN for case, _a in by_outcome["help"])


def check_new_signals_for_triage_and_an_upcoming_sot_meeting():
    a = schools()["12AB00"]
    new = Signal.objects.filter(school=a, acknowledged_at__isnull=True)
    assert new.count() >= 3
    assert set(new.values_list("recorded_by__username", flat=True)) == {"leerkracht.a"}
    ib = User.objects.get(username="ib.a")
    assert Notification.objects.filter(user=ib, read_at__isnull=True).count() == new.count()
    meeting = SotMeeting.objects.filter(school=a, held_on__gte=timezone.localdate()).get()
    attendees = set(meeting.attendees.values_list("username", flat=True))
    assert {"sot.a", "directeur.a"} <= attendees
    assert meeting.chair.username == "directeur.a"
    assert meeting.discussions.count() >= 1


def _pupil_names():
    return list(Pupil.objects.order_by("school__brin_code", "external_id")
                .values_list("first_name", "last_name", "date_of_birth"))


def test_running_twice_duplicates_nothing_and_reset_rebuilds_the_same(seeded):
    before, names = totals(), _pupil_names()

    out, err = run()
    assert err == ""
    assert "niets verdubbeld" in out
    assert totals() == before

    out, _err = run("--reset")
    assert "verwijderd" in out
    assert totals() == before
    assert _pupil_names() == names  # a fixed seed: the same people every time


def test_default_size_is_fast(demo_mode):
    started = time.monotonic()
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert time.monotonic() - started < 30
    assert Pupil.objects.count() == 2 * demo.DEFAULT_PUPILS


# --- the dashboard for every demo role ---------------------------------------------------------

def _dashboard(client, username):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def _case_pupils(brin):
    return {c.pupil.full_name for c in Case.objects.filter(school__brin_code=brin)
            .select_related("pupil")}


def test_every_demo_role_sees_its_panels_and_nothing_of_the_other_school(seeded,
                                                                        verified_client):
    for key, own_brin, other_brin in (("a", "12AB00", "34CD00"), ("b", "34CD00", "12AB00")):
        _check_school_dashboards(verified_client, key, own_brin, other_brin)

    html = _dashboard(verified_client, "beheerder")
    assert "Beheer van het schoolbestuur" in html
    assert "Basisschool De Wilgenhoek" in html and "Basisschool Het Kompas" in html
    for brin in ("12AB00", "34CD00"):
        for name in _case_pupils(brin):
            assert name not in html
    assert "Nieuwe signalen" not in html and "Volgend SOT-overleg" not in html

    assert "Route bevoegd gezag" in _dashboard(verified_client, "bestuurder")

    html = _dashboard(verified_client, "jeugdverpleegkundige")  # SOT member at both schools
    assert "Volgend SOT-overleg" in html and "Lopende dossiers per stap" not in html


def _check_school_dashboards(client, key, own_brin, other_brin):
    other_school = schools()[other_brin]
    other_pupils = _case_pupils(other_brin) | {
        p.full_name for s in Signal.objects.filter(school=other_school)
        for p in s.pupils.all()}
    own_pupils = _case_pupils(own_brin)

    pages = {role: _dashboard(client, f"{role}.{key}")
             for role in ("leerkracht", "ib", "vc", "sot", "directeur")}

    for role, html in pages.items():
        assert other_school.name not in html, role
        for name in other_pupils - own_pupils:
            assert name not in html, (role, name)

    assert "Mijn signalen" in pages["leerkracht"]
    assert "opgepakt in dossier" in pages["leerkracht"]
    assert "Dossiers waarin u bent uitgenodigd" in pages["leerkracht"]
    assert "Lopende dossiers per stap" not in pages["leerkracht"]
    for lead in ("ib", "vc"):
        assert "Nieuwe signalen" in pages[lead]
        assert "Lopende dossiers per stap" in pages[lead]
        assert "Langer in dezelfde stap dan de termijn van de school" in pages[lead]
        assert "Evaluatie van de hulp te laat" in pages[lead]
        assert "Verwijsindex" in pages[lead]
    assert "Afgesloten dit schooljaar" in pages["directeur"]
    assert "Nieuwe signalen" not in pages["directeur"]
    assert "Volgend SOT-overleg" in pages["sot"]
    agenda = SotDiscussion.objects.filter(meeting__school__brin_code=own_brin,
                                          meeting__held_on__gte=timezone.localdate())
    assert agenda.exists()
    for item in agenda.select_related("case__pupil"):
        assert item.case.pupil.full_name in pages["sot"]
        assert item.case.pupil.full_name in pages["directeur"]  # the chair

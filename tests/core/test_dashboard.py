"""The start page: a panel per role the user holds, nothing of another school, and a
constant number of queries whatever the number of signals and cases."""

import datetime

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import (CloseReason, SotDiscussion, SotMeeting, Step,
                          VerwijsindexRegistration)
from cases.services import case_grant_access, case_open
from cases.workflow import close_case
from core.dashboard import dashboard_for
from core.demo import clock_at
from reminders.models import DEFAULT_STEP_TERMS
from schools.roles import Role
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import (MembershipFactory, PupilFactory, SchoolClassFactory, UserFactory,
                             staff)

pytestmark = pytest.mark.django_db

URL = reverse("core:dashboard")
QUERY_BUDGET = 17  # cached role permissions, no session save per request; one insert: the
             # listed cases and signals go into the access log; the school's term lengths
             # (R52), overdue evaluations and overdue Veilig Thuis feedback (R49): one each


@pytest.fixture(autouse=True)
def _role_groups(db):
    # On a fresh test database the role groups were synced before the case permissions existed.
    from schools.roles import sync_role_groups

    sync_role_groups()


# --- helpers ---------------------------------------------------------------------------------

def pupil_at(school, **kwargs):
    kwargs.setdefault("school_class", SchoolClassFactory(school=school))
    return PupilFactory(school=school, **kwargs)


def make_signal(school, recorder, pupil, *, acknowledged_by=None, **fields):
    signal = Signal(school=school, recorded_by=recorder, category=fields.pop("category", "anders"),
                    observed_on=fields.pop("observed_on", timezone.localdate()), **fields)
    signal._history_user = recorder
    signal.save()
    SignalPupil.objects.create(signal=signal, pupil=pupil)
    SignalVersion.objects.create(signal=signal, number=1, author=recorder,
                                 facts="Kwam zonder jas naar school.")
    if acknowledged_by is not None:
        signal.acknowledged_at, signal.acknowledged_by = timezone.now(), acknowledged_by
        signal._history_user = acknowledged_by
        signal.save()
    return signal


def make_case(school, lead, recorder, *, pupil=None, at=None, acute=False, step=None):
    """A case opened from a signal through the real service; ``at`` backdates the opening
    (and so ``step_entered_at``)."""
    pupil = pupil or pupil_at(school)
    signal = make_signal(school, recorder, pupil)
    with clock_at(at or timezone.now()):
        case = case_open(pupil=pupil, actor=lead, signals=[signal], acute=acute)
    if step is not None:
        # Straight into a step for counting purposes (the workflow itself is tested elsewhere).
        case.step = step
        case._history_user = lead
        case.save()
    return case


def page(client, user):
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def count_queries(client, user):
    client.force_login(user)
    # The first request after a login refreshes the session and may fill the role cache.
    assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx)


# --- access ----------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response.url


def test_user_without_roles_gets_a_pointer_to_the_beheerder(verified_client):
    html = page(verified_client, UserFactory())
    assert "geen rol op een school" in html
    assert "Nieuwe signalen" not in html


def test_ended_role_shows_nothing(verified_client, school):
    user = UserFactory()
    MembershipFactory(user=user, school=school, role=Role.IB,
                      starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2021, 1, 1))
    teacher = staff(Role.LEERKRACHT, school)
    make_signal(school, teacher, pupil_at(school, first_name="Zoë", last_name="Vroeger"))
    html = page(verified_client, user)
    assert "Vroeger" not in html
    assert "geen rol op een school" in html


# --- teacher -----------------------------------------------------------------------------------

def test_teacher_sees_own_signals_with_their_status(verified_client, school, teacher, ib):
    new = make_signal(school, teacher, pupil_at(school, last_name="Nieuwenhuis"))
    make_signal(school, teacher, pupil_at(school, last_name="Gezienmans"), acknowledged_by=ib)
    in_case = pupil_at(school, last_name="Dossierhof")
    make_case(school, ib, teacher, pupil=in_case)
    colleague = staff(Role.LEERKRACHT, school)
    make_signal(school, colleague, pupil_at(school, last_name="Anderman"))

    html = page(verified_client, teacher)

    assert "Mijn signalen" in html
    for name in ("Nieuwenhuis", "Gezienmans", "Dossierhof"):
        assert name in html
    assert "Anderman" not in html  # a colleague's signal
    assert ">nieuw<" in html and ">gezien<" in html and "opgepakt in dossier" in html
    assert reverse("signals:detail", args=[new.pk]) in html
    assert "Signaal vastleggen" in html
    # No lead panels for a teacher.
    assert "Lopende dossiers per stap" not in html
    assert "Beheer van het schoolbestuur" not in html


def test_teacher_sees_the_cases_they_are_invited_into_only(verified_client, school, teacher, ib):
    invited = make_case(school, ib, ib, pupil=pupil_at(school, last_name="Uitgenodigd"))
    make_case(school, ib, ib, pupil=pupil_at(school, last_name="Nietvoorjou"))
    case_grant_access(case=invited, user=teacher, level="read", actor=ib)

    html = page(verified_client, teacher)

    assert "Uitgenodigd" in html and invited.number in html
    assert reverse("cases:detail", args=[invited.pk]) in html
    assert "Nietvoorjou" not in html


def test_teacher_shows_last_ten_signals(school, teacher):
    for _ in range(12):
        make_signal(school, teacher, pupil_at(school))
    assert len(dashboard_for(teacher).my_signals) == 10


# --- IB'er and veiligheidscoördinator ----------------------------------------------------------

def test_ib_sees_new_signals_to_triage_of_their_school(verified_client, school, other_school,
                                                       teacher, ib):
    make_signal(school, teacher, pupil_at(school, last_name="Triagehuis"))
    make_signal(school, teacher, pupil_at(school, last_name="Algezien"), acknowledged_by=ib)
    make_signal(school, teacher, pupil_at(school, last_name="Personeelsroute"),
                staff_suspect=True)
    elsewhere = staff(Role.LEERKRACHT, other_school)
    make_signal(other_school, elsewhere, pupil_at(other_school, last_name="Andereschool"))

    html = page(verified_client, ib)

    assert "Nieuwe signalen" in html
    assert "Triagehuis" in html
    assert "Algezien" not in html
    assert "Personeelsroute" not in html  # staff suspect: the board's route, not the school's
    assert "Andereschool" not in html and other_school.name not in html
    overview = dashboard_for(ib).schools[0]
    assert overview.triage_total == 1


def test_triage_list_is_capped_but_counts_all(school, teacher, vc):
    for _ in range(13):
        make_signal(school, teacher, pupil_at(school))
    overview = dashboard_for(vc).schools[0]
    assert len(overview.triage) == 10
    assert overview.triage_total == 13


def test_ib_sees_open_cases_per_step_and_overdue_ones(verified_client, school, teacher, ib):
    old = timezone.now() - datetime.timedelta(days=DEFAULT_STEP_TERMS[Step.SIGNALEN] + 3)
    late = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Overtijd"), at=old)
    make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Optijd"))
    make_case(school, ib, teacher, step=Step.WEGEN)

    overview = dashboard_for(ib).schools[0]

    counts = {row.step: row.open for row in overview.steps}
    assert counts[Step.SIGNALEN] == 2 and counts[Step.WEGEN] == 1 and counts[Step.VOLGEN] == 0
    assert overview.open_total == 3
    assert [c.pk for c in overview.overdue] == [late.pk]
    assert overview.overdue_total == 1
    html = page(verified_client, ib)
    assert "Langer in dezelfde stap dan de termijn van de school" in html and "Overtijd" in html
    assert "(termijn 14 dagen)" in html
    assert str(Step.WEGEN.label) in html
    assert "Ondersteuningsroute 3" in html  # the support route beside the Meldcode step


def test_verwijsindex_registrations_due_for_review(verified_client, school, teacher, ib):
    school.verwijsindex_enabled = True
    school.save()
    today = timezone.localdate()
    due = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Herbeoordeel"))
    later = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Nogtijd"))
    withdrawn = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Ingetrokken"))
    closed = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Afgerond"))
    close_case(case_id=closed.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="Zorgen weggenomen.")
    for case, review_on, withdrawn_on in [(due, today + datetime.timedelta(days=30), None),
                                          (closed, today - datetime.timedelta(days=2), None),
                                          (later, today + datetime.timedelta(days=200), None),
                                          (withdrawn, today + datetime.timedelta(days=5),
                                           today)]:
        reg = VerwijsindexRegistration(case=case, step=1, occurred_on=today, author=ib,
                                       review_on=review_on, withdrawn_on=withdrawn_on)
        reg._history_user = ib
        reg.save()

    overview = dashboard_for(ib).schools[0]

    # A registration outlives its case: the closed case's one is overdue and listed first.
    assert [c.pk for c in overview.verwijsindex] == [closed.pk, due.pk]
    assert overview.verwijsindex[0].vir_overdue
    html = page(verified_client, ib)
    assert "Verwijsindex: herbeoordelen" in html and "Afgerond" in html and "verlopen" in html


def test_verwijsindex_panel_hidden_when_school_is_not_connected(verified_client, school, ib):
    assert not school.verwijsindex_enabled
    assert "Verwijsindex" not in page(verified_client, ib)


# --- directeur ---------------------------------------------------------------------------------

def test_director_sees_school_by_step_acute_and_closed_this_year(verified_client, school,
                                                                   teacher, ib, director):
    make_case(school, ib, teacher, step=Step.GESPREK)
    acute = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Spoedig"),
                      acute=True)
    closed = make_case(school, ib, teacher)
    close_case(case_id=closed.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="Zorgen weggenomen na gesprek.")

    overview = dashboard_for(director).schools[0]

    assert overview.is_director and not overview.is_lead
    assert overview.open_total == 2
    assert overview.closed_this_year == 1
    assert [c.pk for c in overview.acute] == [acute.pk]
    assert overview.triage == [] and overview.overdue == []
    html = page(verified_client, director)
    assert "Afgesloten dit schooljaar" in html
    assert "Spoedig" in html
    assert "Nieuwe signalen" not in html


# --- SOT ---------------------------------------------------------------------------------------

def _meeting(school, chair, attendees, held_on):
    meeting = SotMeeting(school=school, held_on=held_on, chair=chair, created_by=chair)
    meeting._history_user = chair
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


def _discuss(meeting, case, author):
    item = SotDiscussion(meeting=meeting, case=case, step=case.step, occurred_on=meeting.held_on,
                         author=author)
    item._history_user = author
    item.save()
    return item


def test_sot_member_sees_pupils_on_the_next_meeting_they_attend(verified_client, school,
                                                                teacher, ib, director,
                                                                sot_member):
    today = timezone.localdate()
    next_meeting = _meeting(school, director, [director, sot_member],
                            today + datetime.timedelta(days=3))
    later = _meeting(school, director, [director, sot_member], today + datetime.timedelta(days=30))
    past = _meeting(school, director, [director, sot_member], today - datetime.timedelta(days=3))
    not_attending = _meeting(school, director, [director], today + datetime.timedelta(days=1))
    on_agenda = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Agendapunt"))
    _discuss(next_meeting, on_agenda, ib)
    _discuss(later, make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Later")), ib)
    _discuss(past, make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Geweest")), ib)
    _discuss(not_attending,
             make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Nietbij")), ib)

    meetings = dashboard_for(sot_member).sot_meetings

    assert [m.pk for m in meetings] == [next_meeting.pk]
    assert [d.case_id for d in meetings[0].agenda] == [on_agenda.pk]
    html = page(verified_client, sot_member)
    assert "Volgend SOT-overleg" in html
    assert "Agendapunt" in html and on_agenda.number in html
    for name in ("Later", "Geweest", "Nietbij"):
        assert name not in html
    # An SOT member has no school overview.
    assert "Lopende dossiers per stap" not in html


def test_chair_sees_the_next_meeting_they_chair(school, teacher, ib, director):
    meeting = _meeting(school, director, [], timezone.localdate() + datetime.timedelta(days=2))
    _discuss(meeting, make_case(school, ib, teacher), ib)
    meetings = dashboard_for(director).sot_meetings
    assert [m.pk for m in meetings] == [meeting.pk]
    assert len(meetings[0].agenda) == 1


def test_sot_member_without_meeting_is_told_so(verified_client, sot_member):
    assert "Er is geen SOT-overleg gepland" in page(verified_client, sot_member)


# --- beheerder and bestuurder ------------------------------------------------------------------

def test_beheerder_sees_counts_and_links_but_no_case_content(verified_client, school,
                                                             other_school, teacher, ib,
                                                             beheerder):
    for _ in range(3):
        pupil_at(school)
    pupil_at(school, left_on=timezone.localdate() - datetime.timedelta(days=1))  # left
    pupil_at(other_school)
    case = make_case(school, ib, teacher, pupil=pupil_at(school, last_name="Geheimhouding"))

    dash = dashboard_for(beheerder)

    assert [s.pk for s in dash.admin_schools] == [school.pk]
    assert dash.admin_schools[0].pupil_count == 4  # 3 + the case's pupil; not the one who left
    assert dash.admin_schools[0].staff_count == 2  # teacher and ib (board roles have no school)
    assert dash.schools == [] and dash.my_signals == [] and dash.sot_meetings == []
    html = page(verified_client, beheerder)
    assert "Beheer van het schoolbestuur" in html
    assert reverse("schools:people") in html
    assert "Geheimhouding" not in html and case.number not in html
    assert other_school.name not in html


def test_bestuurder_sees_the_board_route_panel(verified_client, school):
    bestuurder = staff(Role.BESTUUR, board=school.board)
    html = page(verified_client, bestuurder)
    assert "Route bevoegd gezag" in html


# --- several roles, several schools ------------------------------------------------------------

def test_roles_at_two_schools_each_get_their_own_panel(verified_client, school, other_school):
    user = staff(Role.IB, school)
    MembershipFactory(user=user, school=other_school, role=Role.DIRECTEUR)
    html = page(verified_client, user)
    assert school.name in html and other_school.name in html
    dash = dashboard_for(user)
    by_school = {o.school.pk: o for o in dash.schools}
    assert by_school[school.pk].is_lead and not by_school[school.pk].is_director
    assert by_school[other_school.pk].is_director and not by_school[other_school.pk].is_lead


def test_nothing_of_another_school_shows_up(verified_client, school, other_school, ib):
    other_ib = staff(Role.IB, other_school)
    other_teacher = staff(Role.LEERKRACHT, other_school)
    make_case(other_school, other_ib, other_teacher, acute=True,
              pupil=pupil_at(other_school, last_name="Buitenschools"))
    make_signal(other_school, other_teacher, pupil_at(other_school, last_name="Verweg"))
    meeting = _meeting(other_school, other_ib, [other_ib, ib],
                       timezone.localdate() + datetime.timedelta(days=1))
    _discuss(meeting, make_case(other_school, other_ib, other_teacher,
                                pupil=pupil_at(other_school, last_name="Vergaderd")), other_ib)

    html = page(verified_client, ib)

    for text in ("Buitenschools", "Verweg", "Vergaderd", other_school.name):
        assert text not in html
    assert dashboard_for(ib).schools[0].open_total == 0


# --- query counts ------------------------------------------------------------------------------

def _fill(school, n, *, teacher, ib, director, sot_member):
    """``n`` of everything the panels list: signals new, seen and in a case; cases overdue,
    acute, invited; Verwijsindex registrations due; agenda items of the next meeting."""
    school.verwijsindex_enabled = True
    school.save()
    today = timezone.localdate()
    meeting = (SotMeeting.objects.filter(school=school, held_on__gte=today).first()
               or _meeting(school, director, [director, sot_member, ib, teacher],
                           today + datetime.timedelta(days=2)))
    old = timezone.now() - datetime.timedelta(days=max(DEFAULT_STEP_TERMS.values()) + 1)
    for i in range(n):
        make_signal(school, teacher, pupil_at(school))
        make_signal(school, teacher, pupil_at(school), acknowledged_by=ib)
        case = make_case(school, ib, teacher, at=old, acute=i % 2 == 0, step=1 + i % 6)
        case_grant_access(case=case, user=teacher, level="read", actor=ib)
        reg = VerwijsindexRegistration(case=case, step=1, occurred_on=today, author=ib,
                                       review_on=today + datetime.timedelta(days=10))
        reg._history_user = ib
        reg.save()
        _discuss(meeting, case, ib)


@pytest.mark.parametrize("role", ["teacher", "ib", "director", "sot_member"])
def test_query_count_is_constant(verified_client, school, teacher, ib, director, sot_member,
                                 role):
    user = {"teacher": teacher, "ib": ib, "director": director, "sot_member": sot_member}[role]
    kwargs = {"teacher": teacher, "ib": ib, "director": director, "sot_member": sot_member}
    _fill(school, 1, **kwargs)
    one = count_queries(verified_client, user)
    _fill(school, 24, **kwargs)
    twenty_five = count_queries(verified_client, user)
    assert one == twenty_five
    assert twenty_five <= QUERY_BUDGET


def test_query_count_for_a_user_holding_every_role(verified_client, school, other_school,
                                                   teacher, ib, director, sot_member):
    user = staff(Role.LEERKRACHT, school)
    for role in (Role.IB, Role.VC, Role.DIRECTEUR, Role.SOT):
        MembershipFactory(user=user, school=school, role=role)
    MembershipFactory(user=user, school=other_school, role=Role.IB)
    for role in (Role.BEHEERDER, Role.BESTUUR):
        MembershipFactory(user=user, school=None, board=school.board, role=role)
    kwargs = {"teacher": user, "ib": ib, "director": director, "sot_member": user}
    _fill(school, 1, **kwargs)
    one = count_queries(verified_client, user)
    _fill(school, 24, **kwargs)
    twenty_five = count_queries(verified_client, user)
    assert one == twenty_five
    assert twenty_five <= QUERY_BUDGET
    dash = dashboard_for(user)
    assert len(dash.my_signals) == 10 and len(dash.invited_cases) == 10
    assert {o.school.pk for o in dash.schools} == {school.pk, other_school.pk}


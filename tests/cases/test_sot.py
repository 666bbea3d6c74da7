"""SOT meetings (step 4, R9): planning, the agenda, the weighing per case, who sees what,
notifications and query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Route, SotDiscussion, SotMeeting, Step
from cases.selectors import cases_visible_to
from cases.services import case_grant_access, case_open, record_save
from cases.sot import next_sot_meeting, sot_agenda_add, sot_agenda_for, sot_meeting_save
from cases.workflow import close_case
from notifications.models import Kind, Notification
from schools.models import ExternalFunction, Membership
from schools.roles import Role
from tests.factories import PupilFactory, SchoolClassFactory, staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def sot_case(school, ib):
    return case_open(pupil=PupilFactory(school=school, first_name="Noor", last_name="Visser"),
                     actor=ib)


@pytest.fixture
def jgz(school):
    """An external SOT member: the school's youth doctor."""
    user = staff(Role.SOT, school, username="jeugdarts", first_name="Anna", last_name="Arts")
    Membership.objects.filter(user=user).update(external_function=ExternalFunction.YOUTH_DOCTOR)
    return user


@pytest.fixture
def meeting(school, director, ib, sot_member):
    meeting = SotMeeting(school=school, held_on=NEXT_WEEK, chair=director)
    return sot_meeting_save(meeting=meeting, attendees=[ib, sot_member], actor=ib)


def login(client, user):
    client.force_login(user)
    return client


def meeting_url(name, meeting, *args):
    return reverse(f"cases:{name}", args=[meeting.pk, *args])


# --- planning a meeting ----------------------------------------------------------------------

def test_meeting_form_defaults_the_chair_to_the_director_and_lists_staff(
        verified_client, ib, director, jgz, teacher, school, other_school):
    outsider = staff(Role.IB, other_school, username="elders")
    login(verified_client, ib)
    response = verified_client.get(reverse("cases:sot_meeting_add", args=[school.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["chair"].value() == director.pk
    html = response.content.decode()
    assert "jeugdarts" in html  # external SOT member with their function
    attendee_ids = {u.pk for u in form.fields["attendees"].queryset}
    assert {ib.pk, director.pk, jgz.pk, teacher.pk} <= attendee_ids
    assert outsider.pk not in attendee_ids
    assert teacher.pk not in {u.pk for u in form.fields["chair"].queryset}


def test_ib_creates_a_meeting_and_the_chair_attends(verified_client, ib, director, jgz, school):
    login(verified_client, ib)
    response = verified_client.post(reverse("cases:sot_meeting_add", args=[school.pk]), {
        "held_on": NEXT_WEEK.isoformat(), "chair": director.pk, "attendees": [ib.pk, jgz.pk],
        "external_attendees": "B. de Wit – wijkteam\nC. Kok (schoolmaatschappelijk werker)",
        "parents_attended": "on"})
    assert response.status_code == 302
    meeting = SotMeeting.objects.get()
    assert response["Location"] == reverse("cases:sot_meeting_detail", args=[meeting.pk])
    assert set(meeting.attendees.all()) == {ib, jgz, director}
    assert meeting.external_attendees == [
        {"name": "B. de Wit", "role": "wijkteam"},
        {"name": "C. Kok", "role": "schoolmaatschappelijk werker"}]
    assert meeting.parents_attended is True
    assert (meeting.school, meeting.created_by) == (school, ib)
    assert meeting.history.first().history_user == ib


def test_invalid_meeting_keeps_input(verified_client, ib, school):
    login(verified_client, ib)
    response = verified_client.post(reverse("cases:sot_meeting_add", args=[school.pk]), {
        "held_on": "", "external_attendees": "Zonder functie"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"held_on", "chair", "external_attendees"}
    assert "Zonder functie" in response.content.decode()
    assert not SotMeeting.objects.exists()


@pytest.mark.parametrize("role", [Role.LEERKRACHT, Role.SOT])
def test_only_leads_plan_meetings(verified_client, school, role):
    login(verified_client, staff(role, school))
    assert verified_client.get(reverse("cases:sot_meeting_add", args=[school.pk])
                               ).status_code == 403


def test_other_school_cannot_plan_here(verified_client, school, other_school):
    login(verified_client, staff(Role.IB, other_school))
    assert verified_client.get(reverse("cases:sot_meeting_add", args=[school.pk])
                               ).status_code == 404


def test_edit_meeting_needs_a_reason_and_detects_conflicts(verified_client, ib, vc, director,
                                                          meeting):
    login(verified_client, ib)
    response = verified_client.get(meeting_url("sot_meeting_edit", meeting))
    assert response.status_code == 200
    version = meeting.lock_version
    data = {"held_on": NEXT_WEEK.isoformat(), "chair": director.pk, "attendees": [ib.pk],
            "external_attendees": "D. Dam – jeugdverpleegkundige", "lock_version": version,
            "change_reason": ""}
    response = verified_client.post(meeting_url("sot_meeting_edit", meeting), data)
    assert response.context["form"].errors["change_reason"]
    # someone else saves in between
    other = SotMeeting.objects.get(pk=meeting.pk)
    other.parents_attended = True
    record_save(record=other, actor=vc, base_version=version, reason="ouders erbij")
    data["change_reason"] = "jeugdverpleegkundige erbij"
    response = verified_client.post(meeting_url("sot_meeting_edit", meeting), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Iemand anders heeft dit overleg intussen gewijzigd" in html
    assert "D. Dam – jeugdverpleegkundige" in html
    meeting.refresh_from_db()
    assert meeting.external_attendees == []
    data["lock_version"] = version + 1
    assert verified_client.post(meeting_url("sot_meeting_edit", meeting), data
                                ).status_code == 302
    meeting.refresh_from_db()
    assert meeting.external_attendees == [{"name": "D. Dam", "role": "jeugdverpleegkundige"}]
    assert meeting.history.first().history_change_reason == "jeugdverpleegkundige erbij"


def test_attendees_cannot_edit_the_meeting(verified_client, sot_member, meeting):
    login(verified_client, sot_member)
    assert verified_client.get(meeting_url("sot_meeting_edit", meeting)).status_code == 403


# --- who sees a meeting -----------------------------------------------------------------------

def test_sot_member_who_does_not_attend_gets_404(verified_client, school, meeting):
    absent = staff(Role.SOT, school, username="afwezig")
    login(verified_client, absent)
    assert verified_client.get(meeting_url("sot_meeting_detail", meeting)).status_code == 404
    response = verified_client.get(reverse("cases:sot_meeting_list"))
    assert response.status_code == 200
    assert meeting not in list(response.context["page"])


@pytest.mark.parametrize("who", ["teacher", "other_ib", "beheerder"])
def test_outsiders_get_404_on_the_meeting(verified_client, teacher, beheerder, other_school,
                                          meeting, who):
    user = {"teacher": teacher, "beheerder": beheerder,
            "other_ib": staff(Role.IB, other_school)}[who]
    login(verified_client, user)
    for name in ("sot_meeting_detail", "sot_meeting_edit"):
        assert verified_client.get(meeting_url(name, meeting)).status_code == 404
    assert verified_client.post(meeting_url("sot_agenda_add", meeting), {}).status_code == 404


@pytest.mark.parametrize("who", ["teacher", "beheerder"])
def test_meeting_list_is_not_for_teachers_or_beheerder(verified_client, teacher, beheerder, who):
    login(verified_client, {"teacher": teacher, "beheerder": beheerder}[who])
    assert verified_client.get(reverse("cases:sot_meeting_list")).status_code == 403


def test_meeting_list_for_leads_and_attending_members(verified_client, ib, vc, sot_member,
                                                      meeting, school, director):
    other = sot_meeting_save(meeting=SotMeeting(school=school, held_on=TODAY, chair=director),
                             attendees=[], actor=ib)
    login(verified_client, vc)
    assert set(verified_client.get(reverse("cases:sot_meeting_list")).context["page"]) == {
        meeting, other}
    login(verified_client, sot_member)
    assert list(verified_client.get(reverse("cases:sot_meeting_list")).context["page"]) == [
        meeting]


def test_ended_membership_ends_access(verified_client, sot_member, meeting):
    Membership.objects.filter(user=sot_member).update(
        starts_on=datetime.date(2020, 1, 1), ends_on=TODAY - datetime.timedelta(days=1))
    login(verified_client, sot_member)
    assert verified_client.get(meeting_url("sot_meeting_detail", meeting)).status_code == 404


# --- the agenda -------------------------------------------------------------------------------

def test_put_case_on_agenda_from_the_case(verified_client, ib, sot_member, director, sot_case,
                                          meeting, mailoutbox, django_capture_on_commit_callbacks):
    assert sot_case not in cases_visible_to(sot_member)
    login(verified_client, ib)
    response = verified_client.get(reverse("cases:case_sot_agenda", args=[sot_case.pk]))
    assert response.status_code == 200
    assert list(response.context["form"].fields["meeting"].queryset) == [meeting]
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client.post(reverse("cases:case_sot_agenda", args=[sot_case.pk]),
                                        {"meeting": meeting.pk})
    assert response.status_code == 302
    discussion = SotDiscussion.objects.get()
    assert (discussion.meeting, discussion.case, discussion.author) == (meeting, sot_case, ib)
    assert discussion.step == sot_case.step
    assert discussion.occurred_on == meeting.held_on
    assert discussion.nature_severity == ""
    # the attendees, not the one who did it, are notified; the e-mail has no content
    notified = Notification.objects.filter(kind=Kind.SOT_AGENDA)
    assert {n.user for n in notified} == {sot_member, director}
    assert {n.url for n in notified} == {reverse("cases:sot_meeting_detail",
                                                 args=[meeting.pk])}
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        assert "Noor" not in mail.body and "Visser" not in mail.body
        assert sot_case.number not in mail.body
    # the attending SOT member now sees the case
    assert sot_case in cases_visible_to(sot_member)


def test_put_case_on_agenda_from_the_meeting_page(verified_client, ib, sot_case, meeting):
    login(verified_client, ib)
    response = verified_client.get(meeting_url("sot_meeting_detail", meeting))
    assert list(response.context["add_form"].fields["case"].queryset) == [sot_case]
    response = verified_client.post(meeting_url("sot_agenda_add", meeting),
                                    {"case": sot_case.pk})
    assert response.status_code == 302
    assert SotDiscussion.objects.filter(meeting=meeting, case=sot_case).exists()
    # twice: the case is no longer offered, nothing is added
    verified_client.post(meeting_url("sot_agenda_add", meeting), {"case": sot_case.pk})
    assert SotDiscussion.objects.count() == 1


def test_agenda_refuses_closed_staff_route_and_other_school_cases(ib, sot_case, meeting, school,
                                                                   other_school):
    from cases.services import ServiceError

    close_case(case_id=sot_case.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    sot_case.refresh_from_db()
    with pytest.raises(ServiceError, match="afgesloten"):
        sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    staff_case = case_open(pupil=PupilFactory(school=school), actor=ib, route=Route.STAFF)
    with pytest.raises(ServiceError):
        sot_agenda_add(meeting=meeting, case=staff_case, actor=ib)
    other_ib = staff(Role.IB, other_school)
    other_case = case_open(pupil=PupilFactory(school=other_school), actor=other_ib)
    with pytest.raises(ServiceError, match="andere school"):
        sot_agenda_add(meeting=meeting, case=other_case, actor=other_ib)
    assert not SotDiscussion.objects.exists()


def test_closed_case_cannot_go_on_the_agenda_from_the_case(verified_client, ib, sot_case,
                                                           meeting):
    close_case(case_id=sot_case.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    login(verified_client, ib)
    response = verified_client.post(reverse("cases:case_sot_agenda", args=[sot_case.pk]),
                                    {"meeting": meeting.pk})
    assert response.status_code == 403
    assert not SotDiscussion.objects.exists()


def test_agenda_from_the_case_access(verified_client, teacher, ib, other_school, sot_case,
                                    meeting):
    url = reverse("cases:case_sot_agenda", args=[sot_case.pk])
    login(verified_client, teacher)
    assert verified_client.get(url).status_code == 404
    login(verified_client, staff(Role.IB, other_school))
    assert verified_client.get(url).status_code == 404
    case_grant_access(case=sot_case, user=teacher, level="read", actor=ib)
    login(verified_client, teacher)
    assert verified_client.post(url, {"meeting": meeting.pk}).status_code == 403
    assert not SotDiscussion.objects.exists()


def test_attendee_sees_only_meetings_and_cases_of_the_agenda(verified_client, ib, sot_member,
                                                             meeting, sot_case, school):
    not_on_agenda = case_open(pupil=PupilFactory(school=school), actor=ib)
    sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    login(verified_client, sot_member)
    response = verified_client.get(meeting_url("sot_meeting_detail", meeting))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Noor Visser" in html and sot_case.number in html
    assert response.context["add_form"] is None
    assert set(cases_visible_to(sot_member)) == {sot_case}
    assert not_on_agenda not in cases_visible_to(sot_member)
    assert verified_client.get(reverse("cases:detail", args=[sot_case.pk])).status_code == 200
    assert verified_client.get(reverse("cases:detail", args=[not_on_agenda.pk])
                               ).status_code == 404


def test_teacher_attendee_sees_only_cases_they_may_see(verified_client, ib, teacher, director,
                                                       school, sot_case):
    """A teacher attending for one pupil does not see the other pupils on the agenda."""
    meeting = sot_meeting_save(meeting=SotMeeting(school=school, held_on=NEXT_WEEK,
                                                  chair=director), attendees=[teacher], actor=ib)
    own = case_open(pupil=PupilFactory(school=school, first_name="Eigen"), actor=ib)
    case_grant_access(case=own, user=teacher, level="read", actor=ib)
    sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    sot_agenda_add(meeting=meeting, case=own, actor=ib)
    login(verified_client, teacher)
    response = verified_client.get(meeting_url("sot_meeting_detail", meeting))
    assert [item["discussion"].case for item in response.context["items"]] == [own]
    assert "Noor Visser" not in response.content.decode()  # staff may be called Noor


def test_meeting_page_logs_one_row_per_case_shown(verified_client, ib, meeting, school):
    cases = [case_open(pupil=PupilFactory(school=school), actor=ib) for _ in range(3)]
    for case in cases:
        sot_agenda_add(meeting=meeting, case=case, actor=ib)
    login(verified_client, ib)
    verified_client.get(meeting_url("sot_meeting_detail", meeting))
    rows = AccessLog.objects.filter(object_type="cases.sotmeeting", object_id=meeting.pk)
    assert sorted(r.case_id for r in rows) == sorted(c.pk for c in cases)
    assert {r.user for r in rows} == {ib}


def test_new_attendee_of_a_meeting_with_agenda_is_notified(ib, jgz, director, meeting,
                                                           sot_case):
    sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    Notification.objects.all().delete()
    meeting.refresh_from_db()
    sot_meeting_save(meeting=meeting, attendees=[ib, jgz], actor=ib,
                     base_version=meeting.lock_version, reason="jeugdarts erbij")
    assert [n.user for n in Notification.objects.all()] == [jgz]
    assert sot_case in cases_visible_to(jgz)


def test_changing_the_date_moves_the_agenda_items(ib, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    meeting.refresh_from_db()
    meeting.held_on = NEXT_WEEK + datetime.timedelta(days=7)
    sot_meeting_save(meeting=meeting, attendees=list(meeting.attendees.all()), actor=ib,
                     base_version=meeting.lock_version, reason="verzet")
    discussion.refresh_from_db()
    assert discussion.occurred_on == meeting.held_on


# --- the weighing -----------------------------------------------------------------------------

WEIGHING = {"nature_severity": "Herhaald letsel, wisselende verklaringen.",
            "risk_assessment": "Structurele onveiligheid niet uit te sluiten.",
            "agreed_approach": "Advies Veilig Thuis, daarna stap 5."}


def test_attending_sot_member_records_the_weighing(verified_client, ib, sot_member, meeting,
                                                   sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    login(verified_client, sot_member)
    url = meeting_url("sot_discussion_edit", meeting, discussion.pk)
    response = verified_client.get(url)
    assert response.status_code == 200
    assert not response.context["form"].fields["change_reason"].required
    response = verified_client.post(url, {**WEIGHING, "lock_version": discussion.lock_version})
    assert response.status_code == 302
    discussion.refresh_from_db()
    assert discussion.risk_assessment == WEIGHING["risk_assessment"]
    assert discussion.author == ib
    latest = discussion.history.first()
    assert (latest.history_user, latest.history_change_reason) == (sot_member,
                                                                   "weging vastgelegd")
    # changing a recorded weighing needs a reason
    response = verified_client.get(url)
    assert response.context["form"].fields["change_reason"].required


def test_weighing_requires_all_three_parts(verified_client, ib, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    login(verified_client, ib)
    response = verified_client.post(meeting_url("sot_discussion_edit", meeting, discussion.pk),
                                    {**WEIGHING, "agreed_approach": "", "lock_version": 1})
    assert response.status_code == 200
    assert "agreed_approach" in response.context["form"].errors
    assert WEIGHING["nature_severity"] in response.content.decode()


def test_concurrent_weighing_edit_keeps_input(verified_client, ib, vc, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    other = SotDiscussion.objects.get(pk=discussion.pk)
    other.nature_severity, other.risk_assessment, other.agreed_approach = "VC", "VC", "VC-aanpak"
    record_save(record=other, actor=vc, base_version=discussion.lock_version, reason="")
    login(verified_client, ib)
    response = verified_client.post(
        meeting_url("sot_discussion_edit", meeting, discussion.pk),
        {**WEIGHING, "lock_version": discussion.lock_version, "change_reason": "IB"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Iemand anders heeft dit verslag intussen gewijzigd" in html
    assert WEIGHING["agreed_approach"] in html and "VC-aanpak" in html
    discussion.refresh_from_db()
    assert discussion.agreed_approach == "VC-aanpak"


def test_weighing_access(verified_client, ib, teacher, school, other_school, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    url = meeting_url("sot_discussion_edit", meeting, discussion.pk)
    absent = staff(Role.SOT, school, username="afwezig")
    for user in (teacher, absent, staff(Role.IB, other_school)):
        login(verified_client, user)
        assert verified_client.get(url).status_code == 404
    # a read-only invitee attending the meeting sees it, but may not weigh
    case_grant_access(case=sot_case, user=teacher, level="read", actor=ib)
    meeting.attendees.add(teacher)
    login(verified_client, teacher)
    assert verified_client.get(meeting_url("sot_meeting_detail", meeting)).status_code == 200
    assert verified_client.get(url).status_code == 403
    # a discussion of another meeting is not reachable through this one
    other_meeting = sot_meeting_save(meeting=SotMeeting(school=school, held_on=TODAY,
                                                        chair=ib), attendees=[], actor=ib)
    login(verified_client, ib)
    assert verified_client.get(meeting_url("sot_discussion_edit", other_meeting, discussion.pk)
                               ).status_code == 404


def test_weighing_of_a_closed_case_is_refused(verified_client, ib, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    close_case(case_id=sot_case.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    login(verified_client, ib)
    response = verified_client.post(meeting_url("sot_discussion_edit", meeting, discussion.pk),
                                    {**WEIGHING, "lock_version": 1})
    assert response.status_code == 403


def test_recorded_weighing_lets_the_case_move_to_step_5(ib, meeting, sot_case):
    """The workflow guard for step 5 reads the weighing recorded here."""
    from cases.workflow import _records_guard

    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    assert _records_guard(sot_case, Step.BESLISSEN)
    for name, value in WEIGHING.items():
        setattr(discussion, name, value)
    record_save(record=discussion, actor=ib, base_version=1, reason="")
    assert not _records_guard(sot_case, Step.BESLISSEN)


# --- dashboard helper -------------------------------------------------------------------------

def test_sot_agenda_for_the_chairs_dashboard(ib, director, sot_member, school, meeting,
                                             django_assert_num_queries):
    past = sot_meeting_save(meeting=SotMeeting(school=school, held_on=TODAY - datetime.
                                               timedelta(days=3), chair=director),
                            attendees=[sot_member], actor=ib)
    cases = [case_open(pupil=PupilFactory(school=school), actor=ib) for _ in range(3)]
    for case in cases:
        sot_agenda_add(meeting=meeting, case=case, actor=ib)
    sot_agenda_add(meeting=past, case=cases[0], actor=ib)
    later = sot_meeting_save(meeting=SotMeeting(school=school, held_on=NEXT_WEEK + datetime.
                                                timedelta(days=14), chair=director),
                             attendees=[], actor=ib)
    for user in (director, sot_member):
        user._meldcode_roles = None
    assert next_sot_meeting(director, school) == meeting
    with django_assert_num_queries(2):
        meetings = sot_agenda_for(director)
        assert [m.pk for m in meetings] == [meeting.pk, later.pk]
        assert [d.case.pupil.full_name for d in meetings[0].agenda] == [
            c.pupil.full_name for c in cases]
    # the SOT member does not attend the later meeting
    assert [m.pk for m in sot_agenda_for(sot_member)] == [meeting.pk]
    assert next_sot_meeting(staff(Role.SOT, school, username="nieuw"), school) is None


# --- query counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["ib", "sot_member"])
def test_meeting_page_queries_do_not_grow_with_the_agenda(verified_client, ib, sot_member,
                                                          school, meeting,
                                                          django_assert_max_num_queries, who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = SchoolClassFactory(school=school)
    user = {"ib": ib, "sot_member": sot_member}[who]
    login(verified_client, user)

    def count(n):
        for _ in range(n):
            case = case_open(pupil=PupilFactory(school=school, school_class=group), actor=ib)
            sot_agenda_add(meeting=meeting, case=case, actor=ib)
        verified_client.get(meeting_url("sot_meeting_detail", meeting))  # warm: see below
        with CaptureQueriesContext(connection) as ctx:
            response = verified_client.get(meeting_url("sot_meeting_detail", meeting))
        assert len(response.context["items"]) == SotDiscussion.objects.count()
        return len(ctx)

    # The first request after a login refreshes the session and fills the role cache; both
    # counts are taken on a later request.
    one = count(1)
    assert count(24) == one
    assert one <= 12  # was 15 before role permissions were cached and sessions saved per minute


def test_meeting_list_queries_do_not_grow(verified_client, ib, director, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(verified_client, ib)

    def count(n):
        for i in range(n):
            sot_meeting_save(meeting=SotMeeting(school=school, held_on=TODAY, chair=director),
                             attendees=[ib], actor=ib)
        verified_client.get(reverse("cases:sot_meeting_list"))  # warm: session, role cache
        with CaptureQueriesContext(connection) as ctx:
            verified_client.get(reverse("cases:sot_meeting_list"))
        return len(ctx)

    one = count(1)
    assert count(24) == one
    assert one <= 9  # was 12


def test_invited_contributor_attending_may_weigh_their_case(verified_client, ib, teacher,
                                                            meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    case_grant_access(case=sot_case, user=teacher, level="contribute", actor=ib)
    meeting.attendees.add(teacher)
    login(verified_client, teacher)
    response = verified_client.get(meeting_url("sot_meeting_detail", meeting))
    assert [item["editable"] for item in response.context["items"]] == [True]
    response = verified_client.post(meeting_url("sot_discussion_edit", meeting, discussion.pk),
                                    {**WEIGHING, "lock_version": 1})
    assert response.status_code == 302


def test_attendees_cannot_add_cases_from_the_meeting_page(verified_client, ib, sot_member,
                                                          meeting, sot_case):
    login(verified_client, sot_member)
    response = verified_client.post(meeting_url("sot_agenda_add", meeting),
                                    {"case": sot_case.pk})
    assert response.status_code == 403
    assert not SotDiscussion.objects.exists()

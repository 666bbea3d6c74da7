"""Need-to-know: who sees which case (cases.selectors), as a matrix of users and cases."""

import datetime

import pytest

from cases.models import Route
from cases.selectors import (case_get_for_user, case_permissions, cases_visible_to,
                             signals_visible_to)
from cases.services import case_grant_access, case_revoke_access
from schools.models import Membership
from schools.roles import Role
from tests.factories import UserFactory, staff

from .conftest import create_pupil, create_signal, create_sot_discussion, create_sot_meeting

pytestmark = pytest.mark.django_db


def _end_memberships(user):
    for membership in Membership.objects.filter(user=user):
        membership.ends_on = datetime.date.today() - datetime.timedelta(days=1)
        membership.starts_on = min(membership.starts_on, membership.ends_on)
        membership.save()


@pytest.fixture
def world(school, other_school, teacher, ib, vc, director, sot_member, beheerder, make_case):
    """Cases at two schools of different boards, and every kind of user."""
    users = {
        "teacher": teacher, "ib": ib, "vc": vc, "director": director,
        "sot_member": sot_member, "beheerder": beheerder,
        "invited_teacher": staff(Role.LEERKRACHT, school, username="uitgenodigd"),
        "sot_attendee": staff(Role.SOT, school, username="sot_aanwezig"),
        "bestuur_assigned": staff(Role.BESTUUR, board=school.board, username="bestuur_ja"),
        "bestuur_other": staff(Role.BESTUUR, board=school.board, username="bestuur_nee"),
        "other_ib": staff(Role.IB, other_school, username="ib_elders"),
        "ended_ib": staff(Role.IB, school, username="ib_vertrokken"),
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    _end_memberships(users["ended_ib"])
    cases = {
        "school": make_case(),
        "on_agenda": make_case(),
        "invited": make_case(),
        "staff_route": make_case(route=Route.STAFF),
        "other_school": make_case(actor=users["other_ib"], signals=[]),
    }
    case_grant_access(case=cases["invited"], user=users["invited_teacher"], level="read",
                      actor=ib)
    case_grant_access(case=cases["staff_route"], user=users["bestuur_assigned"], level="read",
                      actor=ib)
    meeting = create_sot_meeting(school, director, [users["sot_attendee"], director])
    create_sot_discussion(cases["on_agenda"], director, meeting=meeting)
    # A meeting the plain SOT member did not attend does not count.
    create_sot_discussion(cases["school"], director,
                          meeting=create_sot_meeting(school, director, [director]))
    return users, cases


SCHOOL_MELDCODE = {"school", "on_agenda", "invited"}
EXPECTED = {
    "teacher": set(),
    "invited_teacher": {"invited"},
    "ib": SCHOOL_MELDCODE,
    "vc": SCHOOL_MELDCODE,
    "director": SCHOOL_MELDCODE,
    "sot_member": set(),
    "sot_attendee": {"on_agenda"},
    "beheerder": set(),
    "bestuur_assigned": {"staff_route"},
    "bestuur_other": set(),
    "other_ib": {"other_school"},
    "ended_ib": set(),
    "superuser": set(),
}


@pytest.mark.parametrize("who", EXPECTED.keys())
def test_need_to_know_matrix(who, world):
    users, cases = world
    names = {pk: name for name, pk in ((n, c.pk) for n, c in cases.items())}
    visible = {names[pk] for pk in cases_visible_to(users[who]).values_list("pk", flat=True)}
    assert visible == EXPECTED[who]
    for name, case in cases.items():
        perms = case_permissions(users[who], case)
        assert ("view_case" in perms) == (name in EXPECTED[who]), (who, name, perms)


def test_case_get_for_user_is_404_for_invisible_cases(world):
    from django.http import Http404

    users, cases = world
    with pytest.raises(Http404):
        case_get_for_user(users["teacher"], cases["school"].pk)
    assert case_get_for_user(users["ib"], cases["school"].pk) == cases["school"]


def test_invitation_ends_with_revocation_and_with_the_membership(world):
    users, cases = world
    invited = users["invited_teacher"]
    case_revoke_access(case=cases["invited"], user=invited)
    assert not cases_visible_to(invited).exists()
    case_grant_access(case=cases["invited"], user=invited, level="contribute",
                      actor=users["ib"])
    assert cases_visible_to(invited).count() == 1
    _end_memberships(invited)
    invited._meldcode_roles = None  # per-request cache
    assert not cases_visible_to(invited).exists()


@pytest.mark.parametrize("who, expected", [
    ("ib", {"view_case", "advance_case", "add_record", "open_case", "view_access_log"}),
    ("vc", {"view_case", "advance_case", "add_record", "open_case", "view_access_log"}),
    ("director", {"view_case", "export_dossier", "add_record"}),
    ("invited_teacher", {"view_case"}),
    ("teacher", set()),
])
def test_case_permissions(who, expected, world):
    users, cases = world
    perms = case_permissions(users[who], cases["invited"])
    assert expected <= perms
    if who in {"director", "invited_teacher", "teacher"}:
        assert "advance_case" not in perms and "view_access_log" not in perms


def test_contribute_invitation_adds_records_but_does_not_move(world):
    users, cases = world
    case_grant_access(case=cases["invited"], user=users["invited_teacher"], level="contribute",
                      actor=users["ib"])
    perms = case_permissions(users["invited_teacher"], cases["invited"])
    assert {"view_case", "add_record"} <= perms
    assert "advance_case" not in perms


def test_signals_in_a_visible_case_are_visible(world, school):
    users, cases = world
    invited = users["invited_teacher"]
    in_case = cases["invited"].signal_links.get().signal
    elsewhere = create_signal(school=school, recorded_by=users["teacher"],
                              pupils=create_pupil(school))
    visible = set(signals_visible_to(invited).values_list("pk", flat=True))
    assert in_case.pk in visible and elsewhere.pk not in visible
    assert elsewhere.pk in set(signals_visible_to(users["ib"]).values_list("pk", flat=True))
    assert not signals_visible_to(users["other_ib"]).filter(pk=elsewhere.pk).exists()

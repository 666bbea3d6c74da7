"""The rules for granting roles (services.membership_errors / membership_add)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from schools import services
from schools.models import Membership
from schools.roles import Role
from tests.factories import BoardFactory, SchoolClassFactory, UserFactory, staff

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 9, 1)


def errors(actor, role, school=None, board=None, user=None, **kwargs):
    if board is None and school is not None and role not in Role.board_level():
        board = school.board
    req = services.MembershipRequest(role=role, school=school, board=board,
                                     starts_on=kwargs.pop("starts_on", START), **kwargs)
    return services.membership_errors(actor=actor, user=user, req=req)


def test_school_role_needs_a_school(beheerder):
    assert "school" in errors(beheerder, Role.IB, board=None)


def test_school_role_only_within_scope(beheerder, director, sister_school, other_school):
    assert errors(beheerder, Role.IB, sister_school) == {}
    assert "school" in errors(beheerder, Role.IB, other_school)
    assert "school" in errors(director, Role.IB, sister_school)


def test_school_must_belong_to_the_given_board(beheerder, school):
    assert "school" in errors(beheerder, Role.IB, school, board=BoardFactory())


def test_board_roles_only_by_a_beheerder(beheerder, director, school):
    assert errors(beheerder, Role.BESTUUR, board=school.board) == {}
    assert errors(beheerder, Role.BEHEERDER, board=school.board) == {}
    assert "role" in errors(director, Role.BESTUUR, board=school.board)
    assert "role" in errors(director, Role.BEHEERDER, board=school.board)


def test_board_role_has_no_school_and_stays_in_own_board(beheerder, school):
    assert "school" in errors(beheerder, Role.BESTUUR, school, board=school.board)
    assert "board" in errors(beheerder, Role.BESTUUR, board=BoardFactory())
    assert "board" in errors(beheerder, Role.BESTUUR)


def test_external_function_only_for_sot(beheerder, school):
    assert errors(beheerder, Role.SOT, school, external_function="jeugdarts") == {}
    assert "external_function" in errors(beheerder, Role.IB, school,
                                         external_function="jeugdarts")


def test_groups_only_for_teacher_of_the_same_school(beheerder, school, sister_school):
    own, other = SchoolClassFactory(school=school), SchoolClassFactory(school=sister_school)
    assert errors(beheerder, Role.LEERKRACHT, school, classes=[own]) == {}
    assert "classes" in errors(beheerder, Role.IB, school, classes=[own])
    assert "classes" in errors(beheerder, Role.LEERKRACHT, school, classes=[other])


def test_end_date_not_before_start(beheerder, school):
    assert "ends_on" in errors(beheerder, Role.IB, school,
                               ends_on=START - datetime.timedelta(days=1))


def test_no_overlapping_copy_of_the_same_role(beheerder, school):
    person = staff(Role.IB, school)  # since 2020-08-01, open-ended
    assert None in errors(beheerder, Role.IB, school, user=person)
    assert errors(beheerder, Role.VC, school, user=person) == {}


def test_users_without_manage_permission_can_grant_nothing(teacher, school):
    assert "school" in errors(teacher, Role.LEERKRACHT, school)
    assert "role" in errors(teacher, Role.BEHEERDER, board=school.board)


def test_membership_add_enforces_the_rules(director, school, sister_school):
    person = UserFactory()
    with pytest.raises(ValidationError) as info:
        services.membership_add(actor=director, user=person, role=Role.IB, school=sister_school)
    assert "school" in info.value.error_dict
    with pytest.raises(ValidationError):
        services.membership_add(actor=director, user=person, role=Role.BEHEERDER,
                                board=school.board)
    assert not Membership.objects.filter(user=person).exists()


def test_membership_add_sets_board_from_school_and_history_user(director, school):
    person = UserFactory()
    group = SchoolClassFactory(school=school)
    m = services.membership_add(actor=director, user=person, role=Role.LEERKRACHT,
                                school=school, starts_on=START, classes=[group])
    assert m.board == school.board and list(m.classes.all()) == [group]
    assert m.history.first().history_user == director


def test_scope_of_beheerder_and_director(beheerder, director, school, sister_school,
                                         other_school):
    ids = lambda user: set(services.managed_schools(  # noqa: E731
        services.manage_scope(user)).values_list("pk", flat=True))
    assert ids(beheerder) == {school.pk, sister_school.pk}
    assert ids(director) == {school.pk}
    assert not services.manage_scope(director, services.IMPORT_PUPILS)


def test_a_parent_behind_an_access_request_cannot_be_unlinked(school, beheerder):
    import datetime

    from django.core.exceptions import ValidationError

    from exports.models import AccessRequest
    from schools.models import PupilParent
    from schools.services import parent_link_remove
    from tests.factories import PupilParentFactory

    link = PupilParentFactory(pupil__school=school)
    AccessRequest.objects.create(
        school=school, pupil=link.pupil, requester_kind="ouder", parent_link=link,
        requester_name=link.parent.name, received_on=datetime.date(2026, 11, 2),
        due_on=datetime.date(2026, 12, 2), recorded_by=beheerder)
    with pytest.raises(ValidationError, match="inzageverzoek"):
        parent_link_remove(actor=beheerder, link=link)
    assert PupilParent.objects.filter(pk=link.pk).exists()

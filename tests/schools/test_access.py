"""Who may open which beheer page: deny by default, 404 outside the managed schools."""

import datetime

import pytest
from django.urls import reverse

from schools.roles import Role
from tests.factories import (MembershipFactory, PupilFactory, PupilParentFactory,
                             SchoolClassFactory, staff)

pytestmark = pytest.mark.django_db


def _person(school):
    return [staff(Role.LEERKRACHT, school).pk]


def _membership(school):
    return [MembershipFactory(school=school).pk]


def _school(school):
    return [school.pk]


def _class(school):
    return [SchoolClassFactory(school=school).pk]


def _pupil(school):
    return [PupilFactory(school=school).pk]


def _link(school):
    return [PupilParentFactory(pupil__school=school).pk]


OBJECT_PAGES = [
    ("schools:person_detail", _person),
    ("schools:membership_add", _person),
    ("schools:membership_end", _membership),
    ("schools:class_list", _school),
    ("schools:class_create", _school),
    ("schools:class_edit", _class),
    ("schools:pupil_list", _school),
    ("schools:pupil_create", _school),
    ("schools:pupil_detail", _pupil),
    ("schools:pupil_edit", _pupil),
    ("schools:parent_add", _pupil),
    ("schools:parent_edit", _link),
]
LIST_PAGES = ["schools:people", "schools:person_create", "schools:school_list"]
ALL_PAGES = [(name, None) for name in LIST_PAGES] + OBJECT_PAGES
ids = [name for name, _ in ALL_PAGES]


def _url(name, build, school):
    return reverse(name, args=build(school) if build else [])


@pytest.mark.parametrize(("name", "build"), ALL_PAGES, ids=ids)
def test_beheerder_opens_every_page_for_every_school_of_the_board(
        login, beheerder, school, sister_school, name, build):
    client = login(beheerder)
    for target in (school, sister_school):
        assert client.get(_url(name, build, target)).status_code == 200


@pytest.mark.parametrize(("name", "build"), OBJECT_PAGES, ids=[n for n, _ in OBJECT_PAGES])
def test_beheerder_gets_404_for_a_school_of_another_board(login, beheerder, other_school,
                                                          name, build):
    assert login(beheerder).get(_url(name, build, other_school)).status_code == 404


@pytest.mark.parametrize(("name", "build"), ALL_PAGES, ids=ids)
def test_director_opens_every_page_for_own_school(login, director, school, name, build):
    assert login(director).get(_url(name, build, school)).status_code == 200


@pytest.mark.parametrize(("name", "build"), OBJECT_PAGES, ids=[n for n, _ in OBJECT_PAGES])
def test_director_gets_404_for_another_school_of_the_board(login, director, sister_school,
                                                           name, build):
    assert login(director).get(_url(name, build, sister_school)).status_code == 404


@pytest.mark.parametrize("role", ["teacher", "ib", "vc", "sot_member"])
@pytest.mark.parametrize(("name", "build"), ALL_PAGES, ids=ids)
def test_staff_without_manage_permission_get_403(request, login, school, role, name, build):
    user = request.getfixturevalue(role)
    assert login(user).get(_url(name, build, school)).status_code == 403


@pytest.mark.parametrize(("name", "build"), ALL_PAGES, ids=ids)
def test_anonymous_is_sent_to_login(client, school, name, build):
    response = client.get(_url(name, build, school))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor:login"))


def test_ended_beheerder_role_gives_nothing(login, school):
    user = staff(Role.BEHEERDER, board=school.board)
    user.memberships.update(ends_on=datetime.date(2021, 1, 1))
    assert login(user).get(reverse("schools:people")).status_code == 403


def test_bestuurder_board_role_does_not_manage_people(login, school):
    user = staff(Role.BESTUUR, board=school.board)
    assert login(user).get(reverse("schools:school_list")).status_code == 403


@pytest.mark.parametrize("page", ["schools:pupil_import", "schools:pupil_import_template"])
def test_import_is_for_the_beheerder_only(client, login, beheerder, director, teacher, page):
    url = reverse(page)
    assert client.get(url).status_code == 302
    assert login(teacher).get(url).status_code == 403
    assert login(director).get(url).status_code == 403  # directeur: no schools.import_pupils
    assert login(beheerder).get(url).status_code == 200


def test_parent_unlink_is_scoped(login, beheerder, director, teacher, school, sister_school):
    own, other = PupilParentFactory(pupil__school=school), PupilParentFactory(
        pupil__school=sister_school)
    url = lambda link: reverse("schools:parent_remove", args=[link.pk])  # noqa: E731
    assert login(teacher).post(url(own)).status_code == 403
    assert login(director).post(url(other)).status_code == 404
    assert login(director).get(url(own)).status_code == 405
    assert login(beheerder).post(url(other)).status_code == 302

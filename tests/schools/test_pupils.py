"""Groups, pupils and their parents on the beheer screens."""

import datetime

import pytest
from django.urls import reverse

from schools.models import Parent, Pupil, PupilParent, SchoolClass
from schools.roles import Role
from tests.factories import (
    FamilyFactory,
    ParentFactory,
    PupilFactory,
    PupilParentFactory,
    SchoolClassFactory,
    SchoolFactory,
    staff,
)

pytestmark = pytest.mark.django_db


# -- groups --------------------------------------------------------------------------------

def test_create_group(login, director, school):
    response = login(director).post(reverse("schools:class_create", args=[school.pk]),
                                    {"name": "groep 5a", "school_year": "2026-2027"})
    assert response.status_code == 302
    assert SchoolClass.objects.filter(school=school, name="groep 5a").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "GROEP 5A", "school_year": "2026-2027"}, "name"),
    ({"name": "groep 6", "school_year": "2026-2028"}, "school_year"),
    ({"name": "groep 6", "school_year": "26/27"}, "school_year"),
])
def test_group_form_rejects_duplicates_and_bad_years(login, director, school, data, field):
    SchoolClassFactory(school=school, name="groep 5a", school_year="2026-2027")
    response = login(director).post(reverse("schools:class_create", args=[school.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_edit_group_and_list_per_school_year(login, beheerder, school):
    group = SchoolClassFactory(school=school, name="groep 3", school_year="2025-2026")
    client = login(beheerder)
    response = client.post(reverse("schools:class_edit", args=[group.pk]),
                           {"name": "groep 3b", "school_year": "2025-2026"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "groep 3b" and group.school == school
    listing = client.get(reverse("schools:class_list", args=[school.pk]),
                         {"schooljaar": "2025-2026"})
    assert "groep 3b" in listing.content.decode()
    assert "groep 3b" not in client.get(
        reverse("schools:class_list", args=[school.pk])).content.decode()


# -- pupils --------------------------------------------------------------------------------

def test_pupil_list_searches_by_name_and_number(login, director, school):
    PupilFactory(school=school, first_name="Sanne", last_name="Bakker", external_id="A1")
    PupilFactory(school=school, first_name="Daan", last_name="Visser", external_id="B2")
    client = login(director)
    url = reverse("schools:pupil_list", args=[school.pk])

    def search(q):
        response = client.post(url, {"q": q})
        assert response.status_code == 302 and response.url == url  # no name in the address
        return [p.first_name for p in client.get(url).context["pupils"]]

    assert search("bak") == ["Sanne"]
    assert search("B2") == ["Daan"]
    # A name in the query string is no search (the page never makes one).
    assert sorted(p.first_name for p in client.get(url, {"q": "Visser"}).context["pupils"]) \
        == ["Daan"]
    assert client.post(url, {"wissen": "1"}).status_code == 302
    assert sorted(p.first_name for p in client.get(url).context["pupils"]) == ["Daan", "Sanne"]


def test_pupil_search_post_is_refused_outside_the_users_schools(login, director, teacher, ib,
                                                                 school, other_school):
    """The search is a POST now: other roles and other schools' staff get 403/404 for it as
    for the page, and store nothing."""
    url = reverse("schools:pupil_list", args=[school.pk])
    for user in (teacher, ib, staff(Role.DIRECTEUR, other_school, username="directeur-elders")):
        client = login(user)
        assert client.post(url, {"q": "Bakker"}).status_code in (403, 404), user.username
        assert "pupil_search" not in client.session
    assert login(director).post(url, {"q": "Bakker"}).status_code == 302


def test_pupil_list_hides_pupils_who_left(login, director, school):
    PupilFactory(school=school, last_name="Vertrokken", left_on=datetime.date(2025, 7, 1))
    client = login(director)
    url = reverse("schools:pupil_list", args=[school.pk])
    assert not client.get(url).context["pupils"]
    client.post(url, {"q": "", "uitgeschreven": "1"})
    assert len(client.get(url).context["pupils"]) == 1


def test_pupil_list_is_paginated(login, director, school):
    PupilFactory.create_batch(55, school=school)
    client = login(director)
    url = reverse("schools:pupil_list", args=[school.pk])
    first = client.get(url)
    assert len(first.context["pupils"]) == 50 and first.context["page"].has_next()
    assert len(client.get(url, {"pagina": 2}).context["pupils"]) == 5


def test_pupil_list_query_count_does_not_grow(login, director, school,
                                              django_assert_max_num_queries):
    client = login(director)
    url = reverse("schools:pupil_list", args=[school.pk])
    group = SchoolClassFactory(school=school)
    counts = {}
    client.get(url)  # warm: the role cache of this test
    for total in (1, 25):
        Pupil.objects.all().delete()
        for pupil in PupilFactory.create_batch(total, school=school, school_class=group):
            PupilParentFactory(pupil=pupil)
        with django_assert_max_num_queries(12) as captured:
            response = client.get(url)
        assert len(response.context["pupils"]) == total
        counts[total] = len(captured)
    assert counts[1] == counts[25], counts


def test_create_and_edit_pupil(login, director, school):
    group = SchoolClassFactory(school=school)
    client = login(director)
    response = client.post(reverse("schools:pupil_create", args=[school.pk]), {
        "external_id": "123", "first_name": "Sanne", "last_name": "Bakker",
        "date_of_birth": "2018-03-04", "school_class": group.pk})
    pupil = Pupil.objects.get(external_id="123")
    assert response.url == reverse("schools:pupil_detail", args=[pupil.pk])
    assert pupil.school == school and pupil.school_class == group
    response = client.post(reverse("schools:pupil_edit", args=[pupil.pk]), {
        "external_id": "123", "first_name": "Sanne", "last_name": "Bakker",
        "date_of_birth": "04-03-2018", "left_on": "2027-07-15"})
    pupil.refresh_from_db()
    assert pupil.left_on == datetime.date(2027, 7, 15) and pupil.school_class is None
    assert pupil.history.first().history_user == director


def test_pupil_form_validates(login, director, school, sister_school):
    PupilFactory(school=school, external_id="123")
    foreign_group = SchoolClassFactory(school=sister_school)
    response = login(director).post(reverse("schools:pupil_create", args=[school.pk]), {
        "external_id": "123", "first_name": "A", "last_name": "B",
        "date_of_birth": "2999-01-01", "school_class": foreign_group.pk})
    errors = response.context["form"].errors
    assert errors["external_id"] == ["Op deze school heeft al een leerling dit nummer."]
    assert errors["date_of_birth"] == ["De geboortedatum ligt in de toekomst."]
    assert "school_class" in errors


def test_pupil_detail_shows_parents_and_visible_siblings(login, director, school,
                                                         sister_school):
    family = FamilyFactory(board=school.board)
    pupil = PupilFactory(school=school, family=family)
    here = PupilFactory(school=school, family=family, first_name="Broerhier")
    PupilFactory(school=sister_school, family=family, first_name="Zusdaar")
    PupilParentFactory(pupil=pupil, parent__name="Mama Bakker", parent__safe_to_contact=False)
    response = login(director).get(reverse("schools:pupil_detail", args=[pupil.pk]))
    content = response.content.decode()
    assert "Mama Bakker" in content and "niet benaderen" in content
    assert response.context["siblings"] == [here]  # the sister school is not the director's
    assert "Zusdaar" not in content


# -- parents -------------------------------------------------------------------------------

def test_add_new_parent(login, director, school):
    pupil = PupilFactory(school=school)
    response = login(director).post(reverse("schools:parent_add", args=[pupil.pk]), {
        "name": "Eva Bakker", "email": "eva@example.invalid", "phone": "06 12345678",
        "relationship": "moeder", "has_authority": "on"})
    assert response.status_code == 302
    link = PupilParent.objects.get(pupil=pupil)
    assert link.parent.school == school and link.has_authority
    assert link.parent.safe_to_contact is False  # an unchecked box means "not safe"


def test_add_parent_needs_name_or_existing(login, director, school):
    pupil = PupilFactory(school=school)
    response = login(director).post(reverse("schools:parent_add", args=[pupil.pk]),
                                    {"relationship": "vader"})
    assert "name" in response.context["form"].errors


def test_link_existing_parent_of_sibling(login, director, school):
    family = FamilyFactory(board=school.board)
    older = PupilFactory(school=school, family=family)
    parent = PupilParentFactory(pupil=older).parent
    younger = PupilFactory(school=school, family=family)
    response = login(director).post(reverse("schools:parent_add", args=[younger.pk]), {
        "existing_parent": parent.pk, "relationship": "vader", "has_authority": ""})
    assert response.status_code == 302
    link = PupilParent.objects.get(pupil=younger)
    assert link.parent == parent and link.has_authority is False
    assert Parent.objects.count() == 1


def test_cannot_link_parent_outside_the_family(login, director, school):
    stranger = ParentFactory(school=school)
    pupil = PupilFactory(school=school, family=FamilyFactory(board=school.board))
    PupilParentFactory(pupil=PupilFactory(school=school, family=pupil.family))
    response = login(director).post(reverse("schools:parent_add", args=[pupil.pk]), {
        "existing_parent": stranger.pk, "relationship": "vader"})
    assert "existing_parent" in response.context["form"].errors


def test_edit_parent_and_link(login, director, school):
    link = PupilParentFactory(pupil__school=school, has_authority=True)
    response = login(director).post(reverse("schools:parent_edit", args=[link.pk]), {
        "name": "Nieuwe Naam", "email": "", "phone": "", "relationship": "voogd",
        "has_authority": "", "safe_to_contact": ""})
    assert response.status_code == 302
    link.refresh_from_db()
    link.parent.refresh_from_db()
    assert (link.relationship, link.has_authority) == ("voogd", False)
    assert (link.parent.name, link.parent.safe_to_contact) == ("Nieuwe Naam", False)


def test_unlink_parent_keeps_parent_for_siblings(login, director, school):
    link = PupilParentFactory(pupil__school=school)
    sibling_link = PupilParentFactory(pupil__school=school, parent=link.parent)
    response = login(director).post(reverse("schools:parent_remove", args=[link.pk]))
    assert response.status_code == 302
    assert not PupilParent.objects.filter(pk=link.pk).exists()
    assert PupilParent.objects.filter(pk=sibling_link.pk).exists()


def test_school_list_counts_current_pupils(login, beheerder, school, sister_school):
    PupilFactory.create_batch(3, school=school)
    PupilFactory(school=school, left_on=datetime.date(2020, 1, 1))
    SchoolFactory()  # another board
    response = login(beheerder).get(reverse("schools:school_list"))
    counts = {s.pk: s.pupil_count for s in response.context["schools"]}
    assert counts == {school.pk: 3, sister_school.pk: 0}


def test_teacher_role_with_groups_shows_on_person_page(login, beheerder, school):
    group = SchoolClassFactory(school=school, name="groep 7")
    person = staff(Role.LEERKRACHT, school)
    person.memberships.get().classes.add(group)
    content = login(beheerder).get(
        reverse("schools:person_detail", args=[person.pk])).content.decode()
    assert "groep 7" in content

"""People and roles: list, new account with invitation, add and end a role."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from schools import services
from schools.models import Membership
from schools.roles import Role
from tests.factories import MembershipFactory, SchoolClassFactory, UserFactory, staff

pytestmark = pytest.mark.django_db
User = get_user_model()


# -- list ----------------------------------------------------------------------------------

def test_people_list_shows_roles_of_managed_schools_only(login, beheerder, school,
                                                         sister_school, other_school):
    here = staff(Role.IB, school, last_name="Hierschool")
    sister = staff(Role.LEERKRACHT, sister_school, last_name="Zusterschool")
    elsewhere = staff(Role.LEERKRACHT, other_school, last_name="Anderbestuur")
    content = login(beheerder).get(reverse("schools:people")).content.decode()
    assert here.last_name in content and sister.last_name in content
    assert elsewhere.last_name not in content
    assert "functioneel beheerder" in content  # board role of the own board


def test_people_list_filters_by_school(login, beheerder, school, sister_school):
    here = staff(Role.IB, school, last_name="Hierschool")
    sister = staff(Role.LEERKRACHT, sister_school, last_name="Zusterschool")
    response = login(beheerder).get(reverse("schools:people"), {"school": sister_school.pk})
    content = response.content.decode()
    assert sister.last_name in content and here.last_name not in content


def test_people_list_ignores_a_school_outside_the_scope(login, director, school, sister_school):
    sister = staff(Role.LEERKRACHT, sister_school, last_name="Zusterschool")
    response = login(director).get(reverse("schools:people"), {"school": sister_school.pk})
    assert response.status_code == 200
    assert sister.last_name not in response.content.decode()


def test_people_list_hides_ended_roles_unless_asked(login, director, school):
    gone = staff(Role.IB, school, last_name="Vertrokken")
    gone.memberships.update(ends_on=datetime.date(2024, 7, 31))
    client = login(director)
    assert gone.last_name not in client.get(reverse("schools:people")).content.decode()
    response = client.get(reverse("schools:people"), {"status": "beeindigd"})
    assert gone.last_name in response.content.decode()


def test_director_sees_only_own_school_in_people_list(login, director, beheerder, school,
                                                      sister_school):
    staff(Role.LEERKRACHT, sister_school)
    response = login(director).get(reverse("schools:people"))
    assert {m.school for m in response.context["memberships"]} == {school}
    assert beheerder.pk not in {m.user_id for m in response.context["memberships"]}


# -- new account -----------------------------------------------------------------------------

def _new_person(school, **overrides):
    data = {"username": "j.devries", "first_name": "Jan", "last_name": "de Vries",
            "email": "j.devries@school.invalid", "rol-role": Role.LEERKRACHT,
            "rol-school": school.pk, "rol-starts_on": "2026-08-01",
            "rol-board": school.board_id}
    data.update(overrides)
    return data


def test_beheerder_creates_staff_account_and_invitation_is_mailed(
        login, beheerder, sister_school, django_capture_on_commit_callbacks):
    group = SchoolClassFactory(school=sister_school, school_year="2026-2027")
    client = login(beheerder)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("schools:person_create"),
                               _new_person(sister_school, **{"rol-classes": [group.pk]}))
    user = User.objects.get(username="j.devries")
    assert response.status_code == 302
    assert response.url == reverse("schools:person_detail", args=[user.pk])
    membership = user.memberships.get()
    assert (membership.role, membership.school, membership.board) == (
        Role.LEERKRACHT, sister_school, sister_school.board)
    assert list(membership.classes.all()) == [group]
    # Nobody knows the password; the person sets one through the mailed link.
    assert not user.check_password("")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["j.devries@school.invalid"]
    link = re.search(r"https?://\S+/account/wachtwoord-herstellen/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    follow = client.get("/" + path)
    assert follow.status_code == 302  # Django swaps the token into the session, then shows the form
    assert client.get(follow.url).context["validlink"] is True


def test_invitation_mail_holds_no_password(db, school):
    user = UserFactory(first_name="Jan")
    subject, body = services.invitation_email(user, base_url="https://meldcode.example")
    assert subject == "Uw account voor Meldcode"
    assert "https://meldcode.example/account/wachtwoord-herstellen/" in body
    assert "wachtwoord vergeten" in body.lower()


def test_new_account_needs_a_valid_first_role(login, director, sister_school):
    response = login(director).post(reverse("schools:person_create"),
                                    _new_person(sister_school))
    assert response.status_code == 200
    assert response.context["role_form"].errors["school"]
    assert not User.objects.filter(username="j.devries").exists()


def test_director_cannot_create_a_beheerder(login, director, school):
    response = login(director).post(reverse("schools:person_create"), _new_person(
        school, **{"rol-role": Role.BEHEERDER, "rol-school": ""}))
    assert response.status_code == 200
    assert "role" in response.context["role_form"].errors
    assert not User.objects.filter(username="j.devries").exists()


def test_username_must_be_unique_ignoring_case(login, beheerder, school):
    UserFactory(username="J.DeVries")
    response = login(beheerder).post(reverse("schools:person_create"), _new_person(school))
    assert "username" in response.context["user_form"].errors


# -- add a role ----------------------------------------------------------------------------

def test_beheerder_adds_sot_role_with_external_function(login, beheerder, school):
    person = staff(Role.IB, school)
    response = login(beheerder).post(reverse("schools:membership_add", args=[person.pk]), {
        "role": Role.SOT, "school": school.pk, "starts_on": "2026-09-01",
        "external_function": "jeugdarts", "board": school.board_id})
    assert response.status_code == 302
    sot = person.memberships.get(role=Role.SOT)
    assert sot.external_function == "jeugdarts"


def test_beheerder_grants_board_role(login, beheerder, school):
    person = staff(Role.IB, school)
    response = login(beheerder).post(reverse("schools:membership_add", args=[person.pk]), {
        "role": Role.BESTUUR, "school": "", "starts_on": "2026-09-01",
        "board": school.board_id})
    assert response.status_code == 302
    board_role = person.memberships.get(role=Role.BESTUUR)
    assert board_role.school is None and board_role.board == school.board


def test_director_cannot_grant_board_role_even_by_tampering(login, director, school):
    person = staff(Role.IB, school)
    response = login(director).post(reverse("schools:membership_add", args=[person.pk]), {
        "role": Role.BEHEERDER, "starts_on": "2026-09-01", "board": school.board_id})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not person.memberships.filter(role=Role.BEHEERDER).exists()


def test_director_cannot_add_role_at_another_school(login, director, school, sister_school):
    person = staff(Role.IB, school)
    response = login(director).post(reverse("schools:membership_add", args=[person.pk]), {
        "role": Role.LEERKRACHT, "school": sister_school.pk, "starts_on": "2026-09-01"})
    assert response.status_code == 200
    assert "school" in response.context["form"].errors
    assert person.memberships.count() == 1


@pytest.mark.parametrize("role", [Role.IB, Role.BESTUUR])
def test_beheerder_cannot_give_themselves_a_role(login, beheerder, school, role):
    """Widening one's own access to case data always takes a second person."""
    response = login(beheerder).post(reverse("schools:membership_add", args=[beheerder.pk]), {
        "role": role, "school": school.pk if role == Role.IB else "",
        "starts_on": "2026-09-01", "board": school.board_id})
    assert response.status_code == 200
    assert "U kunt uzelf geen rol geven" in response.content.decode()
    assert list(beheerder.memberships.values_list("role", flat=True)) == [Role.BEHEERDER]


def test_director_cannot_make_themselves_ib(login, director, school):
    response = login(director).post(reverse("schools:membership_add", args=[director.pk]), {
        "role": Role.IB, "school": school.pk, "starts_on": "2026-09-01"})
    assert response.status_code == 200
    assert not director.memberships.filter(role=Role.IB).exists()


def test_membership_form_shows_dutch_errors(login, beheerder, school):
    person = staff(Role.IB, school)
    response = login(beheerder).post(reverse("schools:membership_add", args=[person.pk]), {
        "role": Role.IB, "school": school.pk, "starts_on": "2026-09-01",
        "ends_on": "2026-08-01", "external_function": "jeugdarts", "board": school.board_id})
    errors = response.context["form"].errors
    assert errors["ends_on"] == ["De einddatum ligt vóór de startdatum."]
    assert errors["external_function"] == ["Een externe functie hoort alleen bij een SOT-lid."]


# -- end a role ----------------------------------------------------------------------------

def test_end_membership_sets_end_date(login, director, school):
    membership = MembershipFactory(school=school, role=Role.IB)
    response = login(director).post(reverse("schools:membership_end", args=[membership.pk]),
                                    {"ends_on": "2026-12-31"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ends_on == datetime.date(2026, 12, 31)
    assert membership.history.first().history_user == director


def test_end_membership_refuses_date_before_start(login, director, school):
    membership = MembershipFactory(school=school, role=Role.IB,
                                   starts_on=datetime.date(2026, 9, 1))
    response = login(director).post(reverse("schools:membership_end", args=[membership.pk]),
                                    {"ends_on": "2026-08-01"})
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    membership.refresh_from_db()
    assert membership.ends_on is None


def test_director_cannot_end_the_board_role_of_the_beheerder(login, director, beheerder):
    board_role = beheerder.memberships.get()
    response = login(director).post(reverse("schools:membership_end", args=[board_role.pk]),
                                    {"ends_on": "2026-12-31"})
    assert response.status_code == 404


def test_ended_membership_no_longer_counts(login, director, school):
    membership = MembershipFactory(school=school, role=Role.DIRECTEUR)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.membership_end(actor=director, membership=membership,
                            ends_on=max(yesterday, membership.starts_on))
    assert not Membership.objects.active().filter(pk=membership.pk).exists()

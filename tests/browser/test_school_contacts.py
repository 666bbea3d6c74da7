"""Local contacts (R47) in Chromium: the directeur adds one (a missing number first: the
input stays), and a teacher finds it on the Contacten page and on the acute-danger page, the
IB'er on the case page."""

import pytest
from playwright.sync_api import expect

from cases.services import case_open
from schools.models import SchoolContact
from schools.roles import Role
from tests.factories import PupilFactory, SchoolFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_directeur_adds_a_contact_staff_find_it(page, live_server, login, screenshot):
    from schools.roles import sync_role_groups

    sync_role_groups()
    school = SchoolFactory(name="Basisschool De Linde")
    director = staff(Role.DIRECTEUR, school, first_name="Dirk", last_name="Teur")
    teacher = staff(Role.LEERKRACHT, school, first_name="Lea", last_name="Kracht")
    ib = staff(Role.IB, school, first_name="Iris", last_name="Begeleider")
    case = case_open(pupil=PupilFactory(school=school), actor=ib)

    login(director)
    page.goto(f"{live_server.url}/beheer/scholen/")
    page.get_by_role("link", name="Contacten Basisschool De Linde").click()
    page.get_by_role("link", name="Nieuw contact").click()
    page.get_by_label("Soort contact").select_option("wijkteam")
    page.get_by_label("Organisatie").fill("Wijkteam De Linde")
    page.get_by_label("Opmerking").fill("ma-vr 9-17 uur")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Vul een telefoonnummer of een e-mailadres in")).to_be_visible()
    assert page.get_by_label("Organisatie").input_value() == "Wijkteam De Linde"
    screenshot("contacts-form-error")
    page.get_by_label("Telefoon").fill("030-555 12 34")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Contact Wijkteam De Linde is toegevoegd.")).to_be_visible()
    screenshot("contacts-manage-list")
    contact = SchoolContact.objects.get(school=school)
    assert contact.history.get().history_user_id == director.pk

    login(teacher)
    page.get_by_role("link", name="Contacten: Veilig Thuis, wijkteam, GGD en andere").click()
    assert page.get_by_role("link", name="030-555 12 34").get_attribute("href") == "tel:0305551234"
    screenshot("contacts-directory")
    page.get_by_role("link", name="Acuut gevaar").click()
    expect(page.get_by_role("link", name="030-555 12 34")).to_be_visible()
    screenshot("contacts-acute")

    login(ib)
    page.goto(f"{live_server.url}/dossiers/{case.pk}/")
    expect(page.get_by_role("heading", name="Contacten van de school")).to_be_visible()
    expect(page.get_by_role("link", name="030-555 12 34")).to_be_visible()
    screenshot("contacts-case-page")

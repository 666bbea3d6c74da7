"""The destruction pages in Chromium: the VC approves, the directeur confirms."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from schools.roles import Role
from tests.factories import SchoolFactory, staff
from tests.retention.conftest import due_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_vc_approves_and_directeur_confirms(page, live_server, login, screenshot, context):
    from schools.roles import sync_role_groups

    sync_role_groups()
    school = SchoolFactory(name="Basisschool De Linde")
    vc = staff(Role.VC, school, first_name="Vera", last_name="Coenen")
    director = staff(Role.DIRECTEUR, school, first_name="Dirk", last_name="de Wit")
    case = due_case(school, vc)
    due_case(school, vc)
    login(vc)
    page.get_by_role("link", name="Vernietigen").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Vernietigen van dossiers"
    screenshot("retention-proposals")
    page.get_by_role("link", name=case.number).click()
    screenshot("retention-approve")
    page.get_by_label("Ik begrijp dat het dossier").check()
    page.get_by_role("button", name="Goedkeuren").click()
    expect(page.get_by_text("wacht op bevestiging door een ander")).to_be_visible()
    screenshot("retention-approved-waiting")
    context.clear_cookies()
    login(director)
    page.goto(f"{live_server.url}/bewaartermijnen/dossier/{case.pk}/")
    screenshot("retention-confirm")
    page.get_by_label("Ik begrijp dat het dossier").check()
    page.get_by_role("button", name="Bevestigen en definitief vernietigen").click()
    expect(page.get_by_text("Het dossier is vernietigd")).to_be_visible()
    screenshot("retention-log")
    assert not Case.objects.filter(pk=case.pk).exists()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/bewaartermijnen/")
    screenshot("retention-proposals-phone")

"""The school settings page in Chromium: the beheerder finds it on the school list, switches
the working notes on with a reason, and sees the change on the list."""

import pytest
from playwright.sync_api import expect

from schools.models import School
from schools.roles import Role
from tests.factories import SchoolFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_beheerder_switches_working_notes_on(page, live_server, login, screenshot):
    from schools.roles import sync_role_groups

    sync_role_groups()
    school = SchoolFactory(name="Basisschool De Linde")
    beheerder = staff(Role.BEHEERDER, board=school.board, first_name="Bea", last_name="Heer")
    login(beheerder)
    page.goto(f"{live_server.url}/beheer/scholen/")
    expect(page.get_by_text("Werkaantekeningen: uit")).to_be_visible()
    page.get_by_role("link", name="Instellingen Basisschool De Linde").click()
    assert "Instellingen" in page.get_by_role("heading", level=1).inner_text()
    screenshot("school-settings")
    box = page.get_by_label("Persoonlijke werkaantekeningen toestaan")
    assert not box.is_checked()
    box.check()
    page.get_by_label("Toelichting bij de wijziging").fill("Besluit MR")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De instellingen van Basisschool De Linde zijn opgeslagen.")).to_be_visible()
    expect(page.get_by_text("Werkaantekeningen: aan")).to_be_visible()
    screenshot("school-settings-saved")
    school = School.objects.get(pk=school.pk)
    assert school.work_notes_enabled
    row = school.history.first()
    assert (row.history_user_id, row.history_change_reason) == (beheerder.pk, "Besluit MR")

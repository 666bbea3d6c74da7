"""Searching the case list by a pupil's name in a real browser, at phone width: the name is
sent by POST and never appears in the address bar; clearing the filters shows all again.
Screenshot: var/screenshots/case-list-search-phone.png."""

import pytest
from playwright.sync_api import expect

from cases.services import case_open
from tests.factories import PupilFactory, SchoolClassFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_name_search_keeps_the_name_out_of_the_url(page, live_server, login, screenshot, ib,
                                                   school):
    group = SchoolClassFactory(school=school)
    wanted = case_open(pupil=PupilFactory(school=school, school_class=group,
                                          first_name="Iris", last_name="Oudendijk"), actor=ib)
    other = case_open(pupil=PupilFactory(school=school, school_class=group,
                                         first_name="Bram", last_name="Veldhoven"), actor=ib)
    page.set_viewport_size({"width": 390, "height": 844})
    login(ib)
    page.goto(f"{live_server.url}/dossiers/")
    expect(page.get_by_text(other.number)).to_be_visible()
    page.get_by_label("Zoek op naam van de leerling").fill("Oudendijk")
    page.get_by_role("button", name="Filteren").click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/")  # no name in the address
    expect(page.get_by_text(wanted.number)).to_be_visible()
    expect(page.get_by_text(other.number)).to_have_count(0)
    expect(page.get_by_label("Zoek op naam van de leerling")).to_have_value("Oudendijk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("case-list-search-phone")
    page.get_by_role("button", name="Filters wissen").click()
    page.wait_for_load_state()
    expect(page.get_by_text(other.number)).to_be_visible()
    expect(page.get_by_label("Zoek op naam van de leerling")).to_have_value("")

"""Private working notes (R32) in a real browser, at phone width: the IB'er opens them from
the case page, writes one, sees its expiry date, shares it after the warning that parents may
see it, and finds it on the case page as an "aantekening". Screenshots:
var/screenshots/work-notes-list-phone.png, work-notes-share-phone.png."""

import pytest
from playwright.sync_api import expect

from cases.models import CaseNote
from cases.services import case_open
from tests.factories import PupilFactory
from worknotes.models import WorkNote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_write_and_share_a_working_note(page, live_server, login, screenshot, ib, school):
    school.work_notes_enabled = True
    school.save()
    case = case_open(pupil=PupilFactory(school=school, first_name="Iris"), actor=ib)
    page.set_viewport_size({"width": 390, "height": 844})
    login(ib)
    page.goto(f"{live_server.url}/dossiers/{case.pk}/")
    page.get_by_role("link", name="Mijn werkaantekeningen").click()
    page.wait_for_load_state()
    page.locator("textarea[name=text]").fill("Moeder leek gehaast bij het ophalen.")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Moeder leek gehaast bij het ophalen.")).to_be_visible()
    expect(page.get_by_text("verdwijnt op")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("work-notes-list-phone")
    page.get_by_role("link", name="Delen met het dossier").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Na delen is deze tekst onderdeel van het dossier.")).to_be_visible()
    screenshot("work-notes-share-phone")
    page.get_by_role("button", name="Ja, opnemen in het dossier").click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/{case.pk}/")
    expect(page.get_by_role("heading", name="Aantekeningen")).to_be_visible()
    assert not WorkNote.objects.exists()
    assert CaseNote.objects.get().author == ib

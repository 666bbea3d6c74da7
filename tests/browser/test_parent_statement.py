"""End to end in Chromium: a parents' statement (R39) on a closed case, through the real form.

The IB'er closes nothing by hand here: the case is closed through the workflow beforehand, as
when parents respond after their inzage copy. The form is sent once with a date in the future
(refused, nothing typed lost), then right; the statement shows on the case page, the timeline
and its own page, marked as the parents' own words. Screenshots: var/screenshots/r39-*.png.
"""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import ParentStatement
from cases.services import case_open
from cases.workflow import close_case
from schools.roles import Role, sync_role_groups
from tests.factories import ParentFactory, PupilFactory, PupilParentFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WORDS = "Wij herkennen ons niet in het verslag van 3 maart.\nDaan viel van zijn fiets."


@pytest.fixture(autouse=True)
def _role_groups(db):
    sync_role_groups()


def test_parents_statement_on_a_closed_case(page, live_server, login, screenshot, school):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    ib = staff(Role.IB, school, username="ib", first_name="Marieke", last_name="Jansen")
    pupil = PupilFactory(school=school, first_name="Daan", last_name="Kuipers",
                         date_of_birth=datetime.date(2016, 6, 1))
    PupilParentFactory(pupil=pupil, parent=ParentFactory(school=school, name="Petra Kuipers"),
                       relationship="moeder", has_authority=True)
    case = case_open(pupil=pupil, actor=ib)
    close_case(case_id=case.pk, actor=ib, close_reason="geen_zorg", explanation="Opgelost.")
    url = live_server.url

    login(ib)
    page.goto(f"{url}/dossiers/{case.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Verklaring van ouders toevoegen").click()
    expect(page.get_by_text("Dit dossier is afgesloten.")).to_be_visible()
    page.get_by_label("Wie gaf de verklaring?").select_option(label="Petra Kuipers (moeder, "
                                                                    "met gezag)")
    future = timezone.localdate() + datetime.timedelta(days=3)
    page.get_by_label("Ontvangen op").fill(future.isoformat())
    page.get_by_label("e-mail", exact=True).check()
    page.get_by_label("Waarop reageren de ouders?").fill("Het gespreksverslag van 3 maart")
    page.get_by_label("Verklaring van de ouders").fill(WORDS)
    with page.expect_navigation():
        page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_text("De datum van ontvangst ligt in de toekomst.")).to_be_visible()
    expect(page.get_by_label("Verklaring van de ouders")).to_have_value(WORDS)
    expect(page.get_by_label("e-mail", exact=True)).to_be_checked()
    screenshot("r39-form-error")
    page.get_by_label("Ontvangen op").fill(timezone.localdate().isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Vastleggen").click()

    statement = ParentStatement.objects.get()
    assert statement.statement == WORDS.replace("\n", "\r\n") or statement.statement == WORDS
    assert statement.given_by_name == "Petra Kuipers" and statement.had_authority is True
    expect(page.get_by_text("Verklaringen van ouders")).to_be_visible()
    screenshot("r39-case-page")
    page.goto(f"{url}/dossiers/{case.pk}/tijdlijn/")
    expect(page.get_by_text("de eigen woorden van de ouders, ongewijzigd opgenomen")
           ).to_be_visible()
    page.goto(f"{url}/dossiers/{case.pk}/verklaring-ouders/{statement.pk}/")
    expect(page.locator(".obs--parent")).to_contain_text("Daan viel van zijn fiets.")
    screenshot("r39-detail")

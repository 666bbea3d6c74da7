"""In Chromium: the IB'er records a match on a Verwijsindex registration, then the agreed
regievoerder (R44). The regievoerder's fields appear only for the option chosen; an error
keeps what was typed. Screenshots go to var/screenshots/vir-match-*.png."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Regie, VerwijsindexMatch, VerwijsindexRegistration
from cases.records import record_create
from cases.services import case_open
from schools.roles import Role, sync_role_groups
from tests.factories import PupilFactory, SchoolFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _role_groups(db):
    sync_role_groups()


def test_match_then_regievoerder(page, live_server, login, screenshot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    school = SchoolFactory(verwijsindex_enabled=True)
    ib = staff(Role.IB, school, username="vir_ib")
    case = case_open(pupil=PupilFactory(school=school), actor=ib)
    today = timezone.localdate()
    registration = record_create(case=case, actor=ib, record=VerwijsindexRegistration(
        occurred_on=today - datetime.timedelta(days=30), parents_informed=True))

    login(ib)
    page.goto(f"{live_server.url}/dossiers/{case.pk}/verwijsindex/{registration.pk}/")
    expect(page.get_by_text("Er is nog geen match vastgelegd.")).to_be_visible()
    page.get_by_role("link", name="Match vastleggen").click()

    # Until an option is chosen the regievoerder's fields stay hidden.
    expect(page.get_by_label("Organisatie van de regievoerder")).to_be_hidden()
    expect(page.get_by_label("Regievoerder van onze school")).to_be_hidden()
    page.get_by_label("Datum van de matchmelding").fill(
        (today + datetime.timedelta(days=3)).isoformat())  # in the future: refused
    page.get_by_label("Andere betrokken organisatie(s)").fill(
        "Wijkteam Noord – J. Jansen, jeugdconsulent")
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_text("De datum van de matchmelding ligt in de toekomst.")).to_be_visible()
    expect(page.get_by_label("Andere betrokken organisatie(s)")).to_have_value(
        "Wijkteam Noord – J. Jansen, jeugdconsulent")
    screenshot("vir-match-error")
    page.get_by_label("Datum van de matchmelding").fill(
        (today - datetime.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_text("De match is vastgelegd.")).to_be_visible()
    expect(page.get_by_text("Wijkteam Noord (J. Jansen, jeugdconsulent)")).to_be_visible()

    page.get_by_role("link", name="Regievoerder vastleggen").click()
    page.get_by_label("een andere organisatie").check()
    expect(page.get_by_label("Organisatie van de regievoerder")).to_be_visible()
    page.get_by_label("Organisatie van de regievoerder").fill("Wijkteam Noord")
    page.get_by_label("Naam of functie van de regievoerder").fill("J. Jansen")
    page.get_by_label("Datum waarop de regie is afgesproken").fill(today.isoformat())
    screenshot("vir-match-regie-form")
    page.get_by_role("button", name="Wijziging opslaan").click()
    expect(page.get_by_text("De wijziging is opgeslagen.")).to_be_visible()
    expect(page.get_by_text("Wijkteam Noord, J. Jansen")).to_be_visible()
    screenshot("vir-match-detail")

    match = VerwijsindexMatch.objects.get()
    assert (match.regie, match.lead_organisation, match.regie_agreed_on) == (
        Regie.OTHER, "Wijkteam Noord", today)
    assert errors == []

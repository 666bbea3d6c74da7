"""In the browser, at phone width: the live advice follows the answers (computed by the server's
``advise`` table, no rules in JavaScript), the doubt prompt appears, the SOT member records the
decision, and the report draft offers copy and print. Strict CSP: no inline scripts."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from afwegingskader.models import Decision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 375, "height": 800})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.csp_errors = errors
    return page


def login(page, live_server, user):
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("meldcode-test-wachtwoord")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Token").fill(str(totp(device.bin_key)).zfill(6))
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_load_state()


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"afwegingskader_{name}.png"), full_page=True)


def test_step5_live_advice_decision_and_draft_at_phone_width(phone, live_server, case5, ib,
                                                             sot_member):
    page = phone
    login(page, live_server, ib)
    page.goto(f"{live_server.url}/dossiers/{case5.pk}/afwegingskader/")
    advice = page.locator("[data-ak-outcome]")
    assert advice.inner_text() == "nog geen advies"
    page.locator("#vraag-1").get_by_label("Ja").check()
    page.get_by_label("Onderbouwing bij vraag 1").fill("Herhaald letsel en uitspraken van het kind.")
    page.locator("#vraag-2").get_by_label("Twijfel").check()
    # The advice follows at once, and doubt prompts consulting Veilig Thuis (R16).
    assert advice.inner_text() == "melden bij Veilig Thuis"
    assert page.locator("[data-ak-doubt]").is_visible()
    page.locator("#vraag-2").get_by_label("Nee").check()
    assert advice.inner_text() == "nog geen advies"
    assert not page.locator("[data-ak-doubt]").is_visible()
    page.locator("#vraag-2").get_by_label("Ja").check()
    page.get_by_label("Onderbouwing bij vraag 2").fill("Acute onveiligheid.")
    shot(page, "step5_phone")
    page.get_by_role("button", name="Antwoorden opslaan").click()
    assert page.get_by_text("De antwoorden zijn opgeslagen.").is_visible()

    # The SOT member decides; a deviating choice shows the note at once.
    page.context.clear_cookies()
    login(page, live_server, sot_member)
    page.goto(f"{live_server.url}/dossiers/{case5.pk}/besluit/nieuw/")
    page.get_by_label("Hulp bieden of organiseren", exact=True).check()
    assert page.locator("[data-ak-deviation-note]").is_visible()
    page.get_by_label("Melden bij Veilig Thuis", exact=True).check()
    assert not page.locator("[data-ak-deviation-note]").is_visible()
    page.get_by_label("Toelichting bij het besluit").fill("Acuut: melden.")
    page.get_by_label("Wie doet de melding").select_option(str(ib.pk))
    page.get_by_label("Wie informeert de ouders").select_option(str(ib.pk))
    page.get_by_label("Wanneer worden de ouders geïnformeerd").fill(
        timezone.localdate().isoformat())
    shot(page, "decision_phone")
    page.get_by_role("button", name="Besluit vastleggen").click()
    page.wait_for_load_state()
    assert Decision.objects.filter(case=case5, choice="melden").exists()

    # The draft (the SOT member may prepare it too): copy and print buttons appear with
    # JavaScript; the text is read-only. (No second login of the IB'er: a TOTP code cannot
    # be used twice within its time step.)
    page.goto(f"{live_server.url}/dossiers/{case5.pk}/melding/concept/")
    assert page.get_by_role("button", name="Kopiëren").is_visible()
    assert page.get_by_role("button", name="Afdrukken").is_visible()
    assert page.locator("#ak-draft-text").get_attribute("readonly") is not None
    page.get_by_role("button", name="Kopiëren").click()
    # The clipboard answers asynchronously: wait for the status text (it flaked when read
    # at once after the click).
    expect(page.locator("[data-ak-copy-status]")).not_to_be_empty()
    shot(page, "draft_phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width  # no sideways scrolling at phone width
    assert not [e for e in page.csp_errors if "Content Security Policy" in e]

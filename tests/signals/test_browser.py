"""A teacher records a signal on a phone (375px wide), with JavaScript and a strict CSP."""

import pytest

from signals.models import Category, PupilRole, Signal
from tests.factories import PupilFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server, verified_client, teacher):
    verified_client.force_login(teacher)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    context.add_cookies([{"name": "sessionid", "value": verified_client.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text
            and page.csp_errors.append(msg.text))
    yield page
    context.close()


def test_teacher_records_a_signal_at_phone_width(phone, live_server, teacher, school, pupil):
    witness = PupilFactory(school=school, first_name="Sem", last_name="de Boer")
    page = phone
    page.goto(f"{live_server.url}/signalen/nieuw/")

    # JavaScript shows one pupil row and a button for more.
    rows = page.locator("[data-pupil-row]:visible")
    assert rows.count() == 1
    page.select_option("#id_leerlingen-0-pupil", str(pupil.pk))
    page.click("text=Nog een leerling toevoegen")
    assert rows.count() == 2
    page.select_option("#id_leerlingen-1-pupil", str(witness.pk))
    page.select_option("#id_leerlingen-1-role", PupilRole.WITNESS)

    # The source detail appears only for information from someone else.
    assert not page.locator("#id_source_detail").is_visible()
    page.select_option("#id_source", "ouder")
    assert page.locator("#id_source_detail").is_visible()
    page.fill("#id_source_detail", "moeder")

    page.fill("#id_facts", "Blauwe plek op de linkerarm, gezien bij de gymles.")
    page.fill("#id_child_words", "Ik ben gevallen.")
    page.select_option("#id_category", Category.HONOUR)
    assert page.locator("[data-honour-notice]").is_visible()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"

    page.click("button:has-text('Signaal opslaan')")
    page.wait_for_url(f"{live_server.url}/signalen/*/")
    assert page.locator(".obs--fact").inner_text().endswith("gezien bij de gymles.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    signal = Signal.objects.get()
    assert signal.recorded_by == teacher and signal.source_detail == "moeder"
    assert {link.role for link in signal.pupil_links.all()} == {PupilRole.CONCERNED,
                                                               PupilRole.WITNESS}
    assert phone.csp_errors == []


def test_ib_opens_a_case_from_the_teachers_signal(phone, browser, live_server, teacher, ib,
                                                  school, pupil):
    """Issue 3: a teacher records a signal on a phone and the IB'er opens a case from it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.models import Case

    page = phone
    page.goto(f"{live_server.url}/signalen/nieuw/")
    page.select_option("#id_leerlingen-0-pupil", str(pupil.pk))
    page.fill("#id_facts", "Kwam drie dagen zonder ontbijt en in dezelfde kleren naar school.")
    page.select_option("#id_category", Category.NEGLECT)
    page.click("button:has-text('Signaal opslaan')")
    page.wait_for_url(f"{live_server.url}/signalen/*/")
    signal = Signal.objects.get()

    # The IB'er, on a laptop, is notified, opens the signal and opens a case from it.
    from django.test import Client

    client = Client()
    client.force_login(ib)
    device = TOTPDevice.objects.create(user=ib, name="default", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    desk = context.new_page()
    desk.goto(f"{live_server.url}/meldingen/")
    assert desk.get_by_text("Er staat een nieuw signaal voor u klaar.").first.is_visible()
    desk.goto(f"{live_server.url}/signalen/{signal.pk}/")
    desk.click("text=Dossier openen of signaal toevoegen")
    desk.click("button:has-text('Dossier openen')")
    desk.wait_for_url(f"{live_server.url}/dossiers/*/")
    case = Case.objects.get()
    assert case.pupil == pupil and list(case.signals.all()) == [signal]
    assert "Kwam drie dagen zonder ontbijt" in desk.locator(".obs--fact").first.inner_text()
    desk.screenshot(path=str(live_server_screenshot_path("ib-opened-case")), full_page=True)

    # The teacher now sees that the signal has been picked up.
    page.goto(f"{live_server.url}/signalen/mijn/")
    assert page.get_by_text("opgepakt in dossier").first.is_visible()
    context.close()


def live_server_screenshot_path(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"

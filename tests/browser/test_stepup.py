"""Step-up in a real browser: the change history asks a fresh code, then opens."""

import pytest
from playwright.sync_api import expect
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.services import case_open
from schools.roles import Role, sync_role_groups
from tests.cases.conftest import create_pupil, create_signal
from tests.factories import SchoolFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_history_asks_for_a_fresh_code(page, live_server, login, screenshot):
    sync_role_groups()
    school = SchoolFactory()
    ib = staff(Role.IB, school, first_name="Ilse", last_name="de Boer")
    teacher = staff(Role.LEERKRACHT, school)
    pupil = create_pupil(school)
    case = case_open(pupil=pupil, actor=ib, signals=[
        create_signal(school=school, recorded_by=teacher, pupils=pupil)])
    login(ib)
    history = f"{live_server.url}/dossiers/{case.pk}/wijzigingen/"
    page.goto(history)
    assert "/herbevestigen/" in page.url
    expect(page.get_by_role("heading", name="Bevestig dat u het bent")).to_be_visible()
    screenshot("stepup")

    page.get_by_label("Code uit uw authenticator-app").fill("000000")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("Deze code klopt niet of is verlopen")).to_be_visible()
    screenshot("stepup-wrong-code")

    # The login used this time step's code; the app's next code is accepted (and fresh).
    device = TOTPDevice.objects.get(user=ib)
    page.wait_for_timeout(1100)  # django-otp's delay after one wrong code
    page.get_by_label("Code uit uw authenticator-app").fill(
        str(totp(device.bin_key, drift=device.drift + 1)).zfill(6))
    page.get_by_role("button", name="Bevestigen").click()
    expect(page).to_have_url(history)

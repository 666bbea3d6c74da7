import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """Log in through the real login page: password, then a TOTP code."""

    def do(user, password="meldcode-test-wachtwoord"):
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                     defaults={"confirmed": True})
        page.goto(f"{live_server.url}/account/login/")
        page.get_by_label("Gebruikersnaam").fill(user.username)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Volgende").click()
        page.get_by_label("Token").fill(str(totp(device.bin_key)).zfill(6))
        page.get_by_role("button", name="Volgende").click()
        page.wait_for_load_state()

    return do

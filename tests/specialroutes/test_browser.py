"""Acute danger at phone width, through a real browser: record the call, then the
retrospective. Skipped where Chromium is not installed."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from schools.roles import Role
from specialroutes.models import AcuteCall
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, staff

if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _login(page, live_server, user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("meldcode-test-wachtwoord")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Token").fill(str(totp(device.bin_key)).zfill(6))
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_load_state()


def _fits_phone(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_teacher_records_acute_call_and_retrospective_on_a_phone(page, live_server):
    from schools.roles import sync_role_groups

    sync_role_groups()
    school = SchoolFactory()
    klass = SchoolClassFactory(school=school, name="groep 4")
    PupilFactory(school=school, school_class=klass, first_name="Sem", last_name="de Groot")
    PupilFactory(school=school, school_class=klass, first_name="Lotte", last_name="Smit")
    teacher = staff(Role.LEERKRACHT, school)
    staff(Role.VC, school)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.set_viewport_size({"width": 375, "height": 740})
    _login(page, live_server, teacher)
    page.goto(f"{live_server.url}/route/acuut/")
    assert page.get_by_role("heading", level=1).inner_text() == "Acuut gevaar: ik heb gebeld"
    assert _fits_phone(page)
    # The type-to-filter box narrows the pupil list.
    page.get_by_label("Zoek een leerling op naam").fill("lot")
    options = page.locator("#id_pupil option").all_inner_texts()
    assert "Lotte Smit" in options and "Sem de Groot" not in options
    page.get_by_label("Over welke leerling gaat het?").select_option(label="Lotte Smit")
    page.get_by_label("Wie heeft u gebeld?").select_option("112")
    page.get_by_label("Wat is er aan de telefoon afgesproken?").fill("Politie komt direct.")
    page.screenshot(path=str(SCREENSHOTS / "acute-form-phone.png"), full_page=True)
    page.get_by_role("button", name="Melding vastleggen").click()
    page.wait_for_load_state()

    call = AcuteCall.objects.get()
    assert page.url == f"{live_server.url}/route/acuut/{call.pk}/"
    assert _fits_phone(page)
    page.get_by_role("link", name="Terugblik invullen").click()
    page.get_by_label("Wat is er gebeurd?").fill("Lotte kwam met een bloedneus binnen.")
    page.get_by_label("Wat heeft u zelf gezien of gehoord? (feiten)").fill("Bloedneus, huilen.")
    page.get_by_label("Wat is er aan de telefoon gezegd?").fill("Politie komt direct.")
    page.get_by_label("Welke afspraken zijn er gemaakt?").fill("Lotte blijft op school.")
    page.get_by_label("Wie is er geïnformeerd?").fill("Directeur.")
    assert _fits_phone(page)
    page.get_by_role("button", name="Terugblik opslaan").click()
    page.wait_for_load_state()
    assert page.get_by_text("terugblik vastgelegd").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "acute-detail-phone.png"), full_page=True)
    call.refresh_from_db()
    assert call.retrospective_done

    try:  # axe-core, where the accessibility checker is installed
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return
    serious = [v for v in Axe().run(page).response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_board_route_page_at_phone_width(page, live_server):
    from django.utils import timezone

    from schools.roles import sync_role_groups
    from signals.models import Category, Source
    from specialroutes.services import staff_concern_report

    sync_role_groups()
    school = SchoolFactory()
    pupil = PupilFactory(school=school, first_name="Sem", last_name="de Groot")
    teacher = staff(Role.LEERKRACHT, school)
    bestuur = staff(Role.BESTUUR, board=school.board)
    concern = staff_concern_report(
        actor=teacher, pupil=pupil, observed_on=timezone.localdate(), category=Category.SEXUAL,
        source=Source.OWN, facts="Gezien in de gymzaal.", accused_description="gymdocent",
        informed={"informed_party": "directeur", "informed_name": "De Vries",
                  "informed_on": timezone.localdate(), "channel": "persoonlijk"})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.set_viewport_size({"width": 375, "height": 740})
    _login(page, live_server, bestuur)
    page.goto(f"{live_server.url}/route/bestuur/dossier/{concern.case_id}/")
    assert page.get_by_text("Alleen de directeur is geïnformeerd").first.is_visible()
    assert _fits_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "staff-route-phone.png"), full_page=True)
    page.get_by_role("link", name="Overleg met de vertrouwensinspecteur vastleggen").click()
    page.get_by_label("Naam van de vertrouwensinspecteur").fill("Mw. De Wit")
    page.get_by_label("Conclusie: is er een redelijk vermoeden?").select_option("ja")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    assert page.get_by_text("Aangifte is verplicht na een redelijk vermoeden.").first.is_visible()

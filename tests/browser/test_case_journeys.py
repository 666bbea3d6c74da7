"""End to end in Chromium: two cases through the Meldcode as the staff would run them.

- The report journey: a teacher records a signal through the real signal form; the
  veiligheidscoördinator sees it, opens a case, walks steps 1–4 recording what the workflow's
  guards ask for (consultation, conversation, the weighing in a SOT meeting), answers the
  afwegingskader so that the advice is "report", records the (urgent) decision to report and
  the report to Veilig Thuis ("open melden": the parents were informed), and the case shows
  the report with the date the feedback from Veilig Thuis is due.
- The help journey: a case at step 5 (set up through the real workflow) goes the help path:
  Q1 ja, Q2 nee, Q3 ja, Q4 ja → advice "help" → the SOT records "hulp organiseren" → help plan
  with its evaluation date → follow-up phase → Q5 ja ("help_succeeded") → monitoring
  agreements and an evaluation → the case is closed through the close form.

Every step goes through pages, labels and buttons; the database is only read to check.
Screenshots go to var/screenshots/journey-*.png.
"""

import datetime
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from afwegingskader.decision import advise
from afwegingskader.models import (Assessment, Decision, HelpPlan, MonitoringAgreement,
                                   VeiligThuisReport)
from afwegingskader.services import q2_value
from afwegingskader.workdays import safety_feedback_due
from cases.models import Case, Status, Step
from schools.roles import Role, sync_role_groups
from signals.models import Signal
from tests.factories import (ParentFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             staff)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The live server runs in a thread of this process; the test reads the database in between.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _role_groups(db):
    sync_role_groups()


@pytest.fixture
def page(page):
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    return page


@pytest.fixture
def people(school):
    klass = SchoolClassFactory(school=school, name="groep 6")
    teacher = staff(Role.LEERKRACHT, school, username="leerkracht", first_name="Sanne",
                    last_name="de Vries")
    teacher.memberships.get().classes.set([klass])
    vc = staff(Role.VC, school, username="vc", first_name="Ahmed", last_name="El Amrani")
    ib = staff(Role.IB, school, username="ib", first_name="Marieke", last_name="Jansen")
    director = staff(Role.DIRECTEUR, school, username="directeur", first_name="Petra",
                     last_name="Hoekstra")
    pupil = PupilFactory(school=school, school_class=klass, first_name="Noor",
                         last_name="Bakker", date_of_birth=datetime.date(2016, 5, 4))
    PupilParentFactory(pupil=pupil, parent=ParentFactory(school=school, name="Linda Bakker"),
                       relationship="moeder")
    return type("People", (), {"teacher": teacher, "vc": vc, "ib": ib, "director": director,
                               "pupil": pupil, "klass": klass})


def submit(page, name):
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def go(page, name):
    """Follow a link (by its text) and wait for the page."""
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=isinstance(name, str)).first.click()


def expect_message(page, text):
    expect(page.get_by_text(text).first).to_be_visible()


def answer(page, number, value, justification):
    page.locator(f"#vraag-{number}").get_by_label(value, exact=True).check()
    page.get_by_label(f"Onderbouwing bij vraag {number}").fill(justification)


def stored_advice(case):
    a = Assessment.objects.get(case=case, cycle=case.cycle)
    return advise(a.q1, q2_value(a.q2), a.q3, a.q4, a.q5,
                  doubt_means_report=a.doubt_means_report)


# --- the report journey ------------------------------------------------------------------------

def test_report_journey_from_a_teachers_signal_to_a_recorded_report(
        page, live_server, login, screenshot, school, people):
    today = timezone.localdate()
    url = live_server.url

    # 1. The teacher records what she saw, through the real signal form.
    login(people.teacher)
    page.goto(f"{url}/signalen/nieuw/")
    page.get_by_label("Leerling 1").select_option(str(people.pupil.pk))
    page.get_by_label("Datum van de waarneming").fill(today.isoformat())
    page.get_by_label("Wat heeft u gezien of gehoord? (feiten)").fill(
        "Kwam maandag met een blauwe plek op de wang binnen en wilde na schooltijd niet naar "
        "huis. Bleef tot half vijf in de klas zitten.")
    page.get_by_label("Letterlijke woorden van het kind").fill(
        "Als ik thuiskom krijg ik straf. Ik durf niet naar huis.")
    page.get_by_label("Uw interpretatie of niet-pluisgevoel").fill(
        "Het kind vertelt zelf dat het bang is; ik schat dit als ernstig in.")
    page.get_by_label("Soort zorg").select_option("lichamelijk")
    page.get_by_label("Het kind heeft mij zelf iets verteld (disclosure)").check()
    screenshot("journey-report-01-signal-form")
    submit(page, "Signaal opslaan")
    signal = Signal.objects.get(school=school)
    assert signal.recorded_by == people.teacher and signal.disclosure

    # 2. The veiligheidscoördinator sees the new signal and opens a case from it.
    page.context.clear_cookies()
    login(people.vc)
    page.goto(f"{url}/signalen/{signal.pk}/")
    submit(page, "Markeren als gezien")
    expect_message(page, "Het signaal is gemarkeerd als gezien.")
    go(page, "Dossier openen of signaal toevoegen")
    page.get_by_label("Aanleiding (optioneel)").fill("Signaal besproken met de leerkracht.")
    submit(page, "Dossier openen")
    case = Case.objects.get(pupil=people.pupil)
    page.wait_for_url(f"{url}/dossiers/{case.pk}/")

    # Step 1 -> 2 -> consultation -> 3.
    submit(page, "Verder naar stap 2 (Consultatie)")
    go(page, "Collegiale consultatie vastleggen")
    page.get_by_label("Datum van de consultatie").fill(today.isoformat())
    page.get_by_label("Deelnemers en hun rol").fill(
        "Ahmed El Amrani – veiligheidscoördinator\nMarieke Jansen – intern begeleider")
    page.get_by_label("Wie is geraadpleegd").fill("IB'er en jeugdverpleegkundige")
    page.get_by_label("Advies").fill("Dezelfde dag Veilig Thuis raadplegen en de ouders "
                                     "uitnodigen voor een gesprek.")
    submit(page, "Vastleggen")  # back on the case page
    submit(page, "Verder naar stap 3 (Gesprek)")

    # Step 3: the conversation with the parents.
    go(page, "Gesprek met ouders en/of leerling vastleggen")
    page.get_by_label(re.compile(r"^Datum( \*)?$")).fill(today.isoformat())
    expect(page.get_by_label("Ja, het gesprek is gevoerd")).to_be_checked()
    page.get_by_label("Deelnemers en hun rol").fill("Ahmed El Amrani – veiligheidscoördinator\n"
                                                    "Linda Bakker – moeder")
    page.get_by_label("Met ouders/verzorgers").check()
    page.get_by_label("Wat is besproken").fill("De school heeft verteld wat het kind zei en "
                                               "wat de leerkracht zag.")
    page.get_by_label("Reacties van ouders en/of leerling").fill(
        "Moeder schrok en gaf aan dat het thuis moeilijk is sinds vader zijn werk kwijt is.")
    page.get_by_label("Afspraken").fill("School houdt dagelijks contact met moeder.")
    submit(page, "Vastleggen")
    submit(page, "Verder naar stap 4 (Wegen)")

    # Step 4: plan a SOT meeting, put the case on its agenda, record the weighing.
    go(page, "Op de agenda van het SOT zetten")
    go(page, "Nieuw overleg plannen")
    page.get_by_label("Datum van het overleg").fill(today.isoformat())
    page.get_by_label("Voorzitter").select_option(str(people.director.pk))
    attendees = page.locator("fieldset", has_text="Aanwezigen van de school en het SOT")
    attendees.get_by_label(re.compile("Petra Hoekstra")).check()
    attendees.get_by_label(re.compile("Ahmed El Amrani")).check()
    submit(page, "Opslaan")
    page.goto(f"{url}/dossiers/{case.pk}/sot-agenda/")
    page.get_by_label("SOT-overleg").select_option(index=1)
    submit(page, "Op de agenda zetten")
    expect_message(page, "Het dossier staat op de agenda van het SOT-overleg.")
    go(page, re.compile("^Weging vastleggen"))
    page.get_by_label("Aard en ernst van de signalen").fill(
        "Letsel en het kind vertelt zelf dat het bang is om naar huis te gaan (disclosure).")
    page.get_by_label("Inschatting van de risico's").fill(
        "Acute onveiligheid niet uit te sluiten; structurele onveiligheid waarschijnlijk.")
    page.get_by_label("Afgesproken aanpak").fill("Afwegingskader invullen; melden bij Veilig "
                                                 "Thuis voorbereiden.")
    submit(page, "Weging opslaan")
    page.goto(f"{url}/dossiers/{case.pk}/")
    submit(page, "Verder naar stap 5 (Beslissen)")
    screenshot("journey-report-03-step5")

    # Step 5: the afwegingskader. The disclosure pre-fills Q2 as "ja".
    go(page, "Afwegingskader (stap 5)")
    answer(page, 1, "Ja", "Letsel, een uitspraak van het kind en een gesprek waarin moeder "
                          "de spanning thuis bevestigt.")
    answer(page, 2, "Ja", "Het kind durft niet naar huis: acute onveiligheid is niet uit te "
                          "sluiten.")
    expect(page.locator("[data-ak-outcome]")).to_have_text("melden bij Veilig Thuis")
    submit(page, "Antwoorden opslaan")
    expect_message(page, "De antwoorden zijn opgeslagen.")
    case.refresh_from_db()
    assert stored_advice(case).outcome == "report"
    screenshot("journey-report-04-afwegingskader")

    # The veiligheidscoördinator decides: it is urgent, so alone.
    page.goto(f"{url}/dossiers/{case.pk}/")
    go(page, "Spoedbesluit vastleggen (veiligheidscoördinator)")
    page.get_by_label("Melden bij Veilig Thuis", exact=True).check()
    expect(page.locator("[data-ak-deviation-note]")).to_be_hidden()
    page.get_by_label("Datum van het besluit").fill(today.isoformat())
    page.get_by_label("Toelichting bij het besluit").fill(
        "Acute onveiligheid: vandaag nog melden bij Veilig Thuis.")
    page.get_by_label("Wie doet de melding").select_option(str(people.vc.pk))
    page.get_by_label("Wie informeert de ouders").select_option(str(people.vc.pk))
    page.get_by_label("Wanneer worden de ouders geïnformeerd").fill(today.isoformat())
    submit(page, "Besluit vastleggen")
    expect_message(page, "Het besluit is vastgelegd.")
    decision = Decision.objects.get(case=case)
    assert decision.choice == "melden" and decision.urgent and not decision.deviates

    # The report as it was made by phone: "open melden", the parents were told beforehand.
    page.goto(f"{url}/dossiers/{case.pk}/")
    go(page, "Melding bij Veilig Thuis vastleggen")
    reported = timezone.localtime() - datetime.timedelta(minutes=30)
    page.get_by_label("Datum en tijd van de melding").fill(reported.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("telefonisch", exact=True).check()
    page.get_by_label("Betrokkenen (naam – relatie tot het kind)").fill(
        "Noor Bakker – het kind\nLinda Bakker – moeder")
    # The signals of the case are pre-selected; the reporter from the decision.
    reported_signals = page.locator("fieldset", has_text="Gemelde signalen")
    expect(reported_signals.get_by_role("checkbox")).to_be_checked()
    page.get_by_role("combobox", name="Melder").select_option(str(people.vc.pk))
    page.get_by_label("Ja (open melden)").check()
    page.get_by_label("Hoe en door wie zijn de ouders geïnformeerd").fill(
        "Telefonisch door de veiligheidscoördinator, vlak voor de melding.")
    page.get_by_label("Reactie van de ouders").fill("Moeder was geschrokken maar begreep het.")
    page.get_by_label("Kenmerk van Veilig Thuis").fill("VT-2026-0412")
    submit(page, "Melding vastleggen")
    expect_message(page, "De melding is vastgelegd.")
    report = VeiligThuisReport.objects.get(case=case)
    assert report.parents_informed and report.reporter == people.vc
    due = safety_feedback_due(reported.date())
    assert report.safety_feedback_due == due
    due_text = f"verwacht op {due.day} {_MONTHS[due.month - 1]} {due.year}"
    expect(page.get_by_text(due_text).first).to_be_visible()
    screenshot("journey-report-06-report-detail")

    # The case: into the follow-up phase; its pages show the report and the due date.
    page.goto(f"{url}/dossiers/{case.pk}/")
    submit(page, "Verder naar de fase volgen en afsluiten")
    expect_message(page, "Het dossier staat nu in")
    case.refresh_from_db()
    assert case.step == Step.VOLGEN
    panel = page.locator("section", has=page.get_by_role("heading",
                                                         name="Besluit, melding en hulp"))
    expect(panel.get_by_text(due_text)).to_be_visible()
    expect(panel.get_by_text("VT-2026-0412")).to_be_visible()
    expect(panel.get_by_role("link", name="Melden bij Veilig Thuis")).to_be_visible()
    screenshot("journey-report-07-case-page")
    go(page, "Volgen en nazorg")
    vt = page.locator("section", has=page.get_by_role("heading", name="Veilig Thuis"))
    expect(vt.get_by_text(due_text)).to_be_visible()
    expect(vt.get_by_text("VT-2026-0412")).to_be_visible()
    screenshot("journey-report-08-case-followup")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


# --- the help journey --------------------------------------------------------------------------

def login_in(page, live_server, user):
    """Log in on ``page`` (a page of its own browser context) through the real login pages."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("meldcode-test-wachtwoord")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Token").fill(str(totp(device.bin_key)).zfill(6))
    with page.expect_navigation():
        page.get_by_role("button", name="Volgende").click()


@pytest.fixture
def case_at_step5(people):
    """A case walked to step 5 through the real workflow (signal, consultation, conversation,
    weighing in a SOT meeting the directeur attended)."""
    from cases.services import case_open
    from tests.afwegingskader.conftest import create_signal, walk_to

    signal = create_signal(
        school=people.pupil.school, recorded_by=people.teacher, pupil=people.pupil,
        category="verwaarlozing",
        facts="Wordt vaak te laat en zonder jas gebracht, ook bij regen. Heeft regelmatig "
              "hoofdluis die niet wordt behandeld.",
        interpretation="Zorgen over de basisverzorging.")
    case = case_open(pupil=people.pupil, actor=people.ib, signals=[signal])
    return walk_to(case, Step.BESLISSEN, people.ib, sot_attendees=[people.director])


def test_help_journey_through_the_help_path_to_closure(page, browser, live_server, screenshot,
                                                       people, case_at_step5):
    case, url, today = case_at_step5, live_server.url, timezone.localdate()
    case_url = f"{url}/dossiers/{case.pk}/"
    page.on("dialog", lambda dialog: dialog.accept())  # "Weet u zeker ...?" on closing

    # The IB'er answers Q1-Q4: help is possible and accepted.
    login_in(page, live_server, people.ib)
    page.goto(case_url)
    go(page, "Afwegingskader (stap 5)")
    answer(page, 1, "Ja", "Herhaalde signalen van verwaarlozing; moeder bevestigt dat het "
                          "thuis niet lukt.")
    answer(page, 2, "Nee", "Geen acute of structurele onveiligheid; moeder werkt mee.")
    answer(page, 3, "Ja", "Het wijkteam kan gezinsondersteuning bieden; de IB'er coördineert.")
    answer(page, 4, "Ja", "Moeder heeft ingestemd met de hulp van het wijkteam.")
    expect(page.locator("[data-ak-outcome]")).to_have_text("hulp bieden of organiseren")
    submit(page, "Antwoorden opslaan")
    expect_message(page, "De antwoorden zijn opgeslagen.")
    assert stored_advice(case).outcome == "help"
    screenshot("journey-help-01-advice-help")

    # The directeur, who attended the SOT meeting, records the SOT's decision.
    director_context = browser.new_context(viewport={"width": 1280, "height": 900})
    director_page = director_context.new_page()
    director_page.set_default_timeout(TIMEOUT_MS)
    login_in(director_page, live_server, people.director)
    director_page.goto(case_url)
    go(director_page, "Besluit van het SOT vastleggen")
    director_page.get_by_label("Hulp bieden of organiseren", exact=True).check()
    expect(director_page.locator("[data-ak-deviation-note]")).to_be_hidden()
    director_page.get_by_label("Datum van het besluit").fill(today.isoformat())
    director_page.get_by_label("Toelichting bij het besluit").fill(
        "Het SOT besluit hulp te organiseren via het wijkteam en de situatie te volgen.")
    director_page.get_by_label("Wie informeert de ouders").select_option(str(people.ib.pk))
    director_page.get_by_label("Wanneer worden de ouders geïnformeerd").fill(today.isoformat())
    submit(director_page, "Besluit vastleggen")
    expect_message(director_page, "Het besluit is vastgelegd.")
    director_context.close()
    decision = Decision.objects.get(case=case)
    assert decision.choice == "hulp_organiseren" and not decision.deviates

    # The IB'er records the help plan with its evaluation date, then the follow-up phase.
    page.goto(case_url)
    go(page, "Hulpplan")
    evaluation_on = today + datetime.timedelta(days=84)
    page.get_by_label("Welke hulp").fill("Gezinsondersteuning door het wijkteam: twee keer "
                                         "per week hulp bij de ochtendroutine.")
    page.get_by_role("combobox", name="Zorgcoördinator").select_option(str(people.ib.pk))
    page.get_by_label("Rollen (naam – rol)").fill("Marieke Jansen – zorgcoördinator\n"
                                                  "Wijkteam – gezinsondersteuning")
    page.get_by_label("Verwachte (meetbare) resultaten").fill(
        "Het kind komt elke dag op tijd, verzorgd en met eten naar school.")
    page.get_by_label("Begin van de termijn").fill(today.isoformat())
    page.get_by_label("Einde van de termijn").fill(evaluation_on.isoformat())
    page.get_by_label("Evaluatiedatum (vraag 5)").fill(evaluation_on.isoformat())
    screenshot("journey-help-02-help-plan")
    submit(page, "Vastleggen")
    plan = HelpPlan.objects.get(case=case)
    assert plan.evaluation_on == evaluation_on and plan.decision == decision
    page.goto(case_url)
    panel = page.locator("section", has=page.get_by_role("heading",
                                                         name="Besluit, melding en hulp"))
    expect(panel.get_by_text(f"Evaluatie (vraag 5): {_day(evaluation_on)}")).to_be_visible()
    submit(page, "Verder naar de fase volgen en afsluiten")
    expect_message(page, "Het dossier staat nu in")

    # At the evaluation: Q5 ja, the help worked.
    go(page, "Afwegingskader")
    answer(page, 5, "Ja", "Het kind komt op tijd en verzorgd naar school; moeder en wijkteam "
                          "bevestigen dat de ochtenden goed gaan.")
    expect(page.locator("[data-ak-outcome]")).to_have_text(
        "hulp afsluiten met afspraken over monitoring")
    submit(page, "Antwoorden opslaan")
    expect_message(page, "De antwoorden zijn opgeslagen.")
    case.refresh_from_db()
    assert stored_advice(case).outcome == "help_succeeded"
    screenshot("journey-help-03-advice-help-succeeded")

    # Follow-up: the evaluation note and the monitoring agreements (R41, R14).
    page.goto(f"{url}/dossiers/{case.pk}/opvolging/")
    go(page, "Evaluatie vastleggen")
    page.get_by_label("Datum van de evaluatie").fill(today.isoformat())
    page.get_by_label("Deelnemers (naam – rol)").fill("Marieke Jansen – intern begeleider\n"
                                                      "Linda Bakker – moeder")
    page.get_by_label("de afgesproken resultaten zijn behaald").check()
    page.get_by_role("textbox", name="Evaluatie", exact=True).fill(
        "De afgesproken resultaten zijn behaald; het gaat thuis en op school beter.")
    submit(page, "Vastleggen")
    go(page, "Afspraken over monitoring")
    page.get_by_label("Afgesproken op").fill(today.isoformat())
    page.get_by_label("Met wie").fill("moeder, leerkracht en IB'er")
    page.get_by_label("Afspraken over het volgen van de (on)veiligheid").fill(
        "De leerkracht blijft alert en bespreekt de leerling in elke groepsbespreking; bij "
        "nieuwe zorgen neemt de IB'er contact op met moeder.")
    page.get_by_label("Opnieuw bekijken op").fill((today + datetime.timedelta(days=180))
                                                  .isoformat())
    submit(page, "Vastleggen")
    assert MonitoringAgreement.objects.filter(case=case).exists()
    screenshot("journey-help-04-followup")

    # Closing through the case page.
    page.goto(case_url)
    page.get_by_text("Dossier afsluiten", exact=True).click()
    page.get_by_label("Reden van afsluiten").select_option("hulp_afgerond")
    page.get_by_role("textbox", name="Toelichting", exact=True).fill(
        "De hulp heeft gewerkt; afspraken over monitoring zijn vastgelegd.")
    submit(page, "Afsluiten")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    expect(page.locator(".case-header__tags")).to_contain_text("afgesloten")
    screenshot("journey-help-05-closed")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def _day(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"]

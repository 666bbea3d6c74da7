"""The dossier HTML, section by section, rendered without WeasyPrint."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exports import sections
from exports.documents import case_for_export, dossier_context
from exports.pdf import DOSSIER_TEMPLATE, render_html
from tests.factories import PupilFactory

from .world import NOT_SHOWN, fill_case

pytestmark = pytest.mark.django_db


def dossier_html(case, requester, include_history=True):
    ctx = dossier_context(case_for_export(case.pk), requester=requester,
                          include_history=include_history)
    return render_html(DOSSIER_TEMPLATE, ctx)


def section_html(html: str, anchor: str) -> str:
    """The HTML of one section or chapter, by its id."""
    start = html.index(f'id="{anchor}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_every_text_field_of_every_record_is_in_the_dossier(filled, director):
    html = dossier_html(filled.case, director)
    missing = [where for tag, where in filled.tags.items()
               if f"Tekst {tag}:" not in html and where not in NOT_SHOWN]
    assert not missing


def test_cover_page(filled, director, pupil, ib):
    html = dossier_html(filled.case, director)
    # Unescaped: a generated staff name such as "van 't Erve" is escaped in the HTML.
    cover = unescape(section_html(html, "voorblad"))
    case = filled.case
    for expected in ["Noor Bakker", "2 april 2016", pupil.school_class.name, case.school.name,
                     case.number, "Stap 1: signalen in kaart brengen",
                     "Ondersteuningsroute 1: observeren, signaleren en begeleiden",
                     case.meldcode_version, ib.get_full_name(), "Geopend op", "Vertrouwelijk"]:
        assert expected in cover, expected
    assert "Met de wijzigingen in het dossier als bijlage" in cover


def test_page_furniture(filled, director):
    html = dossier_html(filled.case, director)
    assert '<html lang="nl">' in html
    # No stylesheet link: exports.pdf.html_to_pdf applies the print CSS from its cache.
    assert "<link" not in html
    name = director.get_full_name()
    assert re.search(r'class="running__confidential">Vertrouwelijk<', html)
    assert f"Geëxporteerd door {name} op" in html
    watermark = re.search(r'<div class="watermark"[^>]*>(.*?)</div>', html).group(1)
    assert "Vertrouwelijk" in watermark and name in watermark
    assert 'class="running__page">pagina<' in html and 'class="running__of">van<' in html
    # Every data table repeats its header on each page: the header is a thead.
    tables = re.findall(r'<table class="(?:grid-table[^"]*|questions)">', html)
    with_head = re.findall(r'<table class="(?:grid-table[^"]*|questions)">\s*<thead>', html)
    assert tables and len(tables) == len(with_head)


def test_step_chapters_hold_the_step_records(filled, director):
    html = dossier_html(filled.case, director)
    step1 = section_html(html, "sectie-stap1-signalen")
    assert 'class="obs obs--fact"' in step1 and 'class="obs obs--words"' in step1
    assert 'class="obs obs--interpretation"' in step1
    teacher = filled.objects["signal"][0].recorded_by.get_full_name()
    assert f"Interpretatie of niet-pluisgevoel van {teacher}" in step1
    assert "Naam of functie van de bron" in step1 and "Bron:" in step1
    assert "Eerdere versie 1 (vervangen)" in step1
    assert "Daan Visser (getuige)" in step1  # other pupils: internal dossier only
    assert "disclosure" in step1
    assert "Signaal afgegeven in de Verwijsindex" in section_html(html, "sectie-stap1-verwijsindex")
    assert "Collegiale consultatie" in section_html(html, "sectie-stap2-consultaties")
    assert "Advies gevraagd aan Veilig Thuis" in section_html(html, "sectie-stap2-vt_advies")
    talks = section_html(html, "sectie-stap3-gesprekken")
    assert "niet gevoerd" in talks and "de veiligheid van het kind" in talks
    sot = section_html(html, "sectie-stap4-sot")
    meeting = filled.objects["sot"][0].meeting
    for user in meeting.attendees.all():
        assert user.get_full_name() in sot
    assert "Aanwezig (anderen)" in sot and "Ouders aanwezig:</span> ja" in sot
    moves = section_html(html, "sectie-stap1-stapwissels")
    assert "Dossier geopend in Stap 1" in moves


def test_afwegingskader_with_advice_against_the_decision(filled, director):
    html = dossier_html(filled.case, director)
    questions = section_html(html, "sectie-afwegingskader-vragen")
    assert questions.count('<th scope="row">Vraag ') == 5
    assert "Heb ik op basis van de stappen 1 tot en met 4" in questions
    assert "(nog) niet beantwoord" in questions  # q5
    assert "hulp bieden of organiseren" in questions  # advice now, from advise()
    decisions = section_html(html, "sectie-afwegingskader-besluiten")
    assert "Besluit: Melden bij Veilig Thuis" in decisions
    assert "Advies van het afwegingskader bij het besluit" in decisions
    assert "wijkt af van het advies" in decisions
    deviation = filled.objects["decision"][0].deviation_reason
    assert re.search(r'class="f f--alert"><span class="f__k">Reden om af te wijken van het '
                     r'advies:</span> ' + re.escape(deviation), decisions)
    assert "Er is geen acute of structurele onveiligheid" in decisions  # advice explanation


def test_veilig_thuis_parents_followup_timeline_history(filled, director):
    html = dossier_html(filled.case, director)
    overview = section_html(html, "sectie-veilig_thuis-overzicht")
    for kind in ["advies (anoniem)", "melding", "terugkoppeling", "informatie op verzoek"]:
        assert kind in overview
    reports = section_html(html, "sectie-veilig_thuis-meldingen")
    assert "Melding bij Veilig Thuis" in reports
    assert "Terugkoppeling van Veilig Thuis na de veiligheidsbeoordeling" in reports
    assert "Afspraak met Veilig Thuis over de rol van de school" in reports
    assert "Informatie gegeven aan Veilig Thuis op verzoek" in section_html(
        html, "sectie-veilig_thuis-informatie")
    parents = section_html(html, "sectie-ouders-ouders")
    for what in ["gesprek gevoerd", "niet gevoerd", "ouders waren aanwezig",
                 "ouders geïnformeerd", "niet vooraf informeren", "vooraf geïnformeerd"]:
        assert what in parents, what
    for key, title in [("hulpplan", "Hulpplan"), ("acties", "Actie"),
                       ("evaluaties", "Evaluatie van"), ("nazorg", "Nazorg"),
                       ("monitoring", "Afspraken over monitoring"),
                       ("knelpunten", "Knelpunt")]:
        assert title in section_html(html, f"sectie-volgen-{key}"), key
    timeline = section_html(html, "sectie-tijdlijn-tijdlijn")
    assert "<thead>" in timeline and "Signaal: lichamelijke mishandeling" in timeline
    assert "Besluit: Melden bij Veilig Thuis" in timeline
    history = section_html(html, "sectie-bijlage-wijzigingen")
    assert "Wie wijzigde wat" in history and "aangemaakt" in history


def test_without_history_there_is_no_appendix(filled, director):
    html = dossier_html(filled.case, director, include_history=False)
    assert "sectie-bijlage-wijzigingen" not in html
    assert "Met de wijzigingen in het dossier als bijlage" not in html


def test_empty_case_says_so(case, director):
    html = dossier_html(case, director)
    assert "Er is in deze stap niets vastgelegd." in html
    assert "Het afwegingskader is (nog) niet ingevuld." in html


def test_query_count_does_not_grow_with_the_records(case, people, school, director):
    def count(c):
        with CaptureQueriesContext(connection) as ctx:
            dossier_context(case_for_export(c.pk), requester=director, include_history=False)
        return len(ctx)

    small = case
    fill_case(small, people)
    from cases.services import case_open

    big = case_open(pupil=PupilFactory(school=school), actor=people["ib"])
    fill_case(big, people, counts={"signals": 12, "consultations": 6, "vt_advice": 5,
                                   "conversations": 8, "sot": 4, "vir": 3, "transitions": 4,
                                   "actions": 6, "evaluations": 4})
    assert count(big) == count(small)


def test_registered_builders_add_sections(case, director):
    def extra(c):
        return sections.Section("extra", "Extra onderdeel", "nieuw", entries=[
            sections.Entry("x.y", 1, "Een extra regel",
                           fields=[sections.Field("text", "Tekst", "<i>schuin</i>")])])

    sections.register(extra, name="test_extra")
    try:
        html = dossier_html(case, director)
    finally:
        sections.unregister("test_extra")
    overig = section_html(html, "hoofdstuk-overig")
    assert "Extra onderdeel" in overig and "&lt;i&gt;schuin&lt;/i&gt;" in overig


def test_invitations_into_the_case_are_in_the_dossier_but_not_in_the_inzage_copy(
        filled, director, ib):
    from cases.services import case_grant_access, case_revoke_access
    from schools.roles import Role
    from tests.factories import staff

    colleague = staff(Role.LEERKRACHT, filled.case.school, first_name="Wieteke",
                      last_name="Zonneveld")
    case_grant_access(case=filled.case, user=colleague, actor=ib)
    case_revoke_access(case=filled.case, user=colleague, actor=ib)
    html = unescape(dossier_html(filled.case, director))
    trail = section_html(html, "sectie-overig-toegang")
    assert trail.count("Wieteke Zonneveld") == 2 and ib.get_full_name() in trail
    assert "<thead>" in trail
    section = next(s for s in sections.build_sections(filled.case) if s.key == "toegang")
    assert section.in_inzage is False

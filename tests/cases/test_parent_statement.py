"""R39: parents' own statements appended to the file, unchanged.

The service (who gave it, closed cases, corrections as versions with a reason, conflicts),
the pages (add, correct, read; errors keep the input; stale lock_version), who may do what,
the access log, the case page and timeline, the PDF dossier and the inzage copy.
"""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.history import case_history
from cases.models import AccessLog, Consultation, ParentStatement, StatementChannel
from cases.records import record_create, record_update
from cases.services import EditConflict, ServiceError, case_grant_access, case_open
from cases.timeline import case_timeline
from cases.workflow import close_case
from exports import redaction
from exports.documents import case_for_export, dossier_context, inzage_context, inzage_parts
from exports.models import Redaction
from exports.pdf import DOSSIER_TEMPLATE, INZAGE_TEMPLATE, render_html
from exports.services import access_request_create, redaction_add
from schools.roles import Role
from tests.factories import ParentFactory, PupilFactory, PupilParentFactory, staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WORDS = ("Wij zijn het niet eens met het verslag van 3 maart.\n\n"
         "Onze zoon   viel van zijn fiets; dat hebben wij  ook zo gezegd.")


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def child(school):
    return PupilFactory(school=school, first_name="Daan", last_name="Kuipers",
                        date_of_birth=datetime.date(2016, 6, 1))


@pytest.fixture
def mother(child):
    return PupilParentFactory(pupil=child, parent=ParentFactory(school=child.school,
                                                                name="Petra Kuipers"),
                              relationship="moeder", has_authority=True)


@pytest.fixture
def father(child):
    return PupilParentFactory(pupil=child, parent=ParentFactory(school=child.school,
                                                                name="Kees Kuipers"),
                              relationship="vader", has_authority=False)


@pytest.fixture
def pcase(child, ib, mother, father):
    return case_open(pupil=child, actor=ib)


def new_statement(case, actor, **fields):
    values = {"occurred_on": TODAY, "received_via": StatementChannel.LETTER, "statement": WORDS,
              **fields}
    return record_create(case=case, record=ParentStatement(**values), actor=actor)


def url(name, case, *args):
    return reverse(f"cases:{name}", args=[case.pk, *args])


def post_data(parent=None, **extra):
    data = {"occurred_on": TODAY.isoformat(), "received_via": "e-mail",
            "responds_to": "Het gespreksverslag van 3 maart.", "statement": WORDS}
    if parent is not None:
        data["parent"] = str(parent.pk)
    data.update(extra)
    return data


def close(case, actor):
    return close_case(case_id=case.pk, actor=actor, close_reason="geen_zorg",
                      explanation="Zorgen weggenomen.")


# --- the service --------------------------------------------------------------------------


def test_a_known_parent_is_copied_onto_the_statement(pcase, ib, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    statement.refresh_from_db()
    assert (statement.given_by_name, statement.relation, statement.had_authority) == (
        "Petra Kuipers", "moeder", True)
    assert statement.statement == WORDS  # as given: inner spaces and blank lines kept
    assert statement.author == ib and statement.step == pcase.step
    assert statement.history.get().history_change_reason == "aangemaakt"


def test_a_parent_without_authority_is_marked_so(pcase, ib, father):
    statement = new_statement(pcase, ib, parent=father.parent)
    assert statement.had_authority is False


def test_someone_not_registered_gives_name_and_relation(pcase, ib):
    statement = new_statement(pcase, ib, given_by_name=" Oma Kuipers ", relation="grootmoeder")
    assert (statement.given_by_name, statement.relation, statement.had_authority) == (
        "Oma Kuipers", "grootmoeder", None)
    with pytest.raises(ServiceError, match="naam en relatie"):
        new_statement(pcase, ib, given_by_name="Oma", relation="")


def test_a_parent_of_another_pupil_is_refused(pcase, ib, school):
    stranger = PupilParentFactory(pupil=PupilFactory(school=school))
    with pytest.raises(ServiceError, match="hoort niet bij de leerling"):
        new_statement(pcase, ib, parent=stranger.parent)
    assert not ParentStatement.objects.exists()


@pytest.mark.parametrize("fields, message", [
    ({"statement": "   "}, "Neem de verklaring van de ouders over"),
    ({"occurred_on": TODAY + datetime.timedelta(days=1)}, "in de toekomst"),
])
def test_service_refuses_empty_text_and_future_dates(pcase, ib, mother, fields, message):
    with pytest.raises(ServiceError, match=message):
        new_statement(pcase, ib, parent=mother.parent, **fields)


def test_allowed_on_a_closed_case_other_records_are_not(pcase, ib, mother):
    close(pcase, ib)
    pcase.refresh_from_db()
    statement = new_statement(pcase, ib, parent=mother.parent)
    assert statement.pk
    with pytest.raises(ServiceError, match="afgesloten"):
        record_create(case=pcase, record=Consultation(occurred_on=TODAY, consulted="x",
                                                      advice="y"), actor=ib)
    statement.statement = WORDS + " (aangevuld)"
    record_update(record=statement, actor=ib, base_version=1, reason="typefout hersteld")
    assert statement.lock_version == 2


def test_a_correction_is_a_new_version_with_a_reason(pcase, ib, vc, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    statement.statement = WORDS.replace("fiets", "step")
    with pytest.raises(ServiceError, match="reden"):
        record_update(record=statement, actor=vc, base_version=1, reason=" ")
    record_update(record=statement, actor=vc, base_version=1,
                  reason="overgenomen tekst verbeterd: de ouders schreven step")
    versions = list(statement.history.order_by("history_date"))
    assert [v.statement for v in versions] == [WORDS, WORDS.replace("fiets", "step")]
    assert versions[-1].history_user == vc
    assert versions[-1].history_change_reason.startswith("overgenomen tekst verbeterd")
    changed = [e for e in case_history(pcase) if e.kind == "~"
               and e.model_label.lower().startswith("verklaring")]
    assert changed and any(c.field == "statement" for c in changed[0].changes)


def test_a_stale_version_is_a_conflict_and_nothing_is_written(pcase, ib, vc, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    first = ParentStatement.objects.get(pk=statement.pk)
    first.responds_to = "Verslag 1"
    record_update(record=first, actor=vc, base_version=1, reason="aangevuld")
    second = ParentStatement.objects.get(pk=statement.pk)
    second.responds_to = "Verslag 2"
    with pytest.raises(EditConflict):
        record_update(record=second, actor=ib, base_version=1, reason="ook aangevuld")
    assert ParentStatement.objects.get(pk=statement.pk).responds_to == "Verslag 1"


def test_the_copied_name_stays_when_the_parent_is_renamed(pcase, ib, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    mother.parent.name = "Petra de Wit"
    mother.parent.save()
    statement.responds_to = "Het signaal"
    record_update(record=statement, actor=ib, base_version=1, reason="aangevuld")
    statement.refresh_from_db()
    assert statement.given_by_name == "Petra Kuipers"


# --- the pages ------------------------------------------------------------------------------


def test_add_form_lists_the_pupils_parents_with_their_authority(verified_client, ib, pcase,
                                                                school):
    PupilParentFactory(pupil=PupilFactory(school=school),
                       parent=ParentFactory(school=school, name="Iemand Anders"))
    verified_client.force_login(ib)
    response = verified_client.get(url("parent_statement_add", pcase))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Petra Kuipers (moeder, met gezag)" in html
    assert "Kees Kuipers (vader, zonder gezag)" in html
    assert "Iemand Anders" not in html
    assert "letterlijk" in html


def test_add_saves_the_words_unchanged(verified_client, ib, pcase, mother):
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_add", pcase),
                                    post_data(mother.parent))
    assert response.status_code == 302 and response["Location"] == url("detail", pcase)
    statement = ParentStatement.objects.get()
    assert statement.statement == WORDS
    assert statement.given_by_name == "Petra Kuipers"
    assert statement.received_via == "e-mail"
    assert statement.responds_to == "Het gespreksverslag van 3 maart."


def test_add_by_name_when_the_parent_is_not_registered(verified_client, ib, pcase):
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_add", pcase), post_data(
        other_name="Jan Kuipers", other_relation="stiefvader"))
    assert response.status_code == 302
    statement = ParentStatement.objects.get()
    assert (statement.given_by_name, statement.relation, statement.parent) == (
        "Jan Kuipers", "stiefvader", None)


def test_errors_are_dutch_and_keep_the_input(verified_client, ib, pcase):
    verified_client.force_login(ib)
    future = (TODAY + datetime.timedelta(days=2)).isoformat()
    response = verified_client.post(url("parent_statement_add", pcase), post_data(
        occurred_on=future, statement="", responds_to="Het verslag van 3 maart"))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "De datum van ontvangst ligt in de toekomst." in html
    assert "Neem de verklaring van de ouders over." in html
    assert "Kies een ouder/verzorger of vul de naam in" in html
    assert future in html and "Het verslag van 3 maart" in html
    # errors are linked to their fields
    assert re.search(r'aria-describedby="[^"]*id_statement', html)
    assert not ParentStatement.objects.exists()


def test_a_parent_of_another_pupil_cannot_be_posted(verified_client, ib, pcase, school):
    stranger = PupilParentFactory(pupil=PupilFactory(school=school))
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_add", pcase),
                                    post_data(stranger.parent))
    assert response.status_code == 200
    assert "geldige keuze" in response.content.decode()
    assert WORDS.split("\n")[0] in unescape(response.content.decode())
    assert not ParentStatement.objects.exists()


def test_edit_needs_a_reason_and_keeps_the_input(verified_client, ib, pcase, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_edit", pcase, statement.pk),
                                    post_data(mother.parent, statement="Nieuwe tekst",
                                              lock_version="1", change_reason=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nieuwe tekst" in html
    statement.refresh_from_db()
    assert statement.statement == WORDS
    response = verified_client.post(url("parent_statement_edit", pcase, statement.pk),
                                    post_data(mother.parent, statement="Nieuwe tekst",
                                              lock_version="1", change_reason="typefout"))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.statement == "Nieuwe tekst" and statement.lock_version == 2


def test_edit_with_a_stale_lock_version_is_a_conflict(verified_client, ib, vc, pcase, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    other = ParentStatement.objects.get(pk=statement.pk)
    other.responds_to = "Door de VC aangevuld."
    record_update(record=other, actor=vc, base_version=1, reason="aangevuld")
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_edit", pcase, statement.pk),
                                    post_data(mother.parent, statement="Mijn correctie",
                                              lock_version="1", change_reason="typefout"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Iemand anders heeft dit verslag intussen gewijzigd" in html
    assert "Mijn correctie" in html and "Door de VC aangevuld." in html
    assert 'name="lock_version" value="2"' in html
    statement.refresh_from_db()
    assert statement.statement == WORDS


def test_closed_case_offers_only_the_statement(verified_client, ib, pcase, mother):
    close(pcase, ib)
    verified_client.force_login(ib)
    page = verified_client.get(url("detail", pcase)).content.decode()
    assert url("parent_statement_add", pcase) in page
    assert url("consultation_add", pcase) not in page
    assert verified_client.get(url("consultation_add", pcase)).status_code == 403
    response = verified_client.post(url("parent_statement_add", pcase),
                                    post_data(mother.parent))
    assert response.status_code == 302
    statement = ParentStatement.objects.get()
    detail = verified_client.get(url("parent_statement_detail", pcase, statement.pk))
    assert url("parent_statement_edit", pcase, statement.pk) in detail.content.decode()


def test_detail_marks_the_words_and_logs_the_read(verified_client, ib, pcase, mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    verified_client.force_login(ib)
    response = verified_client.get(url("parent_statement_detail", pcase, statement.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "obs--parent" in html and "Verklaring van ouders" in html
    assert "Petra Kuipers" in html and "Ja" in html  # had authority
    log = AccessLog.objects.filter(object_type="cases.parentstatement", object_id=statement.pk)
    assert log.filter(user=ib, case=pcase, action="bekeken").count() == 1
    verified_client.get(url("parent_statement_edit", pcase, statement.pk))
    assert log.count() == 2


def test_case_page_and_timeline_show_the_statement(verified_client, ib, pcase, mother,
                                                   django_assert_max_num_queries):
    statement = new_statement(pcase, ib, parent=mother.parent)
    verified_client.force_login(ib)
    page = verified_client.get(url("detail", pcase)).content.decode()
    assert "Verklaringen van ouders" in page
    assert url("parent_statement_detail", pcase, statement.pk) in page
    entries = [e for e in case_timeline(pcase) if e.kind == "parent_statement"]
    assert len(entries) == 1 and entries[0].obj == statement
    assert ("Verklaring van de ouders (ongewijzigd)", WORDS) in entries[0].details
    assert ("Gegeven door", "Petra Kuipers (moeder, met gezag)") in entries[0].details
    for n in range(5):
        new_statement(pcase, ib, parent=mother.parent, responds_to=f"Verslag {n}")
    with django_assert_max_num_queries(40):
        response = verified_client.get(url("timeline", pcase))
    html = unescape(response.content.decode())
    assert html.count("de eigen woorden van de ouders, ongewijzigd opgenomen") == 6
    assert "timeline-entry--parent_statement" in html


# --- who may -------------------------------------------------------------------------------


@pytest.fixture
def statement(pcase, ib, mother):
    return new_statement(pcase, ib, parent=mother.parent)


def pages(case, statement):
    return {"add": url("parent_statement_add", case),
            "detail": url("parent_statement_detail", case, statement.pk),
            "edit": url("parent_statement_edit", case, statement.pk)}


def test_a_reader_sees_but_cannot_add_or_correct(verified_client, pcase, statement, school,
                                                 mother):
    reader = staff(Role.LEERKRACHT, school)
    case_grant_access(case=pcase, user=reader, level="read")
    verified_client.force_login(reader)
    urls = pages(pcase, statement)
    assert verified_client.get(urls["detail"]).status_code == 200
    assert verified_client.get(urls["add"]).status_code == 403
    assert verified_client.get(urls["edit"]).status_code == 403
    assert verified_client.post(urls["add"], post_data(mother.parent)).status_code == 403
    assert verified_client.post(urls["edit"], post_data(
        mother.parent, lock_version="1", change_reason="x", statement="Anders")).status_code == 403
    assert ParentStatement.objects.get().statement == WORDS
    assert ParentStatement.objects.count() == 1


def test_an_invited_contributor_may_add(verified_client, pcase, school, mother):
    helper = staff(Role.LEERKRACHT, school)
    case_grant_access(case=pcase, user=helper, level="contribute")
    verified_client.force_login(helper)
    response = verified_client.post(url("parent_statement_add", pcase), post_data(mother.parent))
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["teacher", "other_ib", "same_board_ib", "bestuur",
                                 "beheerder"])
def test_outsiders_get_404_for_every_page(verified_client, request, pcase, statement,
                                          other_school, school, mother, who):
    user = {
        "teacher": lambda: request.getfixturevalue("teacher"),
        "other_ib": lambda: staff(Role.IB, other_school),
        "same_board_ib": lambda: staff(Role.IB, _school_of_board(school)),
        "bestuur": lambda: request.getfixturevalue("bestuur"),
        "beheerder": lambda: request.getfixturevalue("beheerder"),
    }[who]()
    verified_client.force_login(user)
    for name, address in pages(pcase, statement).items():
        assert verified_client.get(address).status_code == 404, name
    assert verified_client.post(pages(pcase, statement)["add"],
                                post_data(mother.parent)).status_code == 404
    assert ParentStatement.objects.count() == 1


def _school_of_board(school):
    from tests.factories import SchoolFactory

    return SchoolFactory(board=school.board)


def test_a_statement_of_another_case_is_404(verified_client, ib, pcase, statement, school):
    other = case_open(pupil=PupilFactory(school=school), actor=ib)
    verified_client.force_login(ib)
    assert verified_client.get(
        url("parent_statement_detail", other, statement.pk)).status_code == 404
    assert verified_client.get(
        url("parent_statement_edit", other, statement.pk)).status_code == 404


def test_anonymous_is_sent_to_login(client, pcase, statement):
    for address in pages(pcase, statement).values():
        response = client.get(address)
        assert response.status_code == 302 and "login" in response["Location"]


# --- the PDF dossier and the inzage copy ------------------------------------------------------


def test_the_dossier_holds_the_statement_marked_as_the_parents(pcase, ib, director, statement):
    ctx = dossier_context(case_for_export(pcase.pk), requester=director, include_history=True)
    html = render_html(DOSSIER_TEMPLATE, ctx)
    section = html[html.index('id="sectie-ouders-verklaringen"'):]
    section = section[:section.index("</section>")]
    assert "Verklaringen van ouders" in section
    assert 'class="obs obs--parent"' in section
    assert "Verklaring van ouders: hun eigen woorden, ongewijzigd" in section
    assert "Wij zijn het niet eens met het verslag van 3 maart." in unescape(section)
    assert "Petra Kuipers (moeder, met gezag)" in unescape(section)
    # the school's facts and interpretations are elsewhere, not in this block
    assert "obs--fact" not in section and "obs--interpretation" not in section
    # the legend explains the mark
    assert "De eigen woorden van de ouders, ongewijzigd door de school toegevoegd." in html


@pytest.fixture
def access_request(pcase, ib, mother):
    return access_request_create(pupil=pcase.pupil, actor=ib, requester_kind="ouder",
                                 parent_link=mother, received_on=TODAY, identity_verified=True)


def test_the_inzage_copy_always_holds_the_statement(pcase, ib, statement, access_request):
    html = unescape(render_html(INZAGE_TEMPLATE, inzage_context(access_request)))
    assert "Verklaringen van ouders" in html
    assert "Wij zijn het niet eens met het verslag van 3 maart." in html
    assert 'class="obs obs--parent"' in html


def test_the_statement_cannot_be_left_out_of_the_copy(verified_client, ib, pcase, statement,
                                                      access_request):
    parts, loose = inzage_parts(access_request, apply_redactions=False)
    chapters = [c for part in parts for c in part["chapters"]]
    entries = redaction.redactable_entries(chapters)
    key = ("cases.parentstatement", statement.pk)
    assert key not in entries
    allowed = {k: set(v["fields"]) for k, v in entries.items()}
    for field in ("", "statement"):
        with pytest.raises(ServiceError):
            redaction_add(access_request=access_request, actor=ib, object_type=key[0],
                          object_id=key[1], field=field, reason="derden", allowed=allowed)
    verified_client.force_login(ib)
    redact_url = reverse("exports:inzage_redact", args=[access_request.pk, *key])
    assert verified_client.get(redact_url).status_code == 404
    detail = verified_client.get(reverse("exports:inzage_detail", args=[access_request.pk]))
    assert "altijd volledig in de kopie" in detail.content.decode()
    # even a redaction row written around the service does not take it out
    Redaction.objects.create(access_request=access_request, object_type=key[0],
                             object_id=key[1], field="", reason="omzeild", created_by=ib)
    html = unescape(render_html(INZAGE_TEMPLATE, inzage_context(access_request)))
    assert "Wij zijn het niet eens met het verslag van 3 maart." in html


def _redactable(access_request):
    parts, _loose = inzage_parts(access_request, apply_redactions=False)
    return redaction.redactable_entries([c for part in parts for c in part["chapters"]])


def test_another_parents_statement_can_be_left_out_of_the_copy(verified_client, ib, pcase,
                                                               mother, access_request):
    """In the copy for one parent, the other parent's statement is that parent's data: the
    school can leave it out or black it out, with a reason (R37, art. 15 lid 4 AVG)."""
    other = PupilParentFactory(pupil=pcase.pupil, parent=ParentFactory(
        school=pcase.school, name="Anna Kuipers"), relationship="stiefouder", has_authority=True)
    theirs = new_statement(pcase, ib, parent=other.parent,
                           statement="Wij wonen sinds kort op de Lindelaan 4.")
    own = new_statement(pcase, ib, parent=mother.parent)
    entries = _redactable(access_request)
    assert ("cases.parentstatement", theirs.pk) in entries
    assert ("cases.parentstatement", own.pk) not in entries
    allowed = {k: set(v["fields"]) for k, v in entries.items()}
    redaction_add(access_request=access_request, actor=ib, object_type="cases.parentstatement",
                  object_id=theirs.pk, field="", reason="veiligheid van een andere ouder",
                  allowed=allowed)
    html = unescape(render_html(INZAGE_TEMPLATE, inzage_context(access_request)))
    assert "Lindelaan" not in html and "veiligheid van een andere ouder" in html
    assert "Wij zijn het niet eens met het verslag van 3 maart." in html  # her own, whole
    verified_client.force_login(ib)
    detail = verified_client.get(reverse("exports:inzage_detail", args=[access_request.pk]))
    assert reverse("exports:inzage_redact", args=[access_request.pk, "cases.parentstatement",
                                                  theirs.pk]) in detail.content.decode()


def test_a_statement_without_a_linked_parent_can_be_left_out(ib, pcase, access_request):
    typed = new_statement(pcase, ib, given_by_name="J. de Wit", relation="oom")
    assert ("cases.parentstatement", typed.pk) in _redactable(access_request)


def test_in_a_copy_for_the_pupil_every_statement_can_be_left_out(ib, pcase, statement):
    pcase.pupil.date_of_birth = TODAY - datetime.timedelta(days=17 * 366)
    pcase.pupil.save()
    pupil_request = access_request_create(pupil=pcase.pupil, actor=ib, requester_kind="leerling",
                                          parent_link=None, received_on=TODAY,
                                          identity_verified=True)
    assert ("cases.parentstatement", statement.pk) in _redactable(pupil_request)


def test_staff_names_are_still_left_out_of_the_copy(pcase, ib, mother, access_request):
    name = ib.get_full_name()
    new_statement(pcase, ib, parent=mother.parent, statement=f"Wij spraken {name} op school.")
    access_request.redact_staff_names = True
    access_request.staff_names_reason = "veiligheid van medewerkers"
    access_request.save()
    html = unescape(render_html(INZAGE_TEMPLATE, inzage_context(access_request)))
    assert "Wij spraken [naam medewerker] op school." in html
    assert name not in html


@pytest.mark.slow
def test_the_real_pdf_holds_the_statement(pcase, director, statement, tmp_path):
    import shutil
    import subprocess

    from exports.pdf import html_to_pdf

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    ctx = dossier_context(case_for_export(pcase.pk), requester=director, include_history=False)
    path = tmp_path / "dossier.pdf"
    path.write_bytes(html_to_pdf(render_html(DOSSIER_TEMPLATE, ctx)).content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    text = re.sub(r"\s+", " ", re.sub(r"\u2010\n|-\n", "", text))
    assert "VERKLARING VAN OUDERS" in text.upper()
    assert "Wij zijn het niet eens met het verslag van 3 maart." in text


# --- the scanned letter ------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name="brief ouders.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_scanned_letter_is_stored_and_downloaded_with_a_log_row(verified_client, ib, pcase,
                                                                  mother, school):
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_add", pcase),
                                    {**post_data(mother.parent), "letter": upload()})
    assert response.status_code == 302
    statement = ParentStatement.objects.get()
    assert (statement.file_name, statement.file_type, statement.file_size) == (
        "brief ouders.pdf", "application/pdf", len(PDF))
    # no pupil or case identifiers in the stored name
    assert re.fullmatch(rf"verklaringen/{school.pk}/[0-9a-f]{{32}}", statement.file.name)
    reader = staff(Role.LEERKRACHT, school)
    case_grant_access(case=pcase, user=reader, level="read")
    verified_client.force_login(reader)
    detail = verified_client.get(url("parent_statement_detail", pcase, statement.pk))
    file_url = url("parent_statement_file", pcase, statement.pk)
    assert file_url in detail.content.decode()
    response = verified_client.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="brief ouders.pdf"' in response["Content-Disposition"]
    assert AccessLog.objects.filter(user=reader, object_type="cases.parentstatement",
                                    object_id=statement.pk, action="gedownload").count() == 1


def test_a_letter_of_another_type_is_refused_and_the_text_kept(verified_client, ib, pcase,
                                                               mother):
    verified_client.force_login(ib)
    response = verified_client.post(url("parent_statement_add", pcase), {
        **post_data(mother.parent), "letter": upload("brief.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "geen foto (JPEG of PNG) of PDF" in html
    assert "Wij zijn het niet eens met het verslag van 3 maart." in html
    assert 'enctype="multipart/form-data"' in html
    assert not ParentStatement.objects.exists()


def test_the_letter_cannot_be_replaced(verified_client, ib, pcase, mother):
    statement = new_statement(pcase, ib, parent=mother.parent, file=upload(),
                              file_name="brief.pdf")
    stored = statement.file.name
    verified_client.force_login(ib)
    edit = verified_client.get(url("parent_statement_edit", pcase, statement.pk))
    assert 'name="letter"' not in edit.content.decode()
    statement = ParentStatement.objects.get(pk=statement.pk)
    statement.file = upload("ander.pdf")
    with pytest.raises(ServiceError, match="niet worden vervangen"):
        record_update(record=statement, actor=ib, base_version=1, reason="nieuwe scan")
    assert ParentStatement.objects.get(pk=statement.pk).file.name == stored


def test_the_letter_is_named_in_the_dossier_and_the_timeline(pcase, ib, director, mother):
    new_statement(pcase, ib, parent=mother.parent, file=upload(), file_name="brief.pdf")
    ctx = dossier_context(case_for_export(pcase.pk), requester=director, include_history=False)
    html = unescape(render_html(DOSSIER_TEMPLATE, ctx))
    assert "Gescande brief (niet in deze export opgenomen)" in html and "brief.pdf" in html
    entry = next(e for e in case_timeline(pcase) if e.kind == "parent_statement")
    assert ("Gescande brief", "brief.pdf") in entry.details


def test_the_letter_is_404_for_outsiders_and_when_there_is_none(verified_client, pcase, ib,
                                                                 mother, other_school, teacher):
    with_file = new_statement(pcase, ib, parent=mother.parent, file=upload(),
                              file_name="brief.pdf")
    without = new_statement(pcase, ib, parent=mother.parent)
    for user in (teacher, staff(Role.IB, other_school)):
        verified_client.force_login(user)
        assert verified_client.get(
            url("parent_statement_file", pcase, with_file.pk)).status_code == 404
    verified_client.force_login(ib)
    assert verified_client.get(url("parent_statement_file", pcase, without.pk)).status_code == 404
    assert not AccessLog.objects.filter(action="gedownload").exists()


def test_correcting_after_the_parent_was_unlinked_keeps_the_name(verified_client, ib, pcase,
                                                                  mother):
    statement = new_statement(pcase, ib, parent=mother.parent)
    mother.delete()  # the parent is no longer linked to the pupil
    verified_client.force_login(ib)
    html = unescape(verified_client.get(
        url("parent_statement_edit", pcase, statement.pk)).content.decode())
    assert 'value="Petra Kuipers"' in html and 'value="moeder"' in html

"""Importing pupils and parents: services.pupil_import_apply and the two-step screens."""

import datetime

import pytest
from django.urls import reverse

from schools import services
from schools.models import Family, Parent, Pupil, PupilParent, SchoolClass
from tests.factories import (FamilyFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             SchoolFactory)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 28)
HEADER = ("leerlingnummer;voornaam;achternaam;geboortedatum;groep;schooljaar;gezin;"
          "ouder1_naam;ouder1_email;ouder1_relatie;ouder1_gezag;ouder1_contact_veilig;"
          "ouder2_naam;ouder2_relatie")


def csv_file(*rows: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


GOOD = csv_file(
    "1001;Sanne;Bakker;04-03-2018;groep 3;;BAKKER;Eva Bakker;eva@example.invalid;moeder;ja;;"
    "Bert Bakker;vader",
    "1002;Daan;Bakker;2016-05-06;groep 5;;BAKKER;Eva Bakker;eva@example.invalid;moeder;ja;;;",
    "1003;Lotte;Visser;01-09-2019;groep 2;;;;;;;;;",
)


def apply(actor, school, data):
    return services.pupil_import_apply(actor=actor, school=school, data=data, today=TODAY)


# -- service -------------------------------------------------------------------------------

def test_import_creates_pupils_groups_families_and_parents(beheerder, school):
    result = apply(beheerder, school, GOOD)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert (result.classes_created, result.families_created, result.parents_created) == (3, 1, 2)
    sanne, daan = Pupil.objects.get(external_id="1001"), Pupil.objects.get(external_id="1002")
    assert sanne.school == school and sanne.date_of_birth == datetime.date(2018, 3, 4)
    assert sanne.school_class.name == "groep 3" and sanne.school_class.school_year == "2026-2027"
    # Siblings share the family and the mother (one Parent row, two links).
    assert sanne.family == daan.family and sanne.family.label == "BAKKER"
    assert sanne.family.board == school.board
    eva = Parent.objects.get(name="Eva Bakker")
    assert set(eva.pupil_links.values_list("pupil__external_id", flat=True)) == {"1001", "1002"}
    assert eva.school == school and eva.safe_to_contact
    bert = PupilParent.objects.get(parent__name="Bert Bakker")
    assert (bert.relationship, bert.has_authority) == ("vader", True)
    assert sanne.history.first().history_user == beheerder


def test_family_key_links_siblings_across_schools_of_one_board_only(beheerder, school,
                                                                   sister_school):
    apply(beheerder, school, GOOD)
    apply(beheerder, sister_school, csv_file("9;Noor;Bakker;01-01-2014;groep 7;;BAKKER;;;;;;;"))
    other_board = SchoolFactory()
    services.pupil_import_apply(actor=None, school=other_board, today=TODAY,
                                data=csv_file("9;Kim;Bakker;01-01-2014;groep 7;;BAKKER;;;;;;;"))
    noor = Pupil.objects.get(first_name="Noor")
    assert noor.family == Pupil.objects.get(external_id="1001").family
    assert Pupil.objects.get(first_name="Kim").family != noor.family
    assert Family.objects.filter(label="BAKKER").count() == 2


def test_existing_family_is_reused(beheerder, school):
    family = FamilyFactory(board=school.board, label="BAKKER")
    apply(beheerder, school, GOOD)
    assert Pupil.objects.get(external_id="1001").family == family


def test_import_updates_existing_pupils_and_only_saves_real_changes(beheerder, school):
    group = SchoolClassFactory(school=school, name="groep 2", school_year="2026-2027")
    lotte = PupilFactory(school=school, external_id="1003", first_name="Lot",
                         last_name="Visser", date_of_birth=datetime.date(2019, 9, 1),
                         school_class=group)
    result = apply(beheerder, school, GOOD)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    lotte.refresh_from_db()
    assert lotte.first_name == "Lotte" and lotte.school_class == group
    assert Pupil.objects.filter(school=school).count() == 3
    history_rows = Pupil.history.count()
    again = apply(beheerder, school, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Pupil.history.count() == history_rows  # nothing changed, no empty history rows
    assert Parent.objects.count() == 2 and PupilParent.objects.count() == 3


def test_same_number_at_another_school_is_another_pupil(beheerder, school, sister_school):
    PupilFactory(school=sister_school, external_id="1001")
    result = apply(beheerder, school, GOOD)
    assert result.created == 3
    assert Pupil.objects.filter(external_id="1001").count() == 2


def test_one_bad_row_imports_nothing(beheerder, school):
    data = csv_file(
        "1001;Sanne;Bakker;04-03-2018;groep 3;;BAKKER;Eva Bakker;eva@example.invalid;moeder;ja;;;",
        "1002;Daan;Bakker;31-31-2016;groep 5;;BAKKER;;;;;;;")
    with pytest.raises(services.ImportRejected) as info:
        apply(beheerder, school, data)
    assert [(e.row, e.column) for e in info.value.report.errors] == [(3, "geboortedatum")]
    assert not Pupil.objects.exists() and not SchoolClass.objects.exists()
    assert not Family.objects.exists() and not Parent.objects.exists()


def test_empty_cells_keep_stored_values_and_unsafe_contact_stays_unsafe(beheerder, school):
    pupil = PupilFactory(school=school, external_id="1001", family=None)
    link = PupilParentFactory(pupil=pupil, parent__name="Eva Bakker", parent__email="",
                              parent__phone="06 11111111", parent__safe_to_contact=False,
                              relationship="moeder", has_authority=False)
    apply(beheerder, school, csv_file(
        "1001;Sanne;Bakker;04-03-2018;groep 3;;;Eva Bakker;eva@example.invalid;;;ja;;"))
    link.refresh_from_db()
    link.parent.refresh_from_db()
    assert link.parent.phone == "06 11111111"  # empty cell: kept
    assert link.parent.email == "eva@example.invalid"  # filled cell: updated
    assert link.parent.safe_to_contact is False  # "ja" never switches it back on
    assert (link.relationship, link.has_authority) == ("moeder", False)
    apply(beheerder, school, csv_file(
        "1001;Sanne;Bakker;04-03-2018;groep 3;;;Eva Bakker;;vader;ja;nee;;"))
    link.refresh_from_db()
    assert (link.relationship, link.has_authority) == ("vader", True)


def test_contact_not_safe_from_file_is_stored(beheerder, school):
    apply(beheerder, school, csv_file(
        "1001;Sanne;Bakker;04-03-2018;groep 3;;;Eva Bakker;;moeder;nee;nee;;"))
    link = PupilParent.objects.get()
    assert link.parent.safe_to_contact is False and link.has_authority is False


def test_parent_recognised_by_email_when_name_changes(beheerder, school):
    apply(beheerder, school, GOOD)
    apply(beheerder, school, csv_file(
        "1001;Sanne;Bakker;04-03-2018;groep 3;;BAKKER;Eva de Wit;eva@example.invalid;;;;;"))
    assert Parent.objects.filter(name="Eva de Wit").count() == 1
    assert not Parent.objects.filter(name="Eva Bakker").exists()
    assert Parent.objects.count() == 2


def test_plan_counts_what_confirming_will_do(beheerder, school):
    PupilFactory(school=school, external_id="1003")
    SchoolClassFactory(school=school, name="groep 3", school_year="2026-2027")
    from schools import importer

    report = importer.parse_pupil_csv(GOOD, today=TODAY)
    plan = services.pupil_import_plan(school=school, report=report)
    assert (plan.to_create, plan.to_update) == (2, 1)
    assert plan.new_classes == ["groep 5 (2026-2027)", "groep 2 (2026-2027)"]
    assert plan.new_families == ["BAKKER"]


# -- screens -------------------------------------------------------------------------------

def _upload(client, school, data, name="leerlingen.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("schools:pupil_import"), {
        "school": school.pk, "file": SimpleUploadedFile(name, data, "text/csv")})


def test_two_step_import(login, beheerder, sister_school):
    client = login(beheerder)
    response = _upload(client, sister_school, GOOD)
    assert response.status_code == 200
    assert not Pupil.objects.exists()  # step 1 writes nothing
    plan = response.context["plan"]
    assert (plan.to_create, plan.to_update) == (3, 0)
    content = response.content.decode()
    assert "Het bestand is in orde: 3 leerlingen." in content
    confirm = response.context["confirm_form"]
    response = client.post(reverse("schools:pupil_import_confirm"), {
        "school": sister_school.pk, "payload": confirm.initial["payload"]}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("schools:pupil_list",
                                                     args=[sister_school.pk])
    assert Pupil.objects.filter(school=sister_school).count() == 3
    assert "Import voltooid: 3 leerlingen nieuw, 0 bijgewerkt" in response.content.decode()


def test_bad_file_shows_dutch_report_and_no_confirm(login, beheerder, school):
    data = csv_file("1001;Sanne;Bakker;04-03-2018;groep 3;;;;;;;;;",
                    "1001;Daan;;2099-01-01;groep 5;;;;piet@;oom;soms;;;")
    response = _upload(login(beheerder), school, data)
    content = response.content.decode()
    assert "confirm_form" not in response.context
    assert "Er is niets geïmporteerd: het bestand heeft 7 problemen." in content
    for text in ("Leerlingnummer 1001 staat ook in rij 2.", "Verplicht veld is leeg.",
                 "De geboortedatum ligt in de toekomst.", "Ongeldig e-mailadres ‘piet@’.",
                 "Onbekende relatie ‘oom’", "Vul ‘ja’ of ‘nee’ in, niet ‘soms’.",
                 "Naam van ouder 1 ontbreekt", "<code>ouder1_relatie</code>"):
        assert text in content
    assert [e.row for e in response.context["report"].errors] == [3] * 7
    assert not Pupil.objects.exists()


def test_upload_larger_than_2_mb_is_refused(login, beheerder, school):
    response = _upload(login(beheerder), school, GOOD + b" " * (2 * 1024 * 1024))
    assert "file" in response.context["form"].errors
    assert not Pupil.objects.exists()


def test_upload_for_a_school_outside_the_board_is_refused(login, beheerder, other_school):
    response = _upload(login(beheerder), other_school, GOOD)
    assert "school" in response.context["form"].errors


def test_confirm_with_tampered_payload_imports_nothing(login, beheerder, school):
    client = login(beheerder)
    payload = _upload(client, school, GOOD).context["confirm_form"].initial["payload"]
    response = client.post(reverse("schools:pupil_import_confirm"),
                           {"school": school.pk, "payload": payload[:-2] + "xx"}, follow=True)
    assert "verlopen of ongeldig" in response.content.decode()
    assert not Pupil.objects.exists()


def test_confirm_payload_is_bound_to_school_and_user(login, beheerder, school, sister_school):
    client = login(beheerder)
    payload = _upload(client, school, GOOD).context["confirm_form"].initial["payload"]
    client.post(reverse("schools:pupil_import_confirm"),
                {"school": sister_school.pk, "payload": payload})
    assert not Pupil.objects.exists()
    from schools.roles import Role
    from tests.factories import staff

    colleague = staff(Role.BEHEERDER, board=school.board)
    login(colleague).post(reverse("schools:pupil_import_confirm"),
                          {"school": school.pk, "payload": payload})
    assert not Pupil.objects.exists()


def test_confirm_checks_the_file_again(login, beheerder, school):
    bad = csv_file("1001;Sanne;Bakker;99-99-2018;groep 3;;;;;;;;;")
    payload = services.import_payload_make(bad, user=beheerder, school=school)
    response = login(beheerder).post(reverse("schools:pupil_import_confirm"),
                                     {"school": school.pk, "payload": payload})
    assert response.status_code == 200
    assert "Ongeldige datum ‘99-99-2018’" in response.content.decode()
    assert not Pupil.objects.exists()


def test_confirm_for_school_outside_scope_is_forbidden(login, beheerder, other_school):
    response = login(beheerder).post(reverse("schools:pupil_import_confirm"),
                                     {"school": other_school.pk, "payload": "x"})
    assert response.status_code == 403


def test_director_cannot_confirm_an_import(login, director, school):
    payload = services.import_payload_make(GOOD, user=director, school=school)
    response = login(director).post(reverse("schools:pupil_import_confirm"),
                                    {"school": school.pk, "payload": payload})
    assert response.status_code == 403
    assert not Pupil.objects.exists()


def test_import_page_documents_the_columns(login, beheerder, school):
    content = login(beheerder).get(reverse("schools:pupil_import"),
                                   {"school": school.pk}).content.decode()
    for column in ("leerlingnummer", "geboortedatum", "ouder1_contact_veilig", "gezin"):
        assert f"<code>{column}</code>" in content


def test_template_download(login, beheerder):
    response = login(beheerder).get(reverse("schools:pupil_import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbfleerlingnummer;voornaam;")

"""Parsing and checking the pupil CSV (no database)."""

import datetime

import pytest

from schools import importer

TODAY = datetime.date(2026, 11, 28)
HEADER = ["leerlingnummer", "voornaam", "achternaam", "geboortedatum", "groep"]


def csv_bytes(rows, *, header=HEADER, sep=";", bom=False, newline="\r\n") -> bytes:
    text = newline.join(sep.join(r) for r in [header, *rows]) + newline
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def parse(data):
    return importer.parse_pupil_csv(data, today=TODAY)


def test_good_file_with_bom_and_semicolons():
    data = csv_bytes([["1001", "Sanne", "Bakker", "04-03-2018", "groep 3"],
                      ["1002", "Daan", "Visser", "2017-12-31", "groep 4"]], bom=True)
    report = parse(data)
    assert report.ok and report.errors == [] and report.delimiter == ";"
    first, second = report.rows
    assert (first.row, first.external_id, first.date_of_birth, first.school_year) == (
        2, "1001", datetime.date(2018, 3, 4), "2026-2027")
    assert second.date_of_birth == datetime.date(2017, 12, 31)


def test_commas_quotes_and_case_insensitive_header():
    header = ["Leerlingnummer", "VOORNAAM", "achternaam", "geboortedatum", "groep",
              "ouder1_naam"]
    data = csv_bytes([["7", "Anna", '"Jong, de"', "1-2-2019", "groep 1/2a", "Piet de Jong"]],
                     header=header, sep=",")
    report = parse(data)
    assert report.ok, report.errors
    assert report.delimiter == ","
    assert report.rows[0].last_name == "Jong, de"
    assert report.rows[0].parents == (importer.ParentRow(name="Piet de Jong"),)


def test_parent_columns_and_optional_values():
    header = HEADER + ["schooljaar", "gezin", "ouder1_naam", "ouder1_email", "ouder1_telefoon",
                       "ouder1_relatie", "ouder1_gezag", "ouder1_contact_veilig", "ouder2_naam",
                       "ouder2_gezag"]
    data = csv_bytes([["1", "A", "B", "01-01-2018", "groep 3", "2027/2028", "FAM-1", "Eva B",
                       "eva@example.invalid", "+31 6 1234 5678", "Moeder", "JA", "nee",
                       "Bert B", "nee"]], header=header)
    row = parse(data).rows[0]
    assert (row.school_year, row.family) == ("2027-2028", "FAM-1")
    assert row.parents == (
        importer.ParentRow("Eva B", "eva@example.invalid", "+31 6 1234 5678", "moeder", True,
                           False),
        importer.ParentRow("Bert B", has_authority=False))


def test_blank_lines_are_skipped_but_numbering_follows_the_file():
    data = csv_bytes([["1", "A", "B", "01-01-2018", "g3"], ["", "", "", "", ""],
                      ["2", "C", "", "01-01-2018", "g3"]])  # row 3 is ";;;;"
    report = parse(data)
    assert report.errors == [importer.RowError(4, "achternaam", "Verplicht veld is leeg.")]


FULL_HEADER = HEADER + ["schooljaar", "ouder1_naam", "ouder1_email", "ouder1_telefoon",
                        "ouder1_relatie", "ouder1_gezag", "ouder1_contact_veilig"]
GOOD = {"leerlingnummer": "1", "voornaam": "A", "achternaam": "B",
        "geboortedatum": "01-01-2018", "groep": "g3", "schooljaar": "",
        "ouder1_naam": "Ouder", "ouder1_email": "", "ouder1_telefoon": "",
        "ouder1_relatie": "", "ouder1_gezag": "", "ouder1_contact_veilig": ""}


@pytest.mark.parametrize(("column", "value", "message"), [
    ("leerlingnummer", "", "Verplicht veld is leeg."),
    ("voornaam", "", "Verplicht veld is leeg."),
    ("achternaam", " ", "Verplicht veld is leeg."),
    ("geboortedatum", "", "Verplicht veld is leeg."),
    ("groep", "", "Verplicht veld is leeg."),
    ("geboortedatum", "31-02-2018", "Ongeldige datum ‘31-02-2018’: gebruik dd-mm-jjjj of "
                                    "jjjj-mm-dd."),
    ("geboortedatum", "2018/13/01", "Ongeldige datum ‘2018/13/01’: gebruik dd-mm-jjjj of "
                                    "jjjj-mm-dd."),
    ("geboortedatum", "29-11-2026", "De geboortedatum ligt in de toekomst."),
    ("schooljaar", "2026-2028", "Ongeldig schooljaar ‘2026-2028’: gebruik jjjj-jjjj, "
                                "bijvoorbeeld 2026-2027."),
    ("ouder1_email", "eva@", "Ongeldig e-mailadres ‘eva@’."),
    ("ouder1_telefoon", "bel me", "Ongeldig telefoonnummer ‘bel me’."),
    ("ouder1_relatie", "oom", "Onbekende relatie ‘oom’: kies uit moeder, vader, ouder, "
                              "stiefouder, pleegouder, voogd, anders."),
    ("ouder1_gezag", "misschien", "Vul ‘ja’ of ‘nee’ in, niet ‘misschien’."),
    ("ouder1_contact_veilig", "yes", "Vul ‘ja’ of ‘nee’ in, niet ‘yes’."),
    ("ouder1_naam", "", "Naam van ouder 1 ontbreekt, terwijl er andere gegevens van deze ouder "
                        "zijn ingevuld."),
    ("voornaam", "x" * 101, "Te lang: maximaal 100 tekens."),
])
def test_each_bad_value_is_reported_with_row_and_column(column, value, message):
    good = dict(GOOD)
    bad = dict(GOOD, leerlingnummer="2")
    bad[column] = value
    if column == "ouder1_naam":
        bad["ouder1_email"] = "eva@example.invalid"
    data = csv_bytes([[good[c] for c in FULL_HEADER], [bad[c] for c in FULL_HEADER]],
                     header=FULL_HEADER)
    report = parse(data)
    assert report.errors == [importer.RowError(3, column, message)]
    assert not report.ok
    assert [r.row for r in report.rows] == [2]  # the good row is parsed but the report fails


def test_duplicate_number_names_both_rows():
    data = csv_bytes([["1", "A", "B", "01-01-2018", "g3"], ["2", "C", "D", "01-01-2018", "g3"],
                      ["1", "E", "F", "01-01-2018", "g3"]])
    assert parse(data).errors == [
        importer.RowError(4, "leerlingnummer", "Leerlingnummer 1 staat ook in rij 2.")]


def test_several_problems_are_all_reported():
    data = csv_bytes([["", "A", "B", "morgen", "g3"], ["2", "", "D", "01-01-2018", ""]])
    assert [(e.row, e.column) for e in parse(data).errors] == [
        (2, "leerlingnummer"), (2, "geboortedatum"), (3, "voornaam"), (3, "groep")]


def test_row_with_too_many_fields():
    data = csv_bytes([["1", "A", "B", "01-01-2018", "g3", "extra"]])
    assert parse(data).errors == [importer.RowError(
        2, "", "Deze rij heeft meer velden (6) dan de kopregel (5).")]


def test_missing_required_column():
    data = csv_bytes([["1", "A", "B", "01-01-2018"]], header=HEADER[:4])
    assert parse(data).errors == [
        importer.RowError(1, "groep", "Verplichte kolom ontbreekt in de kopregel.")]


def test_unknown_columns_give_a_warning_only():
    data = csv_bytes([["1", "A", "B", "01-01-2018", "g3", "x"]], header=HEADER + ["bsn"])
    report = parse(data)
    assert report.ok
    assert report.warnings == ["Deze kolommen zijn onbekend en worden overgeslagen: bsn."]


def test_file_too_big():
    data = csv_bytes([["1", "A", "B", "01-01-2018", "g3"]]) + b" " * importer.MAX_BYTES
    report = parse(data)
    assert [(e.row, e.column) for e in report.errors] == [(None, "")]
    assert "te groot" in report.errors[0].message and "2 MB" in report.errors[0].message


@pytest.mark.parametrize(("data", "fragment"), [
    ("leerlingnummer;voornaam\n1;Zoë\n".encode("latin-1"), "geen geldige UTF-8-tekst"),
    ("leerlingnummer;voornaam\n".encode("utf-16"), "geen CSV-tekstbestand in UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00", "geen CSV-tekstbestand in UTF-8"),  # an .xlsx
    (b"", "Het bestand is leeg."),
    (b"\xef\xbb\xbf\r\n", "Het bestand is leeg."),
    (b"just some text\n", "Is dit een CSV-bestand?"),
    ("leerlingnummer;voornaam;achternaam;geboortedatum;groep\r\n".encode(),
     "alleen een kopregel"),
    (b'leerlingnummer;voornaam;achternaam;geboortedatum;groep\n1;"A"x;B;01-01-2018;g\n',
     "geen geldig CSV-bestand"),
])
def test_files_that_are_not_a_usable_csv(data, fragment):
    report = parse(data)
    assert not report.ok
    assert len(report.errors) == 1 and report.errors[0].row is None
    assert fragment in report.errors[0].message


@pytest.mark.parametrize(("day", "year"), [
    (datetime.date(2026, 7, 31), "2025-2026"), (datetime.date(2026, 8, 1), "2026-2027"),
    (datetime.date(2027, 1, 15), "2026-2027")])
def test_school_year_starts_on_1_august(day, year):
    assert importer.school_year_for(day) == year


def test_template_csv_has_every_column():
    header = importer.template_csv().strip().split(";")
    assert header[:5] == HEADER and "ouder2_contact_veilig" in header
    assert parse(importer.template_csv().encode()).errors[0].message.endswith(
        "alleen een kopregel.")

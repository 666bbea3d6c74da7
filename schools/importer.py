"""Parse and check a pupil CSV from the pupil administration system. No database access.

``parse_pupil_csv(data)`` returns an ``ImportReport``: the clean rows, and one ``RowError``
(row number, column, Dutch message) per problem. Writing is ``services.pupil_import_apply``,
which refuses a report with any error, so a file is imported completely or not at all.

Row numbers count CSV records the way a spreadsheet shows them: the header is row 1, the first
pupil row 2. Column names are matched case-insensitively; spaces and hyphens count as ``_``.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Relationship

MAX_BYTES = 2 * 1024 * 1024
FILE = ""  # the "column" of problems with the file as a whole

REQUIRED_COLUMNS = ("leerlingnummer", "voornaam", "achternaam", "geboortedatum", "groep")
PARENT_FIELDS = ("naam", "email", "telefoon", "relatie", "gezag", "contact_veilig")
PARENT_NUMBERS = (1, 2)
OPTIONAL_COLUMNS = ("schooljaar", "gezin") + tuple(
    f"ouder{n}_{f}" for n in PARENT_NUMBERS for f in PARENT_FIELDS)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

MAX_LENGTHS = {"leerlingnummer": 50, "voornaam": 100, "achternaam": 150, "groep": 50,
               "gezin": 100, "naam": 200, "email": 254, "telefoon": 30}

# For the import page: (column, required, explanation).
COLUMN_DOCS = [
    ("leerlingnummer", True, gettext_lazy(
        "Nummer uit de leerlingadministratie; uniek per school. Een bestaande leerling met "
        "hetzelfde nummer wordt bijgewerkt.")),
    ("voornaam", True, gettext_lazy("Roepnaam of voornaam.")),
    ("achternaam", True, gettext_lazy("Achternaam, met tussenvoegsel.")),
    ("geboortedatum", True, gettext_lazy("dd-mm-jjjj of jjjj-mm-dd; niet in de toekomst.")),
    ("groep", True, gettext_lazy(
        "Naam van de groep, bijvoorbeeld ‘groep 5a’. Een ontbrekende groep wordt aangemaakt.")),
    ("schooljaar", False, gettext_lazy(
        "jjjj-jjjj, bijvoorbeeld 2026-2027. Leeg: het huidige schooljaar (begint 1 augustus).")),
    ("gezin", False, gettext_lazy(
        "Gezinskenmerk: leerlingen met hetzelfde kenmerk zijn broers en zussen, ook op andere "
        "scholen van het bestuur. Leeg: het gezin blijft zoals het was.")),
    ("ouder1_naam", False, gettext_lazy(
        "Naam van de eerste ouder/verzorger; verplicht als er andere ouder1-velden zijn "
        "ingevuld. Een ouder wordt herkend aan het e-mailadres, anders aan de naam.")),
    ("ouder1_email", False, gettext_lazy("E-mailadres.")),
    ("ouder1_telefoon", False, gettext_lazy("Telefoonnummer.")),
    ("ouder1_relatie", False, gettext_lazy(
        "moeder, vader, ouder, stiefouder, pleegouder, voogd of anders. Leeg bij een nieuwe "
        "ouder: ouder.")),
    ("ouder1_gezag", False, gettext_lazy(
        "ja of nee: heeft deze ouder gezag over het kind. Leeg bij een nieuwe ouder: ja.")),
    ("ouder1_contact_veilig", False, gettext_lazy(
        "ja of nee. ‘nee’ zet ‘contact is veilig’ uit. Het importbestand zet dit nooit weer "
        "aan: dat doet u in de leerlingkaart.")),
    ("ouder2_…", False, gettext_lazy("Dezelfde zes kolommen voor de tweede ouder/verzorger.")),
]

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SCHOOL_YEAR = re.compile(r"^(\d{4})\s*[-/]\s*(\d{4})$")
_PHONE = re.compile(r"^\+?[0-9 ()\-.]{6,30}$")
_YES_NO = {"ja": True, "j": True, "nee": False, "n": False}


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    column: str
    message: str


@dataclass(frozen=True)
class ParentRow:
    name: str
    email: str = ""
    phone: str = ""
    relationship: str = ""  # "": not given
    has_authority: bool | None = None  # None: not given
    safe_to_contact: bool | None = None


@dataclass(frozen=True)
class PupilRow:
    row: int
    external_id: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    group: str
    school_year: str
    family: str = ""
    parents: tuple[ParentRow, ...] = ()


@dataclass
class ImportReport:
    rows: list[PupilRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def error(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


def school_year_for(day: datetime.date) -> str:
    """The school year ``day`` falls in, e.g. "2026-2027"; a school year starts 1 August."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def parse_date(value: str) -> datetime.date | None:
    """dd-mm-jjjj (also with / or .) or jjjj-mm-dd; None when it is no real date."""
    if m := _DMY.match(value):
        day, month, year = (int(x) for x in m.groups())
    elif m := _YMD.match(value):
        year, month, day = (int(x) for x in m.groups())
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_school_year(value: str) -> str | None:
    m = _SCHOOL_YEAR.match(value)
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        return None
    return f"{m.group(1)}-{m.group(2)}"


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip().lower())


def _decode(data: bytes, report: ImportReport) -> str | None:
    hint = _("Sla het bestand op als ‘CSV UTF-8 (gescheiden door lijstscheidingsteken)’.")
    if len(data) > MAX_BYTES:
        report.error(None, FILE, _("Het bestand is te groot (%(size)s kB); de grens is 2 MB.")
                     % {"size": f"{len(data) / 1024:.0f}"})
        return None
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.error(None, FILE, _("Het bestand is leeg."))
        return None
    if b"\x00" in data:  # Excel workbook (zip), UTF-16 text, or another binary file
        report.error(None, FILE, _("Dit is geen CSV-tekstbestand in UTF-8.") + " " + hint)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(None, FILE, _("Het bestand is geen geldige UTF-8-tekst (fout bij teken "
                                   "%(pos)d).") % {"pos": exc.start + 1} + " " + hint)
        return None


def _sniff_delimiter(text: str) -> str | None:
    """``;`` (Dutch Excel) or ``,``: whichever separates the header line more often."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    semicolons, commas = header.count(";"), header.count(",")
    if not semicolons and not commas:
        return None
    return ";" if semicolons >= commas else ","


def parse_pupil_csv(data: bytes, *, today: datetime.date | None = None) -> ImportReport:
    """Read and check the whole file; the report lists every problem, not just the first."""
    today = today or timezone.localdate()
    report = ImportReport()
    text = _decode(data, report)
    if text is None:
        return report
    delimiter = _sniff_delimiter(text)
    if delimiter is None:
        report.error(None, FILE, _("Geen kopregel gevonden met kolommen gescheiden door ‘;’ of "
                                   "‘,’. Is dit een CSV-bestand?"))
        return report
    report.delimiter = delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error:
        report.error(None, FILE, _("Het bestand is geen geldig CSV-bestand: regel %(line)d kan "
                                   "niet worden gelezen. Controleer de aanhalingstekens.")
                     % {"line": reader.line_num})
        return report
    # Records, not lines, are numbered (a quoted cell may hold a line break); leading blank
    # records are skipped, so the header is the first record with content.
    start = next(i for i, r in enumerate(records) if any(cell.strip() for cell in r))
    header_row = start + 1
    header = [_normalise_header(h) for h in records[start]]
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            report.error(header_row, name, _("Deze kolom staat twee keer in de kopregel."))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in header:
            report.error(header_row, name, _("Verplichte kolom ontbreekt in de kopregel."))
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        report.warnings.append(_("Deze kolommen zijn onbekend en worden overgeslagen: %(names)s.")
                               % {"names": ", ".join(unknown)})
    if report.errors:
        return report

    default_year = school_year_for(today)
    first_row_of: dict[str, int] = {}
    for index, cells in enumerate(records[start + 1:], start=start + 2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            report.error(index, FILE, _("Deze rij heeft meer velden (%(n)d) dan de kopregel "
                                        "(%(m)d).") % {"n": len(cells), "m": len(header)})
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        number = values.get("leerlingnummer", "")
        if number in first_row_of:
            report.error(index, "leerlingnummer",
                         _("Leerlingnummer %(number)s staat ook in rij %(row)d.")
                         % {"number": number, "row": first_row_of[number]})
        elif number:
            first_row_of[number] = index
        row = _parse_row(index, values, report, today=today, default_year=default_year)
        if row is not None and first_row_of.get(number) == index:
            report.rows.append(row)
    if not report.rows and not report.errors:
        report.error(None, FILE, _("Het bestand bevat geen leerlingen, alleen een kopregel."))
    return report


def _parse_row(index: int, values: dict[str, str], report: ImportReport, *,
               today: datetime.date, default_year: str) -> PupilRow | None:
    errors_before = len(report.errors)

    def text(column: str, *, required: bool = False, max_length_key: str | None = None) -> str:
        value = values.get(column, "")
        if required and not value:
            report.error(index, column, _("Verplicht veld is leeg."))
        limit = MAX_LENGTHS.get(max_length_key or column)
        if limit and len(value) > limit:
            report.error(index, column, _("Te lang: maximaal %(n)d tekens.") % {"n": limit})
        return value

    external_id = text("leerlingnummer", required=True)
    first_name = text("voornaam", required=True)
    last_name = text("achternaam", required=True)
    group = text("groep", required=True)
    family = text("gezin")

    born_raw = text("geboortedatum", required=True)
    born = None
    if born_raw:
        born = parse_date(born_raw)
        if born is None:
            report.error(index, "geboortedatum",
                         _("Ongeldige datum ‘%(value)s’: gebruik dd-mm-jjjj of jjjj-mm-dd.")
                         % {"value": born_raw})
        elif born > today:
            report.error(index, "geboortedatum", _("De geboortedatum ligt in de toekomst."))

    school_year = default_year
    if raw := values.get("schooljaar", ""):
        school_year = parse_school_year(raw)
        if school_year is None:
            report.error(index, "schooljaar",
                         _("Ongeldig schooljaar ‘%(value)s’: gebruik jjjj-jjjj, bijvoorbeeld "
                           "%(example)s.") % {"value": raw, "example": default_year})

    parents = []
    for n in PARENT_NUMBERS:
        parent = _parse_parent(index, n, values, report, text)
        if parent is not None:
            parents.append(parent)

    if len(report.errors) > errors_before:
        return None
    return PupilRow(row=index, external_id=external_id, first_name=first_name,
                    last_name=last_name, date_of_birth=born, group=group,
                    school_year=school_year, family=family, parents=tuple(parents))


def _parse_parent(index: int, n: int, values: dict[str, str], report: ImportReport,
                  text) -> ParentRow | None:
    prefix = f"ouder{n}_"
    cells = {f: values.get(prefix + f, "") for f in PARENT_FIELDS}
    if not any(cells.values()):
        return None
    name = text(prefix + "naam", max_length_key="naam")
    if not name:
        report.error(index, prefix + "naam",
                     _("Naam van ouder %(n)d ontbreekt, terwijl er andere gegevens van deze "
                       "ouder zijn ingevuld.") % {"n": n})
    email = text(prefix + "email", max_length_key="email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            report.error(index, prefix + "email",
                         _("Ongeldig e-mailadres ‘%(value)s’.") % {"value": email})
    phone = text(prefix + "telefoon", max_length_key="telefoon")
    if phone and not _PHONE.match(phone):
        report.error(index, prefix + "telefoon",
                     _("Ongeldig telefoonnummer ‘%(value)s’.") % {"value": phone})
    relationship = cells["relatie"].lower()
    if relationship and relationship not in Relationship.values:
        report.error(index, prefix + "relatie",
                     _("Onbekende relatie ‘%(value)s’: kies uit %(choices)s.")
                     % {"value": cells["relatie"], "choices": ", ".join(Relationship.values)})
    flags = {}
    for f in ("gezag", "contact_veilig"):
        raw = cells[f]
        flags[f] = None
        if raw:
            flags[f] = _YES_NO.get(raw.lower())
            if flags[f] is None:
                report.error(index, prefix + f,
                             _("Vul ‘ja’ of ‘nee’ in, niet ‘%(value)s’.") % {"value": raw})
    return ParentRow(name=name, email=email, phone=phone, relationship=relationship,
                     has_authority=flags["gezag"], safe_to_contact=flags["contact_veilig"])


def template_csv() -> str:
    """An empty import file: the header line, ``;``-separated as Dutch Excel writes it."""
    columns = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    return ";".join(columns) + "\r\n"

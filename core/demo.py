"""Fictional demo data for ``manage.py seed_demo``: one board, two schools, people in every
role, pupils with parents and siblings, and cases at every Meldcode step.

Everything is invented. Names are drawn from the lists below with a fixed random seed, so every
run produces the same people; texts are realistic but deliberately non-graphic. (The lists
are built in rather than taken from Faker, which is a test-only dependency: ``make run``
installs only the runtime requirements.)

Schools data (pupils, parents, families) is written with ``bulk_create_with_history``; case
data goes through the real services and workflow (``case_open``, ``move_case``,
``record_save``, ...) so that transitions, history rows and guards are what they would be in
use. The stories are dated in the past by running each step under a patched clock
(``django.utils.timezone.now``), so ``recorded_at``, ``step_entered_at``, transition rows and
history dates all agree with the story.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from cases.models import (AccessLog, Case, CloseReason, Consultation, Conversation, SotDiscussion,
                          SotMeeting, Step, VeiligThuisAdvice, VerwijsindexRegistration)
from cases.services import case_add_signals, case_grant_access, case_open, record_save
from cases.workflow import TransitionRefused, close_case, move_case
from core.dashboard import school_year_start
from notifications.models import Kind, Notification
from notifications.services import notify
from schools.models import (Board, ContactKind, ExternalFunction, Family, Membership, Parent,
                            Pupil, PupilParent, Relationship, School, SchoolClass, SchoolContact)
from schools.roles import Role, sync_role_groups
from signals.models import Category, PupilRole, Signal, SignalPupil, SignalVersion, Source

PASSWORD = "meldcode-demo"
EMAIL_DOMAIN = "demo.invalid"
BOARD_NAME = "Stichting Openbaar Onderwijs De Vallei"
SEED = 20260801
GROUPS = 8
DEFAULT_PUPILS = 200
MIN_PUPILS = GROUPS * 8  # the stories pick up to eight pupils from one group

SCHOOLS = {
    "a": ("Basisschool De Wilgenhoek", "12AB00"),
    "b": ("Basisschool Het Kompas", "34CD00"),
}

# The named demo accounts per school: (username prefix, role, first name, last name).
SCHOOL_STAFF = {
    "a": [("leerkracht", Role.LEERKRACHT, "Sanne", "de Vries"),
          ("ib", Role.IB, "Marieke", "Jansen"),
          ("vc", Role.VC, "Ahmed", "El Amrani"),
          ("sot", Role.SOT, "Joost", "van Dijk"),
          ("directeur", Role.DIRECTEUR, "Petra", "Hoekstra")],
    "b": [("leerkracht", Role.LEERKRACHT, "Tim", "Bakker"),
          ("ib", Role.IB, "Fatima", "Bouzid"),
          ("vc", Role.VC, "Eva", "Visser"),
          ("sot", Role.SOT, "Ruud", "Smit"),
          ("directeur", Role.DIRECTEUR, "Karin", "Mulder")],
}
TEACHER_GROUP = 5  # leerkracht.a and leerkracht.b teach groep 5
BOARD_STAFF = [("beheerder", Role.BEHEERDER, "Linda", "Verhoeven"),
               ("bestuurder", Role.BESTUUR, "Hans", "de Graaf")]
# External SOT members (only SOT rights), at both schools.
EXTERNAL_SOT = [("jeugdverpleegkundige", ExternalFunction.YOUTH_NURSE, "Ingrid", "Kok"),
                ("schoolmaatschappelijkwerker", ExternalFunction.SOCIAL_WORKER, "Youssef",
                 "Haddou")]
STAFF_SINCE = datetime.date(2019, 8, 1)


# Common first names and surnames in the Netherlands (names only: every combination is
# invented).
GIRLS = """Emma Julia Mila Tess Sophie Zoë Sara Nora Yara Eva Liv Lotte Evi Noor Anna Milou
Saar Lieke Fenna Fleur Nina Isa Maud Roos Lynn Jasmijn Elin Hanna Olivia Vera Amira Lina
Aya Salma Hiba Fatima Yasmina Ilse Femke Sanne Maria Esra Elif Zeynep Ayla Chloé Fiene
Luna Lisa Merel Jade Ivy Romy Suus Floor Kiki Liz Sofia Amber Dewi""".split()
BOYS = """Noah Sem Liam Lucas Daan Finn Levi Luuk Mees James Milan Sam Noud Bram Luca Jesse
Thijs Adam Max Siem Boaz Mats Teun Jens Gijs Thomas Ruben Tim Lars Stijn Jayden Mohammed
Ayoub Yusuf Amir Ibrahim Omar Bilal Emre Mert Kerem Daniël David Julian Hugo Olivier Otis
Ravi Sven Vince Jurre Floris Tobias Gerrit Pieter Joris Koen Wessel""".split()
SURNAMES = """de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer
|de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra
|Smits|de Graaf|van der Meer|van der Linden|Kok|Jacobs|de Haan|Vermeulen|van den Heuvel
|van der Veen|van den Broek|de Bruijn|de Bruin|van der Heijden|Schouten|van Beek|Willems
|van Vliet|van de Ven|Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|Blom|Huisman
|Peeters|de Lange|Kuipers|van Wijk|Post|Kuiper|Veenstra|Kramer|van den Brink|Scholten
|van Wijngaarden|Bouzid|El Amrani|Yilmaz|Kaya|Demir|Öztürk|Haddou|Benali|Ramdin|Mahabier
|Nguyen|Wong|Kowalski|Nowak|Santos|Tahiri|Aydın|Şahin|Koç|Martens|Timmermans|Groen|Boven
|Sanders|Verbeek|Postma|Wouters|Bosman|Evers|Lammers|Hermans|van Dongen|Claassen|Gerritsen
|Molenaar|Wijnands|Zwart|Brink|Koning|Roos|Wolters""".replace("\n", "").split("|")


class Names:
    """Deterministic fictional names."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def first_name(self) -> str:
        return self.rng.choice(GIRLS + BOYS)

    def first_name_female(self) -> str:
        return self.rng.choice(GIRLS)

    def first_name_male(self) -> str:
        return self.rng.choice(BOYS)

    def last_name(self) -> str:
        return self.rng.choice(SURNAMES)


def school_year(day: datetime.date) -> str:
    start = school_year_start(day).year
    return f"{start}-{start + 1}"


def group_teacher_username(key: str, group: int) -> str:
    if group == TEACHER_GROUP:
        return f"leerkracht.{key}"
    return f"leerkracht.{key}.groep{group}"


def demo_usernames() -> list[str]:
    names = [f"{prefix}.{key}" for key, staff in SCHOOL_STAFF.items() for prefix, *_ in staff]
    names += [group_teacher_username(key, g) for key in SCHOOLS for g in range(1, GROUPS + 1)
              if g != TEACHER_GROUP]
    names += [u for u, *_ in BOARD_STAFF] + [u for u, *_ in EXTERNAL_SOT]
    return names


# --- A clock for stories in the past ---------------------------------------------------------

@contextmanager
def clock_at(moment: datetime.datetime):
    """Run the block as if it were ``moment``; each call to ``now()`` ticks a millisecond so
    the order of rows stays the order of writes."""
    ticks = [0]

    def now():
        ticks[0] += 1
        return moment + datetime.timedelta(milliseconds=ticks[0])

    with mock.patch("django.utils.timezone.now", now):
        yield


def _weekday(day: datetime.date, forward: bool = False) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1 if forward else -1)
    return day


def _moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


# --- People -------------------------------------------------------------------------------------

@dataclass
class Staff:
    users: dict = field(default_factory=dict)  # username -> User

    def __getitem__(self, username):
        return self.users[username]


def ensure_board() -> tuple[Board, dict[str, School], dict[str, dict[int, SchoolClass]]]:
    board, _ = Board.objects.get_or_create(name=BOARD_NAME)
    year = school_year(timezone.localdate())
    schools, classes = {}, {}
    for key, (name, brin) in SCHOOLS.items():
        school = School.objects.filter(brin_code=brin).first()
        if school is None:
            school = School(brin_code=brin)
        # The demo shows the optional features switched on: the Verwijsindex and private
        # working notes (R32; off by default for a real school).
        if (school.pk is None or school.name != name or school.board_id != board.pk
                or not school.verwijsindex_enabled or not school.work_notes_enabled):
            school.name, school.board = name, board
            school.verwijsindex_enabled = school.work_notes_enabled = True
            school._change_reason = "demogegevens"
            school.save()
        schools[key] = school
        classes[key] = {}
        for g in range(1, GROUPS + 1):
            classes[key][g], _ = SchoolClass.objects.get_or_create(
                school=school, school_year=year, name=f"groep {g}")
    return board, schools, classes


def ensure_staff(board, schools, classes, fake) -> Staff:
    """Create or update every demo account and its roles (idempotent)."""
    User = get_user_model()
    password = make_password(PASSWORD)  # one hash for all: hashing is the slow part
    staff = Staff()

    def user(username, first, last):
        obj, _ = User.objects.update_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "is_active": True,
            "email": f"{username}@{EMAIL_DOMAIN}", "password": password})
        staff.users[username] = obj
        return obj

    def role(u, role, school=None, external_function="", group=None):
        membership, _ = Membership.objects.get_or_create(
            user=u, board=board, school=school, role=role, ends_on=None,
            defaults={"starts_on": STAFF_SINCE, "external_function": external_function})
        if group is not None and set(membership.classes.all()) != {group}:
            membership.classes.set([group])
        return membership

    for key, school in schools.items():
        for prefix, r, first, last in SCHOOL_STAFF[key]:
            u = user(f"{prefix}.{key}", first, last)
            role(u, r, school, group=classes[key][TEACHER_GROUP] if r == Role.LEERKRACHT else None)
        for g in range(1, GROUPS + 1):
            if g == TEACHER_GROUP:
                continue
            u = user(group_teacher_username(key, g), fake.first_name(), fake.last_name())
            role(u, Role.LEERKRACHT, school, group=classes[key][g])
    for username, r, first, last in BOARD_STAFF:
        role(user(username, first, last), r)
    for username, function, first, last in EXTERNAL_SOT:
        u = user(username, first, last)
        for school in schools.values():
            role(u, Role.SOT, school, external_function=function)
    return staff


# --- Local contacts (R47) ------------------------------------------------------------------------

# (kind, organisation, name or function, phone, e-mail, note). Fictitious: the regional and
# local numbers are in the 0xx-555 range and the addresses on .invalid, except the two real
# national numbers (Veilig Thuis 0800-2000, vertrouwensinspecteurs 0900-111 3 111).
DEMO_CONTACTS = {
    "a": [
        (ContactKind.VEILIG_THUIS, "Veilig Thuis regio De Vallei", "adviesteam onderwijs",
         "0800-2000", "advies@veiligthuis-vallei.invalid",
         "dag en nacht; vraag naar het adviesteam onderwijs"),
        (ContactKind.WIJKTEAM, "Sociaal wijkteam Wilgenhoek", "vaste contactpersoon school",
         "0318-555 101", "wijkteam-wilgenhoek@gemeente.invalid", "ma-vr 8.30-17.00 uur"),
        (ContactKind.JGZ, "GGD Vallei, jeugdgezondheidszorg", "jeugdverpleegkundige I. Kok",
         "0318-555 102", "jgz@ggd-vallei.invalid", "spreekuur op school: di-ochtend"),
        (ContactKind.JGZ, "GGD Vallei, jeugdgezondheidszorg", "jeugdarts", "0318-555 103",
         "", ""),
        (ContactKind.SMW, "Schoolmaatschappelijk werk Vallei", "Y. Haddou", "06-555 00 104",
         "smw@vallei.invalid", "ma, wo en do"),
        (ContactKind.LEERPLICHT, "Gemeente, afdeling Leerplicht", "leerplichtambtenaar",
         "0318-555 105", "leerplicht@gemeente.invalid", ""),
        (ContactKind.POLITIE, "Politie, basisteam Vallei", "wijkagent Wilgenhoek",
         "0900-555 0106", "", "geen spoed; bij acuut gevaar 112"),
        (ContactKind.BESTUUR, BOARD_NAME, "bestuurder H. de Graaf", "0318-555 107",
         "bestuur@devallei.invalid", "bij een vermoeden tegen een medewerker: direct bellen"),
        (ContactKind.INSPECTIE, "Inspectie van het Onderwijs", "vertrouwensinspecteurs",
         "0900-111 3 111", "", "tijdens kantooruren; meldplicht voor het bestuur"),
    ],
    "b": [
        (ContactKind.VEILIG_THUIS, "Veilig Thuis regio De Vallei", "adviesteam onderwijs",
         "0800-2000", "advies@veiligthuis-vallei.invalid", "dag en nacht"),
        (ContactKind.WIJKTEAM, "Jeugd- en gezinsteam Kompas", "", "0318-555 201",
         "jgt-kompas@gemeente.invalid", "ma-vr 9.00-17.00 uur"),
        (ContactKind.JGZ, "GGD Vallei, jeugdgezondheidszorg", "jeugdverpleegkundige I. Kok",
         "0318-555 102", "jgz@ggd-vallei.invalid", ""),
        (ContactKind.SMW, "Schoolmaatschappelijk werk Vallei", "Y. Haddou", "06-555 00 104",
         "smw@vallei.invalid", ""),
        (ContactKind.LEERPLICHT, "Gemeente, afdeling Leerplicht", "leerplichtambtenaar",
         "0318-555 205", "leerplicht@gemeente.invalid", ""),
        (ContactKind.POLITIE, "Politie, basisteam Vallei", "wijkagent Kompas", "0900-555 0206",
         "", "geen spoed; bij acuut gevaar 112"),
        (ContactKind.BESTUUR, BOARD_NAME, "bestuurder H. de Graaf", "0318-555 107",
         "bestuur@devallei.invalid", ""),
        (ContactKind.INSPECTIE, "Inspectie van het Onderwijs", "vertrouwensinspecteurs",
         "0900-111 3 111", "", "tijdens kantooruren"),
    ],
}


def ensure_contacts(schools) -> None:
    """The demo schools' local contacts, added once (a school that has any is left alone, so
    contacts changed in the demo stay as they are)."""
    for key, school in schools.items():
        if SchoolContact.objects.filter(school=school).exists():
            continue
        for order, (kind, organisation, name, phone, email, note) in enumerate(
                DEMO_CONTACTS.get(key, [])):
            contact = SchoolContact(school=school, kind=kind, organisation=organisation,
                                    name=name, phone=phone, email=email, note=note,
                                    sort_order=order)
            contact._change_reason = "demogegevens"
            contact.save()


# --- Pupils, parents, families ------------------------------------------------------------------

def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower().replace(" ", ".") if c.isalnum() or c == ".")


def _birth_date(rng: random.Random, year_start: datetime.date, group: int) -> datetime.date:
    # Groep 1 holds four- and five-year-olds: born between 1 October six years and
    # 30 September five years before the school year starts, one year earlier per groep.
    first = datetime.date(year_start.year - group - 4, 10, 1)
    return first + datetime.timedelta(days=rng.randrange(365))


def create_pupils(board, schools, classes, per_school: int, fake, rng) -> dict[str, int]:
    """About ``per_school`` pupils at each school in households of one to three children, with
    one or two parents; siblings share a family, a few families span both schools."""
    year_start = school_year_start(timezone.localdate())
    slots = {}
    for key in schools:
        slots[key] = [g for g in range(1, GROUPS + 1) for _ in range(per_school // GROUPS)]
        slots[key] += [rng.randrange(1, GROUPS + 1) for _ in range(per_school % GROUPS)]
        rng.shuffle(slots[key])

    households = []
    while any(slots.values()):
        roll = rng.random()
        size = 1 if roll < 0.55 else 2 if roll < 0.88 else 3
        children = []
        if size > 1 and rng.random() < 0.12 and all(slots.values()):
            children = [(key, slots[key].pop()) for key in schools]  # siblings at both schools
        else:
            key = rng.choice([k for k, s in slots.items() if s])
            for _ in range(size):
                if slots[key]:
                    children.append((key, slots[key].pop()))
        households.append(children)

    families, pupils, parents, links = [], [], [], []
    numbers = {key: 0 for key in schools}
    for h, children in enumerate(households):
        last = fake.last_name()
        family = Family(board=board, label=f"Gezin {last}") if len(children) > 1 else None
        if family:
            families.append(family)
        child_rows = []
        for key, group in children:
            numbers[key] += 1
            pupil = Pupil(school=schools[key], school_class=classes[key][group],
                          external_id=f"{10000 + numbers[key]}",
                          first_name=fake.first_name(), last_name=last,
                          date_of_birth=_birth_date(rng, year_start, group))
            pupil._family = family
            pupils.append(pupil)
            child_rows.append(pupil)
        # Parents: mostly two, with authority (gezag); sometimes one parent without it, or a
        # step-parent; contact is unsafe for a few.
        adults = [("moeder", fake.first_name_female(), fake.last_name() if rng.random() < 0.4
                   else last)]
        if rng.random() < 0.8:
            kind = "vader" if rng.random() < 0.9 else "stiefouder"
            adults.append((kind, fake.first_name_male(), last))
        for i, (relationship, first, surname) in enumerate(adults):
            has_authority = not (relationship == "stiefouder" or (i == 1 and rng.random() < 0.08))
            safe = rng.random() > 0.03
            phone = f"06-{rng.randrange(10000000, 99999999)}"
            for key in sorted({k for k, _g in children}):
                parent = Parent(school=schools[key], name=f"{first} {surname}",
                                email=f"{_slug(first)}.{_slug(surname)}.{h}@{EMAIL_DOMAIN}",
                                phone=phone, safe_to_contact=safe)
                parents.append(parent)
                for pupil in child_rows:
                    if pupil.school is schools[key]:
                        links.append((pupil, parent, relationship, has_authority))

    Family.objects.bulk_create(families)  # not a tracked model
    for pupil in pupils:
        pupil.family = pupil._family
    bulk_create_with_history(pupils, Pupil, batch_size=500,
                             default_change_reason="demogegevens")
    bulk_create_with_history(parents, Parent, batch_size=500,
                             default_change_reason="demogegevens")
    bulk_create_with_history(
        [PupilParent(pupil=p, parent=par, relationship=Relationship(rel), has_authority=auth)
         for p, par, rel, auth in links], PupilParent, batch_size=500,
        default_change_reason="demogegevens")
    return {key: numbers[key] for key in schools}


# --- Case stories -------------------------------------------------------------------------------

@dataclass
class SignalText:
    facts: str
    child_words: str = ""
    interpretation: str = ""
    category: str = Category.NEGLECT
    source: str = Source.OWN
    source_detail: str = ""
    disclosure: bool = False
    acute: bool = False
    recorder: str = ""  # username; default: the teacher of the pupil's group
    role: str = PupilRole.CONCERNED


@dataclass
class Story:
    key: str
    group: int
    target: int  # the step the case is in now
    days_in_step: int
    signal: SignalText
    extra_signal: SignalText | None = None
    consultation: dict | None = None
    vt_advice: dict | None = None
    conversation: dict | None = None
    weighing: dict | None = None
    parent_contact: dict | None = None
    close: tuple[str, str] | None = None
    close_days_ago: int = 0
    acute: bool = False
    invite_teacher: bool = False
    vir: bool = False
    upcoming_agenda: bool = False
    sibling: bool = False  # the pupil has a sibling at the other school (cross-school family)
    # Step 5 (issue 4): which afwegingskader outcome the story ends in (``OUTCOMES``), with
    # the answers' justifications and the texts of the decision, report and evaluation.
    step5: dict | None = None
    help_weeks: int = 13  # the help plan's period: its evaluation date is when Q5 is due


#: The afwegingskader outcomes the stories end in; ``decision.advise`` computes the same
#: outcome from the stored answers (tests/core/test_seed_demo.py checks that).
OUTCOMES = ("no_suspicion", "report", "help", "report_after_help", "help_succeeded")


# Days after the first observation at which each event of a story happens.
OFFSET = {"observed": 0, "open": 2, Step.SIGNALEN: 2, "vir": 3, Step.CONSULTATIE: 3,
          "consultation": 8, "vt_advice": 10, Step.GESPREK: 12, "conversation": 19,
          Step.WEGEN: 21, "sot": 30, Step.BESLISSEN: 31, Step.VOLGEN: 40, "parent_contact": 60}


def _stories(key: str) -> list[Story]:
    """Per school: a case at every step, a closed one, and the texts that go with them."""
    if key == "a":
        return [
            Story("a-1", TEACHER_GROUP, Step.SIGNALEN, 3, SignalText(
                "Kwam drie dagen achter elkaar zonder ontbijt en in dezelfde kleren naar school. "
                "Had geen gymspullen en geen lunch bij zich.",
                "Mama slaapt nog als ik wegga.",
                "Ik maak me zorgen of er thuis genoeg toezicht en verzorging is.",
                Category.NEGLECT)),
            Story("a-2", 3, Step.CONSULTATIE, 58, SignalText(
                "Is de laatste maanden erg stil, zit in de pauze alleen en schrikt zichtbaar als "
                "er hard gepraat wordt. Huilde twee keer tijdens het kringgesprek zonder "
                "aanwijsbare aanleiding.",
                "Thuis moet ik heel stil zijn, anders wordt papa boos.",
                "Niet-pluisgevoel: het kind lijkt thuis gespannen en angstig.",
                Category.EMOTIONAL)),
            Story("a-3", 7, Step.GESPREK, 9, SignalText(
                "Vertelde maandag in de kring dat het weekend 'heel druk' was en dat de politie "
                "langs was geweest. Was de rest van de dag onrustig en kon zich slecht "
                "concentreren.",
                "Papa en mama hadden ruzie en er ging een stoel kapot. Ik ben met mijn zusje op "
                "zolder gaan zitten.",
                "Vermoeden dat het kind getuige is van geweld tussen de ouders.",
                Category.DOMESTIC_VIOLENCE, Source.PUPIL),
                consultation={"consulted": "IB'er en veiligheidscoördinator",
                              "question": "Wat zijn de volgende stappen na het verhaal in de "
                                          "kring?",
                              "advice": "Anoniem advies vragen bij Veilig Thuis over het "
                                        "gesprek met ouders; broers en zussen binnen het "
                                        "bestuur nagaan.",
                              "agreed_actions": "IB'er vraagt advies aan Veilig Thuis; "
                                                "leerkracht blijft observeren."},
                vt_advice={"adviser": "Adviseur Veilig Thuis (telefonisch)",
                           "question": "Een leerling uit de bovenbouw vertelt over heftige "
                                       "ruzies thuis waarbij de politie betrokken was. Hoe "
                                       "bereiden we het gesprek met de ouders voor?",
                           "advice": "Ga met beide ouders in gesprek, benoem wat het kind "
                                     "heeft verteld en wat de school ziet, en bespreek de zorg "
                                     "om de veiligheid. Neem na het gesprek opnieuw contact "
                                     "op."},
                upcoming_agenda=True, sibling=True),
            Story("a-4", TEACHER_GROUP, Step.WEGEN, 6, SignalText(
                "Had maandag een blauwe plek op de bovenarm en dinsdag een tweede op de andere "
                "arm. Wilde bij de gymles de trui niet uittrekken.",
                "Ik ben van de trap gevallen.",
                "De uitleg past niet goed bij de plekken. Ik twijfel en wil het bespreken.",
                Category.PHYSICAL),
                extra_signal=SignalText(
                    "Tijdens het omkleden voor gym zag ik opnieuw een blauwe plek, nu op de "
                    "rug. Gaf geen antwoord op de vraag hoe dat kwam.",
                    "Dat mag ik niet zeggen.", "", Category.PHYSICAL, Source.COLLEAGUE,
                    "vakleerkracht bewegingsonderwijs",
                    recorder="leerkracht.a.groep8"),
                consultation={"consulted": "IB'er en jeugdverpleegkundige",
                              "question": "Hoe wegen we de blauwe plekken en de uitleg?",
                              "advice": "Plekken feitelijk blijven vastleggen; gesprek met "
                                        "ouders voeren, de zorg open benoemen.",
                              "agreed_actions": "Gesprek met ouders binnen een week; "
                                                "jeugdverpleegkundige schuift aan bij het SOT."},
                conversation={"with_pupil": False, "purpose": "Zorgen over blauwe plekken "
                                                              "bespreken.",
                              "discussed": "De leerkracht en IB'er hebben verteld wat zij de "
                                           "afgelopen weken hebben gezien.",
                              "reactions": "Moeder schrok en gaf aan dat het kind veel valt bij "
                                           "het buitenspelen. Vader was niet aanwezig.",
                              "agreements": "Moeder maakt een afspraak bij de huisarts. Over "
                                            "twee weken een vervolggesprek, ook met vader."},
                invite_teacher=True, upcoming_agenda=True),
            Story("a-5", 6, Step.BESLISSEN, 5, SignalText(
                "Kwam 's ochtends huilend binnen en wilde na schooltijd niet naar huis. Bleef "
                "tot half vijf in de klas zitten.",
                "Als ik thuiskom krijg ik straf. Ik durf niet naar huis.",
                "Het kind vertelt zelf dat het bang is; ik schat dit als ernstig in.",
                Category.PHYSICAL, Source.PUPIL, disclosure=True, acute=True),
                consultation={"consulted": "Veiligheidscoördinator en directeur",
                              "question": "Is er acuut gevaar?",
                              "advice": "Dezelfde dag Veilig Thuis raadplegen.",
                              "agreed_actions": "Veiligheidscoördinator belt Veilig Thuis."},
                vt_advice={"adviser": "Adviseur Veilig Thuis (telefonisch)",
                           "question": "Een leerling vertelt bang te zijn om naar huis te "
                                       "gaan vanwege straf. Wat is nodig voor vandaag?",
                           "advice": "Geen acuut gevaar voor vannacht volgens de informatie; "
                                     "morgen gesprek met ouders en binnen een week wegen in "
                                     "het SOT. Bij nieuwe signalen direct bellen."},
                conversation={"with_pupil": True, "purpose": "Bespreken wat het kind heeft "
                                                             "verteld.",
                              "discussed": "Directeur en IB'er hebben de zorgen benoemd en "
                                           "gevraagd hoe het thuis gaat.",
                              "reactions": "Vader ontkende en was boos; moeder gaf aan dat het "
                                           "thuis moeilijk is sinds vader zijn werk kwijt is.",
                              "agreements": "School houdt dagelijks contact met moeder."},
                weighing={"nature_severity": "Herhaalde signalen; het kind vertelt zelf dat het "
                                             "bang is om naar huis te gaan (disclosure).",
                          "risk_assessment": "Acute onveiligheid niet uit te sluiten, "
                                             "structurele onveiligheid waarschijnlijk.",
                          "agreed_approach": "Afwegingskader invullen; melding bij Veilig "
                                             "Thuis voorbereiden. Directeur informeert "
                                             "ouders."},
                acute=True,
                step5={"outcome": "report", "urgent": True,
                       "q1": "Het kind vertelt zelf dat het bang is om naar huis te gaan; "
                             "vader ontkende en was boos in het gesprek.",
                       "q2": "Het kind durft niet naar huis en vertelt over straf: acute "
                             "onveiligheid is niet uit te sluiten (disclosure).",
                       "motivation": "Acute onveiligheid: de veiligheidscoördinator besluit "
                                     "met spoed vandaag te melden bij Veilig Thuis. De "
                                     "directeur informeert de ouders vooraf.",
                       "parents_informed_how": "Telefonisch door de directeur, een uur voor "
                                               "de melding.",
                       "parents_reaction": "Moeder was verdrietig maar begreep het; vader "
                                           "was boos en wil een gesprek met de directeur.",
                       "vt_reference": "VT-2026-0871"}),
            Story("a-6", 2, Step.VOLGEN, 75, SignalText(
                "Wordt vaak te laat en zonder jas gebracht, ook bij regen. Heeft regelmatig "
                "hoofdluis die niet wordt behandeld.",
                "", "Zorgen over de basisverzorging.", Category.NEGLECT,
                recorder="leerkracht.a.groep2"),
                consultation={"consulted": "IB'er en schoolmaatschappelijk werker",
                              "question": "Welke hulp past bij dit gezin?",
                              "advice": "Gezin in contact brengen met het wijkteam.",
                              "agreed_actions": "Schoolmaatschappelijk werker legt contact."},
                conversation={"with_pupil": False, "purpose": "Zorgen over de verzorging "
                                                              "bespreken.",
                              "discussed": "De school heeft verteld wat zij ziet en hulp "
                                           "aangeboden.",
                              "reactions": "Moeder gaf aan het alleen niet meer te redden en "
                                           "stond open voor hulp.",
                              "agreements": "Aanmelding bij het wijkteam, samen met moeder."},
                weighing={"nature_severity": "Lichte tot matige verwaarlozing; moeder werkt "
                                             "mee.",
                          "risk_assessment": "Geen acute of structurele onveiligheid.",
                          "agreed_approach": "Hulp via het wijkteam; evaluatie na drie "
                                             "maanden."},
                parent_contact={"purpose": "Tussentijdse evaluatie.",
                                "discussed": "Het gaat beter: het kind komt op tijd en "
                                             "verzorgd naar school.",
                                "reactions": "Moeder is tevreden over de hulp van het "
                                             "wijkteam.",
                                "agreements": "Evaluatie in januari met wijkteam en IB'er."},
                step5={"outcome": "help"}),
            Story("a-gesloten", 8, Step.VOLGEN, 0, SignalText(
                "Is sinds de zomer erg teruggetrokken, haalt slechte cijfers en vertelt dat de "
                "ouders gaan scheiden. Heeft in de klas twee keer gezegd 'niemand let op mij'.",
                "Niemand let op mij.", "Zorgen over het welzijn, mogelijk emotionele "
                                       "verwaarlozing.", Category.EMOTIONAL),
                consultation={"consulted": "IB'er", "question": "Hoe ondersteunen we deze "
                                                                "leerling?",
                              "advice": "Gesprek met beide ouders, schoolmaatschappelijk werk "
                                        "inschakelen.", "agreed_actions": "IB'er plant gesprek."},
                conversation={"with_pupil": True, "purpose": "Zorgen bespreken.",
                              "discussed": "Welzijn van het kind tijdens de scheiding.",
                              "reactions": "Beide ouders herkenden het beeld.",
                              "agreements": "Gezinscoach via het wijkteam."},
                weighing={"nature_severity": "Emotionele belasting door de scheiding.",
                          "risk_assessment": "Geen acute onveiligheid.",
                          "agreed_approach": "Hulp door gezinscoach, evaluatie na een half "
                                             "jaar."},
                close=(CloseReason.HELP_DONE,
                       "De gezinscoach heeft het traject afgerond; thuis is het rustiger. "
                       "Afspraak: de leerkracht blijft alert en bespreekt de leerling in de "
                       "groepsbespreking."),
                close_days_ago=60, vir=True,
                step5={"outcome": "help_succeeded",
                       "help": "Gezinscoach via het wijkteam: elke twee weken een gesprek met "
                               "de ouders over wat het kind nodig heeft tijdens de "
                               "scheiding; schoolmaatschappelijk werk voor het kind.",
                       "q5": "De gezinscoach, de ouders en de leerkracht zien dat het kind "
                             "weer meedoet in de klas; de ouders maken samen afspraken.",
                       "evaluation": "De afgesproken resultaten zijn behaald: het kind is "
                                     "minder teruggetrokken en de ouders overleggen samen "
                                     "over de opvoeding."}),
        ]
    return [
        Story("b-1", 4, Step.SIGNALEN, 2, SignalText(
            "Had deze week drie keer geen eten bij zich en vroeg klasgenoten om brood. Ziet er "
            "moe uit.",
            "We hebben thuis niks meer.", "Mogelijk financiële problemen of verwaarlozing.",
            Category.NEGLECT)),
        Story("b-2", TEACHER_GROUP, Step.CONSULTATIE, 12, SignalText(
            "Reageert de laatste weken angstig als een volwassene de stem verheft en kruipt dan "
            "weg onder de tafel.",
            "Bij ons thuis wordt altijd geschreeuwd.", "Niet-pluisgevoel.",
            Category.DOMESTIC_VIOLENCE),
            consultation={"consulted": "IB'er", "question": "Is dit reden tot zorg?",
                          "advice": "Observeren en een tweede collega laten meekijken.",
                          "agreed_actions": "Observatie door de IB'er in de klas."},
            invite_teacher=True, sibling=True),
        Story("b-3", 6, Step.GESPREK, 50, SignalText(
            "Komt regelmatig te laat en heeft vaak hoofdpijn. Vertelt dat hij of zij 's avonds "
            "op de kleine broertjes past tot laat.",
            "Mama is vaak weg 's avonds, dan pas ik op.",
            "Het kind draagt te veel verantwoordelijkheid thuis.", Category.EMOTIONAL),
            consultation={"consulted": "IB'er en veiligheidscoördinator",
                          "question": "Wat is er nodig?",
                          "advice": "Gesprek met moeder over de zorg thuis.",
                          "agreed_actions": "IB'er nodigt moeder uit."}),
        Story("b-4", 8, Step.WEGEN, 4, SignalText(
            "Vertelde na de gymles aan een klasgenoot dat een familielid 'rare spelletjes' wil "
            "spelen waarvan niemand mag weten. Klasgenoot vertelde dit aan de leerkracht.",
            "", "Vermoeden van grensoverschrijdend gedrag; ernstig genomen.",
            Category.SEXUAL, Source.THIRD_PARTY, "klasgenoot (via de leerkracht)"),
            consultation={"consulted": "Veiligheidscoördinator en IB'er",
                          "question": "Hoe gaan we zorgvuldig verder?",
                          "advice": "Direct Veilig Thuis raadplegen, niet zelf met het kind "
                                    "doorvragen.",
                          "agreed_actions": "Veiligheidscoördinator belt Veilig Thuis."},
            vt_advice={"adviser": "Adviseur Veilig Thuis",
                       "question": "Een leerling heeft aan een klasgenoot iets verteld dat "
                                   "kan wijzen op seksueel misbruik door een familielid. Hoe "
                                   "handelen we?",
                       "advice": "Ouders nu niet informeren; eerst wegen in het SOT met "
                                 "Veilig Thuis erbij. Het kind niet uitvragen."},
            conversation={"held": False, "not_held_reason": "veiligheid_kind",
                          "not_held_explanation": "Op advies van Veilig Thuis is het gesprek "
                                                  "met ouders uitgesteld: het vermoeden "
                                                  "betreft een familielid en het kind kan "
                                                  "onder druk worden gezet."},
            upcoming_agenda=True),
        Story("b-5", 3, Step.BESLISSEN, 8, SignalText(
            "Heeft de afgelopen maand vier keer een schoolreisje en twee keer de gymles gemist "
            "met briefjes die niet overeenkomen met wat het kind zelf vertelt.",
            "Ik mocht niet van papa, omdat ik dan dingen ga vertellen.",
            "Het kind wordt mogelijk bewust weggehouden van school.", Category.EMOTIONAL),
            consultation={"consulted": "IB'er en leerplichtambtenaar",
                          "question": "Verzuim en zorg: wat eerst?",
                          "advice": "Zorgspoor voor verzuimspoor; gesprek met ouders.",
                          "agreed_actions": "Gesprek met beide ouders plannen."},
            conversation={"with_pupil": False, "purpose": "Verzuim en zorgen bespreken.",
                          "discussed": "De school heeft het verzuim en de uitspraken van het "
                                       "kind benoemd.",
                          "reactions": "Vader vond dat de school zich er niet mee moet "
                                       "bemoeien.",
                          "agreements": "Geen afspraken gemaakt; vervolg in het SOT."},
            weighing={"nature_severity": "Structureel verzuim met signalen van emotionele "
                                         "druk.",
                      "risk_assessment": "Geen acute onveiligheid; hulp wordt niet "
                                         "geaccepteerd.",
                      "agreed_approach": "Afwegingskader invullen; melding bij Veilig Thuis "
                                         "ligt voor de hand."},
            step5={"outcome": "report", "q4": False,
                   "q1": "Structureel verzuim met briefjes die niet kloppen en uitspraken "
                         "van het kind over wat het thuis niet mag vertellen.",
                   "q2": "Geen aanwijzingen voor acute onveiligheid; het kind is elke dag "
                         "op school gezien.",
                   "q3": "Schoolmaatschappelijk werk en het wijkteam kunnen hulp bieden.",
                   "q4_text": "Vader wijst elke bemoeienis van de school af en wil geen hulp; "
                              "moeder durft niet zonder vader in te stemmen.",
                   "motivation": "Het SOT volgt het advies: de hulp wordt niet aanvaard, "
                                 "melden bij Veilig Thuis is de norm (meldnorm 2). De IB'er "
                                 "meldt; de IB'er informeert beide ouders vooraf.",
                   "parents_informed_how": "Gesprek op school met beide ouders door de IB'er "
                                           "en de directeur.",
                   "parents_reaction": "Vader was boos en vond de melding overdreven; moeder "
                                       "zei weinig."}),
        Story("b-6", 1, Step.VOLGEN, 20, SignalText(
            "Kleuter is de laatste weken vaak ziek gemeld en oogt bleek en mager.",
            "", "Zorgen over gezondheid en verzorging.", Category.NEGLECT,
            recorder="leerkracht.b.groep1"),
            consultation={"consulted": "IB'er en jeugdverpleegkundige",
                          "question": "Medische zorg of verwaarlozing?",
                          "advice": "Jeugdverpleegkundige nodigt uit voor een extra "
                                    "onderzoek.",
                          "agreed_actions": "Afspraak bij het consultatiebureau."},
            conversation={"with_pupil": False, "purpose": "Gezondheid bespreken.",
                          "discussed": "Zorgen over gewicht en ziekteverzuim.",
                          "reactions": "Ouders waren opgelucht dat de school meedenkt.",
                          "agreements": "Ouders gaan naar het consultatiebureau."},
            weighing={"nature_severity": "Lichte zorgen, ouders werken mee.",
                      "risk_assessment": "Geen onveiligheid.",
                      "agreed_approach": "Volgen via de jeugdverpleegkundige."},
            step5={"outcome": "help",
                   "help": "Extra onderzoek en begeleiding door de jeugdverpleegkundige; "
                           "ondersteuning van de ouders bij voeding en ritme."}),
        Story("b-7", 7, Step.VOLGEN, 62, SignalText(
            "Komt de laatste maanden regelmatig zonder ontbijt en met vieze kleren. Vertelt dat "
            "er 's avonds vaak geen volwassene thuis is.",
            "Ik maak zelf mijn eten, mama moet werken.",
            "Zorgen over toezicht en verzorging.", Category.NEGLECT),
            consultation={"consulted": "IB'er en schoolmaatschappelijk werker",
                          "question": "Welke hulp past bij dit gezin?",
                          "advice": "Moeder hulp aanbieden via het wijkteam en duidelijke "
                                    "afspraken maken over toezicht.",
                          "agreed_actions": "IB'er nodigt moeder uit."},
            conversation={"with_pupil": False, "purpose": "Zorgen over toezicht bespreken.",
                          "discussed": "De school heeft verteld wat zij ziet en wat het kind "
                                       "vertelt.",
                          "reactions": "Moeder werkt in avonddiensten en zei dat haar zus "
                                       "oppast; zij staat open voor hulp.",
                          "agreements": "Aanmelding bij het wijkteam; afspraken over "
                                        "opvang in de avond."},
            weighing={"nature_severity": "Verwaarlozing van toezicht en verzorging; moeder "
                                         "wil meewerken.",
                      "risk_assessment": "Geen acute onveiligheid; zorgen over de lange "
                                         "termijn.",
                      "agreed_approach": "Hulp via het wijkteam met een evaluatie na zes "
                                         "weken."},
            help_weeks=6,
            step5={"outcome": "report_after_help",
                   "help": "Gezinsondersteuning door het wijkteam en een vaste oppas in de "
                           "avonden; de IB'er houdt wekelijks contact met moeder.",
                   "q5": "Na zes weken is er nog steeds vaak niemand thuis in de avond; de "
                         "afspraken over opvang worden niet nagekomen.",
                   "evaluation": "De resultaten zijn niet behaald: het kind is nog steeds "
                                 "vaak alleen thuis en komt zonder ontbijt.",
                   "motivation": "De hulp leidt niet tot de noodzakelijke resultaten; het "
                                 "SOT besluit te melden bij Veilig Thuis (meldnorm 3). De "
                                 "hulp van het wijkteam loopt door.",
                   "parents_informed_how": "Telefonisch door de IB'er, de dag voor de "
                                           "melding.",
                   "parents_reaction": "Moeder was teleurgesteld maar begreep het en wil "
                                       "meewerken met Veilig Thuis.",
                   "vt_reference": "VT-2026-0655",
                   "feedback": "Veilig Thuis heeft de veiligheid beoordeeld: geen acute "
                               "onveiligheid. Veilig Thuis draagt over aan het wijkteam met "
                               "een plan van aanpak; de school blijft signaleren."}),
        Story("b-8", 2, Step.BESLISSEN, 30, SignalText(
            "Had twee weken achter elkaar blauwe plekken op de schenen en was stil in de klas.",
            "Ik ben gevallen op het trampolinepark.",
            "Ik weet het niet zeker en wil het voor de zekerheid vastleggen.",
            Category.PHYSICAL),
            consultation={"consulted": "IB'er en jeugdverpleegkundige",
                          "question": "Passen de plekken bij de uitleg?",
                          "advice": "Plekken op de schenen passen bij vallen; navragen bij "
                                    "ouders en verder observeren.",
                          "agreed_actions": "IB'er belt moeder."},
            conversation={"with_pupil": False, "purpose": "Zorgen over de plekken bespreken.",
                          "discussed": "De IB'er heeft de plekken en de stilte in de klas "
                                       "benoemd.",
                          "reactions": "Moeder liet foto's van het trampolinefeestje zien en "
                                       "vertelde over het overlijden van opa.",
                          "agreements": "Moeder meldt het als het kind verdrietig blijft."},
            weighing={"nature_severity": "Plekken passend bij de uitleg; stilte door rouw.",
                      "risk_assessment": "Geen aanwijzingen voor onveiligheid.",
                      "agreed_approach": "Afwegingskader invullen; afsluiten als er geen "
                                         "vermoeden blijft."},
            close=(CloseReason.NO_CONCERN,
                   "Conclusie van het afwegingskader: geen vermoeden van kindermishandeling. "
                   "De plekken passen bij de uitleg; de stilte komt door rouw om opa. De "
                   "leerkracht houdt het welbevinden in de gaten."),
            close_days_ago=25,
            step5={"outcome": "no_suspicion",
                   "q1": "Na consultatie, het gesprek met moeder en de weging in het SOT is "
                         "er geen vermoeden: de plekken passen bij de uitleg.",
                   "motivation": "Het SOT sluit het traject van de meldcode af; de gewone "
                                 "zorg voor de leerling loopt door."}),
        Story("b-gesloten", 5, Step.GESPREK, 0, SignalText(
            "Had een schram op de wang en vertelde dat de kat had gekrabd.",
            "Onze kat is heel wild.", "Ik wil het voor de zekerheid vastleggen.",
            Category.PHYSICAL),
            consultation={"consulted": "IB'er", "question": "Is dit een zorg?",
                          "advice": "Navragen bij ouders.",
                          "agreed_actions": "Leerkracht spreekt moeder aan bij het ophalen."},
            close=(CloseReason.NO_CONCERN,
                   "Moeder bevestigde het verhaal over de kat; geen andere signalen. Geen "
                   "vermoeden meer."),
            close_days_ago=20),
    ]


def _triage_texts(key: str) -> list[SignalText]:
    """New signals waiting for the IB'er (recorded by the school's leerkracht, groep 5)."""
    texts = [
        SignalText("Viel deze week twee keer in slaap tijdens de les. Zegt 's nachts vaak wakker "
                   "te liggen.", "Het is 's nachts heel lawaaiig bij ons.",
                   "Ik weet niet of er iets aan de hand is, maar wil het vastleggen.",
                   Category.OTHER),
        SignalText("Vertelde tijdens het tekenen dat de vakantie dit jaar heel lang duurt en dat "
                   "er thuis een groot feest wordt voorbereid. Leek er niet blij mee.",
                   "Deze zomer ga ik naar het land van mijn oma en dan kom ik niet meer terug. "
                   "Daar ga ik later trouwen.",
                   "Zorg om mogelijke huwelijksdwang; een specialist raadplegen.",
                   Category.HONOUR),
        SignalText("Wordt deze week niet opgehaald en loopt alleen naar huis, terwijl ouders "
                   "eerder aangaven dat dat niet mag.", "", "", Category.NEGLECT,
                   Source.PARENT, "moeder van een klasgenoot"),
    ]
    return texts if key == "a" else texts[:1] + texts[2:]


SEEN_TEXT = SignalText(
    "Kwam maandag met een pleister op het voorhoofd. Vertelde zelf dat het bij voetbal was "
    "gebeurd; moeder bevestigde dit bij het ophalen.", "Ik kreeg de bal tegen mijn hoofd.",
    "Lijkt een gewoon ongelukje; vastgelegd voor het beeld.", Category.PHYSICAL)


class StoryBuilder:
    """Builds the case stories of one school through the real services."""

    def __init__(self, key, school, staff: Staff, pupils_by_group, warnings):
        self.key, self.school, self.staff = key, school, staff
        self.pupils_by_group = pupils_by_group
        self.used: set[int] = set()
        self._upcoming: SotMeeting | None = None
        self.warnings = warnings
        self.ib = staff[f"ib.{key}"]
        self.vc = staff[f"vc.{key}"]
        self.director = staff[f"directeur.{key}"]
        self.today = timezone.localdate()

    def pupil(self, group: int, prefer=None) -> Pupil:
        if prefer is not None and prefer.pk not in self.used:
            self.used.add(prefer.pk)
            return prefer
        for pupil in self.pupils_by_group[group]:
            if pupil.pk not in self.used:
                self.used.add(pupil.pk)
                return pupil
        raise RuntimeError(f"no pupil left in groep {group}")

    def teacher(self, group: int):
        return self.staff[group_teacher_username(self.key, group)]

    def signal(self, text: SignalText, pupil: Pupil, when: datetime.datetime, observed):
        recorder = (self.staff[text.recorder] if text.recorder
                    else self.teacher(self._group_of(pupil)))
        with clock_at(when):
            signal = Signal(school=self.school, recorded_by=recorder, observed_on=observed,
                            category=text.category, source=text.source,
                            source_detail=text.source_detail, disclosure=text.disclosure,
                            acute_danger=text.acute)
            signal._history_user, signal._change_reason = recorder, "signaal vastgelegd"
            signal.save()
            link = SignalPupil(signal=signal, pupil=pupil, role=text.role)
            link._history_user = recorder
            link.save()
            version = SignalVersion(signal=signal, number=1, facts=text.facts,
                                    child_words=text.child_words,
                                    interpretation=text.interpretation, author=recorder)
            version._history_user, version._change_reason = recorder, "eerste versie"
            version.save()
        return signal

    def _group_of(self, pupil):
        return int(pupil.school_class.name.split()[-1])

    def _record(self, record, when, actor):
        with clock_at(when):
            record_save(record=record, actor=actor, reason="aangemaakt")
        return record

    def _move(self, case, target, when, actor, reason=""):
        try:
            with clock_at(when):
                return move_case(case_id=case.pk, target=target, actor=actor, reason=reason)
        except TransitionRefused as exc:
            self.warnings.append(f"{case.number}: stap {int(target)} geweigerd: {exc}")
            return None

    def build(self, story: Story, prefer_pupil=None) -> Case:
        case = self._build(story, prefer_pupil)
        return Case.objects.get(pk=case.pk)

    def _build(self, story: Story, prefer_pupil=None) -> Case:
        today = self.today
        pupil = self.pupil(story.group, prefer_pupil)
        # When did the story start? The case entered its current step ``days_in_step`` ago;
        # a closed case was closed ``close_days_ago`` ago, after a long follow-up.
        if story.close:
            if story.vir:
                start = today - datetime.timedelta(days=730 - 40)
            else:
                start = today - datetime.timedelta(
                    days=story.close_days_ago + OFFSET[story.target] + 30)
        else:
            start = today - datetime.timedelta(days=story.days_in_step + OFFSET[story.target])
        observed = _weekday(start)
        last = [_moment(observed, 15, 30)]

        def day(event, hour=10):
            """The moment of ``event``: on a school day, and always after the previous one."""
            wanted = _moment(_weekday(start + datetime.timedelta(days=OFFSET[event])), hour)
            last[0] = max(wanted, last[0] + datetime.timedelta(minutes=30))
            return last[0]

        signal = self.signal(story.signal, pupil, last[0], observed)
        owner = self.ib
        with clock_at(day("open")):
            case = case_open(pupil=pupil, actor=self.ib, signals=[signal], owner=owner,
                             acute=story.acute,
                             reason="Signaal besproken met de leerkracht; dossier geopend.")
        if story.vir:
            reg = VerwijsindexRegistration(case=case, step=Step.SIGNALEN,
                                           occurred_on=day("vir").date(), author=self.ib,
                                           parents_informed=True,
                                           review_on=_two_years_on(day("vir").date()))
            self._record(reg, day("vir"), self.ib)
        if story.invite_teacher:
            case_grant_access(case=case, user=self.staff[f"leerkracht.{self.key}"],
                              level="contribute", actor=self.ib)
        if story.target == Step.SIGNALEN:
            return case

        if not self._move(case, Step.CONSULTATIE, day(Step.CONSULTATIE), self.ib,
                          "Signalen in kaart gebracht; collegiale consultatie volgt."):
            return case
        if story.extra_signal:
            when = day(Step.CONSULTATIE, 14)
            extra = self.signal(story.extra_signal, pupil, when, when.date())
            with clock_at(day(Step.CONSULTATIE, 16)):
                case_add_signals(case=case, signals=[extra], actor=self.ib)
        if story.consultation:
            c = story.consultation
            self._record(Consultation(
                case=case, step=Step.CONSULTATIE, occurred_on=day("consultation").date(),
                author=self.ib, consulted=c["consulted"], question=c.get("question", ""),
                advice=c["advice"], agreed_actions=c.get("agreed_actions", ""),
                participants=[{"name": self.ib.get_full_name(), "role": "intern begeleider"},
                              {"name": self.vc.get_full_name(),
                               "role": "veiligheidscoördinator"}]),
                day("consultation"), self.ib)
        if story.vt_advice:
            v = story.vt_advice
            self._record(VeiligThuisAdvice(
                case=case, step=Step.CONSULTATIE, occurred_on=day("vt_advice").date(),
                author=self.vc, adviser=v["adviser"], anonymous=True, question=v["question"],
                advice=v["advice"],
                participants=[{"name": self.vc.get_full_name(),
                               "role": "veiligheidscoördinator"}]),
                day("vt_advice"), self.vc)
        if story.target == Step.CONSULTATIE:
            return case

        if not self._move(case, Step.GESPREK, day(Step.GESPREK), self.ib,
                          "Consultatie afgerond; gesprek met ouders wordt gepland."):
            return case
        if story.conversation:
            self._conversation(case, story.conversation, day("conversation"), "gesprek")
        if story.target == Step.GESPREK and not story.close:
            if story.upcoming_agenda:
                self._agenda(case)
            return case
        if story.close and story.target == Step.GESPREK:
            return self._close(case, story)

        if not self._move(case, Step.WEGEN, day(Step.WEGEN), self.ib,
                          "Gesprek gevoerd; de zorgen worden gewogen in het SOT."):
            return case
        if story.target == Step.WEGEN:
            if story.upcoming_agenda:
                self._agenda(case)
            return case

        meeting = self._past_meeting(case, story.weighing or {}, day("sot", 14))
        if not self._move(case, Step.BESLISSEN, day(Step.BESLISSEN), self.ib,
                          "Weging in het SOT vastgelegd."):
            return case
        if story.target == Step.BESLISSEN:
            outcome = (story.step5 or {}).get("outcome")
            entered = last[0].date()
            if outcome == "report":
                self._step5_report(case, meeting, entered, story)
            elif outcome == "no_suspicion":
                self._step5_no_suspicion(case, meeting, entered, story)
            if story.close:
                return self._close(case, story)
            return case

        self._step5_help(case, meeting, day(Step.VOLGEN, 9), story)
        if not self._move(case, Step.VOLGEN, day(Step.VOLGEN), self.ib,
                          "Besluit genomen: hulp wordt georganiseerd en gevolgd."):
            return case
        if story.parent_contact:
            self._conversation(case, story.parent_contact, day("parent_contact"),
                               "contact_ouders")
        if (story.step5 or {}).get("outcome") in ("help_succeeded", "report_after_help"):
            self._step5_question5(case, meeting, story)
        if story.close:
            return self._close(case, story)
        return case

    def _conversation(self, case, data, when, kind):
        held = data.get("held", True)
        conversation = Conversation(
            case=case, step=case.step, occurred_on=when.date(), author=self.ib, kind=kind,
            held=held, with_parents=True, with_pupil=data.get("with_pupil", False),
            purpose=data.get("purpose", ""), discussed=data.get("discussed", ""),
            reactions=data.get("reactions", ""), agreements=data.get("agreements", ""),
            not_held_reason=data.get("not_held_reason", ""),
            not_held_explanation=data.get("not_held_explanation", ""),
            participants=[{"name": self.ib.get_full_name(), "role": "intern begeleider"},
                          {"name": "ouder(s)/verzorger(s)", "role": "ouders"}] if held else [])
        case.refresh_from_db(fields=["step"])
        conversation.step = case.step
        self._record(conversation, when, self.ib)

    def _meeting(self, held_on, when):
        meeting = SotMeeting(school=self.school, held_on=held_on, chair=self.director,
                             created_by=self.ib,
                             external_attendees=[{"name": "Adviseur Veilig Thuis",
                                                  "role": "Veilig Thuis"}]
                             if held_on < self.today else [])
        with clock_at(when):
            record_save(record=meeting, actor=self.ib, reason="aangemaakt")
            attendees = [self.director, self.ib, self.vc, self.staff[f"sot.{self.key}"],
                         self.staff[EXTERNAL_SOT[0][0] if self.key == "a"
                                    else EXTERNAL_SOT[1][0]]]
            meeting.attendees.set(attendees)
        return meeting

    def _past_meeting(self, case, weighing, when):
        meeting = self._meeting(when.date(), when - datetime.timedelta(days=7))
        discussion = SotDiscussion(
            case=case, meeting=meeting, step=Step.WEGEN, occurred_on=meeting.held_on,
            author=self.director,
            nature_severity=weighing.get("nature_severity", "Zorgen besproken."),
            risk_assessment=weighing.get("risk_assessment", "Geen acute onveiligheid."),
            agreed_approach=weighing.get("agreed_approach", ""),
            participants=[{"name": u.get_full_name(), "role": "SOT"}
                          for u in meeting.attendees.all()])
        self._record(discussion, when, self.director)
        return meeting

    # Step 5 and the follow-up belong to the afwegingskader app (issue 4). Its guards ask for a
    # decision and a help plan before the follow-up phase, and for an evaluation and monitoring
    # agreements before closing; record them through its services when it is installed. Each
    # runs in a savepoint: if that app's interface changes, the story stops at step 5 with a
    # warning instead of breaking the whole seed.
    def _afwegingskader(self, label, when, work):
        try:
            from afwegingskader import services as ak
        except ImportError:
            return
        try:
            with transaction.atomic(), clock_at(when):
                work(ak)
        except Exception as exc:  # noqa: BLE001 - reported, the rest of the seed goes on
            self.warnings.append(f"{label}: {type(exc).__name__}: {exc}")

    # --- step 5: one path per afwegingskader outcome (``Story.step5["outcome"]``) ---------------

    def _at(self, day: datetime.date, hour: int) -> datetime.datetime:
        """A school-day moment on or after ``day``, never later than an hour ago."""
        moment = _moment(_weekday(day, forward=True), hour)
        return min(moment, timezone.now() - datetime.timedelta(hours=1))

    @staticmethod
    def _answers(**given) -> dict:
        data = {"q1": None, "q2": "", "q3": None, "q4": None, "q5": None,
                "q2_change_reason": "", "specialist_consulted": ""}
        for n in range(1, 6):
            data[f"q{n}_justification"] = ""
        data.update(given)
        return data

    def _persons(self, case) -> list[dict]:
        persons = [{"name": case.pupil.full_name, "relation": "het kind"}]
        for link in case.pupil.parent_links.select_related("parent"):
            persons.append({"name": link.parent.name,
                            "relation": link.get_relationship_display()})
        return persons

    def _report(self, ak, case, reporter, when, texts):
        """The report to Veilig Thuis as the reporter made it by phone ("open melden")."""
        from afwegingskader.draft import steps_taken_lines
        from cases.models import CaseSignal

        case.refresh_from_db()
        return ak.report_record(case=case, actor=reporter, reporter_id=reporter.pk,
                                signal_ids=CaseSignal.objects.filter(case=case)
                                .values_list("signal_id", flat=True),
                                data={"reported_at": when, "channel": "telefoon",
                                      "channel_other": "",
                                      "persons_involved": self._persons(case),
                                      "steps_taken": "\n".join(steps_taken_lines(case)),
                                      "parents_informed": True,
                                      "parents_informed_how": texts["parents_informed_how"],
                                      "parents_reaction": texts["parents_reaction"],
                                      "parents_exception": "",
                                      "parents_exception_explanation": "",
                                      "anonymity_requested": False, "anonymity_reason": "",
                                      "anonymity_explanation": "",
                                      "vt_reference": texts.get("vt_reference", ""),
                                      "investigation_feedback_due": None})

    def _step5_report(self, case, meeting, entered, story):
        """Advice "report": Q2 ja (acute, the VC decides urgently) or Q4 nee (the SOT decides);
        the decision to report and the report, whose feedback is still due."""
        t = story.step5
        urgent = t.get("urgent", False)
        answered = self._at(entered, 11)
        decided = answered + datetime.timedelta(hours=2) if urgent else self._at(
            entered + datetime.timedelta(days=1), 15)
        reported = decided + datetime.timedelta(hours=2) if urgent else self._at(
            decided.date() + datetime.timedelta(days=1), 10)
        decider = self.vc if urgent else self.director
        reporter = self.vc if urgent else self.ib
        informer = self.director if urgent else self.ib
        if t.get("q4") is False:
            given = {"q2": "nee", "q3": True, "q3_justification": t["q3"], "q4": False,
                     "q4_justification": t["q4_text"]}
        else:
            given = {"q2": "ja"}
        given.setdefault("q2_justification", t["q2"])

        def answer(ak):
            ak.assessment_save(case=case, actor=self.ib, base_version=None,
                               data=self._answers(q1=True, q1_justification=t["q1"], **given))

        def decide(ak):
            from afwegingskader.models import DecisionChoice

            ak.decision_record(
                case=case, actor=decider, choice=DecisionChoice.MELDEN, urgent=urgent,
                decided_on=decided.date(), motivation=t["motivation"],
                sot_meeting=None if urgent else meeting,
                present_user_ids=[decider.pk] if urgent else
                [u.pk for u in meeting.attendees.all()],
                reporter_id=reporter.pk, parents_informer_id=informer.pk,
                parents_inform_on=decided.date())

        self._afwegingskader(f"{case.number}: afwegingskader", answered, answer)
        self._afwegingskader(f"{case.number}: besluit om te melden", decided, decide)
        self._afwegingskader(f"{case.number}: melding bij Veilig Thuis", reported,
                             lambda ak: self._report(ak, case, reporter, reported, t))

    def _step5_no_suspicion(self, case, meeting, entered, story):
        """Advice "no_suspicion" (Q1 nee): the SOT closes the Meldcode track (closed later)."""
        t = story.step5
        answered = self._at(entered, 11)
        decided = self._at(entered + datetime.timedelta(days=1), 15)

        def answer(ak):
            ak.assessment_save(case=case, actor=self.ib, base_version=None,
                               data=self._answers(q1=False, q1_justification=t["q1"]))

        def decide(ak):
            from afwegingskader.models import DecisionChoice

            ak.decision_record(
                case=case, actor=self.director, choice=DecisionChoice.AFSLUITEN,
                decided_on=decided.date(), motivation=t["motivation"], sot_meeting=meeting,
                present_user_ids=[u.pk for u in meeting.attendees.all()],
                parents_informer_id=self.ib.pk, parents_inform_on=decided.date())

        self._afwegingskader(f"{case.number}: afwegingskader", answered, answer)
        self._afwegingskader(f"{case.number}: besluit om af te sluiten", decided, decide)

    def _step5_question5(self, case, meeting, story):
        """At the help plan's evaluation date: Q5 ja (help succeeded: evaluation and
        monitoring agreements) or Q5 nee (report after help: the SOT decides to report, the
        IB'er reports, Veilig Thuis's feedback after its safety assessment comes in)."""
        from afwegingskader.models import (DecisionChoice, Evaluation, EvaluationOutcome,
                                           FeedbackKind, HelpPlan, MonitoringAgreement)
        from afwegingskader.selectors import assessment_for
        from afwegingskader.workdays import safety_feedback_due

        t = story.step5
        plan = HelpPlan.objects.filter(case=case, cycle=case.cycle).first()
        if plan is None:
            self.warnings.append(f"{case.number}: geen hulpplan voor vraag 5")
            return
        succeeded = t["outcome"] == "help_succeeded"
        evaluated = self._at(plan.evaluation_on, 10)
        participants = [{"name": self.ib.get_full_name(), "role": "intern begeleider"},
                        {"name": "ouder(s)/verzorger(s)", "role": "ouders"},
                        {"name": "hulpverlener", "role": "wijkteam"}]

        def evaluate(ak):
            current = assessment_for(case)
            data = {name: getattr(current, name) for name in ak.ASSESSMENT_FIELDS}
            data.update(q5=succeeded, q5_justification=t["q5"])
            ak.assessment_save(case=case, actor=self.ib, base_version=current.lock_version,
                               data=data)
            ak.followup_record_save(case=case, actor=self.ib, record=Evaluation(
                evaluated_on=evaluated.date(), participants=participants,
                outcome=EvaluationOutcome.ACHIEVED if succeeded
                else EvaluationOutcome.NOT_ACHIEVED, note=t["evaluation"]))
            if succeeded:
                ak.followup_record_save(case=case, actor=self.ib, record=MonitoringAgreement(
                    agreed_on=evaluated.date(), parties="ouders, leerkracht, IB'er en wijkteam",
                    agreement="De leerkracht blijft alert en bespreekt de leerling in elke "
                              "groepsbespreking; bij nieuwe zorgen neemt de IB'er contact op "
                              "met de ouders en het wijkteam.",
                    review_on=evaluated.date() + datetime.timedelta(days=180)))

        self._afwegingskader(f"{case.number}: vraag 5", evaluated, evaluate)
        if succeeded:
            return

        decided = self._at(evaluated.date() + datetime.timedelta(days=1), 15)
        reported = self._at(decided.date() + datetime.timedelta(days=1), 10)

        def decide(ak):
            ak.decision_record(
                case=case, actor=self.director, choice=DecisionChoice.MELDEN,
                decided_on=decided.date(), motivation=t["motivation"], sot_meeting=meeting,
                present_user_ids=[u.pk for u in meeting.attendees.all()],
                reporter_id=self.ib.pk, parents_informer_id=self.ib.pk,
                parents_inform_on=decided.date())

        self._afwegingskader(f"{case.number}: besluit om te melden na hulp", decided, decide)
        self._afwegingskader(f"{case.number}: melding bij Veilig Thuis", reported,
                             lambda ak: self._report(ak, case, self.ib, reported, t))
        feedback_on = safety_feedback_due(reported.date())
        if feedback_on < self.today:
            def feedback(ak):
                from afwegingskader.models import VeiligThuisReport

                report = VeiligThuisReport.objects.get(case=case, cycle=case.cycle)
                ak.feedback_record(report=report, actor=self.ib, kind=FeedbackKind.SAFETY,
                                   received_on=feedback_on, content=t["feedback"])

            self._afwegingskader(f"{case.number}: terugkoppeling van Veilig Thuis",
                                 self._at(feedback_on, 14), feedback)

    def _step5_help(self, case, meeting, when, story):
        help_text = ((story.step5 or {}).get("help")
                     or (story.parent_contact or {}).get("agreements")
                     or "Hulp via het wijkteam.")
        weeks = story.help_weeks

        def work(ak):
            from afwegingskader.models import DecisionChoice, HelpPlan

            ak.assessment_save(case=case, actor=self.ib, base_version=None, data={
                "q1": True, "q1_justification": "De signalen en het gesprek wijzen op zorgen "
                                                "over de veiligheid of verzorging thuis.",
                "q2": "nee", "q2_justification": "Geen acute of structurele onveiligheid; "
                                                 "ouders werken mee.",
                "q3": True, "q3_justification": "Hulp kan via het wijkteam worden "
                                                "georganiseerd.",
                "q4": True, "q4_justification": "Ouders hebben ingestemd met de hulp.",
                "q5": None, "q5_justification": "", "q2_change_reason": "",
                "specialist_consulted": ""})
            ak.decision_record(
                case=case, actor=self.director, choice=DecisionChoice.HULP,
                decided_on=meeting.held_on,
                motivation="Het SOT besluit hulp te organiseren en de situatie te volgen.",
                sot_meeting=meeting,
                present_user_ids=[u.pk for u in meeting.attendees.all()],
                parents_informer_id=self.ib.pk, parents_inform_on=meeting.held_on)
            start = when.date()
            ak.help_plan_save(case=case, actor=self.ib, plan=HelpPlan(
                help_description=help_text, coordinator=self.ib,
                roles=[{"name": self.ib.get_full_name(), "role": "zorgcoördinator"},
                       {"name": "wijkteam", "role": "hulpverlening"}],
                expected_results="Het kind komt op tijd, verzorgd en met eten naar school; "
                                 "ouders houden de afspraken met de hulpverlening.",
                period_start=start, period_end=start + datetime.timedelta(weeks=weeks),
                evaluation_on=_weekday(start + datetime.timedelta(weeks=weeks), forward=True)))

        self._afwegingskader(f"{case.number}: besluit in stap 5", when, work)

    def _before_close(self, case, when):
        def work(ak):
            from afwegingskader.models import Evaluation, EvaluationOutcome, MonitoringAgreement

            day = when.date()
            ak.followup_record_save(case=case, actor=self.ib, record=Evaluation(
                evaluated_on=day, outcome=EvaluationOutcome.ACHIEVED,
                participants=[{"name": self.ib.get_full_name(), "role": "intern begeleider"},
                              {"name": "ouders", "role": "ouders"}],
                note="De afgesproken resultaten zijn behaald; het gaat thuis en op school "
                     "beter."))
            ak.followup_record_save(case=case, actor=self.ib, record=MonitoringAgreement(
                agreed_on=day, parties="ouders, leerkracht en IB'er",
                agreement="De leerkracht blijft alert en bespreekt de leerling in elke "
                          "groepsbespreking; bij nieuwe zorgen neemt de IB'er contact op met "
                          "de ouders.",
                review_on=day + datetime.timedelta(days=180)))

        self._afwegingskader(f"{case.number}: evaluatie voor afsluiten", when, work)

    @staticmethod
    def _has_evaluation(case) -> bool:
        try:
            from afwegingskader.models import Evaluation
        except ImportError:
            return False
        return Evaluation.objects.filter(case=case, cycle=case.cycle).exists()

    def upcoming_meeting(self) -> SotMeeting:
        """The school's next SOT meeting (in a few school days), planned three days ago."""
        if self._upcoming is None:
            held_on = _weekday(self.today + datetime.timedelta(days=4 if self.key == "a" else 9),
                               forward=True)
            self._upcoming = self._meeting(held_on, timezone.now() - datetime.timedelta(days=3))
        return self._upcoming

    def _agenda(self, case):
        meeting = self.upcoming_meeting()
        case.refresh_from_db(fields=["step"])
        discussion = SotDiscussion(case=case, meeting=meeting, step=case.step,
                                   occurred_on=meeting.held_on, author=self.ib)
        self._record(discussion, timezone.now() - datetime.timedelta(hours=2), self.ib)

    def _close(self, case, story):
        reason, explanation = story.close
        when = _moment(_weekday(self.today - datetime.timedelta(days=story.close_days_ago)), 11)
        case.refresh_from_db()
        if case.step == Step.VOLGEN and not self._has_evaluation(case):
            self._before_close(case, when - datetime.timedelta(hours=1))
        try:
            with clock_at(when):
                return close_case(case_id=case.pk, actor=self.ib, close_reason=reason,
                                  explanation=explanation)
        except TransitionRefused as exc:
            self.warnings.append(f"{case.number}: afsluiten geweigerd: {exc}")
            return case


def _two_years_on(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 2)
    except ValueError:
        return day.replace(year=day.year + 2, day=28)


def cross_school_siblings(schools) -> tuple[Pupil, Pupil] | None:
    """A pair of siblings, one at each school (for the "open cases of siblings" view)."""
    a, b = schools["a"], schools["b"]
    pupil_b = (Pupil.objects.filter(school=b, family__pupils__school=a)
               .select_related("family", "school_class").order_by("pk").first())
    if pupil_b is None:
        return None
    pupil_a = (Pupil.objects.filter(school=a, family_id=pupil_b.family_id)
               .select_related("school_class").order_by("pk").first())
    return pupil_a, pupil_b


def create_stories(schools, staff: Staff) -> tuple[dict[str, list[Case]], list[str]]:
    """Cases at every step at both schools, new signals for triage, and an upcoming SOT
    meeting per school with cases on its agenda."""
    warnings: list[str] = []
    today = timezone.localdate()
    siblings = cross_school_siblings(schools)
    created: dict[str, list[Case]] = {}
    for key, school in schools.items():
        pupils_by_group: dict[int, list[Pupil]] = {}
        for pupil in (Pupil.objects.filter(school=school).select_related("school_class")
                      .order_by("external_id")):
            pupils_by_group.setdefault(int(pupil.school_class.name.split()[-1]), []).append(pupil)
        builder = StoryBuilder(key, school, staff, pupils_by_group, warnings)
        created[key] = []
        for story in _stories(key):
            prefer = None
            if story.sibling and siblings:
                prefer = siblings[0] if key == "a" else siblings[1]
                story.group = builder._group_of(prefer)
            created[key].append(builder.build(story, prefer))
        # A signal the IB'er has seen but not taken into a case, and new ones for triage.
        teacher = staff[f"leerkracht.{key}"]
        seen_at = _moment(_weekday(today - datetime.timedelta(days=16)), 15)
        seen = builder.signal(SEEN_TEXT, builder.pupil(TEACHER_GROUP), seen_at, seen_at.date())
        with clock_at(seen_at + datetime.timedelta(days=1)):
            seen.acknowledged_at, seen.acknowledged_by = timezone.now(), builder.ib
            seen._history_user, seen._change_reason = builder.ib, "gezien"
            seen.save(update_fields=["acknowledged_at", "acknowledged_by"])
        for n, text in enumerate(_triage_texts(key)):
            text.recorder = teacher.username
            when = _moment(_weekday(today - datetime.timedelta(days=n + 1)), 14 + n)
            signal = builder.signal(text, builder.pupil(TEACHER_GROUP), when, when.date())
            with clock_at(when):
                notify(users=[builder.ib, builder.vc], kind=Kind.NEW_SIGNAL,
                       url=reverse("signals:detail", args=[signal.pk]), school=school,
                       obj=signal, email=False)
    return created, warnings


# --- Reset ----------------------------------------------------------------------------------------

def _delete(qs, depth: int = 0) -> None:
    """Delete ``qs``; rows of other apps that protect it (``on_delete=PROTECT``/``RESTRICT``)
    and so belong to the demo data too are deleted first. Other apps add such rows (step-5
    decisions, acute calls, reminders) without this module having to know them."""
    from django.db.models import ProtectedError, RestrictedError

    for _attempt in range(20):
        try:
            with transaction.atomic():
                qs.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            if depth > 10:
                raise
            blockers = exc.protected_objects if isinstance(exc, ProtectedError) \
                else exc.restricted_objects
            by_model: dict = {}
            for obj in blockers:
                by_model.setdefault(type(obj), set()).add(obj.pk)
            for model, pks in by_model.items():
                _delete(model._base_manager.filter(pk__in=pks), depth + 1)
    qs.delete()


@transaction.atomic
def delete_demo_data() -> bool:
    """Remove the demo board, everything in it and the demo accounts. False when absent."""
    board = Board.objects.filter(name=BOARD_NAME).first()
    User = get_user_model()
    users = User.objects.filter(username__in=demo_usernames())
    if board is None and not users.exists():
        return False
    schools = School.objects.filter(board=board) if board else School.objects.none()
    for qs in (AccessLog.objects.filter(school__in=schools),
               AccessLog.objects.filter(user__in=users),
               Notification.objects.filter(school__in=schools),
               SotDiscussion.objects.filter(meeting__school__in=schools),
               Case.objects.filter(school__in=schools),
               SotMeeting.objects.filter(school__in=schools),
               Signal.objects.filter(school__in=schools),
               Pupil.objects.filter(school__in=schools),
               Parent.objects.filter(school__in=schools),
               Family.objects.filter(board=board),
               Membership.objects.filter(board=board),
               schools,
               Board.objects.filter(pk=getattr(board, "pk", None)),
               users):
        _delete(qs)
    return True


# --- The whole seed -------------------------------------------------------------------------------

@dataclass
class SeedResult:
    created_board: bool
    created_pupils: bool
    created_cases: bool
    warnings: list[str]


@transaction.atomic
def seed(*, pupils_per_school: int = DEFAULT_PUPILS) -> SeedResult:
    """Create the demo data, or bring an existing demo board up to date without duplicating."""
    # On a fresh database the role groups were synced before the permissions of ``cases`` and
    # ``signals`` existed (schools' post_migrate runs first); syncing again is idempotent.
    sync_role_groups()
    fake = Names(SEED)
    rng = random.Random(SEED)
    created_board = not Board.objects.filter(name=BOARD_NAME).exists()
    board, schools, classes = ensure_board()
    staff = ensure_staff(board, schools, classes, fake)
    ensure_contacts(schools)

    have = {key: school.pupils.exists() for key, school in schools.items()}
    created_pupils = not any(have.values())
    if created_pupils:
        pupil_fake = Names(SEED + 1)
        create_pupils(board, schools, classes, max(pupils_per_school, MIN_PUPILS), pupil_fake,
                      rng)
    elif not all(have.values()):
        raise RuntimeError("Een van de demoscholen heeft geen leerlingen; draai seed_demo "
                           "opnieuw met --reset.")

    created_cases = not Signal.objects.filter(school__in=schools.values()).exists()
    warnings: list[str] = []
    if created_cases:
        _created, warnings = create_stories(schools, staff)
    return SeedResult(created_board, created_pupils, created_cases, warnings)


def summary() -> list[str]:
    """Short lines describing what the demo board holds now."""
    from django.db.models import Count

    board = Board.objects.get(name=BOARD_NAME)
    lines = [f"{board.name}"]
    for school in School.objects.filter(board=board).order_by("name"):
        per_step = dict(Case.objects.filter(school=school, status="open").order_by()
                        .values_list("step").annotate(n=Count("pk")))
        closed = Case.objects.filter(school=school, status="gesloten").count()
        waiting = Signal.objects.filter(school=school, acknowledged_at__isnull=True).count()
        lines.append(
            f"  {school.name} ({school.brin_code}): {school.classes.count()} groepen, "
            f"{school.pupils.count()} leerlingen, {school.parents.count()} ouders; dossiers per "
            f"stap " + ", ".join(f"{s}: {per_step.get(s, 0)}" for s in Step.values)
            + f", afgesloten: {closed}; nieuwe signalen: {waiting}")
    lines.append(f"  Gezinnen met broers/zussen: {Family.objects.filter(board=board).count()}")
    try:
        from afwegingskader.models import Assessment
    except ImportError:
        return lines
    outcomes: dict[str, int] = {}
    for assessment in Assessment.objects.filter(case__school__board=board):
        outcome = str(assessment.advice().outcome)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    lines.append("  Afwegingskader (advies per dossier): " + ", ".join(
        f"{name}: {outcomes.get(name, 0)}" for name in OUTCOMES))
    return lines

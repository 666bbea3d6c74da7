"""The school's local contacts (R47, sociale kaart): ``schools.SchoolContact``.

Managed under ``beheer/scholen/<id>/contacten/`` by whoever holds ``schools.manage_people``
there (the board's beheerder, the school's directeur); read by every staff member of the
school on the Contacten page, the acute-danger page and the case page (cached: a change
shows at once). History with actor and reason; stale edits refused with the input kept.
"""

import pytest
from django.urls import reverse

from cases.services import case_open
from core import versions
from schools import services
from schools.models import ContactKind, SchoolContact
from schools.roles import Role
from tests.factories import PupilFactory, SchoolFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


def make_contact(school, **values):
    defaults = {"kind": ContactKind.WIJKTEAM, "organisation": "Wijkteam Noord",
                "name": "vaste contactpersoon", "phone": "030-123 45 67",
                "email": "noord@wijkteam.example", "note": "ma-vr 9-17 uur", "sort_order": 0}
    return services.school_contact_create(actor=None, school=school,
                                          values={**defaults, **values})


@pytest.fixture
def contact(school):
    return make_contact(school)


def list_url(school):
    return reverse("schools:contact_list", args=[school.pk])


def create_url(school):
    return reverse("schools:contact_create", args=[school.pk])


def edit_url(contact):
    return reverse("schools:contact_edit", args=[contact.school_id, contact.pk])


def delete_url(contact):
    return reverse("schools:contact_delete", args=[contact.school_id, contact.pk])


def post_data(**changes):
    data = {"kind": ContactKind.SMW, "organisation": "Schoolmaatschappelijk werk Midden",
            "name": "Y. Haddou", "phone": "+31 6 1234 5678", "email": "", "note": "",
            "sort_order": "1", "reason": ""}
    data.update(changes)
    return data


def edit_data(contact, **changes):
    data = {name: getattr(contact, name) for name in services.CONTACT_FIELDS}
    data.update(lock_version=contact.lock_version, reason="")
    data.update(changes)
    return data


# --- access to the management pages -----------------------------------------------------------

def management_urls(school, contact):
    return [("get", list_url(school)), ("get", create_url(school)),
            ("get", edit_url(contact)), ("get", delete_url(contact)),
            ("post", create_url(school)), ("post", edit_url(contact)),
            ("post", delete_url(contact))]


def test_beheerder_manages_every_school_of_the_board(login, beheerder, school, sister_school):
    client = login(beheerder)
    for target in (school, sister_school):
        c = make_contact(target)
        for method, url in management_urls(target, c)[:4]:
            assert getattr(client, method)(url).status_code == 200, url


def test_directeur_manages_only_the_own_school(login, director, school, sister_school):
    own, other = make_contact(school), make_contact(sister_school)
    client = login(director)
    for method, url in management_urls(school, own)[:4]:
        assert getattr(client, method)(url).status_code == 200, url
    for method, url in management_urls(sister_school, other):
        assert getattr(client, method)(url).status_code == 404, url
    # A contact of another school under this school's id: not found either.
    assert client.get(reverse("schools:contact_edit", args=[school.pk, other.pk])
                      ).status_code == 404


@pytest.mark.parametrize("role", [Role.LEERKRACHT, Role.IB, Role.VC, Role.SOT])
def test_other_school_roles_get_403(login, school, contact, role):
    client = login(staff(role, school, username=f"u_{role}"))
    for method, url in management_urls(school, contact):
        assert getattr(client, method)(url).status_code == 403, url
    assert SchoolContact.objects.filter(pk=contact.pk).exists()


def test_bestuurder_gets_403(login, bestuur, school, contact):
    client = login(bestuur)
    for method, url in management_urls(school, contact):
        assert getattr(client, method)(url).status_code == 403, url


def test_other_board_gets_404(login, school, contact, other_school):
    outsider = staff(Role.BEHEERDER, board=other_school.board, username="beheerder_elders")
    client = login(outsider)
    for method, url in management_urls(school, contact):
        assert getattr(client, method)(url).status_code == 404, url
    assert client.get(list_url(other_school)).status_code == 200


def test_anonymous_is_sent_to_login(client, school, contact):
    for method, url in management_urls(school, contact):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "login" in response.url


def test_school_list_links_to_the_contacts(login, director, school):
    page = login(director).get(reverse("schools:school_list")).content.decode()
    assert list_url(school) in page


# --- create, edit, delete with history --------------------------------------------------------

def test_create_writes_history_with_actor_and_reason(login, director, school):
    response = login(director).post(create_url(school), post_data(reason="Nieuwe SMW'er"))
    assert response.status_code == 302 and response.url == list_url(school)
    contact = SchoolContact.objects.get(school=school)
    assert contact.phone == "+31 6 1234 5678" and contact.lock_version == 0
    row = contact.history.get()
    assert row.history_type == "+" and row.history_user == director
    assert row.history_change_reason == "Nieuwe SMW'er"


def test_create_without_reason_says_what_happened(login, beheerder, school):
    login(beheerder).post(create_url(school), post_data())
    row = SchoolContact.objects.get(school=school).history.get()
    assert row.history_user == beheerder and row.history_change_reason == "contact toegevoegd"


def test_edit_saves_bumps_lock_version_and_writes_history(login, director, contact):
    response = login(director).post(edit_url(contact), edit_data(
        contact, phone="030 765 43 21", reason="Nieuw nummer wijkteam"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "030 765 43 21" and contact.lock_version == 1
    row = contact.history.order_by("-history_id").first()
    assert row.history_type == "~" and row.history_user == director
    assert row.history_change_reason == "Nieuw nummer wijkteam"


def test_edit_without_changes_writes_nothing(login, director, contact):
    login(director).post(edit_url(contact), edit_data(contact))
    contact.refresh_from_db()
    assert contact.lock_version == 0 and contact.history.count() == 1


def test_edit_without_reason_names_the_changed_fields(login, director, contact):
    login(director).post(edit_url(contact), edit_data(contact, email="nieuw@wijkteam.example"))
    row = contact.history.order_by("-history_id").first()
    assert row.history_change_reason == "contact gewijzigd: e-mailadres"


def test_delete_needs_confirmation_and_keeps_history(login, director, contact):
    client = login(director)
    page = client.get(delete_url(contact)).content.decode()
    assert "Weet u zeker" in page and SchoolContact.objects.filter(pk=contact.pk).exists()
    response = client.post(delete_url(contact), {"lock_version": contact.lock_version,
                                                 "reason": "Wijkteam opgeheven"})
    assert response.status_code == 302
    assert not SchoolContact.objects.filter(pk=contact.pk).exists()
    row = SchoolContact.history.filter(id=contact.pk).order_by("-history_id").first()
    assert row.history_type == "-" and row.history_user == director
    assert row.history_change_reason == "Wijkteam opgeheven"


# --- validation -------------------------------------------------------------------------------

def test_phone_or_email_is_required_and_input_is_kept(login, director, school):
    response = login(director).post(create_url(school), post_data(
        phone="", email="", organisation="GGD regio Utrecht", note="alleen ochtend"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vul een telefoonnummer of een e-mailadres in" in page
    assert 'value="GGD regio Utrecht"' in page and 'value="alleen ochtend"' in page
    assert 'aria-describedby' in page
    assert not SchoolContact.objects.exists()


@pytest.mark.parametrize("phone", ["030 12a 45", "tel 0800", "12", "0800--2000<b>", "++31 6",
                                   "1234567890123456"])
def test_bad_phone_numbers_are_refused(login, director, school, phone):
    response = login(director).post(create_url(school), post_data(phone=phone))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Gebruik alleen cijfers, spaties, + en -" in page
    assert not SchoolContact.objects.exists()


@pytest.mark.parametrize("phone", ["112", "0800-2000", "0900-111 3 111", "+31 30 123 45 67"])
def test_good_phone_numbers_are_accepted(login, director, school, phone):
    assert login(director).post(create_url(school), post_data(phone=phone)).status_code == 302


def test_bad_email_is_refused_in_dutch(login, director, school):
    response = login(director).post(create_url(school), post_data(phone="", email="geen-adres"))
    page = response.content.decode()
    assert "Vul een geldig e-mailadres in" in page and 'value="geen-adres"' in page
    assert not SchoolContact.objects.exists()


def test_kind_and_organisation_are_required(login, director, school):
    response = login(director).post(create_url(school), post_data(kind="", organisation=""))
    assert response.status_code == 200
    assert not SchoolContact.objects.exists()
    response = login(director).post(create_url(school), post_data(kind="onbekend"))
    assert response.status_code == 200 and not SchoolContact.objects.exists()


def test_service_enforces_the_rules_too(school):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_contact(school, phone="", email="")
    with pytest.raises(ValidationError):
        make_contact(school, phone="abc")


def test_tel_link_uses_the_digits(school):
    contact = make_contact(school, phone="+31 30-123 45 67")
    assert contact.phone_href == "tel:+31301234567"
    assert make_contact(school, phone="0800-2000").phone_href == "tel:08002000"


# --- concurrent edits -------------------------------------------------------------------------

def test_stale_edit_is_refused_with_input_kept(login, director, beheerder, contact):
    stale = edit_data(contact, note="mijn invoer")
    login(beheerder).post(edit_url(contact), edit_data(contact, phone="030 999 99 99"))
    response = login(director).post(edit_url(contact), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Iemand anders heeft dit contact intussen gewijzigd" in page
    assert 'value="mijn invoer"' in page and "030 999 99 99" in page
    contact.refresh_from_db()
    assert contact.note == "ma-vr 9-17 uur" and contact.phone == "030 999 99 99"
    # The form is now based on the stored version: sending it again saves.
    assert 'name="lock_version" value="1"' in page
    again = login(director).post(edit_url(contact), {**stale, "lock_version": "1"})
    assert again.status_code == 302
    contact.refresh_from_db()
    assert contact.note == "mijn invoer" and contact.lock_version == 2


def test_stale_delete_is_refused(login, director, beheerder, contact):
    login(beheerder).post(edit_url(contact), edit_data(contact, phone="030 999 99 99"))
    response = login(director).post(delete_url(contact), {"lock_version": 0, "reason": ""})
    assert response.status_code == 409
    assert SchoolContact.objects.filter(pk=contact.pk).exists()


def test_edit_of_a_deleted_contact_goes_back_to_the_list(login, director, contact):
    data = edit_data(contact)
    client = login(director)
    services.school_contact_delete(actor=director, contact=contact, lock_version=0)
    response = client.post(edit_url(contact), data)
    assert response.status_code == 404  # gone: the lookup no longer finds it


def test_missing_lock_version_is_refused(login, director, contact):
    data = edit_data(contact, phone="030 111 11 11")
    del data["lock_version"]
    response = login(director).post(edit_url(contact), data)
    assert response.status_code == 200
    assert "niet volledig of gewijzigd verstuurd" in response.content.decode()
    contact.refresh_from_db()
    assert contact.phone == "030-123 45 67"


# --- reading: Contacten page, acute page ------------------------------------------------------

DIRECTORY = reverse("contacts:list")


@pytest.mark.parametrize("role", [Role.LEERKRACHT, Role.IB, Role.VC, Role.DIRECTEUR, Role.SOT])
def test_every_staff_role_reads_the_contacts(login, school, contact, role):
    client = login(staff(role, school, username=f"r_{role}"))
    page = client.get(DIRECTORY).content.decode()
    assert "Wijkteam Noord" in page and 'href="tel:0301234567"' in page
    assert 'href="tel:08002000"' in page and 'href="tel:09001113111"' in page
    acute = client.get(reverse("specialroutes:acute_create")).content.decode()
    assert "Wijkteam Noord" in acute and 'href="tel:0301234567"' in acute


def test_board_roles_read_the_contacts_of_the_board_schools(login, bestuur, beheerder, school,
                                                            sister_school, contact):
    make_contact(sister_school, organisation="Wijkteam Zuid")
    for user in (bestuur, beheerder):
        page = login(user).get(DIRECTORY).content.decode()
        assert "Wijkteam Noord" in page and "Wijkteam Zuid" in page


def test_other_schools_contacts_are_not_shown(login, teacher, school, sister_school,
                                              other_school, contact):
    make_contact(sister_school, organisation="Wijkteam Zuid")
    make_contact(other_school, organisation="Wijkteam Elders")
    client = login(teacher)
    for url in (DIRECTORY, reverse("specialroutes:acute_create")):
        page = client.get(url).content.decode()
        assert "Wijkteam Noord" in page
        assert "Wijkteam Zuid" not in page and "Wijkteam Elders" not in page
    # The teacher has no management rights: the link to manage is not there.
    assert list_url(school) not in client.get(DIRECTORY).content.decode()


def test_the_directeur_gets_a_manage_link(login, director, school):
    assert list_url(school) in login(director).get(DIRECTORY).content.decode()


def test_no_role_means_403(login, school, contact):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("zonderrol", password="x" * 20)
    assert login(nobody).get(DIRECTORY).status_code == 403


def test_dashboard_links_to_the_contacts(login, teacher):
    assert DIRECTORY in login(teacher).get(reverse("core:dashboard")).content.decode()


def test_contacts_are_grouped_by_kind(school):
    make_contact(school, kind=ContactKind.OTHER, organisation="Anders BV")
    make_contact(school, kind=ContactKind.VEILIG_THUIS, organisation="Veilig Thuis Utrecht")
    make_contact(school, kind=ContactKind.WIJKTEAM, organisation="B-team", sort_order=2)
    make_contact(school, kind=ContactKind.WIJKTEAM, organisation="Z-team", sort_order=1)
    names = [c.organisation for c in services.school_contacts([school.pk])]
    assert names == ["Veilig Thuis Utrecht", "Z-team", "B-team", "Anders BV"]


def _many(school, n=15):
    for i in range(n):
        make_contact(school, organisation=f"Organisatie {i}", kind=list(ContactKind.values)[i % 9])


def test_query_counts(login, director, teacher, school, django_assert_max_num_queries):
    _many(school)
    client = login(director)
    client.get(list_url(school))  # warm the session and permission caches
    # Session, user, 2FA device, roles, school, contacts, unread count.
    with django_assert_max_num_queries(7):
        assert client.get(list_url(school)).status_code == 200
    client = login(teacher)
    client.get(DIRECTORY)
    # Session, user, 2FA device, roles, contacts (with their schools), unread count.
    with django_assert_max_num_queries(6):
        assert client.get(DIRECTORY).status_code == 200
    client.get(reverse("specialroutes:acute_create"))
    # The acute form's own queries (groups, pupils) plus one for the contacts.
    with django_assert_max_num_queries(8):
        assert client.get(reverse("specialroutes:acute_create")).status_code == 200


def test_query_counts_do_not_grow_with_contacts(login, teacher, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(teacher)
    counts = []
    for _round in range(2):
        _many(school, 5)
        client.get(reverse("specialroutes:acute_create"))
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("specialroutes:acute_create"))
            client.get(DIRECTORY)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- the case page ----------------------------------------------------------------------------

@pytest.fixture
def case(school, ib):
    return case_open(pupil=PupilFactory(school=school), actor=ib)


def test_case_page_lists_the_contacts(login, ib, case, contact):
    page = login(ib).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Contacten van de school" in page and "Wijkteam Noord" in page
    assert 'href="tel:0301234567"' in page


@pytest.mark.django_db(transaction=True)
def test_contact_save_changes_the_school_directory_token(school, contact):
    """SchoolContact is in the ``schools`` app: its saves and deletes change the school's
    directory token at commit (``core.versions``), the key of the cached case page."""
    def token():
        key = (versions.SCHOOL_DIRECTORY, school.pk)
        return versions.tokens(directory_schools=[school.pk])[key]

    assert SchoolContact in versions.tracked_models()
    before = token()
    services.school_contact_update(actor=None, contact=contact,
                                   values={**{n: getattr(contact, n)
                                              for n in services.CONTACT_FIELDS},
                                           "phone": "030 000 00 00"}, lock_version=0)
    after_update = token()
    assert after_update != before
    services.school_contact_delete(actor=None, contact=contact, lock_version=1)
    assert token() != after_update


@pytest.mark.django_db(transaction=True)
def test_cached_case_page_shows_a_changed_contact_at_once(login, director, ib, school, case,
                                                          contact, fragment_cache_on,
                                                          fragment_builds):
    case_url = reverse("cases:detail", args=[case.pk])
    client = login(ib)
    assert "030-123 45 67" in client.get(case_url).content.decode()
    client.get(case_url)
    assert fragment_builds["case-page"] == 1  # from the cache the second time

    login(director).post(edit_url(contact), edit_data(contact, phone="030 765 43 21"))
    page = login(ib).get(case_url).content.decode()
    assert "030 765 43 21" in page and "030-123 45 67" not in page
    assert fragment_builds["case-page"] == 2

    login(director).post(delete_url(contact), {"lock_version": 1, "reason": ""})
    page = login(ib).get(case_url).content.decode()
    assert "030 765 43 21" not in page
    assert "De school heeft nog geen lokale contacten vastgelegd." in page


def test_other_board_school_is_untouched(other_school):
    """The contacts of a school of another board stay apart in every selector."""
    make_contact(other_school, organisation="Elders")
    school = SchoolFactory()
    assert services.school_contacts([school.pk]) == []


# --- demo data --------------------------------------------------------------------------------

def test_demo_contacts_pass_the_rules():
    """The demo contacts are written without the services: they must satisfy the same rules,
    and only the real national numbers are real."""
    from django.core.validators import validate_email

    from core.demo import DEMO_CONTACTS

    national = {"0800-2000", "0900-111 3 111"}
    for rows in DEMO_CONTACTS.values():
        kinds = {row[0] for row in rows}
        assert {ContactKind.VEILIG_THUIS, ContactKind.WIJKTEAM, ContactKind.JGZ,
                ContactKind.INSPECTIE} <= kinds
        for kind, organisation, _name, phone, email, _note in rows:
            values = {"kind": kind, "organisation": organisation, "phone": phone,
                      "email": email}
            assert services.contact_errors(values) == {}
            assert services.normalise_phone(phone) == phone
            assert phone in national or "555" in phone, phone
            if email:
                validate_email(email)
                assert email.endswith(".invalid")

"""The school settings page (``schools:school_settings``): the per-school switches R12 (doubt
at question 2 means report), R32 (private working notes) and R45 (Verwijsindex), set by whoever
holds ``schools.manage_settings`` (the board's beheerder) instead of in the Django admin.

Access like the other settings pages (reminder and retention terms); saves through
``services.school_settings_update`` with history, actor and reason; someone else's save in
between is refused with the user's input kept; the switch takes effect at once, also on pages
served from the fragment cache.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.services import case_open
from schools import services
from schools.models import School
from schools.roles import Role
from tests.factories import PupilFactory, SchoolFactory, staff
from worknotes.models import WorkNote
from worknotes.selectors import NOTE_LIFETIME, school_notes
from worknotes.services import work_note_create
from worknotes.tasks import expire_work_notes

pytestmark = pytest.mark.django_db

REASON = "Besluit MR 12 november: werkaantekeningen proberen"


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


def settings_url(school):
    return reverse("schools:school_settings", args=[school.pk])


def form_data(school, **changes):
    """The POST a browser sends for the form as rendered for ``school`` now, with ``changes``
    (switches as booleans, ``reason`` as text). Unchecked boxes are left out, as browsers do."""
    values = services.school_settings_of(school)
    data = {f"seen_{name}": "1" if value else "0" for name, value in values.items()}
    values.update({k: v for k, v in changes.items() if k in values})
    data.update({name: "on" for name, value in values.items() if value})
    data["reason"] = changes.get("reason", "")
    return data


def fresh(school) -> School:
    return School.objects.get(pk=school.pk)


# --- who may open it --------------------------------------------------------------------------

def test_beheerder_opens_it_for_every_school_of_the_board(login, beheerder, school,
                                                          sister_school):
    client = login(beheerder)
    for target in (school, sister_school):
        response = client.get(settings_url(target))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Aangesloten op de Verwijsindex" in html
        assert "Persoonlijke werkaantekeningen toestaan" in html
        assert "Twijfel bij vraag 2 van het afwegingskader betekent melden" in html


@pytest.mark.parametrize("role", ["teacher", "ib", "vc", "director", "sot_member", "bestuur"])
def test_everyone_else_at_the_school_or_board_gets_403(request, login, school, role):
    """The directeur manages the school's people but not its settings (no
    ``schools.manage_settings``, as for the reminder terms); the bestuurder manages nothing."""
    user = request.getfixturevalue(role)
    client = login(user)
    assert client.get(settings_url(school)).status_code == 403
    assert client.post(settings_url(school),
                       form_data(school, work_notes_enabled=True)).status_code == 403
    assert fresh(school).work_notes_enabled is False


def test_beheerder_of_another_board_gets_404(login, school, other_school):
    outsider = staff(Role.BEHEERDER, board=other_school.board, username="beheerder_elders")
    client = login(outsider)
    assert client.get(settings_url(school)).status_code == 404
    assert client.post(settings_url(school),
                       form_data(school, work_notes_enabled=True)).status_code == 404
    assert client.get(settings_url(other_school)).status_code == 200
    assert fresh(school).work_notes_enabled is False


def test_an_unknown_school_is_404(login, beheerder):
    assert login(beheerder).get(reverse("schools:school_settings", args=[999999])
                                ).status_code == 404


def test_anonymous_is_sent_to_login(client, school):
    response = client.get(settings_url(school))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor:login"))


def test_an_ended_beheerder_role_gives_nothing(login, school):
    user = staff(Role.BEHEERDER, board=school.board)
    user.memberships.update(ends_on=datetime.date(2021, 1, 1))
    assert login(user).get(settings_url(school)).status_code == 403


# --- the school list --------------------------------------------------------------------------

def test_school_list_links_the_page_and_shows_the_settings(login, beheerder, school):
    school.verwijsindex_enabled = True
    school.save()
    html = login(beheerder).get(reverse("schools:school_list")).content.decode()
    assert settings_url(school) in html
    assert "Verwijsindex: aan" in html
    assert "Werkaantekeningen: uit" in html
    assert "Twijfel bij vraag 2 is melden: aan" in html


def test_school_list_of_the_directeur_shows_the_settings_without_the_link(login, director,
                                                                          school):
    html = login(director).get(reverse("schools:school_list")).content.decode()
    assert "Werkaantekeningen: uit" in html
    assert settings_url(school) not in html


def test_school_list_query_count_does_not_grow_with_schools(
        login, beheerder, school, django_assert_max_num_queries):
    client = login(beheerder)
    client.get(reverse("schools:school_list"))  # session, roles and permissions warm
    SchoolFactory.create_batch(10, board=school.board)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("schools:school_list")).content.decode()
    assert html.count("/instellingen/") == 11


# --- saving -----------------------------------------------------------------------------------

def test_save_writes_one_history_row_with_actor_and_reason(login, beheerder, school):
    before = school.history.count()
    response = login(beheerder).post(settings_url(school), form_data(
        school, work_notes_enabled=True, verwijsindex_enabled=True, reason=REASON))
    assert response.status_code == 302
    assert response.url == reverse("schools:school_list")
    saved = fresh(school)
    assert (saved.work_notes_enabled, saved.verwijsindex_enabled,
            saved.doubt_means_report) == (True, True, True)
    assert school.history.count() == before + 1
    row = school.history.first()
    assert row.history_user == beheerder
    assert row.history_change_reason == REASON
    assert row.work_notes_enabled is True


def test_without_a_reason_the_history_says_what_was_switched(login, beheerder, school):
    login(beheerder).post(settings_url(school), form_data(school, doubt_means_report=False))
    row = school.history.first()
    assert row.history_user == beheerder
    assert row.history_change_reason == (
        "schoolinstellingen gewijzigd: twijfel bij vraag 2 betekent melden: uit")
    assert fresh(school).doubt_means_report is False


def test_saving_without_a_change_writes_nothing(login, beheerder, school):
    before = school.history.count()
    response = login(beheerder).post(settings_url(school), form_data(school), follow=True)
    assert "Er is niets gewijzigd." in response.content.decode()
    assert school.history.count() == before


def test_someone_elses_save_in_between_is_refused_and_the_input_kept(login, beheerder, school):
    rendered = form_data(school, work_notes_enabled=True, reason=REASON)  # the page as loaded
    colleague = staff(Role.BEHEERDER, board=school.board, username="beheerder2")
    services.school_settings_update(actor=colleague, school=fresh(school),
                                    values={**services.school_settings_of(school),
                                            "verwijsindex_enabled": True},
                                    seen=services.school_settings_of(school))
    history = school.history.count()

    client = login(beheerder)
    response = client.post(settings_url(school), rendered)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Iemand anders heeft de instellingen van deze school intussen gewijzigd." in html
    saved = fresh(school)
    assert (saved.work_notes_enabled, saved.verwijsindex_enabled) == (False, True)
    assert school.history.count() == history
    # The user's choices and reason are still in the form; what is stored is shown.
    assert re.search(r'<input type="checkbox" name="work_notes_enabled"[^>]*checked', html)
    assert not re.search(r'<input type="checkbox" name="verwijsindex_enabled"[^>]*checked', html)
    assert REASON in html
    assert "Aangesloten op de Verwijsindex: <strong>aan</strong>" in html
    # The next save is based on what is stored now: it goes through as the user chose.
    assert 'name="seen_verwijsindex_enabled" value="1"' in html
    again = {**rendered, "seen_verwijsindex_enabled": "1"}
    assert client.post(settings_url(school), again).status_code == 302
    saved = fresh(school)
    assert (saved.work_notes_enabled, saved.verwijsindex_enabled) == (True, False)


def test_service_refuses_a_stale_base_and_writes_nothing(beheerder, school):
    stale = {**services.school_settings_of(school), "doubt_means_report": False}
    with pytest.raises(services.SettingsConflict) as refused:
        services.school_settings_update(actor=beheerder, school=school,
                                        values={**stale, "work_notes_enabled": True}, seen=stale)
    assert refused.value.current.doubt_means_report is True
    assert fresh(school).work_notes_enabled is False


def test_a_too_long_reason_keeps_the_input(login, beheerder, school):
    reason = "Waarom " * 100
    response = login(beheerder).post(settings_url(school), form_data(
        school, work_notes_enabled=True, reason=reason))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hoogstens 500 tekens" in html
    assert re.search(r'<input type="checkbox" name="work_notes_enabled"[^>]*checked', html)
    assert reason.strip() in html
    assert fresh(school).work_notes_enabled is False


@pytest.mark.parametrize("tamper", ["missing", "altered"])
def test_a_missing_or_altered_base_is_refused_with_a_message(login, beheerder, school, tamper):
    data = form_data(school, work_notes_enabled=True, reason=REASON)
    if tamper == "missing":
        del data["seen_work_notes_enabled"]
    else:
        data["seen_work_notes_enabled"] = "ja"
    response = login(beheerder).post(settings_url(school), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Het formulier is niet volledig of gewijzigd verstuurd." in html
    assert REASON in html
    assert fresh(school).work_notes_enabled is False


def test_the_page_stays_within_its_query_budget(login, beheerder, school,
                                                django_assert_max_num_queries):
    client = login(beheerder)
    client.get(settings_url(school))
    with django_assert_max_num_queries(8):
        assert client.get(settings_url(school)).status_code == 200


def test_a_save_stays_within_its_query_budget(login, beheerder, school,
                                              django_assert_max_num_queries):
    client = login(beheerder)
    client.get(settings_url(school))
    with django_assert_max_num_queries(14):
        response = client.post(settings_url(school), form_data(school, work_notes_enabled=True))
    assert response.status_code == 302


# --- what the switches do ---------------------------------------------------------------------

@pytest.fixture
def case(school, ib):
    pupil = PupilFactory(school=school, first_name="Sanne", last_name="Jansen")
    return case_open(pupil=pupil, actor=ib)


def test_work_notes_switch_opens_and_closes_the_notes_pages(login, beheerder, ib, school, case):
    notes_url = reverse("worknotes:list", args=[case.pk])
    assert login(ib).get(notes_url).status_code == 404
    login(beheerder).post(settings_url(school), form_data(school, work_notes_enabled=True))
    client = login(ib)
    assert client.get(notes_url).status_code == 200
    assert client.post(notes_url, {"text": "Eigen gedachte"}).status_code == 302
    note = WorkNote.objects.get(case=case, owner=ib)
    edit_url = reverse("worknotes:edit", args=[case.pk, note.pk])
    assert login(ib).get(edit_url).status_code == 200

    login(beheerder).post(settings_url(school), form_data(fresh(school),
                                                          work_notes_enabled=False))
    client = login(ib)
    assert client.get(notes_url).status_code == 404
    assert client.get(edit_url).status_code == 404
    assert notes_url not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # Hidden, not deleted: switched back on in time, the owner has the note again.
    assert WorkNote.objects.filter(pk=note.pk).exists()
    login(beheerder).post(settings_url(school), form_data(fresh(school),
                                                          work_notes_enabled=True))
    assert "Eigen gedachte" in login(ib).get(notes_url).content.decode()


def test_switching_notes_off_says_how_many_stay_hidden_and_until_when(login, beheerder, ib,
                                                                       school, case):
    case.school.work_notes_enabled = True
    case.school.save()
    note = work_note_create(case=case, owner=ib, text="Niet voor de beheerder")
    response = login(beheerder).post(settings_url(school), form_data(
        fresh(school), work_notes_enabled=False), follow=True)
    html = response.content.decode()
    gone_by = timezone.localtime(note.updated_at + NOTE_LIFETIME)
    assert "De bestaande werkaantekening is verborgen" in html
    assert f"{gone_by.day} " in html and str(gone_by.year) in html
    assert "Niet voor de beheerder" not in html
    page = login(beheerder).get(settings_url(school)).content.decode()
    assert "Er is nog 1 verborgen werkaantekening" in page
    assert "Niet voor de beheerder" not in page


def test_hidden_notes_still_expire_on_schedule(ib, beheerder, school, case):
    case.school.work_notes_enabled = True
    case.school.save()
    note = work_note_create(case=case, owner=ib, text="oud")
    stored = services.school_settings_of(fresh(school))
    services.school_settings_update(actor=beheerder, school=school, seen=stored,
                                    values={**stored, "work_notes_enabled": False})
    assert school_notes(school.pk).count == 1  # hidden, not deleted
    WorkNote.objects.filter(pk=note.pk).update(
        updated_at=timezone.now() - NOTE_LIFETIME - datetime.timedelta(days=1))
    assert expire_work_notes() == 1
    assert school_notes(school.pk).count == 0


def test_verwijsindex_switch_opens_and_closes_the_add_action(login, beheerder, ib, school, case):
    add_url = reverse("cases:vir_add", args=[case.pk])
    case_url = reverse("cases:detail", args=[case.pk])
    assert login(ib).get(add_url).status_code == 404
    assert add_url not in login(ib).get(case_url).content.decode()

    login(beheerder).post(settings_url(school), form_data(school, verwijsindex_enabled=True))
    client = login(ib)
    assert client.get(add_url).status_code == 200
    assert add_url in client.get(case_url).content.decode()

    login(beheerder).post(settings_url(school), form_data(fresh(school),
                                                          verwijsindex_enabled=False))
    client = login(ib)
    assert client.get(add_url).status_code == 404
    assert add_url not in client.get(case_url).content.decode()


# --- the fragment cache -----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_cached_case_page_follows_the_switches_at_once(login, beheerder, ib, school, case,
                                                         fragment_cache_on, fragment_builds):
    """The case page is cached per case and school directory token (``core.fragments``); a
    save of the School row changes that token at commit, so the next view is rebuilt."""
    case_url = reverse("cases:detail", args=[case.pk])
    notes_url = reverse("worknotes:list", args=[case.pk])
    add_url = reverse("cases:vir_add", args=[case.pk])
    client = login(ib)
    first = client.get(case_url).content.decode()
    client.get(case_url)
    assert fragment_builds["case-page"] == 1  # served from the cache the second time
    assert notes_url not in first and add_url not in first

    login(beheerder).post(settings_url(school), form_data(
        school, work_notes_enabled=True, verwijsindex_enabled=True))
    page = login(ib).get(case_url).content.decode()
    assert "Mijn werkaantekeningen" in page and notes_url in page
    assert add_url in page
    assert fragment_builds["case-page"] == 2

    login(beheerder).post(settings_url(school), form_data(
        fresh(school), work_notes_enabled=False, verwijsindex_enabled=False))
    page = login(ib).get(case_url).content.decode()
    assert notes_url not in page and add_url not in page

"""The pages of the private working notes (worknotes.views): only the owner ever sees or
changes a note; the switch off means the pages do not exist; input is kept on errors; a stale
version is refused; sharing asks for confirmation and puts the text in the file."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.models import CaseNote, CloseReason
from cases.workflow import close_case
from schools.roles import Role
from tests.factories import PupilFactory, UserFactory, staff
from worknotes.models import WorkNote
from worknotes.services import work_note_create

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def list_url(case):
    return reverse("worknotes:list", args=[case.pk])


def note_urls(note):
    return [reverse(f"worknotes:{name}", args=[note.case_id, note.pk])
            for name in ("edit", "share", "delete")]


# --- who sees what ---------------------------------------------------------------------------

def test_owner_sees_the_note_and_its_expiry_date(client_for, ib, note, wn_case):
    response = client_for(ib).get(list_url(wn_case))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(SECRET) in html
    expiry = (note.updated_at + datetime.timedelta(days=90))
    assert f"verdwijnt op {timezone.localtime(expiry).day} " in html
    assert "niemand anders ziet ze" in html
    for url in note_urls(note):
        assert client_for(ib).get(url).status_code == 200


@pytest.mark.parametrize("who", ["director", "vc", "second_ib", "sot_member", "invited"])
def test_everyone_else_with_case_access_gets_404_for_the_note(request, client_for, note, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    for url in note_urls(note):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text": "x", "lock_version": 1}).status_code == 404, url
    # Their own list of the case (they may read the case) does not show it.
    listing = client.get(list_url(note.case))
    assert SECRET not in listing.content.decode()
    assert WorkNote.objects.get(pk=note.pk).text == SECRET


def test_a_superuser_without_a_role_gets_404(client_for, note):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = client_for(root)
    assert client.get(list_url(note.case)).status_code == 404
    for url in note_urls(note):
        assert client.get(url).status_code == 404


def test_a_superuser_with_a_role_still_sees_only_own_notes(client_for, note, notes_school):
    boss = staff(Role.IB, notes_school, username="root_ib", is_superuser=True, is_staff=True)
    client = client_for(boss)
    assert SECRET not in client.get(list_url(note.case)).content.decode()
    for url in note_urls(note):
        assert client.get(url).status_code == 404


def test_there_is_no_admin_page_for_notes():
    from django.contrib import admin

    assert WorkNote not in admin.site._registry


def test_other_school_gets_404(client_for, note, other_school):
    outsider = staff(Role.IB, other_school, username="ib_elders")
    client = client_for(outsider)
    assert client.get(list_url(note.case)).status_code == 404
    for url in note_urls(note):
        assert client.get(url).status_code == 404


def test_a_note_under_another_case_url_is_404(client_for, ib, note, notes_school):
    other_case_pupil = PupilFactory(school=notes_school)
    from cases.services import case_open

    other = case_open(pupil=other_case_pupil, actor=ib)
    url = reverse("worknotes:edit", args=[other.pk, note.pk])
    assert client_for(ib).get(url).status_code == 404


def test_switch_off_means_404_and_no_link(client_for, ib, note, wn_case):
    wn_case.school.work_notes_enabled = False
    wn_case.school.save()
    client = client_for(ib)
    assert client.get(list_url(wn_case)).status_code == 404
    for url in note_urls(note):
        assert client.get(url).status_code == 404
    page = client.get(reverse("cases:detail", args=[wn_case.pk])).content.decode()
    assert list_url(wn_case) not in page


def test_the_case_page_links_to_the_notes_when_on(client_for, ib, wn_case):
    page = client_for(ib).get(reverse("cases:detail", args=[wn_case.pk])).content.decode()
    assert list_url(wn_case) in page and "Mijn werkaantekeningen" in page


def test_anonymous_is_sent_to_login(client, note):
    response = client.get(list_url(note.case))
    assert response.status_code == 302 and "/account/login/" in response.url


# --- add, edit, delete -------------------------------------------------------------------------

def test_add_a_note(client_for, invited, wn_case):
    """A reader with a read grant only may keep notes too."""
    response = client_for(invited).post(list_url(wn_case), {"text": "Eigen gedachte"})
    assert response.status_code == 302
    assert WorkNote.objects.get().owner == invited


def test_empty_note_is_refused_with_a_message(client_for, ib, wn_case):
    response = client_for(ib).post(list_url(wn_case), {"text": "  "})
    assert response.status_code == 400
    assert "Schrijf eerst iets in de werkaantekening." in response.content.decode()
    assert not WorkNote.objects.exists()


def test_too_long_note_keeps_the_input(client_for, ib, wn_case):
    text = "lang " * 2100
    response = client_for(ib).post(list_url(wn_case), {"text": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "hoogstens 10000 tekens" in html
    assert text.strip() in html
    assert 'aria-describedby' in html


def test_edit_a_note(client_for, ib, note):
    edit = reverse("worknotes:edit", args=[note.case_id, note.pk])
    response = client_for(ib).post(edit, {"text": "bijgewerkt", "lock_version": 1})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.text, note.lock_version) == ("bijgewerkt", 2)


def test_stale_version_is_refused_and_input_kept(client_for, ib, note):
    edit = reverse("worknotes:edit", args=[note.case_id, note.pk])
    client = client_for(ib)
    client.post(edit, {"text": "uit tab 1", "lock_version": 1})
    response = client.post(edit, {"text": "uit tab 2", "lock_version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "intussen gewijzigd" in html
    assert "uit tab 2" in html and "uit tab 1" in html  # typed text kept, saved text shown
    assert re.search(r'name="lock_version" value="2"', html)
    note.refresh_from_db()
    assert note.text == "uit tab 1"
    # Saving again from the conflict page works (based on the version now shown).
    assert client.post(edit, {"text": "uit tab 2", "lock_version": 2}).status_code == 302


def test_delete_asks_then_deletes(client_for, ib, note):
    delete = reverse("worknotes:delete", args=[note.case_id, note.pk])
    client = client_for(ib)
    assert "definitief verwijderd" in client.get(delete).content.decode()
    assert client.post(delete, {"lock_version": 1}).status_code == 302
    assert not WorkNote.objects.exists()


# --- share -------------------------------------------------------------------------------------

def test_share_confirm_page_says_parents_may_see_it(client_for, ib, note):
    share = reverse("worknotes:share", args=[note.case_id, note.pk])
    html = client_for(ib).get(share).content.decode()
    assert "onderdeel van het dossier" in html
    assert "Ouders" in html and "inzien" in html
    assert WorkNote.objects.filter(pk=note.pk).exists()  # a GET changes nothing


def test_share_creates_the_record_and_removes_the_note(client_for, ib, note, wn_case, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    share = reverse("worknotes:share", args=[note.case_id, note.pk])
    client = client_for(ib)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(share, {"lock_version": 1})
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[wn_case.pk])
    assert not WorkNote.objects.exists()
    record = CaseNote.objects.get()
    assert (record.author, record.text) == (ib, SECRET)
    # Now dossier content: on the case page, its own page (with versions) and the timeline,
    # for every reader of the case.
    page = client.get(reverse("cases:detail", args=[wn_case.pk])).content.decode()
    assert "Aantekeningen" in page and escape(SECRET) in page
    detail = client.get(reverse("cases:note_detail", args=[wn_case.pk, record.pk]))
    assert detail.status_code == 200 and "gedeeld vanuit een werkaantekening" in (
        detail.content.decode())
    timeline = client.get(reverse("cases:timeline", args=[wn_case.pk])).content.decode()
    assert escape(SECRET) in timeline
    assert mailoutbox == []  # and no content in any e-mail


def test_shared_note_has_no_add_page():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("cases:note_add", args=[1])


def test_share_with_a_stale_version_is_refused(client_for, ib, note):
    share = reverse("worknotes:share", args=[note.case_id, note.pk])
    client = client_for(ib)
    client.post(reverse("worknotes:edit", args=[note.case_id, note.pk]),
                {"text": "veranderd", "lock_version": 1})
    response = client.post(share, {"lock_version": 1}, follow=True)
    assert "intussen gewijzigd" in response.content.decode()
    assert not CaseNote.objects.exists()
    assert WorkNote.objects.filter(pk=note.pk).exists()


def test_reader_without_add_record_may_not_share(client_for, invited, wn_case):
    own = work_note_create(case=wn_case, owner=invited, text="van mij")
    client = client_for(invited)
    share = reverse("worknotes:share", args=[wn_case.pk, own.pk])
    assert client.get(share).status_code == 403
    assert client.post(share, {"lock_version": 1}).status_code == 403
    listing = client.get(list_url(wn_case)).content.decode()
    assert share not in listing
    assert not CaseNote.objects.exists()


def test_share_on_a_closed_case_shows_why(client_for, ib, note, wn_case):
    close_case(case_id=wn_case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="geen zorgen meer")
    share = reverse("worknotes:share", args=[note.case_id, note.pk])
    response = client_for(ib).post(share, {"lock_version": 1})
    assert response.status_code == 400
    assert "afgesloten" in response.content.decode()
    assert WorkNote.objects.filter(pk=note.pk).exists()


# --- never anywhere else -------------------------------------------------------------------------

def test_notes_are_not_on_the_case_page_timeline_history_or_search(client_for, ib, note,
                                                                      wn_case, director):
    for user in (ib, director):
        client = client_for(user)
        for name in ("cases:detail", "cases:timeline"):
            html = client.get(reverse(name, args=[wn_case.pk])).content.decode()
            assert escape(SECRET) not in html and SECRET not in html, name
        client.step_up()
        history = client.get(reverse("cases:history", args=[wn_case.pk])).content.decode()
        assert escape(SECRET) not in history
        # The case list's search (POST, kept in the session) finds the pupil, not the note.
        client.post(reverse("cases:list"), {"q": "Sanne", "status": "alle"})
        assert wn_case.number in client.get(reverse("cases:list")).content.decode()
        client.post(reverse("cases:list"), {"q": "dreigend", "status": "alle"})
        assert wn_case.number not in client.get(reverse("cases:list")).content.decode()


def test_notes_are_not_in_the_pdf_dossier(note, wn_case, director):
    from exports.documents import case_for_export, dossier_context
    from exports.pdf import DOSSIER_TEMPLATE, render_html

    ctx = dossier_context(case_for_export(wn_case.pk), requester=director, include_history=True)
    html = render_html(DOSSIER_TEMPLATE, ctx)
    assert f"Dossier {wn_case.number}" in html
    assert "dreigend" not in html


def _inzage_copy(case, director) -> str:
    from exports.documents import inzage_context
    from exports.pdf import INZAGE_TEMPLATE, render_html
    from exports.services import access_request_create
    from tests.factories import ParentFactory, PupilParentFactory

    link = PupilParentFactory(pupil=case.pupil,
                              parent=ParentFactory(school=case.school, name="Ilse Jansen"),
                              relationship="moeder", has_authority=True)
    request = access_request_create(pupil=case.pupil, actor=director, requester_kind="ouder",
                                    parent_link=link, received_on=timezone.localdate(),
                                    identity_verified=True)
    return render_html(INZAGE_TEMPLATE, inzage_context(request))


def test_notes_are_not_in_the_inzage_copy(note, wn_case, director):
    html = _inzage_copy(wn_case, director)
    assert f"Dossier {wn_case.number}" in html
    assert "dreigend" not in html


def test_a_shared_note_is_in_the_inzage_copy(note, wn_case, ib, director):
    """What the confirmation says: once shared, parents see it."""
    from worknotes.services import work_note_share

    work_note_share(note=note, owner=ib, base_version=note.lock_version)
    html = _inzage_copy(wn_case, director)
    assert "dreigend" in html and "Aantekening" in html


def test_list_page_query_count_is_bounded(client_for, ib, wn_case, django_assert_max_num_queries):
    client = client_for(ib)
    client.get(list_url(wn_case))  # warm the session and role caches
    for n in range(10):
        work_note_create(case=wn_case, owner=ib, text=f"aantekening {n}")
    with django_assert_max_num_queries(20):
        response = client.get(list_url(wn_case))
    assert response.content.decode().count("verdwijnt op") == 10

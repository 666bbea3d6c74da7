"""Cached page fragments (``core.fragments``) and the content tokens behind them
(``core.versions``): a cached page never shows less than the database holds after a write,
never shows one user's view to another, and every read is still logged.

Transactional tests: tokens change when a transaction commits, as in production.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save
from django.urls import reverse

from cases.models import AccessLog, Case
from cases.services import case_grant_access, case_revoke_access
from core import fragments, versions
from core.models import ContentVersion
from schools.models import Membership
from schools.roles import Role
from signals.models import SignalVersion
from tests.factories import staff

from .conftest import (
    create_consultation,
    create_pupil,
    create_signal,
    create_sot_discussion,
    create_sot_meeting,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(fragment_cache_on):
    pass


@pytest.fixture
def builds(fragment_builds):
    return fragment_builds


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- The tokens ------------------------------------------------------------------------------

def test_every_model_of_the_case_data_and_directory_apps_is_tracked_or_deliberately_ignored():
    tracked = set(versions.tracked_models())
    for model in apps.get_models():
        label = model._meta.label_lower
        if (model._meta.app_label not in versions.CONTENT_APPS + versions.DIRECTORY_APPS
                or model.__name__.startswith("Historical")):
            continue
        assert model in tracked or label in versions.IGNORED_MODELS, label
        if model in tracked:
            assert any(r[0][0] == "meldcode-versions-" + label + "-save"
                       for r in post_save.receivers), label


def _reaches_case_data(model, depth=0) -> bool:
    from schools.models import School
    from signals.models import Signal

    if model in (Case, Signal) or model._meta.label_lower == "cases.caseuserobjectpermission":
        return True
    for f in model._meta.concrete_fields:
        if f.is_relation and (f.many_to_one or f.one_to_one):
            if f.related_model in (Case, Signal, School):
                return True
            if (depth < 2 and f.related_model._meta.app_label in versions.CONTENT_APPS
                    and _reaches_case_data(f.related_model, depth + 1)):
                return True
    return False


def test_every_tracked_content_model_resolves_to_a_case_a_signal_or_a_school():
    for model in versions.tracked_models():
        if model._meta.app_label in versions.CONTENT_APPS:
            assert _reaches_case_data(model), model._meta.label_lower


def _token(kind, pk):
    row = ContentVersion.objects.filter(kind=kind, object_id=pk).first()
    return row.token if row else 0


def test_a_record_changes_the_case_and_school_tokens_once_at_commit(case, ib):
    before = (_token(versions.CASE, case.pk), _token(versions.SCHOOL_DATA, case.school_id))
    with transaction.atomic():
        create_consultation(case, ib)
        create_consultation(case, ib)
        # Not yet: a reader now would store old content under the new token.
        assert (_token(versions.CASE, case.pk),
                _token(versions.SCHOOL_DATA, case.school_id)) == before
        assert versions.has_pending()
    after = (_token(versions.CASE, case.pk), _token(versions.SCHOOL_DATA, case.school_id))
    assert after[0] != before[0] and after[1] != before[1]
    assert not versions.has_pending()


def test_a_rolled_back_transaction_leaves_no_pending_set_behind(case, ib):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        create_consultation(case, ib)
        raise Boom
    before = _token(versions.CASE, case.pk)
    with transaction.atomic():
        create_consultation(case, ib)
    assert _token(versions.CASE, case.pk) != before


def test_a_signal_correction_changes_the_tokens_of_the_cases_holding_it(case, ib):
    signal = case.signals.first()
    before = _token(versions.CASE, case.pk)
    SignalVersion.objects.create(signal=signal, number=2, facts="Gecorrigeerd.", author=ib,
                                 reason="typfout")
    assert _token(versions.CASE, case.pk) != before


def test_a_login_does_not_change_the_directory_token(ib, school):
    before = _token(versions.SCHOOL_DIRECTORY, school.pk)
    from django.contrib.auth.models import update_last_login

    update_last_login(None, ib)
    assert _token(versions.SCHOOL_DIRECTORY, school.pk) == before
    ib.first_name = "Nieuwe"
    ib.save()
    assert _token(versions.SCHOOL_DIRECTORY, school.pk) != before


# --- The case page ---------------------------------------------------------------------------

def test_case_page_serves_the_cached_records_and_still_logs_every_read(
        verified_client, ib, case, builds):
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    first = _get(verified_client, url)
    second = _get(verified_client, url)
    assert builds["case-content"] == 1
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", first) == csrf.sub("", second)  # the token is masked per response
    assert AccessLog.objects.filter(user=ib, case=case, action="bekeken").count() == 2


def test_case_page_shows_a_new_record_at_once(verified_client, ib, case, builds):
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    assert "Overleg met de schoolarts" not in _get(verified_client, url)
    create_consultation(case, ib, consulted="Overleg met de schoolarts")
    assert "Overleg met de schoolarts" in _get(verified_client, url)
    assert builds["case-content"] == 2


def test_case_page_shows_a_corrected_signal_and_a_renamed_pupil(verified_client, ib, case):
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    _get(verified_client, url)
    signal = case.signals.first()
    SignalVersion.objects.create(signal=signal, number=2, facts="Blauwe plek op het been.",
                                 author=ib, reason="verkeerd lichaamsdeel")
    assert "Blauwe plek op het been." in _get(verified_client, url)
    case.pupil.first_name = "Zwaantje"
    case.pupil.save()
    assert "Zwaantje" in _get(verified_client, url)


def test_case_content_is_shared_but_the_rest_of_the_page_is_each_viewers_own(
        verified_client, ib, vc, director, case, builds):
    url = reverse("cases:detail", args=[case.pk])
    pages = {}
    for user in (ib, vc, director):
        verified_client.force_login(user)
        pages[user.username] = _get(verified_client, url)
    assert builds["case-content"] == 1  # one case, three viewers: rendered once
    # Step actions belong to the case's leads; the directeur's page is built for him.
    assert ("Verder naar" in pages["ib"]) and ("Verder naar" not in pages["directeur"])


# --- Lists and dashboards --------------------------------------------------------------------

def test_case_list_shows_a_new_case_and_a_step_change(verified_client, ib, make_case, builds):
    verified_client.force_login(ib)
    url = reverse("cases:list")
    first = make_case()
    assert first.number in _get(verified_client, url)
    _get(verified_client, url)
    assert builds["case-list"] == 1
    second = make_case()
    page = _get(verified_client, url)
    assert second.number in page and first.number in page
    assert builds["case-list"] == 2


def test_case_list_of_one_user_is_never_served_to_another(
        verified_client, ib, teacher, make_case):
    case = make_case()
    verified_client.force_login(ib)
    assert case.number in _get(verified_client, reverse("cases:list"))
    verified_client.force_login(teacher)
    assert case.number not in _get(verified_client, reverse("cases:list"))


def test_an_invitation_and_its_revocation_show_at_once(verified_client, ib, teacher, make_case):
    case = make_case()
    verified_client.force_login(teacher)
    url = reverse("cases:list")
    assert case.number not in _get(verified_client, url)
    case_grant_access(case=case, user=teacher, actor=ib)
    assert case.number in _get(verified_client, url)
    case_revoke_access(case=case, user=teacher, actor=ib)
    assert case.number not in _get(verified_client, url)


def test_a_role_that_ends_takes_the_cached_lists_with_it(verified_client, ib, make_case):
    case = make_case()
    verified_client.force_login(ib)
    assert case.number in _get(verified_client, reverse("cases:list"))
    Membership.objects.filter(user=ib, role=Role.IB).delete()
    assert case.number not in _get(verified_client, reverse("cases:list"))


def test_teacher_dashboard_shows_a_new_signal_and_logs_the_list(
        verified_client, teacher, school, builds):
    verified_client.force_login(teacher)
    url = reverse("core:dashboard")
    _get(verified_client, url)
    _get(verified_client, url)
    assert builds["dashboard"] == 1
    pupil = create_pupil(school, first_name="Fenna", last_name="Vliegenthart")
    create_signal(school=school, recorded_by=teacher, pupils=pupil)
    assert "Vliegenthart" in _get(verified_client, url)
    _get(verified_client, url)
    assert builds["dashboard"] == 2
    # The signal was listed twice, once from a fresh build and once from the cache.
    assert AccessLog.objects.filter(user=teacher, action="in_lijst",
                                    object_type="signals.signal").count() == 2


def test_sot_agenda_shows_a_new_discussion_and_logs_each_view(
        verified_client, ib, sot_member, make_case, builds):
    case = make_case()
    meeting = create_sot_meeting(case.school, ib, [ib, sot_member])
    verified_client.force_login(sot_member)
    url = reverse("cases:sot_meeting_detail", args=[meeting.pk])
    assert case.number not in _get(verified_client, url)
    create_sot_discussion(case, ib, meeting=meeting)
    assert case.number in _get(verified_client, url)
    _get(verified_client, url)
    assert builds["sot-meeting"] == 2
    assert AccessLog.objects.filter(user=sot_member, case=case).count() == 2


def test_a_colleague_at_another_school_with_the_same_role_gets_their_own_page(
        verified_client, ib, other_school, make_case):
    case = make_case()
    other_ib = staff(Role.IB, other_school, username="ib-elders")
    verified_client.force_login(ib)
    assert case.number in _get(verified_client, reverse("cases:list"))
    verified_client.force_login(other_ib)
    assert case.number not in _get(verified_client, reverse("cases:list"))
    assert verified_client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_the_cache_is_not_used_while_the_transaction_wrote_content(ib, case):
    with transaction.atomic():
        create_consultation(case, ib)
        calls = []
        fragments.cached("x", lambda: calls.append("scope") or (), lambda: "built")
        assert calls == []  # no key computed, nothing stored: built fresh


def test_cache_off_renders_every_time(settings, verified_client, ib, case, builds):
    settings.MELDCODE_FRAGMENT_CACHE = False
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    _get(verified_client, url)
    _get(verified_client, url)
    assert builds["case-content"] == 2


def test_user_model_is_tracked():
    assert get_user_model() in versions.tracked_models()


# --- The whole case page per viewer ----------------------------------------------------------

def test_a_form_on_a_cached_case_page_carries_a_working_csrf_token(ib, case, builds,
                                                                  csrf_client):
    client = csrf_client(ib)
    url = reverse("cases:detail", args=[case.pk])
    _get(client, url)
    page = _get(client, url)  # from the cache
    assert builds["case-page"] == 1
    assert "meldcode-slot-" not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(reverse("cases:move_forward", args=[case.pk]), data={
        "csrfmiddlewaretoken": token, "verder-lock_version": case.lock_version,
        "verder-reason": "Besproken met de VC."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.step == 2
    assert "Besproken met de VC." not in page
    # The step moved: the next view is built again and shows the new step.
    assert "Collegiale consultatie" in _get(client, url)
    assert builds["case-page"] == 2


def test_a_sibling_case_opened_at_another_school_shows_on_the_cached_page(
        verified_client, ib, case, make_case, builds):
    from tests.factories import FamilyFactory, SchoolFactory

    family = FamilyFactory()
    case.pupil.family = family
    case.pupil.save()
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    assert "broers en zussen" not in _get(verified_client, url)
    # A sibling at a sister school of the board, where this IB'er also works.
    sister = SchoolFactory(board=case.school.board)
    Membership.objects.create(user=ib, board=sister.board, school=sister, role=Role.IB,
                              starts_on=ib.memberships.first().starts_on)
    sibling = create_pupil(sister, family=family, first_name="Broertje")
    make_case(pupil=sibling, actor=ib)
    page = _get(verified_client, url)
    assert "broers en zussen" in page and "Broertje" in page


def test_text_that_looks_like_a_placeholder_stays_text(verified_client, ib, case):
    create_consultation(case, ib, consulted="meldcode-slot-csrf- en meldcode-slot-siblings_html-")
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    _get(verified_client, url)
    assert "meldcode-slot-csrf- en meldcode-slot-siblings_html-" in _get(verified_client, url)


def test_step5_answers_rebuild_the_cached_case_page(verified_client, ib, case, builds):
    from afwegingskader.models import Assessment
    from cases.models import Step

    from .conftest import walk_to_step

    case = walk_to_step(case, Step.BESLISSEN, ib)
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[case.pk])
    _get(verified_client, url)
    _get(verified_client, url)
    assert builds["case-page"] == 1
    Assessment.objects.create(case=case, cycle=case.cycle, author=ib, updated_by=ib,
                              q1=True, q1_justification="Signalen van meerdere collega's.",
                              meldcode_version="2025")
    _get(verified_client, url)
    assert builds["case-page"] == 2


def test_a_signal_recorded_through_the_form_reaches_the_cached_ib_dashboard(
        verified_client, teacher, ib, school, builds):
    import datetime

    pupil = create_pupil(school, first_name="Ravi", last_name="Oosterbroek")
    verified_client.force_login(ib)
    url = reverse("core:dashboard")
    assert "Oosterbroek" not in _get(verified_client, url)
    _get(verified_client, url)
    assert builds["dashboard"] == 1
    verified_client.force_login(teacher)
    response = verified_client.post(reverse("signals:create"), {
        "observed_on": datetime.date.today().isoformat(),
        "facts": "Kwam zonder jas en zonder eten.", "child_words": "", "interpretation": "",
        "source": "eigen_waarneming", "source_detail": "", "category": "verwaarlozing",
        "leerlingen-TOTAL_FORMS": "1", "leerlingen-INITIAL_FORMS": "0",
        "leerlingen-MIN_NUM_FORMS": "0", "leerlingen-MAX_NUM_FORMS": "1000",
        "leerlingen-0-pupil": str(pupil.pk), "leerlingen-0-role": "betrokken"})
    assert response.status_code == 302
    verified_client.force_login(ib)
    assert "Oosterbroek" in _get(verified_client, url)


def test_the_search_form_on_a_cached_case_list_carries_a_working_csrf_token(ib, make_case,
                                                                            builds, csrf_client):
    first, second = make_case(), make_case()
    client = csrf_client(ib)
    url = reverse("cases:list")
    _get(client, url)
    page = _get(client, url)
    assert builds["case-list"] == 1 and "meldcode-slot-" not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url, {"csrfmiddlewaretoken": token, "q": second.pupil.last_name,
                                 "status": "open"})
    assert response.status_code == 302
    page = _get(client, url)
    assert f">{second.number}<" in page and f">{first.number}<" not in page


def test_a_pupil_who_moves_school_changes_both_schools_directory_tokens(school, other_school):
    pupil = create_pupil(school, first_name="Verhuisd")
    before = (_token(versions.SCHOOL_DIRECTORY, school.pk),
              _token(versions.SCHOOL_DIRECTORY, other_school.pk))
    pupil.school = other_school
    pupil.school_class = None
    pupil.save()
    after = (_token(versions.SCHOOL_DIRECTORY, school.pk),
             _token(versions.SCHOOL_DIRECTORY, other_school.pk))
    assert after[0] != before[0] and after[1] != before[1]

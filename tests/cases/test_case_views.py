"""Case pages: list, open, detail, step actions, access, timeline, history, access log."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import (AccessAction, AccessGrantAction, AccessGrantEvent, AccessLog, Case,
                          CaseSignal, Status, Step, StepTransition)
from cases.services import case_grant_access, case_open
from cases.workflow import move_case
from schools.roles import Role
from tests.factories import FamilyFactory, staff

from .conftest import create_pupil

pytestmark = pytest.mark.django_db

# Down from 12 and 20: role permissions are cached, the session is not saved per request.
LIST_BUDGET = 10
DETAIL_BUDGET = 18


def _get(client, user, name, *args, data=None):
    # The history page asks a fresh 2FA code (tests/core/test_stepup.py); here it has one.
    client.force_login(user, stepped_up=True)
    return client.get(reverse(f"cases:{name}", args=args), data or {})


def _post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(f"cases:{name}", args=args), data or {})


def _text(response) -> str:
    """The page as text, entities decoded (names such as "van 't Erve" are escaped in HTML)."""
    return html.unescape(response.content.decode())


@pytest.fixture
def other_ib(other_school):
    return staff(Role.IB, other_school, username="ib_andere_school")


# --- Who may open which page -------------------------------------------------------------

CASE_PAGES = ["detail", "timeline", "history"]


@pytest.mark.parametrize("name", CASE_PAGES + ["access_log", "access"])
@pytest.mark.parametrize("who", ["teacher", "sot_member", "beheerder", "other_ib"])
def test_case_pages_are_404_for_those_who_may_not_see_the_case(name, who, request,
                                                              verified_client, case):
    user = request.getfixturevalue(who)
    assert _get(verified_client, user, name, case.pk).status_code == 404


@pytest.mark.parametrize("name", ["move_forward", "move_back", "close", "reopen",
                                  "grant_access"])
@pytest.mark.parametrize("who", ["teacher", "beheerder", "other_ib"])
def test_case_actions_are_404_for_those_who_may_not_see_the_case(name, who, request,
                                                                verified_client, case):
    user = request.getfixturevalue(who)
    assert _post(verified_client, user, name, case.pk).status_code == 404
    assert Case.objects.get(pk=case.pk).step == Step.SIGNALEN


@pytest.mark.parametrize("name", CASE_PAGES)
@pytest.mark.parametrize("who", ["ib", "vc", "director", "invited"])
def test_case_pages_for_those_who_may_see_the_case(name, who, request, verified_client, case,
                                                   teacher, ib):
    if who == "invited":
        case_grant_access(case=case, user=teacher, level="read", actor=ib)
        user = teacher
    else:
        user = request.getfixturevalue(who)
    response = _get(verified_client, user, name, case.pk)
    assert response.status_code == 200
    assert case.number in _text(response)


@pytest.mark.parametrize("name", ["move_forward", "move_back", "close", "reopen",
                                  "grant_access", "access"])
@pytest.mark.parametrize("who", ["director", "invited"])
def test_case_actions_are_403_for_readers(name, who, request, verified_client, case,
                                          teacher, ib):
    if who == "invited":
        case_grant_access(case=case, user=teacher, level="contribute", actor=ib)
        user = teacher
    else:
        user = request.getfixturevalue(who)
    if name == "access":
        response = _get(verified_client, user, name, case.pk)
    else:
        response = _post(verified_client, user, name, case.pk)
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["director", "invited"])
def test_access_log_is_403_for_readers_without_the_right(who, request, verified_client, case,
                                                         teacher, ib):
    if who == "invited":
        case_grant_access(case=case, user=teacher, level="read", actor=ib)
        user = teacher
    else:
        user = request.getfixturevalue(who)
    assert _get(verified_client, user, "access_log", case.pk).status_code == 403


def test_pages_need_a_login(client, case):
    for name in CASE_PAGES:
        response = client.get(reverse(f"cases:{name}", args=[case.pk]))
        assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 302


def test_get_is_not_allowed_on_actions(verified_client, ib, case):
    assert _get(verified_client, ib, "move_forward", case.pk).status_code == 405


# --- Case list ---------------------------------------------------------------------------

def test_list_shows_the_schools_cases_only(verified_client, ib, case, other_ib):
    other = case_open(pupil=create_pupil(other_ib.memberships.get().school), actor=other_ib)
    response = _get(verified_client, ib, "list")
    assert response.status_code == 200
    body = _text(response)
    assert case.pupil.full_name in body and case.number in body
    assert other.pupil.full_name not in body
    assert str(case.support_route_label) in body
    assert case.owner.get_full_name() in body


@pytest.mark.parametrize("who", ["teacher", "beheerder", "sot_member"])
def test_list_is_empty_not_an_error_for_users_without_cases(who, request, verified_client,
                                                            case):
    response = _get(verified_client, request.getfixturevalue(who), "list")
    assert response.status_code == 200
    assert case.number not in _text(response)
    assert "Er zijn geen dossiers" in _text(response)


def test_list_filters(verified_client, ib, make_case, case_at_step):
    first = make_case()
    second = case_at_step(make_case(), Step.CONSULTATIE, ib)
    closed = make_case()
    from cases.workflow import close_case

    close_case(case_id=closed.pk, actor=ib, close_reason="anders", explanation="Klaar.")

    def numbers(**data):
        body = _text(_get(verified_client, ib, "list", data=data))
        return {c.number for c in (first, second, closed) if f">{c.number}<" in body}

    assert numbers() == {first.number, second.number}  # open cases by default
    assert numbers(step=2) == {second.number}
    assert numbers(status="gesloten") == {closed.number}
    assert numbers(status="alle") == {first.number, second.number, closed.number}
    assert numbers(step="niet-geldig") == {first.number, second.number}


def test_name_search_goes_by_post_and_never_into_a_url(verified_client, ib, make_case):
    first, second = make_case(), make_case()
    verified_client.force_login(ib)
    url = reverse("cases:list")
    response = verified_client.post(url, {"q": second.pupil.last_name, "status": "open"})
    assert response.status_code == 302 and response.url == url  # no name in the address
    body = _text(verified_client.get(url))
    assert f">{second.number}<" in body and f">{first.number}<" not in body
    assert f'value="{second.pupil.last_name}"' in body  # the search stays in the box
    # A query-string name is not a search: the UI never makes one, and it must not work.
    body = _text(verified_client.get(url, {"q": first.pupil.last_name}))
    assert f">{first.number}<" not in body
    # A link to a step starts a new search without the name.
    assert f">{first.number}<" in _text(verified_client.get(url, {"step": 1}))
    # Too long: a Dutch error, the input kept, nothing stored.
    too_long = verified_client.post(url, {"q": "x" * 101, "status": "open"})
    assert too_long.status_code == 200
    assert "niet meer dan 100 tekens" in _text(too_long)
    assert "x" * 101 in _text(too_long)
    # Clearing the filters.
    assert verified_client.post(url, {"wissen": "1"}).status_code == 302
    body = _text(verified_client.get(url))
    assert f">{first.number}<" in body and f">{second.number}<" in body


def test_list_paginates_by_50(verified_client, ib, school):
    for _ in range(51):
        case_open(pupil=create_pupil(school), actor=ib)
    body = _text(_get(verified_client, ib, "list"))
    assert len(re.findall(r'href="/dossiers/\d+/"', body)) == 50
    assert "Pagina 1 van 2" in body
    assert "Pagina 2 van 2" in _text(_get(verified_client, ib, "list", data={"pagina": 2}))


def test_list_queries_do_not_grow_with_cases(verified_client, ib, school,
                                             django_assert_max_num_queries):
    def count(n):
        for _ in range(n):
            case_open(pupil=create_pupil(school), actor=ib)
        verified_client.force_login(ib)
        # The first request after a login refreshes the session and may fill the role cache.
        assert verified_client.get(reverse("cases:list")).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert verified_client.get(reverse("cases:list")).status_code == 200
        return len(ctx)

    one = count(1)
    assert count(24) == one
    with django_assert_max_num_queries(LIST_BUDGET):
        verified_client.get(reverse("cases:list"))


# --- Open a case -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["teacher", "director", "sot_member", "beheerder"])
def test_open_is_403_without_the_role(who, request, verified_client, signal):
    response = _get(verified_client, request.getfixturevalue(who), "open",
                    data={"signal": signal.pk})
    assert response.status_code == 403


def test_open_from_a_signal(verified_client, ib, vc, signal, make_signal, pupil):
    second = make_signal(pupils=pupil, facts="Kwam zonder jas en ontbijt.")
    url = reverse("cases:open") + f"?signal={signal.pk}"
    verified_client.force_login(ib)
    response = verified_client.get(url)
    body = _text(response)
    assert response.status_code == 200
    assert re.search(rf'value="{signal.pk}"[^>]*checked', body)
    assert not re.search(rf'value="{second.pk}"[^>]*checked', body)
    assert "Kwam zonder jas" in body
    # The owner defaults to the opener and can be any IB'er or veiligheidscoördinator.
    assert re.search(rf'<option value="{ib.pk}" selected>', body)
    assert f'<option value="{vc.pk}"' in body
    response = verified_client.post(url, {"signals": [signal.pk, second.pk], "owner": vc.pk,
                                          "reason": "Zorgen over verzorging."})
    case = Case.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    assert case.owner == vc and case.opened_by == ib
    assert set(case.signal_links.values_list("signal_id", flat=True)) == {signal.pk, second.pk}


def test_open_without_a_signal_shows_a_dutch_error_and_keeps_input(verified_client, ib, signal):
    url = reverse("cases:open") + f"?pupil={signal.pupil_links.get().pupil_id}"
    verified_client.force_login(ib)
    response = verified_client.post(url, {"owner": ib.pk, "reason": "Mijn toelichting."})
    assert response.status_code == 200
    assert "Kies minstens één signaal." in _text(response)
    assert "Mijn toelichting." in _text(response)
    assert not Case.objects.exists()


def test_open_offers_adding_to_the_pupils_open_case(verified_client, ib, case, make_signal):
    new = make_signal(pupils=case.pupil, facts="Opnieuw een blauwe plek.")
    url = reverse("cases:open") + f"?signal={new.pk}"
    verified_client.force_login(ib)
    body = _text(verified_client.get(url))
    assert f"Toevoegen aan dossier {case.number}" in body
    # The signal already in the case is not offered again.
    old = case.signal_links.get().signal_id
    assert f'value="{old}"' not in body
    response = verified_client.post(url, {"signals": [new.pk]})
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert CaseSignal.objects.filter(case=case).count() == 2


def test_open_lists_pupils_with_pending_signals(verified_client, ib, signal, case, make_signal,
                                                school):
    other_pupil = create_pupil(school)
    make_signal(pupils=other_pupil)
    body = _text(_get(verified_client, ib, "open"))
    assert other_pupil.full_name in body
    assert case.pupil.full_name not in body  # its only signal is in its open case


def test_open_asks_which_pupil_for_a_signal_about_several(verified_client, ib, school,
                                                         make_signal):
    a, b = create_pupil(school), create_pupil(school)
    signal = make_signal(pupils=[a, b])
    body = _text(_get(verified_client, ib, "open", data={"signal": signal.pk}))
    assert f"pupil={a.pk}" in body and f"pupil={b.pk}" in body
    assert "Over welke leerling" in body


def test_open_is_404_for_other_schools_signals_and_pupils(verified_client, ib, other_school,
                                                          make_signal, pupil):
    foreign_pupil = create_pupil(other_school)
    foreign = make_signal(pupils=foreign_pupil, recorded_by=staff(Role.LEERKRACHT, other_school))
    assert _get(verified_client, ib, "open", data={"signal": foreign.pk}).status_code == 404
    assert _get(verified_client, ib, "open", data={"pupil": foreign_pupil.pk}).status_code == 404
    assert _get(verified_client, ib, "open", data={"signal": 999999}).status_code == 404


# --- Case detail -------------------------------------------------------------------------

def test_detail_shows_the_case(verified_client, ib, case):
    response = _get(verified_client, ib, "detail", case.pk)
    body = _text(response)
    assert response.status_code == 200
    assert "De Meldcode is een stappenplan; de beslissing ligt bij de professionals." in body
    assert case.pupil.full_name in body and case.pupil.school_class.name in body
    assert case.meldcode_version in body and case.owner.get_full_name() in body
    steps = re.search(r'<ol class="steps[^"]*">(.*?)</ol>', body, re.S).group(1)
    assert steps.count("<li") == 6
    assert re.search(r'<li aria-current="step">\s*<span[^>]*>Stap 1', steps)
    assert "Ondersteuningsroute 3: overleg in het schoolondersteuningsteam" in steps
    assert 'class="obs obs--fact"' in body and "Heeft een blauwe plek" in body
    assert 'class="obs obs--words"' in body and "Papa was boos." in body
    assert 'class="obs obs--interpretation"' in body and "Ik maak me zorgen." in body
    for name in ("timeline", "history", "access_log"):
        assert reverse(f"cases:{name}", args=[case.pk]) in body


def test_detail_hides_actions_and_access_log_from_readers(verified_client, director, case):
    body = _text(_get(verified_client, director, "detail", case.pk))
    assert reverse("cases:move_forward", args=[case.pk]) not in body
    assert reverse("cases:access_log", args=[case.pk]) not in body
    assert reverse("cases:access", args=[case.pk]) not in body


def test_detail_writes_the_access_log(verified_client, ib, case):
    _get(verified_client, ib, "detail", case.pk)
    row = AccessLog.objects.get(case=case, user=ib)
    assert (row.action, row.object_type, row.object_id) == (AccessAction.VIEW, "cases.case",
                                                            case.pk)


def test_detail_explains_why_the_next_step_is_blocked(verified_client, ib, case, case_at_step):
    case = case_at_step(case, Step.CONSULTATIE, ib)
    body = _text(_get(verified_client, ib, "detail", case.pk))
    assert re.search(r'<button type="button" class="button" disabled', body)
    assert "Leg eerst een collegiale consultatie" in body


def test_detail_shows_record_actions_for_the_step(verified_client, ib, director, case,
                                                  monkeypatch):
    import cases.record_urls as record_urls

    monkeypatch.setattr(record_urls, "RECORD_ACTIONS", [
        {"url_name": "cases:timeline", "label": "Nu toevoegen", "steps": {1},
         "perm": "add_record"},
        {"url_name": "cases:history", "label": "Pas in stap 2", "steps": {2},
         "perm": "add_record"},
        {"url_name": "cases:access_log", "label": "Elke stap", "steps": None,
         "perm": "add_record"},
        {"url_name": "cases:access", "label": "Alleen met recht", "steps": None,
         "perm": "view_access_log"},
    ])
    body = _text(_get(verified_client, ib, "detail", case.pk))
    assert "Nu toevoegen" in body and "Elke stap" in body and "Alleen met recht" in body
    assert "Pas in stap 2" not in body
    body = _text(_get(verified_client, director, "detail", case.pk))
    assert "Nu toevoegen" in body and "Alleen met recht" not in body


def test_detail_shows_siblings_only_when_visible(verified_client, ib, teacher, case, school,
                                                 other_school):
    family = FamilyFactory(board=school.board)
    case.pupil.family = family
    case.pupil.save()
    sibling = case_open(pupil=create_pupil(school, family=family), actor=ib)
    body = _text(_get(verified_client, ib, "detail", case.pk))
    assert sibling.pupil.full_name in body
    # An invited teacher sees this case, not the sibling's.
    case_grant_access(case=case, user=teacher, level="read", actor=ib)
    body = _text(_get(verified_client, teacher, "detail", case.pk))
    assert sibling.pupil.full_name not in body


def test_detail_queries_do_not_grow_with_records(verified_client, ib, school, make_case,
                                                 records, django_assert_max_num_queries):
    family = FamilyFactory(board=school.board)

    def build(n):
        case = make_case(pupil=create_pupil(school, family=family))
        for _ in range(n):
            records.verwijsindex(case, ib)
            records.consultation(case, ib)
            records.vt_advice(case, ib)
            records.conversation(case, ib)
            records.sot_discussion(case, ib)
        return case

    def count(case):
        verified_client.force_login(ib)
        # The first request after a login refreshes the session and may fill the role cache.
        assert verified_client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert verified_client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
        return len(ctx)

    one, many = build(1), build(25)
    assert count(one) == count(many)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        verified_client.get(reverse("cases:detail", args=[many.pk]))


@pytest.mark.parametrize("step", [Step.SIGNALEN, Step.CONSULTATIE, Step.GESPREK, Step.WEGEN,
                                  Step.BESLISSEN])
def test_detail_query_budget_at_every_step(step, verified_client, ib, case, case_at_step,
                                           django_assert_max_num_queries):
    case_at_step(case, step, ib)
    verified_client.force_login(ib)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        verified_client.get(reverse("cases:detail", args=[case.pk]))


def test_detail_lists_records_of_each_type(verified_client, ib, case, records, school):
    school.verwijsindex_enabled = True
    school.save()
    records.verwijsindex(case, ib, parents_informed=True)
    records.consultation(case, ib, consulted="Jeugdverpleegkundige", advice="Blijf volgen.")
    records.vt_advice(case, ib, adviser="Adviseur VT", advice="Bespreek het met ouders.")
    records.conversation(case, ib, held=False, not_held_reason="veiligheid_kind",
                         not_held_explanation="Vader dreigde.", discussed="", agreements="")
    records.conversation(case, ib, kind="contact_ouders", discussed="Moeder gebeld.")
    records.sot_discussion(case, ib, nature_severity="Ernstig en herhaald.")
    body = _text(_get(verified_client, ib, "detail", case.pk))
    section = body[body.index('id="records-title"'):]
    for text in ("Verwijsindex", "ouders geïnformeerd: ja", "Jeugdverpleegkundige",
                 "Blijf volgen.", "Adviseur VT", "Bespreek het met ouders.", "niet gevoerd",
                 "de veiligheid van het kind of een gezinslid komt in gevaar", "Vader dreigde.",
                 "Bespreken met ouders", "Moeder gebeld.", "Ernstig en herhaald."):
        assert text in section, text
    assert ib.get_full_name() in section


def test_detail_hides_an_empty_verwijsindex_where_the_school_does_not_use_it(
        verified_client, ib, case):
    body = _text(_get(verified_client, ib, "detail", case.pk))
    assert "<h3>Verwijsindex" not in body


# --- Step actions ------------------------------------------------------------------------

def test_move_forward(verified_client, ib, case):
    response = _post(verified_client, ib, "move_forward", case.pk,
                     data={"verder-lock_version": case.lock_version,
                           "verder-reason": "Besproken met de VC."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.step == Step.CONSULTATIE
    t = StepTransition.objects.filter(case=case).last()
    assert (t.actor, t.reason) == (ib, "Besproken met de VC.")


def test_move_forward_refused_shows_dutch_reasons_and_keeps_input(verified_client, ib,
                                                                  case, case_at_step):
    case = case_at_step(case, Step.CONSULTATIE, ib)
    response = _post(verified_client, ib, "move_forward", case.pk,
                     data={"verder-lock_version": case.lock_version,
                           "verder-reason": "Mijn eigen toelichting."})
    body = _text(response)
    assert response.status_code == 200
    assert "Leg eerst een collegiale consultatie" in body
    assert Case.objects.get(pk=case.pk).step == Step.CONSULTATIE


def test_move_back_needs_a_reason(verified_client, ib, case, case_at_step):
    case = case_at_step(case, Step.GESPREK, ib)
    response = _post(verified_client, ib, "move_back", case.pk,
                     data={"terug-lock_version": case.lock_version, "terug-target": 1,
                           "terug-reason": ""})
    assert response.status_code == 200
    assert "Geef een reden om terug te gaan" in _text(response)
    assert Case.objects.get(pk=case.pk).step == Step.GESPREK
    response = _post(verified_client, ib, "move_back", case.pk,
                     data={"terug-lock_version": case.lock_version, "terug-target": 1,
                           "terug-reason": "Nieuwe signalen."})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).step == Step.SIGNALEN


def test_close_and_reopen(verified_client, ib, case):
    response = _post(verified_client, ib, "close", case.pk,
                     data={"afsluiten-lock_version": case.lock_version,
                           "afsluiten-close_reason": "geen_zorg",
                           "afsluiten-explanation": ""})
    assert response.status_code == 200
    assert "Licht toe waarom het dossier wordt afgesloten." in _text(response)
    assert re.search(r'<option value="geen_zorg" selected>', _text(response))
    response = _post(verified_client, ib, "close", case.pk,
                     data={"afsluiten-lock_version": case.lock_version,
                           "afsluiten-close_reason": "geen_zorg",
                           "afsluiten-explanation": "Zorgen weggenomen."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    body = _text(_get(verified_client, ib, "detail", case.pk))
    assert reverse("cases:reopen", args=[case.pk]) in body
    assert reverse("cases:move_forward", args=[case.pk]) not in body
    response = _post(verified_client, ib, "reopen", case.pk,
                     data={"heropenen-lock_version": case.lock_version,
                           "heropenen-reason": "Nieuwe signalen."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.cycle) == (Status.OPEN, 2)


def test_concurrent_move_shows_a_conflict_and_keeps_the_input(verified_client, ib, vc, case,
                                                              case_at_step):
    case = case_at_step(case, Step.GESPREK, ib)
    seen = case.lock_version
    # Meanwhile the veiligheidscoördinator moves the case back.
    move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=vc, reason="Nog een consultatie.")
    transitions = StepTransition.objects.filter(case=case).count()
    response = _post(verified_client, ib, "close", case.pk,
                     data={"afsluiten-lock_version": seen, "afsluiten-close_reason": "anders",
                           "afsluiten-explanation": "Mijn uitgebreide toelichting."})
    body = _text(response)
    assert response.status_code == 409
    assert "Iemand anders heeft dit dossier intussen gewijzigd" in body
    assert "Mijn uitgebreide toelichting." in body
    current = Case.objects.get(pk=case.pk)
    assert (current.status, current.step) == (Status.OPEN, Step.CONSULTATIE)
    assert StepTransition.objects.filter(case=case).count() == transitions
    # The re-rendered form is based on the current version: sending it again works.
    assert f'name="afsluiten-lock_version" value="{current.lock_version}"' in body
    response = _post(verified_client, ib, "close", case.pk,
                     data={"afsluiten-lock_version": current.lock_version,
                           "afsluiten-close_reason": "anders",
                           "afsluiten-explanation": "Mijn uitgebreide toelichting."})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_stale_forward_is_a_conflict(verified_client, ib, vc, case):
    seen = case.lock_version
    move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=vc)
    response = _post(verified_client, ib, "move_forward", case.pk,
                     data={"verder-lock_version": seen, "verder-reason": "Dubbel?"})
    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).step == Step.CONSULTATIE


# --- Access: invite and revoke -----------------------------------------------------------

def test_invite_and_revoke(verified_client, ib, teacher, case):
    response = _get(verified_client, ib, "access", case.pk)
    assert response.status_code == 200
    assert f'<option value="{teacher.pk}"' in _text(response)
    response = _post(verified_client, ib, "grant_access", case.pk,
                     data={"toegang-user": teacher.pk, "toegang-level": "contribute"})
    assert response.status_code == 302
    assert _get(verified_client, teacher, "detail", case.pk).status_code == 200
    body = _text(_get(verified_client, ib, "access", case.pk))
    assert teacher.get_full_name() in body and "lezen en verslagen toevoegen" in body
    response = _post(verified_client, ib, "revoke_access", case.pk, teacher.pk)
    assert response.status_code == 302
    assert _get(verified_client, teacher, "detail", case.pk).status_code == 404
    # The trail of who invited and who withdrew stays, in order, with the actor.
    events = list(AccessGrantEvent.objects.filter(case=case).order_by("pk")
                  .values_list("user_id", "actor_id", "action"))
    assert events == [(teacher.pk, ib.pk, AccessGrantAction.CONTRIBUTE),
                      (teacher.pk, ib.pk, AccessGrantAction.REVOKED)]
    body = _text(_get(verified_client, ib, "access", case.pk))
    assert "Wijzigingen in de toegang" in body and "toegang ingetrokken" in body


def test_invite_only_staff_of_the_school(verified_client, ib, other_ib, case):
    response = _post(verified_client, ib, "grant_access", case.pk,
                     data={"toegang-user": other_ib.pk, "toegang-level": "read"})
    assert response.status_code == 200
    assert "field__errors" in _text(response)
    assert _get(verified_client, other_ib, "detail", case.pk).status_code == 404


def test_revoke_unknown_invitation_is_404(verified_client, ib, teacher, case):
    assert _post(verified_client, ib, "revoke_access", case.pk, teacher.pk).status_code == 404


# --- Timeline, history, access log -------------------------------------------------------

@pytest.mark.parametrize("name, action", [("timeline", AccessAction.VIEW),
                                          ("history", AccessAction.HISTORY)])
def test_timeline_and_history_are_access_logged(name, action, verified_client, ib, case):
    _get(verified_client, ib, name, case.pk)
    assert AccessLog.objects.filter(case=case, user=ib, action=action).count() == 1


def test_timeline_page(verified_client, ib, case, records):
    records.consultation(case, ib, advice="Bel Veilig Thuis voor advies.")
    body = _text(_get(verified_client, ib, "timeline", case.pk))
    assert 'class="obs obs--fact"' in body and "Bel Veilig Thuis voor advies." in body
    assert body.index("Signaal:") < body.index("Collegiale consultatie")


def test_history_page_shows_field_changes(verified_client, ib, case):
    move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib)
    body = _text(_get(verified_client, ib, "history", case.pk))
    assert "Stap 1: signalen in kaart brengen" in body
    assert "Stap 2: collegiale consultatie" in body
    assert "stap 1 -> 2" in body  # the change reason


@pytest.mark.parametrize("who", ["ib", "vc"])
def test_access_log_page(who, request, verified_client, case, director):
    _get(verified_client, director, "detail", case.pk)
    user = request.getfixturevalue(who)
    response = _get(verified_client, user, "access_log", case.pk)
    assert response.status_code == 200
    assert director.get_full_name() in _text(response)


def test_access_log_page_query_budget(verified_client, ib, case,
                                      django_assert_max_num_queries):
    def count():
        verified_client.force_login(ib)
        with CaptureQueriesContext(connection) as ctx:
            body = _text(verified_client.get(reverse("cases:access_log", args=[case.pk])))
        return len(ctx), body

    _get(verified_client, ib, "detail", case.pk)
    one, _body = count()
    for _ in range(60):
        _get(verified_client, ib, "detail", case.pk)
    many, body = count()
    assert one == many
    assert "Ouder" in body and body.count("<tr>") == 50 + 1  # a page, plus the header row
    with django_assert_max_num_queries(LIST_BUDGET):
        verified_client.get(reverse("cases:access_log", args=[case.pk]))
    page2 = _text(_get(verified_client, ib, "access_log", case.pk, data={"pagina": 2}))
    assert "Nieuwer" in page2

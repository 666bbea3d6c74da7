"""Retention of loose signals (R36): signals that never became part of a case.

When one is due, the two-person destruction, the purge (every row, history row, file, link
and access-log mention goes; a tombstone without content stays), the pages and the reminder.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, CaseSignal
from cases.services import case_open, log_access, log_listed_rows
from notifications.models import Kind, Notification
from reminders.models import Reminder
from reminders.services import run_scan
from reminders.sources import get
from retention import purge, selectors, services
from retention.models import (DestructionProposal, ProposalState, RecordType, RetentionTerm,
                              Rule, Tombstone)
from retention.reminders import SIGNAL_SOURCE
from schools.models import Pupil
from schools.roles import Role
from signals.models import Signal, SignalAttachment, SignalPupil, SignalVersion
from tests.factories import PupilFactory, SchoolFactory, staff

from .conftest import make_signal, years_ago
from .test_purge import rows_mentioning

pytestmark = pytest.mark.django_db

APPROVE, CONFIRM = services.STAGE_APPROVE, services.STAGE_CONFIRM
SECRET = "Kraaiennest-waarneming-7731"
FILE_NAME = "kraaiennest-foto.pdf"


def pupil(school, left_years=None, days=0) -> Pupil:
    left_on = years_ago(left_years, days) if left_years is not None else None
    return PupilFactory(school=school, left_on=left_on)


def due_ids(**kwargs) -> set[int]:
    return set(selectors.due_loose_signals(**kwargs).values_list("pk", flat=True))


def approve(signal, user):
    return services.signal_destruction_approve(signal_id=signal.pk, actor=user, stage=APPROVE)


def confirm(signal, user, proposal):
    return services.signal_destruction_approve(signal_id=signal.pk, actor=user, stage=CONFIRM,
                                               proposal_id=proposal.pk)


@pytest.fixture
def loose_due(school, vc):
    """A loose signal about two pupils who both left, the last three years ago."""
    return make_signal(school, vc, [pupil(school, 5), pupil(school, 3)], facts=SECRET)


# --- when is a loose signal due ---------------------------------------------------------------


def test_pupils_still_at_school_keep_the_signal(school, vc):
    signal = make_signal(school, vc, [pupil(school), pupil(school)])
    assert signal.pk not in due_ids()
    assert selectors.signal_due_reason(signal) is None


def test_one_pupil_left_and_one_still_at_school_is_not_due(school, vc):
    signal = make_signal(school, vc, [pupil(school, 10), pupil(school)])
    assert signal.pk not in due_ids()


def test_all_left_but_the_term_has_not_passed_since_the_last_one(school, vc):
    signal = make_signal(school, vc, [pupil(school, 10), pupil(school, 1)])
    assert signal.pk not in due_ids()
    # One day short of two years after the last one left: not yet.
    almost = make_signal(school, vc, [pupil(school, 2, days=-1)])
    assert almost.pk not in due_ids()


def test_all_left_and_the_term_passed_since_the_last_one(loose_due, school):
    assert loose_due.pk in due_ids()
    assert loose_due.pk in due_ids(school_ids=[school.pk])
    assert loose_due.pk not in due_ids(school_ids=[SchoolFactory().pk])
    last = selectors.due_loose_signals().get(pk=loose_due.pk).last_left
    assert last == years_ago(3)
    due = selectors.signal_due_reason(loose_due)
    assert due.rule == Rule.TERM and due.due_on == selectors.years_after(years_ago(3), 2)
    # Exactly two years ago counts.
    exact = make_signal(school, loose_due.recorded_by, [pupil(school, 2)])
    assert exact.pk in due_ids()


def test_a_signal_in_a_case_is_never_a_loose_signal(school, vc):
    kid = pupil(school, 5)
    signal = make_signal(school, vc, [kid])
    case_open(pupil=kid, actor=vc, signals=[signal])
    assert signal.pk not in due_ids()
    assert signal.pk not in set(selectors.loose_signals().values_list("pk", flat=True))
    with pytest.raises(purge.PurgeRefused):
        purge.plan_signal_purge(signal)


def test_a_signal_once_in_a_case_is_never_a_loose_signal(school, vc):
    """The link was removed later: the history still ties it to the case."""
    kid = pupil(school, 5)
    signal = make_signal(school, vc, [kid])
    case_open(pupil=kid, actor=vc, signals=[signal])
    CaseSignal.objects.filter(signal=signal).delete()
    assert CaseSignal.history.filter(signal_id=signal.pk).exists()
    assert signal.pk not in due_ids()
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        approve(signal, vc)
    with pytest.raises(purge.PurgeRefused):
        purge.plan_signal_purge(signal)


def test_a_staff_route_signal_belongs_to_the_board_route(school, vc):
    signal = make_signal(school, vc, [pupil(school, 5)])
    Signal.objects.filter(pk=signal.pk).update(staff_suspect=True)
    assert signal.pk not in due_ids()


def test_a_signal_without_pupils_is_never_due(school, vc):
    signal = make_signal(school, vc, [])
    assert signal.pk not in due_ids()


def test_the_board_may_override_the_term(school, vc):
    other = SchoolFactory()
    other_vc = staff(Role.VC, other, username="vc_other")
    three = make_signal(school, vc, [pupil(school, 3)])
    one_and_a_half = make_signal(other, other_vc, [pupil(other, 1, days=180)])
    assert three.pk in due_ids() and one_and_a_half.pk not in due_ids()
    RetentionTerm.objects.create(board=school.board, record_type=RecordType.LOOSE_SIGNAL,
                                 years=5, updated_by=vc)
    RetentionTerm.objects.create(board=other.board, record_type=RecordType.LOOSE_SIGNAL,
                                 years=1, updated_by=vc)
    # The case term of a board does not move the loose-signal term.
    RetentionTerm.objects.create(board=other.board, record_type=RecordType.CASE, years=10,
                                 updated_by=vc)
    assert three.pk not in due_ids() and one_and_a_half.pk in due_ids()
    assert "1 jaar" in selectors.signal_due_reason(one_and_a_half).rule_text


# --- the two-person approval ------------------------------------------------------------------


def test_vc_approves_directeur_confirms_and_the_signal_is_destroyed(loose_due, vc, director,
                                                                     school):
    pupils = list(loose_due.pupil_links.values_list("pupil_id", flat=True))
    first = approve(loose_due, vc)
    assert first.state == ProposalState.APPROVED and first.record_type == RecordType.LOOSE_SIGNAL
    assert first.signal_id == loose_due.pk and first.case_id is None
    assert Signal.objects.filter(pk=loose_due.pk).exists()  # one approval destroys nothing
    done = confirm(loose_due, director, first)
    assert done.state == ProposalState.DONE and done.signal_id is None
    assert not Signal.objects.filter(pk=loose_due.pk).exists()
    tomb = done.tombstone
    assert tomb.record_type == RecordType.LOOSE_SIGNAL and tomb.school_id == school.pk
    assert (tomb.approved_by, tomb.approved_role) == (vc, Role.VC)
    assert (tomb.confirmed_by, tomb.confirmed_role) == (director, Role.DIRECTEUR)
    assert tomb.pupil_refs == sorted(services.pupil_reference(p) for p in pupils)
    assert tomb.pupil_ref == tomb.pupil_refs[0]
    assert tomb.removed["signals.signal"] == 1 and tomb.removed["signals.signalpupil"] == 2
    # The pupils stay (the school's pupil administration).
    assert Pupil.objects.filter(pk__in=pupils).count() == 2
    connection.check_constraints()


def test_the_same_person_cannot_approve_twice(loose_due, vc):
    first = approve(loose_due, vc)
    with pytest.raises(services.RetentionError, match="zelf goedgekeurd"):
        confirm(loose_due, vc, first)
    with pytest.raises(services.RetentionError, match="al goedgekeurd"):
        approve(loose_due, vc)
    assert Signal.objects.filter(pk=loose_due.pk).exists()


def test_two_vcs_are_not_two_roles(loose_due, vc, school):
    first = approve(loose_due, vc)
    with pytest.raises(services.RetentionError, match="directeur"):
        confirm(loose_due, staff(Role.VC, school, username="vc2"), first)
    assert Signal.objects.filter(pk=loose_due.pk).exists()


@pytest.mark.parametrize("role", [Role.IB, Role.LEERKRACHT, Role.SOT])
def test_other_roles_cannot_approve_or_confirm(loose_due, vc, school, role):
    user = staff(role, school, username=f"x_{role}")
    with pytest.raises(services.RetentionError, match="veiligheidscoördinator"):
        approve(loose_due, user)
    first = approve(loose_due, vc)
    with pytest.raises(services.RetentionError):
        confirm(loose_due, user, first)
    assert Signal.objects.filter(pk=loose_due.pk).exists()


def test_a_lead_of_another_school_cannot_approve(loose_due):
    outsider = staff(Role.DIRECTEUR, SchoolFactory(), username="dir_elsewhere")
    with pytest.raises(services.RetentionError):
        approve(loose_due, outsider)
    assert not DestructionProposal.objects.exists()


def test_a_signal_added_to_a_case_after_approval_is_not_destroyed(loose_due, vc, director):
    first = approve(loose_due, vc)
    kid = loose_due.pupil_links.first().pupil
    case_open(pupil=kid, actor=vc, signals=[loose_due])
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        confirm(loose_due, director, first)
    first.refresh_from_db()
    assert first.state == ProposalState.INVALID
    assert Signal.objects.filter(pk=loose_due.pk).exists()


def test_a_pupil_returning_before_confirmation_stops_it(loose_due, vc, director):
    first = approve(loose_due, vc)
    Pupil.objects.filter(pk=loose_due.pupil_links.first().pupil_id).update(left_on=None)
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        confirm(loose_due, director, first)
    assert Signal.objects.filter(pk=loose_due.pk).exists()
    first.refresh_from_db()
    assert first.state == ProposalState.INVALID  # committed, not rolled back with the refusal


# --- the purge --------------------------------------------------------------------------------


def _rows_pointing_at_signal(signal_id: int) -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is Signal:
                n = model.objects.filter(**{f.attname: signal_id}).count()
                if n:
                    found.append(f"{model._meta.label_lower}.{f.name}: {n}")
        if getattr(model, "instance_type", None) is Signal:
            if model.objects.filter(id=signal_id).exists():
                found.append(model._meta.label_lower)
        names = {f.name for f in model._meta.concrete_fields}
        if {"object_type", "object_id"} <= names:
            n = model.objects.filter(object_type="signals.signal", object_id=signal_id).count()
            if n:
                found.append(f"{model._meta.label_lower} object: {n}")
        if "listed_ids" in names:
            n = model.objects.filter(object_type="signals.signal",
                                     listed_ids__has_id=signal_id).count()
            if n:
                found.append(f"{model._meta.label_lower} listed: {n}")
        if "url" in names:
            n = model.objects.filter(Q(url__contains=f"/signalen/{signal_id}/")
                                     | Q(url__contains=f"/signaal/{signal_id}/")).count()
            if n:
                found.append(f"{model._meta.label_lower}.url: {n}")
    return found


def test_the_purge_leaves_nothing_of_the_signal_but_a_tombstone(
        loose_due, school, vc, director, ib, django_capture_on_commit_callbacks):
    signal = loose_due
    # A correction (a second version and its history), an attachment with a stored file.
    SignalVersion.objects.create(signal=signal, number=2, facts=f"{SECRET} aangevuld",
                                 reason=f"aanvulling {SECRET}", author=vc)
    attachment = SignalAttachment(signal=signal, original_name=FILE_NAME,
                                  content_type="application/pdf", size=4, uploaded_by=vc)
    attachment.file.save("x", ContentFile(b"%PDF"), save=False)
    attachment.save()
    stored = attachment.file.name
    assert default_storage.exists(stored)
    # Another loose signal of the school that is not due: it stays whole.
    other = make_signal(school, vc, [pupil(school)], facts="blijft staan")
    # Reads and overviews, notifications, reminders.
    log_access(user=ib, obj=signal)
    log_access(user=ib, obj=attachment)
    log_listed_rows(user=ib, rows=[("signals.signal", signal.pk, school.pk),
                                   ("signals.signal", other.pk, school.pk)])
    log_listed_rows(user=vc, rows=[("signals.signal", signal.pk, school.pk)])
    Notification.objects.create(user=ib, kind=Kind.NEW_SIGNAL, url=f"/signalen/{signal.pk}/",
                                school=school, object_type="signals.signal",
                                object_id=signal.pk)
    Notification.objects.create(user=ib, kind=Kind.NEW_SIGNAL, url=f"/signalen/{signal.pk}/",
                                school=school)
    run_scan(sources=[get(SIGNAL_SOURCE)])
    assert Reminder.objects.filter(source=SIGNAL_SOURCE, object_id=signal.pk).count() == 2
    assert rows_mentioning(SECRET) and rows_mentioning(FILE_NAME)  # the scans can fail
    assert _rows_pointing_at_signal(signal.pk)

    first = approve(signal, vc)
    with django_capture_on_commit_callbacks(execute=True):
        done = confirm(signal, director, first)

    assert done.state == ProposalState.DONE
    assert rows_mentioning(SECRET) == []
    assert rows_mentioning(FILE_NAME) == []
    assert _rows_pointing_at_signal(signal.pk) == []
    assert not default_storage.exists(stored)
    for model in (SignalVersion, SignalPupil, SignalAttachment):
        assert not model.history.filter(signal_id=signal.pk).exists()
    assert not Signal.history.filter(id=signal.pk).exists()
    # What stays: the other signal, whole; the overview keeps it; the access rows of others.
    assert SignalVersion.objects.filter(signal=other, facts="blijft staan").exists()
    listed = {(r.user_id, r.object_type): r.listed_ids
              for r in AccessLog.objects.filter(action="in_lijst")}
    assert listed == {(ib.pk, "signals.signal"): [other.pk]}
    # The tombstone: counts, who, when, why; no content, no names, no signal id.
    tomb = Tombstone.objects.get()
    assert tomb.files_removed == 1 and tomb.history_rows >= 6
    assert tomb.access_log_removed >= 2 + 2
    assert tomb.removed["signals.signalversion"] == 2
    assert tomb.removed["signals.signalattachment"] == 1
    assert tomb.removed["notifications.notification"] >= 2
    assert tomb.removed["reminders.reminder"] == 2
    text = str([getattr(tomb, f.attname) for f in Tombstone._meta.concrete_fields])
    assert SECRET not in text and FILE_NAME not in text
    assert f"/signalen/{signal.pk}/" not in text
    assert DestructionProposal.objects.get().signal_id is None
    connection.check_constraints()


def test_the_purge_refuses_a_signal_held_by_a_case(loose_due, vc):
    """Defence in depth: even called directly, the planner never takes a case's signal."""
    kid = loose_due.pupil_links.first().pupil
    case_open(pupil=kid, actor=vc, signals=[loose_due])
    with pytest.raises(purge.PurgeRefused, match="casesignal"):
        purge.plan_signal_purge(loose_due)


def test_destroying_a_case_releases_a_lapsed_signal_proposal(school, vc, director):
    """A signal that once waited as a loose signal and then went into a case: the case's
    destruction takes it, and the old proposal keeps no signal id."""
    from .conftest import close

    kid = pupil(school, 5)
    signal = make_signal(school, vc, [kid])
    first = approve(signal, vc)
    case = close(case_open(pupil=kid, actor=vc, signals=[signal]))
    proposal = services.destruction_approve(case_id=case.pk, actor=vc, stage=APPROVE)
    services.destruction_approve(case_id=case.pk, actor=director, stage=CONFIRM,
                                 proposal_id=proposal.pk)
    first.refresh_from_db()
    assert first.signal_id is None and first.state == ProposalState.INVALID
    assert not Signal.objects.filter(pk=signal.pk).exists()
    connection.check_constraints()


# --- the pages --------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def test_the_list_shows_due_loose_signals_of_the_own_school_only(verified_client, school, vc,
                                                                  loose_due):
    other = SchoolFactory()
    other_vc = staff(Role.VC, other, username="vc_o")
    theirs = make_signal(other, other_vc, [PupilFactory(school=other, left_on=years_ago(4),
                                                        last_name="Buitenschoolsma")])
    page = login(verified_client, vc).get(reverse("retention:proposals")).content.decode()
    assert reverse("retention:signal_proposal", args=[loose_due.pk]) in page
    assert loose_due.pupil_links.first().pupil.last_name in page
    assert reverse("retention:signal_proposal", args=[theirs.pk]) not in page
    assert "Buitenschoolsma" not in page


def test_the_list_runs_a_fixed_number_of_queries(verified_client, school, vc):
    login(verified_client, vc)
    make_signal(school, vc, [pupil(school, 3)])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert verified_client.get(reverse("retention:proposals")).status_code == 200
        return len(ctx)

    count()
    one = count()
    for _ in range(4):
        make_signal(school, vc, [pupil(school, 3), pupil(school, 4)])
    assert count() == one


def test_the_approval_page_two_people_through_the_client(verified_client, school, vc, director,
                                                         loose_due):
    client = verified_client
    url = reverse("retention:signal_proposal", args=[loose_due.pk])
    login(client, vc)
    page = client.get(url)
    assert page.status_code == 200 and SECRET not in page.content.decode()
    assert AccessLog.objects.filter(user=vc, object_type="signals.signal",
                                    object_id=loose_due.pk).exists()
    refused = client.post(url, {"stage": "goedkeuren"})  # not ticked: nothing happens
    assert refused.status_code == 200 and "Vink aan" in refused.content.decode()
    assert not DestructionProposal.objects.exists()
    assert client.post(url, {"stage": "goedkeuren", "understood": "on"}).status_code == 302
    proposal = DestructionProposal.objects.get(signal=loose_due)
    # The approver cannot confirm their own approval.
    client.post(url, {"stage": "bevestigen", "proposal": proposal.pk, "understood": "on"})
    assert Signal.objects.filter(pk=loose_due.pk).exists()
    login(client, director)
    response = client.post(url, {"stage": "bevestigen", "proposal": proposal.pk,
                                 "understood": "on"})
    assert response.status_code == 302 and response.url == reverse("retention:proposals")
    assert not Signal.objects.filter(pk=loose_due.pk).exists()
    assert client.get(url).status_code == 404


def test_access_to_the_approval_page(verified_client, school, loose_due, teacher, ib, beheerder):
    client = verified_client
    url = reverse("retention:signal_proposal", args=[loose_due.pk])
    for user in (teacher, ib, beheerder):  # no lead role anywhere
        assert login(client, user).get(url).status_code == 403
        assert client.post(url, {"stage": "goedkeuren", "understood": "on"}).status_code == 403
    elsewhere = staff(Role.DIRECTEUR, SchoolFactory(), username="dir_elders")
    assert login(client, elsewhere).get(url).status_code == 404
    assert client.post(url, {"stage": "goedkeuren", "understood": "on"}).status_code == 404
    same_board = staff(Role.VC, SchoolFactory(board=school.board), username="vc_zelfde_bestuur")
    assert login(client, same_board).get(url).status_code == 404
    assert not DestructionProposal.objects.exists()
    client.logout()
    assert client.get(url).status_code == 302


def test_the_approval_page_is_404_for_a_signal_in_a_case(verified_client, school, vc):
    client = verified_client
    kid = pupil(school, 5)
    signal = make_signal(school, vc, [kid])
    case_open(pupil=kid, actor=vc, signals=[signal])
    assert login(client, vc).get(
        reverse("retention:signal_proposal", args=[signal.pk])).status_code == 404


def test_the_approval_page_of_a_loose_signal_not_yet_due(verified_client, school, vc):
    client = verified_client
    signal = make_signal(school, vc, [pupil(school)])
    url = reverse("retention:signal_proposal", args=[signal.pk])
    page = login(client, vc).get(url).content.decode()
    assert "komt nu niet voor vernietiging in aanmerking" in page
    client.post(url, {"stage": "goedkeuren", "understood": "on"})
    assert not DestructionProposal.objects.exists()


def test_the_term_screen_sets_the_loose_signal_term(verified_client, school, beheerder):
    client = verified_client
    url = reverse("retention:terms_edit", args=[school.board_id])
    page = login(client, beheerder).get(url).content.decode()
    assert "Los signaal (nooit in een dossier)" in page
    assert client.post(url, {"dossier": "2", "los_signaal": "4"}).status_code == 302
    term = RetentionTerm.objects.get(board=school.board)
    assert (term.record_type, term.years) == (RecordType.LOOSE_SIGNAL, 4)


# --- the reminder -----------------------------------------------------------------------------


def test_a_due_loose_signal_reminds_the_vc_and_the_directeur(school, vc, director, ib):
    signal = make_signal(school, vc, [pupil(school, 3)])
    make_signal(school, vc, [pupil(school, 1)])  # not due yet
    make_signal(school, vc, [pupil(school, 3), pupil(school)])  # one still at school
    result = run_scan(sources=[get(SIGNAL_SOURCE)])
    assert result.sent == 2
    rows = Reminder.objects.filter(source=SIGNAL_SOURCE)
    assert {r.recipient_id for r in rows} == {vc.pk, director.pk}
    assert {r.object_id for r in rows} == {signal.pk}
    note = Notification.objects.get(user=director)
    assert note.kind == Kind.RETENTION
    assert note.url == f"/bewaartermijnen/signaal/{signal.pk}/"
    assert run_scan(sources=[get(SIGNAL_SOURCE)]).sent == 0  # once


def test_the_signal_source_runs_a_fixed_number_of_queries(school, vc):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            list(get(SIGNAL_SOURCE).due(timezone.now()))
        return len(ctx)

    make_signal(school, vc, [pupil(school, 3)])
    one = count()
    for _ in range(5):
        make_signal(school, vc, [pupil(school, 3), pupil(school, 4)])
    assert count() == one <= 3


def test_the_reminder_moment_is_the_end_of_the_term(school, vc):
    make_signal(school, vc, [pupil(school, 5), pupil(school, 3)])
    (due,) = list(get(SIGNAL_SOURCE).due(timezone.now()))
    expected = selectors.years_after(years_ago(3), 2)
    assert timezone.localdate(due[2]) == expected
    assert isinstance(expected, datetime.date)

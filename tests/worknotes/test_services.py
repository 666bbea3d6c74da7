"""Writes of private working notes (worknotes.services): create, edit with lock_version,
delete, share into the file, expiry; and what is (not) recorded about them."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from cases.models import AccessAction, AccessLog, CaseNote, CloseReason
from cases.services import EditConflict, ServiceError
from cases.workflow import close_case
from worknotes import services
from worknotes.models import WorkNote
from worknotes.selectors import CLOSED_GRACE, NOTE_LIFETIME, expires_at, work_notes_of
from worknotes.tasks import expire_work_notes

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def _log_actions(case):
    return list(AccessLog.objects.filter(case=case, object_type="worknotes.worknote")
                .values_list("action", flat=True))


def test_create_logs_the_event_without_the_text(note, wn_case, ib):
    assert note.owner == ib and note.text == SECRET and note.lock_version == 1
    row = AccessLog.objects.get(case=wn_case, action=AccessAction.NOTE_CREATED)
    assert (row.user_id, row.object_type, row.object_id) == (ib.pk, "worknotes.worknote", note.pk)
    # AccessLog holds ids and a kind only: no field of any log row carries the text.
    for values in AccessLog.objects.values():
        assert SECRET not in str(values)


def test_no_history_table_for_a_private_note():
    # A history of a private note would be a hidden copy, kept beyond its deletion.
    assert not hasattr(WorkNote, "history")
    assert not any(m._meta.label_lower == "worknotes.historicalworknote"
                   for m in apps.get_models())


def test_create_refused_when_the_school_has_notes_off(wn_case, ib):
    wn_case.school.work_notes_enabled = False
    wn_case.school.save()
    with pytest.raises(ServiceError):
        services.work_note_create(case=wn_case, owner=ib, text="iets")
    assert not WorkNote.objects.exists()


def test_empty_text_is_refused(wn_case, ib):
    with pytest.raises(ServiceError):
        services.work_note_create(case=wn_case, owner=ib, text="   ")


def test_update_bumps_the_version(note, ib):
    updated = services.work_note_update(note=note, owner=ib, text="nieuw", base_version=1)
    assert updated.lock_version == 2
    note.refresh_from_db()
    assert note.text == "nieuw"


def test_stale_version_is_a_conflict_and_writes_nothing(note, ib):
    services.work_note_update(note=note, owner=ib, text="tab 1", base_version=1)
    with pytest.raises(EditConflict) as exc:
        services.work_note_update(note=note, owner=ib, text="tab 2", base_version=1)
    assert exc.value.current.text == "tab 1"
    note.refresh_from_db()
    assert (note.text, note.lock_version) == ("tab 1", 2)


def test_only_the_owner_can_write(note, second_ib):
    with pytest.raises(PermissionError):
        services.work_note_update(note=note, owner=second_ib, text="x", base_version=1)
    with pytest.raises(PermissionError):
        services.work_note_delete(note=note, owner=second_ib)
    assert WorkNote.objects.filter(pk=note.pk).exists()


def test_delete_removes_the_note_and_logs_it(note, wn_case, ib):
    services.work_note_delete(note=note, owner=ib)
    assert not WorkNote.objects.exists()
    assert _log_actions(wn_case) == [AccessAction.NOTE_DELETED, AccessAction.NOTE_CREATED]


def test_share_turns_the_note_into_a_record_with_history(note, wn_case, ib):
    record = services.work_note_share(note=note, owner=ib, base_version=1)
    assert not WorkNote.objects.exists()
    assert isinstance(record, CaseNote)
    assert (record.case, record.author, record.text, record.step) == (
        wn_case, ib, SECRET, wn_case.step)
    assert record.occurred_on == timezone.localdate()
    first = record.history.get()
    assert first.history_user == ib
    assert first.history_change_reason == "gedeeld vanuit een werkaantekening"
    assert AccessAction.NOTE_SHARED in _log_actions(wn_case)


def test_share_of_a_changed_note_is_a_conflict(note, ib):
    services.work_note_update(note=note, owner=ib, text="anders", base_version=1)
    with pytest.raises(EditConflict):
        services.work_note_share(note=note, owner=ib, base_version=1)
    assert not CaseNote.objects.exists()
    assert WorkNote.objects.filter(pk=note.pk).exists()


def test_share_on_a_closed_case_is_refused_and_keeps_the_note(note, wn_case, ib):
    close_case(case_id=wn_case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="geen zorgen meer")
    note.case.refresh_from_db()
    with pytest.raises(ServiceError):
        services.work_note_share(note=note, owner=ib, base_version=1)
    assert WorkNote.objects.filter(pk=note.pk).exists()
    assert not CaseNote.objects.exists()


# --- expiry ----------------------------------------------------------------------------------

def _age(note, days):
    WorkNote.objects.filter(pk=note.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=days))
    note.refresh_from_db()


def test_expiry_is_three_months_after_the_last_change(note, wn_case):
    assert expires_at(note, wn_case) == note.updated_at + NOTE_LIFETIME
    assert NOTE_LIFETIME == datetime.timedelta(days=90)
    [listed] = work_notes_of(case=wn_case, owner=note.owner)
    assert listed.expires_at == note.updated_at + NOTE_LIFETIME


def test_expiry_is_two_weeks_after_closing_when_earlier(note, wn_case, ib):
    close_case(case_id=wn_case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="geen zorgen meer")
    wn_case.refresh_from_db()
    assert expires_at(note, wn_case) == wn_case.closed_at + CLOSED_GRACE


def test_the_task_deletes_expired_notes_only(note, wn_case, ib):
    fresh = services.work_note_create(case=wn_case, owner=ib, text="vers")
    _age(note, 91)
    assert expire_work_notes() == 1
    assert list(WorkNote.objects.values_list("pk", flat=True)) == [fresh.pk]
    row = AccessLog.objects.get(case=wn_case, action=AccessAction.NOTE_EXPIRED)
    assert (row.user_id, row.object_id) == (ib.pk, note.pk)
    assert expire_work_notes() == 0  # idempotent


def test_a_note_changed_89_days_ago_stays(note):
    _age(note, 89)
    assert expire_work_notes() == 0


def test_the_task_deletes_notes_of_a_case_closed_over_two_weeks_ago(note, wn_case, ib):
    close_case(case_id=wn_case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
               explanation="geen zorgen meer")
    assert expire_work_notes() == 0  # just closed: grace period
    type(wn_case).objects.filter(pk=wn_case.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=15))
    assert expire_work_notes() == 1
    assert not WorkNote.objects.exists()


def test_the_task_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "worknotes.tasks.expire_work_notes" in tasks


# --- retention purge -------------------------------------------------------------------------

def test_the_retention_purge_deletes_the_cases_notes(note, wn_case, second_ib):
    from retention.purge import execute, plan_case_purge

    other = services.work_note_create(case=wn_case, owner=second_ib, text="ook weg")
    plan = plan_case_purge(wn_case)
    assert {note.pk, other.pk} <= set(plan.ids.get(WorkNote, set()))
    execute(plan)
    assert not WorkNote.objects.exists()

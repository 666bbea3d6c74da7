"""Writes of private working notes (R32): only ever by their owner, on a case of a school that
has them switched on. Each write logs an access-log row with ids only, never the text."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import AccessAction, Case, CaseNote
from cases.records import record_create
from cases.services import EditConflict, ServiceError, log_access

from .models import WorkNote
from .selectors import expired_work_notes

MAX_LENGTH = 10_000


def _check(case: Case, text: str | None = None) -> None:
    if not case.school.work_notes_enabled:
        raise ServiceError(_("Persoonlijke werkaantekeningen staan uit voor deze school."))
    if text is not None and not text.strip():
        raise ServiceError(_("Schrijf eerst iets in de werkaantekening."))


def _lock_own(note: WorkNote, owner, base_version: int | None) -> WorkNote:
    """The stored note, locked; ``EditConflict`` when it changed since ``base_version``."""
    current = WorkNote.objects.select_for_update().get(pk=note.pk)
    if current.owner_id != owner.pk:
        raise PermissionError("not the owner")  # views never get here: they 404 first
    if base_version is not None and current.lock_version != base_version:
        raise EditConflict(current)
    return current


@transaction.atomic
def work_note_create(*, case: Case, owner, text: str) -> WorkNote:
    _check(case, text)
    note = WorkNote.objects.create(case=case, owner=owner, text=text.strip())
    log_access(user=owner, obj=note, case=case, action=AccessAction.NOTE_CREATED)
    return note


@transaction.atomic
def work_note_update(*, note: WorkNote, owner, text: str, base_version: int) -> WorkNote:
    """Change the owner's note. Raises ``EditConflict`` (nothing written) when it was saved
    elsewhere after ``base_version`` (another tab or device)."""
    _check(note.case, text)
    current = _lock_own(note, owner, base_version)
    current.text = text.strip()
    current.lock_version += 1
    current.save(update_fields=["text", "lock_version", "updated_at"])
    return current


@transaction.atomic
def work_note_delete(*, note: WorkNote, owner) -> None:
    current = _lock_own(note, owner, None)
    log_access(user=owner, obj=current, case=note.case, action=AccessAction.NOTE_DELETED)
    current.delete()


@transaction.atomic
def work_note_share(*, note: WorkNote, owner, base_version: int,
                    occurred_on: datetime.date | None = None) -> CaseNote:
    """Turn the note into dossier content: a ``CaseNote`` ("aantekening") at the case's
    current step, authored by the owner, with history; then delete the private note.

    Refused (``ServiceError``) on a closed case, as every new record is; ``EditConflict`` when
    the note changed after the owner read the text they confirmed sharing.
    """
    _check(note.case)
    current = _lock_own(note, owner, base_version)
    record = record_create(case=note.case, actor=owner, reason="gedeeld vanuit een werkaantekening",
                           record=CaseNote(text=current.text,
                                           occurred_on=occurred_on or timezone.localdate()))
    log_access(user=owner, obj=current, case=note.case, action=AccessAction.NOTE_SHARED)
    current.delete()
    return record


def work_notes_expire(now: datetime.datetime | None = None) -> int:
    """Delete every expired note (``selectors.expires_at``); returns how many. Idempotent:
    each note is deleted in its own transaction with its access-log row."""
    count = 0
    for note in expired_work_notes(now).select_related("case", "owner").iterator():
        with transaction.atomic():
            deleted, _rows = WorkNote.objects.filter(pk=note.pk,
                                                     updated_at=note.updated_at).delete()
            if deleted:
                log_access(user=note.owner, obj=note, case=note.case,
                           action=AccessAction.NOTE_EXPIRED)
                count += 1
    return count

"""Reads of private working notes (R32). Every read is the owner's: there is no selector that
returns someone else's notes."""

from __future__ import annotations

import datetime

from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from cases.models import Case, Status

from .models import WorkNote

# A note is temporary (E21e). It expires three months after its last change: long enough to
# carry a professional's thoughts through the steps of a Meldcode trajectory (which the
# protocol measures in weeks), short enough that a forgotten note does not linger (AVG art. 5
# lid 1 sub c and e: minimal and no longer than needed). Editing a note on purpose renews it.
NOTE_LIFETIME = datetime.timedelta(days=90)
# Once the case is closed a note has no purpose left: what belongs in the file was to be
# shared before closing. Fourteen days' grace covers a case closed by mistake and reopened
# (sharing needs an open case); after that the note goes, whatever its age.
CLOSED_GRACE = datetime.timedelta(days=14)


def expires_at(note: WorkNote, case: Case) -> datetime.datetime:
    """When ``note`` is deleted by ``tasks.expire_work_notes``: three months after its last
    change, or fourteen days after the case was closed if that is earlier."""
    moment = note.updated_at + NOTE_LIFETIME
    if case.status == Status.CLOSED and case.closed_at is not None:
        moment = min(moment, case.closed_at + CLOSED_GRACE)
    return moment


def work_notes_of(*, case: Case, owner) -> list[WorkNote]:
    """The owner's own notes on ``case``, newest change first, each with ``expires_at``.
    One query."""
    notes = list(WorkNote.objects.filter(case=case, owner=owner))
    for note in notes:
        note.expires_at = expires_at(note, case)
    return notes


def expired_work_notes(now: datetime.datetime | None = None) -> QuerySet[WorkNote]:
    """Notes whose expiry moment has passed (``expires_at`` as a query)."""
    now = now or timezone.now()
    return WorkNote.objects.filter(
        Q(updated_at__lte=now - NOTE_LIFETIME)
        | Q(case__status=Status.CLOSED, case__closed_at__lte=now - CLOSED_GRACE))


@dataclass(frozen=True)
class SchoolNotes:
    """How many notes exist at a school and when the last of them expires at the latest: no
    owner, no case, no text. For the beheerder's settings page, so that switching the notes
    off does not leave them behind unmentioned (R32)."""

    count: int
    gone_by: datetime.datetime | None


def school_notes(school_id: int) -> SchoolNotes:
    """The notes on the school's cases, counted (one query). ``gone_by`` is an upper bound of
    the expiry of the newest note (``expires_at``: a closed case can make it earlier)."""
    row = WorkNote.objects.filter(case__school_id=school_id).aggregate(
        count=Count("pk"), newest=Max("updated_at"))
    newest = row["newest"]
    return SchoolNotes(row["count"], newest + NOTE_LIFETIME if newest else None)

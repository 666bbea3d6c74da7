"""Writes on signals: record, correct (a new version, R31), acknowledge.

Every function checks its own rules, so a caller other than the form (an import, a test, a
future API) cannot store what the form would refuse.
"""

from __future__ import annotations

import logging
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from cases.services import ServiceError
from notifications.models import Kind
from notifications.services import notify_role_holders, role_holders
from schools.access import has_school_perm
from schools.models import School
from schools.roles import Role

from .models import (SOURCES_NEEDING_DETAIL, Category, PupilRole, Signal, SignalAttachment,
                     SignalPupil, SignalVersion, Source)
from .validators import MAX_ATTACHMENTS, validate_attachment

logger = logging.getLogger(__name__)

MAX_PUPILS = 5


class VersionConflict(Exception):
    """Someone saved a newer version of the observation since the user's form was built."""

    def __init__(self, current: SignalVersion):
        super().__init__("signal version conflict")
        self.current = current


def _validate_record(*, school, observed_on, category, source, source_detail, facts,
                     pupils, attachments) -> list[str]:
    errors: list[str] = []
    if observed_on > timezone.localdate():
        errors.append(_("De datum van de waarneming kan niet in de toekomst liggen."))
    if category not in Category.values:
        errors.append(_("Kies een soort zorg."))
    if source not in Source.values:
        errors.append(_("Kies een bron."))
    elif source in SOURCES_NEEDING_DETAIL and not source_detail.strip():
        # R30: third-party information names its source.
        errors.append(_("Vul de naam of functie in van degene van wie de informatie komt."))
    if not facts.strip():
        errors.append(_("Beschrijf wat u heeft gezien of gehoord."))
    if not pupils:
        errors.append(_("Kies minstens één leerling."))
    if len(pupils) > MAX_PUPILS:
        errors.append(_("Een signaal gaat over maximaal %(max)s leerlingen.") % {"max": MAX_PUPILS})
    if len({p.pk for p, _role in pupils}) != len(pupils):
        errors.append(_("Dezelfde leerling staat er meer dan één keer in."))
    today = timezone.localdate()
    for pupil, role in pupils:
        if pupil.school_id != school.pk or (pupil.left_on is not None and pupil.left_on <= today):
            errors.append(_("Een gekozen leerling zit niet (meer) op deze school."))
            break
    if any(role not in PupilRole.values for _p, role in pupils):
        errors.append(_("Kies voor elke leerling een rol."))
    if pupils and not any(role == PupilRole.CONCERNED for _p, role in pupils):
        errors.append(_("Kies bij minstens één leerling de rol ‘om wie de zorg gaat’."))
    if len(attachments) > MAX_ATTACHMENTS:
        errors.append(_("U kunt maximaal %(max)s bijlagen toevoegen.") % {"max": MAX_ATTACHMENTS})
    return errors


def signal_record(*, actor, school: School, observed_on, category: str, source: str,
                  source_detail: str = "", facts: str, child_words: str = "",
                  interpretation: str = "", disclosure: bool = False, acute_danger: bool = False,
                  staff_suspect: bool = False, pupils: list, attachments: list = (),
                  notify: bool = True) -> Signal:
    """Store a new signal with version 1 of its observation, its pupils and attachments.

    All or nothing: on any refusal ``ServiceError`` (Dutch messages) is raised and nothing is
    stored, files included. The school's IB'er and veiligheidscoördinator (or, for a
    suspected staff member, the board) are notified after commit.
    """
    if not has_school_perm(actor, "signals.add_signal", school):
        raise PermissionDenied
    pupils = list(pupils)
    attachments = list(attachments)
    errors = _validate_record(school=school, observed_on=observed_on, category=category,
                              source=source, source_detail=source_detail, facts=facts,
                              pupils=pupils, attachments=attachments)
    content_types = []
    for upload in attachments:
        try:
            content_types.append(validate_attachment(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ServiceError(errors)

    stored: list[str] = []
    try:
        with transaction.atomic():
            signal = _create(actor=actor, school=school, observed_on=observed_on,
                             category=category, source=source,
                             source_detail=source_detail.strip() if source in SOURCES_NEEDING_DETAIL
                             else "",
                             facts=facts, child_words=child_words,
                             interpretation=interpretation, disclosure=disclosure,
                             acute_danger=acute_danger, staff_suspect=staff_suspect,
                             pupils=pupils, attachments=zip(attachments, content_types),
                             stored=stored)
            if notify:
                transaction.on_commit(lambda: _notify_new_signal(signal), robust=True)
    except BaseException:
        # The rows are rolled back; files already written to storage are not.
        for name in stored:
            default_storage.delete(name)
        raise
    return signal


def _create(*, actor, school, observed_on, category, source, source_detail, facts, child_words,
            interpretation, disclosure, acute_danger, staff_suspect, pupils, attachments,
            stored) -> Signal:
    signal = Signal(school=school, recorded_by=actor, observed_on=observed_on, category=category,
                    source=source, source_detail=source_detail, disclosure=disclosure,
                    acute_danger=acute_danger, staff_suspect=staff_suspect)
    signal._history_user, signal._change_reason = actor, "signaal vastgelegd"
    signal.save()
    links = [SignalPupil(signal=signal, pupil=pupil, role=role) for pupil, role in pupils]
    for link in links:
        link._history_user = actor
    # Two queries for all pupils; a history row per link as ``save()`` writes it. (No
    # post_save for bulk rows: the content tokens changed with the new signal's own save.)
    bulk_create_with_history(links, SignalPupil, default_user=actor)
    version = SignalVersion(signal=signal, number=1, facts=facts.strip(),
                            child_words=child_words.strip(),
                            interpretation=interpretation.strip(), author=actor)
    version._history_user, version._change_reason = actor, "eerste versie"
    version.save()
    for upload, content_type in attachments:
        attachment = SignalAttachment(
            signal=signal, file=upload, original_name=os.path.basename(upload.name)[:200],
            content_type=content_type, size=upload.size, uploaded_by=actor)
        attachment._history_user = actor
        attachment.save()
        stored.append(attachment.file.name)
    return signal


def _recipient_roles(signal: Signal) -> dict[str, list[str]]:
    """Per notification kind, the roles at the signal's school (or its board) that are told."""
    if signal.staff_suspect:
        # A suspected staff member (domain.md §6, R25) skips the school entirely.
        return {Kind.ACUTE if signal.acute_danger else Kind.NEW_SIGNAL: [Role.BESTUUR]}
    result = {Kind.NEW_SIGNAL: [Role.IB, Role.VC]}
    if signal.acute_danger:
        # R5: the directeur is informed of acute danger.
        result[Kind.ACUTE] = [Role.DIRECTEUR]
    return result


def signal_recipients(signal: Signal) -> dict[str, list]:
    """Who is told about a new signal, by notification kind. Never the recorder themselves.

    A suspected staff member (domain.md §6, R25) skips the school entirely: the board hears
    of it, the school's IB'er, veiligheidscoördinator and directeur do not.
    """
    return {kind: [user for user, _digest in role_holders(
                signal.school, roles, exclude_user_id=signal.recorded_by_id)]
            for kind, roles in _recipient_roles(signal).items()}


def _notify_new_signal(signal: Signal) -> None:
    # The board starts its own route from its overview (domain.md §6).
    url = reverse("specialroutes:staff_overview" if signal.staff_suspect else "signals:detail",
                  args=None if signal.staff_suspect else [signal.pk])
    for kind, roles in _recipient_roles(signal).items():
        # The recipients as ``signal_recipients`` finds them, in one query per kind that
        # is also notify's role check and reads the mail preferences (or from the cache
        # under the school's directory token: ``role_holders``).
        notify_role_holders(school=signal.school, roles=roles, kind=kind, url=url, obj=signal,
                            exclude_user_id=signal.recorded_by_id)


def can_correct(user, signal: Signal) -> bool:
    """Only the recorder and the school's case leads correct an observation (R31)."""
    if user.pk == signal.recorded_by_id:
        return True
    return (not signal.staff_suspect
            and has_school_perm(user, "signals.triage_signal", signal.school))


def signal_correct(*, signal: Signal, actor, base_number: int, facts: str, child_words: str = "",
                   interpretation: str = "", reason: str) -> SignalVersion:
    """Add a new version of the observation text; the old versions stay as they were.

    ``base_number`` is the version the user's form was built from: if someone saved a newer
    one meanwhile, ``VersionConflict`` carries it and nothing is written.
    """
    if not can_correct(actor, signal):
        raise PermissionDenied
    errors = []
    if not facts.strip():
        errors.append(_("Beschrijf wat u heeft gezien of gehoord."))
    if not reason.strip():
        errors.append(_("Geef de reden van de correctie."))
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        # Lock the signal so two corrections cannot both become version n+1.
        Signal.objects.select_for_update().filter(pk=signal.pk).first()
        current = (SignalVersion.objects.filter(signal=signal).select_related("author")
                   .order_by("-number").first())
        if current.number != base_number:
            raise VersionConflict(current)
        new = (facts.strip(), child_words.strip(), interpretation.strip())
        if new == (current.facts, current.child_words, current.interpretation):
            raise ServiceError(_("U heeft niets gewijzigd."))
        version = SignalVersion(signal=signal, number=current.number + 1, facts=new[0],
                                child_words=new[1], interpretation=new[2], author=actor,
                                reason=reason.strip())
        version._history_user, version._change_reason = actor, "correctie"
        version.save()
    return version


def signal_acknowledge(*, signal: Signal, actor) -> Signal:
    """Mark the signal as seen by an IB'er or veiligheidscoördinator (idempotent)."""
    if signal.staff_suspect or not has_school_perm(actor, "signals.triage_signal", signal.school):
        raise PermissionDenied
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by = timezone.now(), actor
            locked._history_user, locked._change_reason = actor, "gezien"
            locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    signal.acknowledged_at, signal.acknowledged_by = locked.acknowledged_at, locked.acknowledged_by
    return signal

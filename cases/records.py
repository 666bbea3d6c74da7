"""Writes and rules for the step records (consultations, Veilig Thuis advice, conversations,
Verwijsindex registrations and their matches, parents' statements). Saves go through
``services.record_save`` for optimistic locking and history; this module adds the rules around
it: records only on open cases (a parents' statement also on a closed one), the step and author
set at creation, the Verwijsindex review date, matches and the regievoerder (R44), who gave a
parents' statement, and the anonymity rule for Veilig Thuis advice (R19).
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.models import Membership, Pupil, PupilParent

from .models import (Case, ParentStatement, Regie, Status, VerwijsindexMatch,
                     VerwijsindexRegistration)
from .services import EditConflict, ServiceError, record_save

# The Verwijsindex removes a signal at most two years after it was given (domain.md §8, R44).
VIR_REVIEW_YEARS = 2


def vir_review_date(registered_on: datetime.date) -> datetime.date:
    """The date a Verwijsindex registration must be reviewed or withdrawn: two years on."""
    try:
        return registered_on.replace(year=registered_on.year + VIR_REVIEW_YEARS)
    except ValueError:  # 29 February: the last day of February two years on
        return registered_on.replace(year=registered_on.year + VIR_REVIEW_YEARS, day=28)


def _lock_open_case(case: Case, *, allow_closed: bool = False) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != Status.OPEN and not allow_closed:
        raise ServiceError(_("Dit dossier is afgesloten. Heropen het dossier om er iets aan toe "
                             "te voegen of te wijzigen."))
    return locked


@transaction.atomic
def record_create(*, case: Case, record, actor, reason: str = "aangemaakt"):
    """Add a new step record to an open case, at the case's current step, authored by ``actor``
    (``reason``: the first history row's change reason). A parents' statement may also be
    added to a closed case (R39, see ``parent_statement_check``).
    """
    statement = isinstance(record, ParentStatement)
    locked = _lock_open_case(case, allow_closed=statement)
    record.case = case
    record.step = locked.step
    record.author = actor
    if isinstance(record, VerwijsindexRegistration):
        record.review_on = vir_review_date(record.occurred_on)
    if statement:
        parent_statement_check(record, case=locked, parent_changed=True)
    return record_save(record=record, actor=actor, reason=reason)


@transaction.atomic
def record_update(*, record, actor, base_version: int, reason: str):
    """Save a changed step record of an open case. Raises ``EditConflict`` (nothing written)
    when someone else saved it after ``base_version``; the change reason is required (R31)."""
    if not reason.strip():
        raise ServiceError(_("Geef een reden voor de wijziging."))
    statement = isinstance(record, ParentStatement)
    locked = _lock_open_case(record.case, allow_closed=statement)
    if isinstance(record, VerwijsindexRegistration):
        record.review_on = vir_review_date(record.occurred_on)
    if statement:
        saved_parent, saved_file = (ParentStatement.objects.filter(pk=record.pk)
                                    .values_list("parent_id", "file").get())
        if (record.file.name or "") != (saved_file or ""):
            raise ServiceError(_("De gescande brief hoort bij de verklaring zoals die is "
                                 "gegeven en kan niet worden vervangen of verwijderd."))
        parent_statement_check(record, case=locked,
                               parent_changed=record.parent_id != saved_parent)
    return record_save(record=record, actor=actor, base_version=base_version,
                       reason=reason.strip())


@transaction.atomic
def vir_withdraw(*, registration: VerwijsindexRegistration, actor, withdrawn_on: datetime.date,
                 base_version: int) -> VerwijsindexRegistration:
    """Record that the Verwijsindex signal was withdrawn (R44).

    Allowed on a closed case too: withdrawing the signal is typically what follows closing.
    The app only records the human action; it sends nothing to the Verwijsindex (R50).
    """
    if registration.withdrawn_on is not None:
        raise ServiceError(_("Deze registratie is al ingetrokken."))
    if withdrawn_on < registration.occurred_on:
        raise ServiceError(_("De datum van intrekken ligt vóór de datum van registratie."))
    if withdrawn_on > timezone.localdate():
        raise ServiceError(_("De datum van intrekken ligt in de toekomst."))
    registration.withdrawn_on = withdrawn_on
    return record_save(record=registration, actor=actor, base_version=base_version,
                       reason="ingetrokken in de Verwijsindex")


# --- R44: matches in the Verwijsindex and the regievoerder ------------------------------------


def vir_match_errors(*, registration: VerwijsindexRegistration,
                     match: VerwijsindexMatch) -> dict[str, list[str]]:
    """The rules a match must meet, as Dutch messages per field ("" for the whole match).

    Shared by the form (shown beside the fields) and the services (nothing invalid is
    written, whatever calls them)."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()

    def add(name, message):
        errors.setdefault(name, []).append(str(message))

    if match.notified_on:
        if match.notified_on > today:
            add("notified_on", _("De datum van de matchmelding ligt in de toekomst."))
        elif match.notified_on < registration.occurred_on:
            add("notified_on", _("De matchmelding ligt vóór de datum van registratie "
                                 "(%(date)s).") % {"date": date_format(registration.occurred_on,
                                                                       "j F Y")})
    if not match.organisations:
        add("organisations", _("Vul minstens één andere organisatie in."))
    if match.regie == Regie.PENDING:
        if (match.lead_staff_id or match.lead_organisation or match.lead_contact
                or match.regie_agreed_on):
            add("regie", _("U heeft een regievoerder of datum ingevuld: kies of de regie bij "
                           "onze school of bij een andere organisatie ligt."))
    else:
        if match.regie == Regie.SCHOOL and not match.lead_staff_id:
            add("lead_staff", _("Kies de medewerker van de school die de regie heeft."))
        if match.regie == Regie.OTHER and not match.lead_organisation.strip():
            add("lead_organisation", _("Vul de organisatie van de regievoerder in."))
        if match.regie_agreed_on is None:
            add("regie_agreed_on", _("Vul in wanneer de regie is afgesproken."))
        elif match.regie_agreed_on > today:
            add("regie_agreed_on", _("Deze datum ligt in de toekomst."))
        elif match.notified_on and match.regie_agreed_on < match.notified_on:
            add("regie_agreed_on", _("De regie kan niet zijn afgesproken vóór de "
                                     "matchmelding."))
    return errors


def _normalise_regie(match: VerwijsindexMatch) -> None:
    # The chosen option decides which fields count: the other option's fields are emptied.
    if match.regie == Regie.SCHOOL:
        match.lead_organisation, match.lead_contact = "", ""
    elif match.regie == Regie.OTHER:
        match.lead_staff = None
    match.lead_organisation = match.lead_organisation.strip()
    match.lead_contact = match.lead_contact.strip()


def _check_match(registration, match, *, kept_lead_id: int | None = None) -> None:
    errors = vir_match_errors(registration=registration, match=match)
    if errors:
        raise ServiceError([m for messages in errors.values() for m in messages])
    # "Our school" is a staff member with a role at the case's school today (the one
    # already recorded stays valid after their role ended).
    if (match.regie == Regie.SCHOOL and match.lead_staff_id != kept_lead_id
            and not Membership.objects.active().filter(
                user_id=match.lead_staff_id, school_id=Case.objects.filter(
                    pk=registration.case_id).values("school_id")[:1]).exists()):
        raise ServiceError(_("De regievoerder van onze school moet een medewerker van de "
                             "school zijn."))


@transaction.atomic
def vir_match_create(*, registration: VerwijsindexRegistration, match: VerwijsindexMatch,
                     actor) -> VerwijsindexMatch:
    """Record a match on a Verwijsindex registration, with or without the regievoerder (R44).

    Refused on a withdrawn registration: a withdrawn signal cannot match any more. Allowed on
    a closed case, like withdrawing: the signal stays in the index until it is withdrawn, so
    a match notice can still come after the case was closed. The registration row is locked,
    so a withdrawal saved at the same moment is seen.
    """
    locked = VerwijsindexRegistration.objects.select_for_update().get(pk=registration.pk)
    if locked.withdrawn_on is not None:
        raise ServiceError(_("Deze registratie is ingetrokken in de Verwijsindex: er kan geen "
                             "nieuwe match meer bij worden vastgelegd."))
    _normalise_regie(match)
    _check_match(locked, match)
    match.registration = locked
    match.case_id = locked.case_id
    match.step = Case.objects.filter(pk=locked.case_id).values_list("step", flat=True).get()
    match.author = actor
    return record_save(record=match, actor=actor,
                       reason="aangemaakt" if not match.regie
                       else "aangemaakt met regievoerder")


def vir_match_first_regie_only(current: VerwijsindexMatch, match: VerwijsindexMatch) -> bool:
    """True when the change only fills in the regievoerder for the first time: that completes
    the match rather than correcting it, so it needs no reason of its own."""
    return (current.regie == Regie.PENDING and match.regie != Regie.PENDING
            and current.notified_on == match.notified_on
            and current.organisations == match.organisations)


@transaction.atomic
def vir_match_update(*, match: VerwijsindexMatch, actor, base_version: int,
                     reason: str = "") -> VerwijsindexMatch:
    """Save a changed match: typically the regievoerder, agreed some days after the notice.

    Raises ``EditConflict`` (nothing written) when someone saved it after ``base_version``.
    A correction needs a reason (R31); filling in the regievoerder for the first time does
    not. Allowed on a withdrawn registration and a closed case: the regie may have been
    agreed before the signal was withdrawn and be written down afterwards.
    """
    current = VerwijsindexMatch.objects.select_for_update().get(pk=match.pk)
    if current.lock_version != base_version:
        raise EditConflict(current)
    _normalise_regie(match)
    registration = VerwijsindexRegistration.objects.get(pk=current.registration_id)
    _check_match(registration, match, kept_lead_id=current.lead_staff_id)
    reason = reason.strip()
    if not reason:
        if not vir_match_first_regie_only(current, match):
            raise ServiceError(_("Geef een reden voor de wijziging."))
        reason = "regievoerder vastgelegd"
    # Never moved to another registration or case by a form.
    match.registration_id, match.case_id = current.registration_id, current.case_id
    return record_save(record=match, actor=actor, base_version=base_version, reason=reason)


# --- R39: parents' own statements --------------------------------------------------------------


def parent_statement_check(statement: ParentStatement, *, case: Case,
                           parent_changed: bool) -> None:
    """The rules of a parents' statement (R39); fills in who gave it. Raises ``ServiceError``.

    Under the AVG a parent may add their own view to what the file says, also after the case
    was closed (the copy they asked for often comes later): so unlike the other records a
    statement is allowed on a closed case. It is kept as given: the text is required and is
    stored as typed, never shortened or rewritten. Who gave it is either a known parent or
    guardian of the pupil (name, relation and whether they had authority, gezag, are copied
    onto the record, so it keeps saying who it was when the parent's details change later) or,
    when that person is not registered, a name and relation typed in. A scanned letter is
    checked like a signal's attachment (PDF, JPEG or PNG, at most 10 MB) and is added with
    the statement only: ``record_update`` refuses to replace or remove it.
    """
    errors: list[str] = []
    if not (statement.statement or "").strip():
        errors.append(_("Neem de verklaring van de ouders over."))
    if statement.occurred_on and statement.occurred_on > timezone.localdate():
        errors.append(_("De datum van ontvangst ligt in de toekomst."))
    if statement.file and statement._state.adding:
        from signals.validators import validate_attachment

        try:
            statement.file_type = validate_attachment(statement.file)
        except ValidationError as exc:
            errors.extend(exc.messages)
        else:
            statement.file_name = (statement.file_name or statement.file.name or "")[:200]
            statement.file_size = statement.file.size
    if statement.parent_id is not None:
        if parent_changed:
            link = (PupilParent.objects.filter(pupil_id=case.pupil_id,
                                               parent_id=statement.parent_id)
                    .select_related("parent").first())
            if link is None:
                errors.append(_("Deze ouder/verzorger hoort niet bij de leerling van dit "
                                "dossier."))
            else:
                statement.given_by_name = link.parent.name
                statement.relation = str(link.get_relationship_display())
                statement.had_authority = link.has_authority
    else:
        statement.given_by_name = (statement.given_by_name or "").strip()
        statement.relation = (statement.relation or "").strip()
        statement.had_authority = None
        if not statement.given_by_name or not statement.relation:
            errors.append(_("Vul in wie de verklaring gaf: naam en relatie tot de leerling."))
    if errors:
        raise ServiceError(errors)


# --- R19: an anonymous advice request to Veilig Thuis stores no child identifiers -----------

# Dutch name particles (tussenvoegsels): too common to count as identifying on their own.
NAME_PARTICLES = {"van", "der", "den", "de", "het", "ten", "ter", "te", "op", "aan", "uit",
                  "bij", "in", "los", "del", "von", "vom", "zu", "la", "le", "du", "da", "di",
                  "el", "al", "bin", "ben", "ibn", "'t"}

DUTCH_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                "september", "oktober", "november", "december"]


def _name_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\s]+", name.strip())
            if len(p) > 2 and p.lower() not in NAME_PARTICLES]


def _word(text: str) -> str:
    # Word boundaries that also hold for names that start or end with a non-word character.
    return r"(?<!\w)" + re.escape(text) + r"(?!\w)"


def _date_patterns(day: datetime.date) -> list[str]:
    d, m, y = day.day, day.month, day.year
    sep = r"[-/.]"
    return [
        rf"(?<!\d)0?{d}{sep}0?{m}{sep}{y}(?!\d)",        # 14-05-2017, 14-5-2017, 14/05/2017
        rf"(?<!\d){y}{sep}{m:02d}{sep}{d:02d}(?!\d)",     # 2017-05-14
        rf"(?<!\d){y}{sep}{m}{sep}{d}(?!\d)",             # 2017-5-14
        rf"(?<!\d)0?{d}\s+{DUTCH_MONTHS[m - 1]}\s+{y}(?!\d)",  # 14 mei 2017
    ]


def child_identifier_patterns(pupil: Pupil) -> list[tuple[str, re.Pattern]]:
    """(description, compiled pattern) pairs for what identifies ``pupil``: first and last
    name, pupil number, date of birth, and the names of the pupil's parents. One query."""
    found: list[tuple[str, str]] = []
    if pupil.first_name.strip():
        found.append((gettext_lazy("de voornaam van de leerling"), _word(pupil.first_name.strip())))
    if pupil.last_name.strip():
        found.append((gettext_lazy("de achternaam van de leerling"),
                      _word(pupil.last_name.strip())))
        for part in _name_parts(pupil.last_name):
            found.append((gettext_lazy("de achternaam van de leerling"), _word(part)))
    if pupil.external_id.strip():
        found.append((gettext_lazy("het leerlingnummer"), _word(pupil.external_id.strip())))
    for pattern in _date_patterns(pupil.date_of_birth):
        found.append((gettext_lazy("de geboortedatum van de leerling"), pattern))
    parent_names = PupilParent.objects.filter(pupil=pupil).values_list("parent__name", flat=True)
    for name in parent_names:
        if name.strip():
            found.append((gettext_lazy("de naam van een ouder/verzorger"), _word(name.strip())))
        for part in _name_parts(name):
            found.append((gettext_lazy("de naam van een ouder/verzorger"), _word(part)))
    return [(what, re.compile(p, re.IGNORECASE)) for what, p in found]


def identifiers_in(text: str, patterns) -> list[str]:
    """Descriptions (not values) of the child identifiers found in ``text``, without repeats."""
    hits: list[str] = []
    for what, pattern in patterns:
        if pattern.search(text or "") and str(what) not in hits:
            hits.append(str(what))
    return hits

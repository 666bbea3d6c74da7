"""Writes of the special routes: acute danger (R5) and the board's staff route (§6, R25–R28).

Every function checks its own rules, so a caller other than the form cannot store what the
form would refuse. Refusals raise ``cases.services.ServiceError`` (Dutch messages); nothing is
stored then (``transaction.atomic``).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.models import Case, Route, Status
from cases.selectors import case_permissions
from cases.services import ServiceError, case_grant_access, case_open
from notifications.models import Kind
from notifications.services import notify
from schools.access import active_roles, board_roles
from schools.models import Membership, Pupil, School
from schools.roles import Role
from signals.models import PupilRole, Signal

from .models import (RETROSPECTIVE_WITHIN, AcuteCall, AcuteRetrospective, BoardInformed,
                     CalledParty, Channel, InformedParty, InspectorConsultation, Notice,
                     NoticeRecipient, PoliceReport, StaffConcern)

# Phones and laptops disagree about the time by a minute or two; more is a typing error.
FUTURE_GRACE = timedelta(minutes=5)


class VersionConflict(Exception):
    """Someone saved a newer retrospective version since the user's form was built."""

    def __init__(self, current: AcuteRetrospective | None):
        super().__init__("retrospective version conflict")
        self.current = current


def staff_school_ids(user) -> set[int]:
    """Schools where ``user`` holds any school-level role today: "a staff member" there."""
    return {r.school_id for r in active_roles(user) if r.school_id is not None}


def users_with_role(role: str, *, school_id: int | None = None,
                    board_id: int | None = None) -> list:
    """Active users holding ``role`` today at the school (or, for board roles, the board)."""
    memberships = Membership.objects.active().filter(user_id=OuterRef("pk"), role=role)
    if school_id is not None:
        memberships = memberships.filter(school_id=school_id)
    else:
        memberships = memberships.filter(school__isnull=True, board_id=board_id)
    return list(get_user_model().objects.filter(Exists(memberships), is_active=True)
                .order_by("last_name", "first_name", "pk"))


def _not_future(value, now, message) -> list[str]:
    return [message] if value is not None and value > now else []


# --- Acute danger (R5) ------------------------------------------------------------------------

def acute_owner(school_id: int, caller):
    """Who coordinates the case an acute call opens: a veiligheidscoördinator of the school
    (the caller if they are one), else an IB'er, else the caller."""
    for role in (Role.VC, Role.IB):
        users = users_with_role(role, school_id=school_id)
        if any(u.pk == caller.pk for u in users):
            return caller
        if users:
            return users[0]
    return caller


def acute_recipients(school_id: int, caller) -> list:
    """The school's directeur(s) and veiligheidscoördinator(s), never the caller (R5)."""
    users = {u.pk: u for role in (Role.DIRECTEUR, Role.VC)
             for u in users_with_role(role, school_id=school_id)}
    users.pop(caller.pk, None)
    return list(users.values())


def acute_call_errors(*, actor, pupil: Pupil, called_party: str, called_party_other: str,
                      called_at, now=None) -> list[str]:
    now = now or timezone.now()
    errors = []
    if pupil.school_id not in staff_school_ids(actor):
        errors.append(_("Kies een leerling van uw eigen school."))
    elif pupil.left_on is not None and pupil.left_on <= timezone.localdate():
        errors.append(_("Deze leerling staat niet meer ingeschreven op de school."))
    if called_party not in CalledParty.values:
        errors.append(_("Kies wie u heeft gebeld."))
    elif called_party == CalledParty.OTHER and not called_party_other.strip():
        errors.append(_("Vul in wie u heeft gebeld."))
    if called_at is None:
        errors.append(_("Vul het tijdstip van het gesprek in."))
    else:
        errors += _not_future(called_at, now + FUTURE_GRACE,
                              _("Het tijdstip van het gesprek kan niet in de toekomst liggen."))
    return errors


@transaction.atomic
def acute_call_record(*, actor, pupil: Pupil, called_party: str, called_at,
                      called_party_other: str = "", phone_note: str = "") -> AcuteCall:
    """Record that ``actor`` called Veilig Thuis, 112 or the police about ``pupil`` (R5).

    Opens a case with ``acute=True`` (owner: a veiligheidscoördinator, else an IB'er, else
    the caller; the caller may contribute to it), or, when the pupil already has an open
    Meldcode case, adds the call to that case and marks it acute without widening who may
    read it. The retrospective is due 24 hours after the call. The school's directeur(s) and
    veiligheidscoördinator(s) are notified (content-free e-mail).
    """
    if errors := acute_call_errors(actor=actor, pupil=pupil, called_party=called_party,
                                   called_party_other=called_party_other, called_at=called_at):
        raise ServiceError(errors)
    party_label = (called_party_other.strip() if called_party == CalledParty.OTHER
                   else CalledParty(called_party).label)
    # Lock the school (as case_open does) so two calls about one pupil at the same moment
    # end up in one case, not two.
    School.objects.select_for_update().filter(pk=pupil.school_id).first()
    existing = (Case.objects.select_for_update()
                .filter(pupil=pupil, route=Route.MELDCODE, status=Status.OPEN)
                .order_by("-opened_at", "-pk").first())
    if existing is not None:
        case = existing
        if not case.acute:
            case.acute = True
            case._history_user, case._change_reason = actor, "acuut gevaar gemeld"
            case.save(update_fields=["acute"])
    else:
        case = case_open(pupil=pupil, actor=actor, owner=acute_owner(pupil.school_id, actor),
                         acute=True,
                         reason=_("Acuut gevaar: %(party)s gebeld") % {"party": party_label})
        # The caller completes the retrospective and follows the case they started.
        case_grant_access(case=case, user=actor, level="contribute", actor=actor)
    call = AcuteCall(case=case, school_id=pupil.school_id, called_by=actor,
                     called_party=called_party,
                     called_party_other=(called_party_other.strip()
                                         if called_party == CalledParty.OTHER else ""),
                     called_at=called_at, phone_note=phone_note.strip(),
                     opened_case=existing is None,
                     retrospective_due_at=called_at + RETROSPECTIVE_WITHIN)
    call._history_user, call._change_reason = actor, "acuut gevaar gemeld"
    call.save()
    recipients = acute_recipients(pupil.school_id, actor)
    if recipients:
        notify(users=recipients, kind=Kind.ACUTE,
               url=reverse("specialroutes:acute_detail", args=[call.pk]),
               school=case.school, obj=call)
    return call


def can_view_call(user, call: AcuteCall, visible_case: bool) -> bool:
    """The caller keeps sight of their own call while they work at the school; others see it
    when they may see its case."""
    return visible_case or (call.called_by_id == user.pk
                            and call.school_id in staff_school_ids(user))


def can_enter_retrospective(user, call: AcuteCall, case_perms: set[str]) -> bool:
    """The caller, or anyone who may add records to the case (the case leads)."""
    return ((call.called_by_id == user.pk and call.school_id in staff_school_ids(user))
            or "add_record" in case_perms)


RETROSPECTIVE_FIELDS = ("situation", "facts", "child_words", "interpretation", "phone_summary",
                        "agreements", "informed")
RETROSPECTIVE_REQUIRED = {
    "situation": _lazy("Beschrijf wat er is gebeurd."),
    "facts": _lazy("Beschrijf wat u zelf heeft gezien of gehoord."),
    "phone_summary": _lazy("Beschrijf wat er aan de telefoon is gezegd."),
    "agreements": _lazy("Beschrijf de gemaakte afspraken, of schrijf ‘geen’."),
    "informed": _lazy("Vul in wie er is geïnformeerd, of schrijf ‘niemand’."),
}


def acute_retrospective_save(*, call: AcuteCall, actor, base_number: int, reason: str = "",
                             **fields) -> AcuteRetrospective:
    """Store the retrospective entry (version 1) or a correction of it (a new version).

    ``base_number`` is the version the user's form was built from (0: none yet); if someone
    saved a newer one meanwhile, ``VersionConflict`` carries it and nothing is written.
    """
    case = call.case
    if not can_enter_retrospective(actor, call, case_permissions(actor, case)):
        raise PermissionDenied
    values = {name: (fields.get(name) or "").strip() for name in RETROSPECTIVE_FIELDS}
    errors = [str(message) for name, message in RETROSPECTIVE_REQUIRED.items()
              if not values[name]]
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        locked = AcuteCall.objects.select_for_update().get(pk=call.pk)
        current = (AcuteRetrospective.objects.filter(call=locked).select_related("author")
                   .order_by("-number").first())
        current_number = current.number if current else 0
        if current_number != base_number:
            raise VersionConflict(current)
        if current is not None:
            if case.status != Status.OPEN:
                raise ServiceError(_("Het dossier is afgesloten; de terugblik kan niet meer "
                                     "worden gecorrigeerd."))
            if not reason.strip():
                raise ServiceError(_("Geef de reden van de correctie."))
            if all(getattr(current, name) == values[name] for name in RETROSPECTIVE_FIELDS):
                raise ServiceError(_("U heeft niets gewijzigd."))
        version = AcuteRetrospective(call=locked, number=current_number + 1, author=actor,
                                     reason=reason.strip() if current else "", **values)
        version._history_user = actor
        version._change_reason = "terugblik" if current is None else "correctie"
        version.save()
        if locked.retrospective_entered_at is None:
            locked.retrospective_entered_at, locked.retrospective_by = timezone.now(), actor
            locked._history_user, locked._change_reason = actor, "terugblik vastgelegd"
            locked.save(update_fields=["retrospective_entered_at", "retrospective_by"])
    call.retrospective_entered_at = locked.retrospective_entered_at
    call.retrospective_by = locked.retrospective_by
    return version


# --- Suspected perpetrator is a staff member (domain.md §6) ----------------------------------

def board_members(board_id: int, *, exclude_ids=()) -> list:
    """The board's bestuurders (role ``bestuur``; never the beheerder, who reads no case
    content), minus ``exclude_ids``."""
    return [u for u in users_with_role(Role.BESTUUR, board_id=board_id)
            if u.pk not in set(exclude_ids)]


def grant_refusal(case: Case, user) -> str | None:
    """Why ``user`` may not be given access to the board-route ``case``; None if allowed.

    The accused staff member never gets access (R28), and only bestuurders of the case's
    board are assigned: not the beheerder, not the directeur or other school staff.
    """
    if case.route != Route.STAFF:
        return None
    accused_id = (StaffConcern.objects.filter(case_id=case.pk)
                  .values_list("accused_user_id", flat=True).first())
    if accused_id is not None and accused_id == user.pk:
        return _("De medewerker op wie het vermoeden betrekking heeft, krijgt nooit toegang "
                 "tot dit dossier.")
    if Role.BESTUUR not in board_roles(user, case.school.board_id):
        return _("Alleen bestuurders van het schoolbestuur kunnen aan deze route worden "
                 "toegevoegd.")
    return None


def staff_route_grant(*, case: Case, user, actor) -> None:
    """Assign a bestuurder to the board-route case (read and contribute)."""
    if case.route != Route.STAFF:
        raise ServiceError(_("Dit dossier volgt niet de route van het bevoegd gezag."))
    if refusal := grant_refusal(case, user):
        raise ServiceError(refusal)
    case_grant_access(case=case, user=user, level="contribute", actor=actor)


def _accused_errors(*, board_id: int, actor, accused_user, accused_description: str) -> list[str]:
    errors = []
    if accused_user is None and not accused_description.strip():
        errors.append(_("Kies de medewerker of vul naam en functie in."))
    if accused_user is not None:
        if accused_user.pk == actor.pk:
            errors.append(_("U kunt uzelf niet als vermoedelijke pleger opgeven."))
        elif not Membership.objects.active().filter(user=accused_user, board_id=board_id).exists():
            errors.append(_("Kies een medewerker van dit schoolbestuur."))
    return errors


def _no_board_message() -> str:
    return _("Voor dit schoolbestuur is nog geen bestuurder in Meldcode vastgelegd. Informeer "
             "het bestuur direct zelf, bijvoorbeeld telefonisch, en vraag de beheerder een "
             "bestuurder toe te voegen.")


def informed_errors(informed: dict | None) -> list[str]:
    """Validate the optional "whom did you inform" part of a report (R26)."""
    if not informed:
        return []
    errors = []
    if informed.get("informed_party") not in InformedParty.values:
        errors.append(_("Kies wie u heeft geïnformeerd."))
    if not (informed.get("informed_name") or "").strip():
        errors.append(_("Vul de naam in van wie u heeft geïnformeerd."))
    if informed.get("informed_on") is None:
        errors.append(_("Vul de datum in waarop u het bestuur heeft geïnformeerd."))
    else:
        errors += _not_future(informed["informed_on"], timezone.localdate(),
                              _("De datum kan niet in de toekomst liggen."))
    if informed.get("channel") not in Channel.values:
        errors.append(_("Kies hoe u het heeft laten weten."))
    return errors


@transaction.atomic
def staff_route_open(*, signal: Signal, pupil: Pupil, actor, accused_user=None,
                     accused_description: str = "", informed: dict | None = None) -> StaffConcern:
    """Start the board's route for a staff-suspect signal (R25).

    Opens a board-route case (``Route.STAFF``) about ``pupil`` holding the signal, assigns
    every bestuurder of the board except the accused (read and contribute) and notifies them.
    ``actor`` is the signal's recorder (reporting directly) or a bestuurder of the board. The
    recorder keeps only their own signal: they are not given the case.
    """
    # Two bestuurders starting the route for one signal: the second waits, then is refused.
    signal = (Signal.objects.select_for_update(of=("self",)).select_related("school")
              .get(pk=signal.pk))
    school = signal.school
    board_id = school.board_id
    errors = []
    if not signal.staff_suspect:
        errors.append(_("Dit signaal gaat niet over een medewerker van de school."))
    if actor.pk != signal.recorded_by_id and Role.BESTUUR not in board_roles(actor, board_id):
        raise PermissionDenied
    if StaffConcern.objects.filter(signal=signal).exists() or signal.case_links.exists():
        errors.append(_("Voor dit signaal is al een dossier geopend."))
    if not signal.pupil_links.filter(pupil=pupil).exists():
        errors.append(_("Kies een leerling uit het signaal."))
    errors += _accused_errors(board_id=board_id, actor=actor, accused_user=accused_user,
                              accused_description=accused_description)
    errors += informed_errors(informed)
    members = board_members(board_id, exclude_ids=[accused_user.pk] if accused_user else [])
    if not members:
        errors.append(_no_board_message())
    if errors:
        raise ServiceError(errors)

    owner = next((u for u in members if u.pk == actor.pk), members[0])
    case = case_open(pupil=pupil, actor=actor, signals=[signal], owner=owner, route=Route.STAFF,
                     acute=signal.acute_danger,
                     reason=_("Vermoeden tegen een medewerker: route bevoegd gezag"))
    concern = StaffConcern(case=case, board_id=board_id, signal=signal,
                           reported_by_id=signal.recorded_by_id, started_by=actor,
                           accused_user=accused_user,
                           accused_description=accused_description.strip())
    concern._history_user, concern._change_reason = actor, "route bevoegd gezag gestart"
    concern.save()
    for member in members:
        staff_route_grant(case=case, user=member, actor=actor)
    if informed:
        _create_record(BoardInformed, concern, actor, **{
            "informed_party": informed["informed_party"],
            "informed_name": informed["informed_name"].strip(),
            "informed_on": informed["informed_on"], "channel": informed["channel"],
            "informed_by": informed.get("informed_by") or _user_label(actor),
            "notes": (informed.get("notes") or "").strip()})
    others = [u for u in members if u.pk != actor.pk]
    if others:
        notify(users=others, kind=Kind.CASE_INVITATION,
               url=reverse("specialroutes:staff_detail", args=[case.pk]), school=school,
               obj=case)
    return concern


def staff_concern_report(*, actor, pupil: Pupil, observed_on, category: str, source: str,
                         source_detail: str = "", facts: str, child_words: str = "",
                         interpretation: str = "", accused_user=None,
                         accused_description: str = "",
                         informed: dict | None = None) -> StaffConcern:
    """A staff member reports a suspected colleague directly (R25).

    Records the observation as a staff-suspect signal (so facts, the child's words and the
    interpretation stay separate and append-only, R29/R31) and starts the board's route
    with it, all or nothing.
    """
    from signals.services import signal_record

    errors = []
    if pupil.school_id not in staff_school_ids(actor):
        errors.append(_("Kies een leerling van uw eigen school."))
    else:
        errors += _accused_errors(board_id=pupil.school.board_id, actor=actor,
                                  accused_user=accused_user,
                                  accused_description=accused_description)
        if not board_members(pupil.school.board_id,
                             exclude_ids=[accused_user.pk] if accused_user else []):
            errors.append(_no_board_message())
    errors += informed_errors(informed)
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        signal = signal_record(actor=actor, school=pupil.school, observed_on=observed_on,
                               category=category, source=source, source_detail=source_detail,
                               facts=facts, child_words=child_words,
                               interpretation=interpretation, staff_suspect=True,
                               pupils=[(pupil, PupilRole.CONCERNED)], attachments=[],
                               notify=False)  # the route's own invitation follows
        return staff_route_open(signal=signal, pupil=pupil, actor=actor,
                                accused_user=accused_user,
                                accused_description=accused_description, informed=informed)


def _user_label(user) -> str:
    return user.get_full_name() or user.username


def _create_record(model, concern: StaffConcern, actor, **fields):
    record = model(concern=concern, author=actor, **fields)
    record._history_user = actor
    record._change_reason = "vastgelegd"
    record.save()
    return record


# Per record type: required text fields with their message, and the date field.
_RECORD_RULES = {
    BoardInformed: ({"informed_name": _lazy("Vul de naam in van wie is geïnformeerd."),
                     "informed_by": _lazy("Vul in wie het bestuur heeft geïnformeerd.")},
                    "informed_on"),
    InspectorConsultation: ({"inspector_name": _lazy("Vul de naam van de vertrouwensinspecteur "
                                                 "in.")}, "consulted_on"),
    PoliceReport: ({"reported_by_name": _lazy("Vul in wie de aangifte heeft gedaan.")},
                   "reported_on"),
    Notice: ({"notified_by": _lazy("Vul in wie heeft geïnformeerd.")}, "notified_on"),
}
_CHOICES = {"informed_party": InformedParty, "channel": Channel, "recipient": NoticeRecipient}


def route_record_add(*, model, concern: StaffConcern, actor, **fields):
    """Add one record of the board route (R26/R27): board informed, vertrouwensinspecteur,
    police report or notice. Only those assigned to the case, while it is open."""
    case = concern.case
    if "add_record" not in case_permissions(actor, case):
        raise PermissionDenied
    required, date_field = _RECORD_RULES[model]
    errors = []
    if case.status != Status.OPEN:
        errors.append(_("Het dossier is afgesloten."))
    for name in list(fields):
        if isinstance(fields[name], str):
            fields[name] = fields[name].strip()
    for name, message in required.items():
        if not fields.get(name):
            errors.append(str(message))
    for name, choices in _CHOICES.items():
        if name in fields and fields[name] not in choices.values:
            errors.append(_("Maak een keuze bij ‘%(field)s’.") % {
                "field": model._meta.get_field(name).verbose_name})
    if model is InspectorConsultation and fields.get("reasonable_suspicion") not in (True, False):
        errors.append(_("Kies de conclusie van de vertrouwensinspecteur."))
    if fields.get(date_field) is None:
        errors.append(_("Vul de datum in."))
    else:
        errors += _not_future(fields[date_field], timezone.localdate(),
                              _("De datum kan niet in de toekomst liggen."))
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        return _create_record(model, concern, actor, **fields)

"""Reads and writes for the beheer screens: people, roles, groups, pupils, parents, import.

Who may manage what is decided here, in SQL, from ``schools.access``: a beheerder (board-level
role) manages every school of the board, a directeur only the school where the role is held.
Nothing here consults ``is_superuser`` and nothing here touches case content.
"""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from . import importer
from .access import board_ids_with_perm, school_ids_with_perm
from .models import (Board, ContactKind, ExternalFunction, Family, Membership, Parent, Pupil,
                     PupilParent, Relationship, School, SchoolClass, SchoolContact)
from .roles import Role

MANAGE_PEOPLE = "schools.manage_people"
IMPORT_PUPILS = "schools.import_pupils"
MANAGE_SETTINGS = "schools.manage_settings"

User = get_user_model()


# --------------------------------------------------------------------------------------------
# Scope: which schools, boards, memberships and people a user manages
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Where a user holds ``perm``: schools through a school role, boards through a board role."""

    school_ids: frozenset[int]
    board_ids: frozenset[int]

    def __bool__(self):
        return bool(self.school_ids or self.board_ids)

    def school_q(self, prefix: str | None = None) -> Q:
        """A filter on School itself (no prefix) or on a model reached by ``<prefix>school``."""
        if prefix is not None:
            return (Q(**{f"{prefix}school_id__in": self.school_ids})
                    | Q(**{f"{prefix}school__board_id__in": self.board_ids}))
        return Q(pk__in=self.school_ids) | Q(board_id__in=self.board_ids)


def manage_scope(user, perm: str = MANAGE_PEOPLE) -> Scope:
    """The schools and boards where ``user`` holds ``perm`` today (no query after the first)."""
    return Scope(frozenset(school_ids_with_perm(user, perm)),
                 frozenset(board_ids_with_perm(user, perm)))


def managed_schools(scope: Scope) -> QuerySet[School]:
    return School.objects.filter(scope.school_q()).select_related("board")


def managed_boards(scope: Scope) -> QuerySet[Board]:
    """Boards where the user holds a board-level role with the permission (beheerder)."""
    return Board.objects.filter(pk__in=scope.board_ids)


def managed_memberships(scope: Scope) -> QuerySet[Membership]:
    """School roles at managed schools, plus board roles of boards managed at board level."""
    return Membership.objects.filter(
        Q(school_id__in=scope.school_ids)
        | Q(school__board_id__in=scope.board_ids)
        | Q(school__isnull=True, board_id__in=scope.board_ids))


def managed_people(scope: Scope) -> QuerySet:
    """Users holding (or having held) a role within the scope; nobody else is visible."""
    return User.objects.filter(
        pk__in=managed_memberships(scope).values("user_id")).order_by("last_name", "first_name")


def managed_classes(scope: Scope) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(scope.school_q("")).select_related("school")


def managed_pupils(scope: Scope) -> QuerySet[Pupil]:
    return Pupil.objects.filter(scope.school_q("")).select_related("school", "school_class")


def managed_parent_links(scope: Scope) -> QuerySet[PupilParent]:
    return PupilParent.objects.filter(scope.school_q("pupil__")).select_related(
        "pupil__school", "parent")


def pupils_for_list(school: School, *, search: str = "", include_left: bool = False,
                    on: datetime.date | None = None) -> QuerySet[Pupil]:
    """Pupils of one school for the list page, group preloaded and parents counted (1 query)."""
    qs = Pupil.objects.filter(school=school)
    if not include_left:
        qs = qs.current(on)
    for word in search.split():
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word)
                       | Q(external_id__iexact=word))
    return qs.select_related("school_class").annotate(
        parent_count=Count("parent_links", distinct=True)).order_by("last_name", "first_name",
                                                                      "pk")


def pupil_detail(scope: Scope, pk: int) -> Pupil:
    """One managed pupil with parents and siblings (within the scope) preloaded; else 404."""
    siblings = Pupil.objects.filter(scope.school_q("")).select_related("school", "school_class")
    return get_object_or_404(
        managed_pupils(scope).select_related("family").prefetch_related(
            Prefetch("parent_links", queryset=PupilParent.objects.select_related("parent")
                     .order_by("parent__name")),
            Prefetch("family__pupils", queryset=siblings, to_attr="visible_siblings"),
        ), pk=pk)


def current_school_year(on: datetime.date | None = None) -> str:
    """The school year ``on`` falls in; a Dutch school year starts on 1 August."""
    return importer.school_year_for(on or timezone.localdate())


# --------------------------------------------------------------------------------------------
# People and roles
# --------------------------------------------------------------------------------------------

def invitation_email(user, *, base_url: str | None = None) -> tuple[str, str]:
    """Subject and body of the "set your password" mail: a link only, no other content."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "user": user,
        "link": (base_url or settings.MELDCODE_BASE_URL).rstrip("/") + path,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "forgot_url": (base_url or settings.MELDCODE_BASE_URL).rstrip("/")
        + reverse("password_reset"),
    }
    subject = "".join(loader.render_to_string("schools/email/invitation_subject.txt",
                                              context).splitlines())
    body = loader.render_to_string("schools/email/invitation_body.txt", context)
    return subject, body


def staff_user_create(*, actor, username: str, first_name: str, last_name: str, email: str,
                      membership: dict) -> Membership:
    """Create a staff account with its first role and mail the person a set-password link.

    The admin never sets or sees a password. The account gets a random one nobody knows
    (not ``set_unusable_password()``: Django's password reset skips unusable passwords, so
    "wachtwoord vergeten" would not work for such accounts). The invitation link is a normal
    password-reset token, valid for ``PASSWORD_RESET_TIMEOUT``; afterwards the person uses
    "wachtwoord vergeten". The account is created together with its first role so that it is
    never outside every manager's scope.
    """
    from core.tasks import send_plain_email

    with transaction.atomic():
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        user.set_password(secrets.token_urlsafe(48))
        user.full_clean(exclude=["password"])
        user.save()
        created = membership_add(actor=actor, user=user, **membership)
        subject, body = invitation_email(user)
        send_plain_email.delay_on_commit(subject, body, [email])
    return created


@dataclass
class MembershipRequest:
    role: str
    school: School | None
    board: Board | None
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    external_function: str = ""
    classes: list[SchoolClass] = field(default_factory=list)


def membership_errors(*, actor, user, req: MembershipRequest) -> dict[str | None, list[str]]:
    """Why ``actor`` may not give ``user`` this role; an empty dict means allowed.

    Used by the form (to show the errors at the fields) and by ``membership_add`` (to enforce).
    """
    errors: dict[str | None, list[str]] = {}

    def add(field_name, message):
        errors.setdefault(field_name, []).append(message)

    if user is not None and user.pk is not None and user.pk == actor.pk:
        # Nobody widens their own access to case data: a second person grants it.
        add(None, _("U kunt uzelf geen rol geven. Vraag een andere beheerder of de directeur."))
        return errors
    scope = manage_scope(actor)
    board_level = req.role in Role.board_level()
    if req.role not in Role.values:
        add("role", _("Kies een bestaande rol."))
        return errors
    if board_level:
        # Board roles (beheerder, bestuurder) only by a beheerder of that same board.
        if not scope.board_ids:
            add("role", _("Alleen de functioneel beheerder van het bestuur kan een "
                          "bestuursrol toekennen."))
        elif req.school is not None:
            add("school", _("Een bestuursrol hoort bij het bestuur, niet bij één school: "
                            "laat de school leeg."))
        elif req.board is None:
            add("board", _("Kies het bestuur."))
        elif req.board.pk not in scope.board_ids:
            add("board", _("U beheert dit bestuur niet."))
    else:
        if req.school is None:
            add("school", _("Kies de school waar deze rol geldt."))
        elif not (req.school.pk in scope.school_ids or req.school.board_id in scope.board_ids):
            add("school", _("U beheert deze school niet."))
        elif req.board is not None and req.board.pk != req.school.board_id:
            add("school", _("De school hoort niet bij het gekozen bestuur."))
    if req.ends_on and req.starts_on and req.ends_on < req.starts_on:
        add("ends_on", _("De einddatum ligt vóór de startdatum."))
    if req.external_function and req.role != Role.SOT:
        add("external_function", _("Een externe functie hoort alleen bij een SOT-lid."))
    if req.external_function and req.external_function not in ExternalFunction.values:
        add("external_function", _("Kies een bestaande externe functie."))
    if req.classes:
        if req.role != Role.LEERKRACHT:
            add("classes", _("Groepen horen alleen bij de rol leerkracht."))
        elif req.school is not None and any(c.school_id != req.school.pk for c in req.classes):
            add("classes", _("Kies alleen groepen van de gekozen school."))
    if not errors and user is not None and user.pk is not None:
        board_id = req.board.pk if board_level else req.school.board_id
        overlapping = Membership.objects.filter(
            user=user, role=req.role, board_id=board_id,
            school=None if board_level else req.school,
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=req.starts_on))
        if req.ends_on:
            overlapping = overlapping.filter(starts_on__lte=req.ends_on)
        if overlapping.exists():
            add(None, _("Deze persoon heeft deze rol daar al in (een deel van) deze periode."))
    return errors


def membership_add(*, actor, user, role: str, school: School | None = None,
                   board: Board | None = None, starts_on: datetime.date | None = None,
                   ends_on: datetime.date | None = None, external_function: str = "",
                   classes=()) -> Membership:
    """Give ``user`` a role; raises ``ValidationError`` with Dutch messages when not allowed."""
    if board is None and school is not None:
        board = school.board
    req = MembershipRequest(role=role, school=school, board=board,
                            starts_on=starts_on or timezone.localdate(), ends_on=ends_on,
                            external_function=external_function or "", classes=list(classes))
    errors = membership_errors(actor=actor, user=user, req=req)
    if errors:
        raise ValidationError({k or "__all__": v for k, v in errors.items()})
    with transaction.atomic():
        membership = Membership(user=user, role=req.role, school=req.school, board=req.board,
                                starts_on=req.starts_on, ends_on=req.ends_on,
                                external_function=req.external_function)
        membership._history_user = actor
        membership.save()
        if req.classes:
            membership.classes.set(req.classes)
    return membership


def membership_end(*, actor, membership: Membership, ends_on: datetime.date) -> Membership:
    """End a role on ``ends_on`` (the role still counts on that day).

    The caller has looked ``membership`` up through ``managed_memberships(actor's scope)``.
    """
    if ends_on < membership.starts_on:
        raise ValidationError({"ends_on": _("De einddatum ligt vóór de startdatum (%(d)s).")
                               % {"d": membership.starts_on.strftime("%d-%m-%Y")}})
    if membership.ends_on != ends_on:
        membership.ends_on = ends_on
        membership._history_user = actor
        membership.save(update_fields=["ends_on"])
    return membership


# --------------------------------------------------------------------------------------------
# School settings (R12, R32, R45)
# --------------------------------------------------------------------------------------------

# The per-school switches the beheerder sets on the settings page, in the page's order.
SCHOOL_SETTINGS = ("verwijsindex_enabled", "work_notes_enabled", "doubt_means_report")


class SettingsConflict(Exception):
    """The school's settings changed after the form was loaded; nothing was written."""

    def __init__(self, current: School):
        super().__init__("school settings changed meanwhile")
        self.current = current


def school_settings_of(school: School) -> dict[str, bool]:
    return {name: getattr(school, name) for name in SCHOOL_SETTINGS}


def _settings_summary(values: dict[str, bool], changed: list[str]) -> str:
    """"schoolinstellingen gewijzigd: aangesloten op de Verwijsindex: aan, ..." (history)."""
    parts = [f"{School._meta.get_field(name).verbose_name}: "
             f"{_('aan') if values[name] else _('uit')}" for name in changed]
    return _("schoolinstellingen gewijzigd: %(changes)s") % {"changes": ", ".join(parts)}


def school_settings_update(*, actor, school: School, values: dict[str, bool],
                           seen: dict[str, bool], reason: str = "") -> list[str]:
    """Set the school's switches to ``values``; returns the names that changed (empty: nothing
    changed, nothing written).

    ``seen`` holds the values the form was rendered with. When the stored settings differ from
    them, someone else saved in between: ``SettingsConflict`` (with the stored school), nothing
    written. The row is locked while comparing, so two saves cannot both pass the check.
    One history row (``HistoricalSchool``) with ``actor`` and ``reason``, or a summary of the
    change when no reason was given. The content tokens of the school change at commit
    (``core.versions``, through the model's post_save), so cached pages follow at once.

    Switching the private working notes off hides every existing note (their pages answer
    404) but deletes none: they expire on their own schedule (``worknotes.selectors``) through
    the hourly task, so switching back on in time gives them back to their owners.
    The caller has looked ``school`` up within the actor's ``schools.manage_settings`` scope.
    """
    with transaction.atomic():
        current = School.objects.select_for_update().get(pk=school.pk)
        stored = school_settings_of(current)
        if any(stored[name] != seen[name] for name in SCHOOL_SETTINGS):
            raise SettingsConflict(current)
        changed = [name for name in SCHOOL_SETTINGS if stored[name] != values[name]]
        if not changed:
            return []
        for name in changed:
            setattr(current, name, values[name])
        current._history_user = actor
        current._change_reason = reason.strip() or _settings_summary(values, changed)
        current.save(update_fields=changed)
    for name in changed:
        setattr(school, name, values[name])
    return changed


# --------------------------------------------------------------------------------------------
# Local contacts (R47: sociale kaart)
# --------------------------------------------------------------------------------------------

# The editable fields of a contact, in the form's order.
CONTACT_FIELDS = ("kind", "organisation", "name", "phone", "email", "note", "sort_order")
_KIND_ORDER = {value: index for index, value in enumerate(ContactKind.values)}
# Digits, spaces, "-" and one leading "+"; 3 (112) to 15 digits (the international maximum).
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]*$")


class ContactConflict(Exception):
    """The contact changed (``current``) or was deleted (``current`` is None) after the form
    was loaded; nothing was written."""

    def __init__(self, current: SchoolContact | None):
        super().__init__("school contact changed meanwhile")
        self.current = current


def normalise_phone(value: str) -> str:
    """``value`` with surrounding and repeated spaces removed; raises ``ValidationError``
    (Dutch) unless it is a phone number of digits, spaces, "-" and a leading "+"."""
    value = " ".join(value.split())
    if not value:
        return ""
    digits = sum(c.isdigit() for c in value)
    if not _PHONE_RE.match(value) or not 3 <= digits <= 15:
        raise ValidationError(_("Gebruik alleen cijfers, spaties, + en -, bijvoorbeeld "
                                "030-123 45 67 of +31 30 123 45 67."), code="phone")
    return value


def contact_errors(values: dict) -> dict[str, list[str]]:
    """What is wrong with ``values`` for a contact, per field. The services enforce it
    whatever the caller checked (``SchoolContactForm`` shows the same rules at its fields)."""
    errors: dict[str, list[str]] = {}
    if values.get("kind") not in ContactKind.values:
        errors.setdefault("kind", []).append(_("Kies een soort contact."))
    if not (values.get("organisation") or "").strip():
        errors.setdefault("organisation", []).append(_("Vul de organisatie in."))
    if not (values.get("phone") or "").strip() and not (values.get("email") or "").strip():
        errors.setdefault("phone", []).append(
            _("Vul een telefoonnummer of een e-mailadres in (of allebei)."))
    return errors


def _contact_values(values: dict) -> dict:
    clean = {name: values.get(name) for name in CONTACT_FIELDS}
    for name in ("organisation", "name", "email", "note"):
        clean[name] = (clean[name] or "").strip()
    clean["phone"] = normalise_phone(clean["phone"] or "")
    clean["sort_order"] = clean["sort_order"] or 0
    errors = contact_errors(clean)
    if errors:
        raise ValidationError(errors)
    return clean


def managed_contacts(scope: Scope) -> QuerySet[SchoolContact]:
    return SchoolContact.objects.filter(scope.school_q("")).select_related("school")


def school_contacts(school_ids) -> list[SchoolContact]:
    """The contacts of the given schools (one query), grouped by kind in the order of
    ``ContactKind``, then by the school's own order and the organisation's name."""
    rows = list(SchoolContact.objects.filter(school_id__in=list(school_ids))
                .select_related("school"))
    rows.sort(key=lambda c: (c.school.name, c.school_id, _KIND_ORDER.get(c.kind, 99),
                             c.sort_order, c.organisation.casefold(), c.pk))
    return rows


def _contact_summary(verb: str, changed=()) -> str:
    if not changed:
        return verb
    labels = [str(SchoolContact._meta.get_field(name).verbose_name) for name in changed]
    return f"{verb}: {', '.join(labels)}"


def school_contact_create(*, actor, school: School, values: dict,
                          reason: str = "") -> SchoolContact:
    """Add a contact to ``school`` (looked up within the actor's ``manage_people`` scope).
    One history row with ``actor`` and ``reason`` (else "contact toegevoegd")."""
    clean = _contact_values(values)
    contact = SchoolContact(school=school, **clean)
    contact._history_user = actor
    contact._change_reason = reason.strip() or _("contact toegevoegd")
    contact.save()
    return contact


def school_contact_update(*, actor, contact: SchoolContact, values: dict, lock_version: int,
                          reason: str = "") -> list[str]:
    """Save ``values`` over ``contact``; the names of the fields that changed (empty:
    nothing written).

    ``lock_version`` is the version the form was built from: when the stored row has
    another (someone saved in between) or is gone, ``ContactConflict`` and nothing written.
    The row is locked while comparing, so two saves cannot both pass."""
    clean = _contact_values(values)
    with transaction.atomic():
        current = SchoolContact.objects.select_for_update().filter(
            pk=contact.pk, school_id=contact.school_id).first()
        if current is None or current.lock_version != lock_version:
            raise ContactConflict(current)
        changed = [name for name in CONTACT_FIELDS if getattr(current, name) != clean[name]]
        if not changed:
            return []
        for name in changed:
            setattr(current, name, clean[name])
        current.lock_version += 1
        current._history_user = actor
        current._change_reason = reason.strip() or _contact_summary(_("contact gewijzigd"),
                                                                    changed)
        current.save()
    for name in (*changed, "lock_version"):
        setattr(contact, name, getattr(current, name))
    return changed


def school_contact_delete(*, actor, contact: SchoolContact, lock_version: int,
                          reason: str = "") -> None:
    """Delete ``contact``; refused with ``ContactConflict`` when it changed after the
    confirmation page was loaded. History keeps a deletion row with ``actor`` and ``reason``."""
    with transaction.atomic():
        current = SchoolContact.objects.select_for_update().filter(
            pk=contact.pk, school_id=contact.school_id).first()
        if current is None or current.lock_version != lock_version:
            raise ContactConflict(current)
        current._history_user = actor
        current._change_reason = reason.strip() or _("contact verwijderd")
        current.delete()


# --------------------------------------------------------------------------------------------
# Groups, pupils and parents
# --------------------------------------------------------------------------------------------

def _save_if_changed(obj, values: dict, actor, reason: str = "") -> bool:
    """Assign ``values``; save (one history row) only when something really changed."""
    def differs(name, value):
        if isinstance(value, models.Model):  # compare ids: no query for the related object
            return getattr(obj, f"{name}_id") != value.pk
        return getattr(obj, name) != value

    changed = [name for name, value in values.items() if differs(name, value)]
    if obj.pk is not None and not changed:
        return False
    for name in changed:
        setattr(obj, name, values[name])
    obj._history_user = actor
    if reason:
        obj._change_reason = reason
    obj.save()
    return True


def parent_link_add(*, actor, pupil: Pupil, relationship: str, has_authority: bool,
                    existing_parent: Parent | None = None, name: str = "", email: str = "",
                    phone: str = "", safe_to_contact: bool = True) -> PupilParent:
    """Link a parent to ``pupil``: an existing parent of a sibling, or a new one."""
    with transaction.atomic():
        if existing_parent is None:
            existing_parent = Parent(school=pupil.school, name=name, email=email, phone=phone,
                                     safe_to_contact=safe_to_contact)
            existing_parent._history_user = actor
            existing_parent.save()
        elif existing_parent.school_id != pupil.school_id:
            raise ValidationError(_("Deze ouder hoort bij een andere school."))
        link = PupilParent(pupil=pupil, parent=existing_parent, relationship=relationship,
                           has_authority=has_authority)
        link._history_user = actor
        link.save()
    return link


def parent_link_update(*, actor, link: PupilParent, name: str, email: str, phone: str,
                       safe_to_contact: bool, relationship: str, has_authority: bool) -> None:
    """Change a parent (as seen by every sibling linked to them) and this pupil's link."""
    with transaction.atomic():
        _save_if_changed(link.parent, {"name": name.strip(), "email": email,
                                       "phone": phone.strip(),
                                       "safe_to_contact": safe_to_contact}, actor)
        _save_if_changed(link, {"relationship": relationship, "has_authority": has_authority},
                         actor)


def parent_link_remove(*, actor, link: PupilParent) -> None:
    """Unlink a parent from one pupil; the Parent row stays for siblings and history."""
    link._history_user = actor
    try:
        with transaction.atomic():
            link.delete()
    except models.ProtectedError:
        # An access request (inzage) rests on this parent's authority: keep the link on file.
        raise ValidationError(_("Deze ouder/verzorger hoort bij een inzageverzoek en kan niet "
                                "worden ontkoppeld.")) from None


def sibling_parents(pupil: Pupil) -> QuerySet[Parent]:
    """Parents (at the pupil's school) of the pupil's siblings, not yet linked to the pupil."""
    if pupil.family_id is None:
        return Parent.objects.none()
    return (Parent.objects.filter(school_id=pupil.school_id,
                                  pupil_links__pupil__family_id=pupil.family_id)
            .exclude(pupil_links__pupil=pupil).distinct().order_by("name"))


# --------------------------------------------------------------------------------------------
# Pupil import
# --------------------------------------------------------------------------------------------

@dataclass
class ImportPlan:
    """What confirming would do: counts only, computed from the database as it is now."""

    to_create: int = 0
    to_update: int = 0
    new_classes: list[str] = field(default_factory=list)
    new_families: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    classes_created: int = 0
    families_created: int = 0
    parents_created: int = 0


class ImportRejected(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, report: importer.ImportReport):
        super().__init__(f"{len(report.errors)} problems")
        self.report = report


def pupil_import_plan(*, school: School, report: importer.ImportReport) -> ImportPlan:
    """Counts for the confirmation page (three queries)."""
    numbers = [r.external_id for r in report.rows]
    existing = set(Pupil.objects.filter(school=school).values_list("external_id", flat=True))
    classes = set(SchoolClass.objects.filter(school=school).values_list("school_year", "name"))
    families = set(Family.objects.filter(board_id=school.board_id, label__in={
        r.family for r in report.rows if r.family}).values_list("label", flat=True))
    plan = ImportPlan(to_create=sum(1 for n in numbers if n not in existing),
                      to_update=sum(1 for n in numbers if n in existing))
    for r in report.rows:
        label = f"{r.group} ({r.school_year})"
        if (r.school_year, r.group) not in classes and label not in plan.new_classes:
            plan.new_classes.append(label)
        if r.family and r.family not in families and r.family not in plan.new_families:
            plan.new_families.append(r.family)
    return plan


def pupil_import_apply(*, actor, school: School, data: bytes,
                       today: datetime.date | None = None) -> ImportResult:
    """Validate ``data`` again and import it in one transaction: all rows or none.

    Existing pupils (same leerlingnummer at ``school``) are updated, others created; groups and
    families (per board, ``Family.label`` = the gezin key) are created when missing. Only rows
    that really change are saved, so history gets no empty rows. Parents are matched per pupil
    (then per family at the same school) on e-mail address, else on name; parents missing
    from the file are left alone. An empty optional cell never clears a stored value, and the
    import never switches "contact is veilig" from no back to yes: that is a judgement made
    in the app, which the pupil administration does not know about.
    """
    report = importer.parse_pupil_csv(data, today=today)
    if not report.ok:
        raise ImportRejected(report)
    result = ImportResult()
    reason = "leerlingimport"
    with transaction.atomic():
        classes = {(c.school_year, c.name): c for c in SchoolClass.objects.filter(school=school)}
        labels = {r.family for r in report.rows if r.family}
        families: dict[str, Family] = {}
        for fam in Family.objects.filter(board_id=school.board_id, label__in=labels).order_by("pk"):
            families.setdefault(fam.label, fam)
        # The whole school (hundreds of pupils) in one go: no huge IN lists for big files.
        pupils = {p.external_id: p for p in Pupil.objects.select_for_update().filter(
            school=school).prefetch_related(Prefetch("parent_links",
                                       queryset=PupilParent.objects.select_related("parent")))}
        family_parents: dict[int, list[Parent]] = {}
        if families:
            for link in PupilParent.objects.filter(
                    pupil__school=school, pupil__family__in=families.values()).select_related(
                    "parent", "pupil"):
                family_parents.setdefault(link.pupil.family_id, []).append(link.parent)

        for row in report.rows:
            key = (row.school_year, row.group)
            if key not in classes:
                classes[key] = SchoolClass.objects.create(school=school, name=row.group,
                                                          school_year=row.school_year)
                result.classes_created += 1
            values = {"first_name": row.first_name, "last_name": row.last_name,
                      "date_of_birth": row.date_of_birth, "school_class": classes[key]}
            if row.family:
                if row.family not in families:
                    families[row.family] = Family.objects.create(board_id=school.board_id,
                                                                 label=row.family)
                    result.families_created += 1
                values["family"] = families[row.family]
            pupil = pupils.get(row.external_id)
            is_new = pupil is None
            if is_new:
                pupil = Pupil(school=school, external_id=row.external_id)
                pupils[row.external_id] = pupil
                links: list[PupilParent] = []
            else:
                links = list(pupil.parent_links.all())
            pupil_changed = _save_if_changed(pupil, values, actor, reason)
            parents_changed = _import_parents(row, pupil, links, family_parents, actor, reason,
                                              result)
            if is_new:
                result.created += 1
            elif pupil_changed or parents_changed:
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def _same_person(parent: Parent, row: importer.ParentRow) -> bool:
    if row.email and parent.email:
        return parent.email.casefold() == row.email.casefold()
    return " ".join(parent.name.split()).casefold() == " ".join(row.name.split()).casefold()


def _import_parents(row: importer.PupilRow, pupil: Pupil, links: list[PupilParent],
                    family_parents: dict[int, list[Parent]], actor, reason: str,
                    result: ImportResult) -> bool:
    """Create or update the parents of one imported pupil; whether anything changed."""
    changed = False
    used: set[int] = set()
    for p in row.parents:
        link = next((lk for lk in links
                     if lk.parent_id not in used and _same_person(lk.parent, p)), None)
        if link is not None:
            parent = link.parent
        else:
            parent = next((par for par in family_parents.get(pupil.family_id, [])
                           if par.pk not in used and _same_person(par, p)), None)
            if parent is None:
                parent = Parent(school=pupil.school, name=p.name)
                result.parents_created += 1
                if pupil.family_id:
                    family_parents.setdefault(pupil.family_id, []).append(parent)
        values = {"name": p.name}
        if p.email:
            values["email"] = p.email
        if p.phone:
            values["phone"] = p.phone
        if p.safe_to_contact is False:
            values["safe_to_contact"] = False
        changed |= _save_if_changed(parent, values, actor, reason)
        used.add(parent.pk)
        if link is None:
            link = PupilParent(pupil=pupil, parent=parent,
                               relationship=p.relationship or Relationship.PARENT,
                               has_authority=True if p.has_authority is None else p.has_authority)
            link._history_user = actor
            link._change_reason = reason
            link.save()
            links.append(link)
            changed = True
        else:
            values = {}
            if p.relationship:
                values["relationship"] = p.relationship
            if p.has_authority is not None:
                values["has_authority"] = p.has_authority
            changed |= _save_if_changed(link, values, actor, reason)
    return changed


# The checked file travels to the confirm step inside the confirm form, signed (not stored):
# nothing of the file lands in the session or on disk, the signature binds it to this user and
# school and expires, and the confirm step parses and checks it again before writing.
IMPORT_PAYLOAD_MAX_AGE = 30 * 60


def _import_payload_salt(user, school) -> str:
    return f"schools.pupil_import:{user.pk}:{school.pk}"


def import_payload_make(data: bytes, *, user, school: School) -> str:
    """A signed, compressed copy of an uploaded file that passed ``parse_pupil_csv``."""
    return signing.dumps(data.decode("utf-8"), salt=_import_payload_salt(user, school),
                         compress=True)


def import_payload_read(token: str, *, user, school: School) -> bytes | None:
    """The file from ``import_payload_make``; None if tampered with, for someone else, or old."""
    try:
        text = signing.loads(token, salt=_import_payload_salt(user, school),
                             max_age=IMPORT_PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        return None
    return text.encode("utf-8") if isinstance(text, str) else None

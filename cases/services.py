"""Writes on cases other than step moves (those live in ``workflow``)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.access import active_roles
from schools.models import Pupil, School

from .models import (
    AccessAction,
    AccessGrantAction,
    AccessGrantEvent,
    AccessLog,
    Case,
    CaseSignal,
    CaseUserObjectPermission,
    Route,
    Status,
    Step,
    StepTransition,
    TransitionKind,
)


class ServiceError(Exception):
    """A refused write; ``messages`` are Dutch and shown to the user."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(str(m) for m in self.messages))


class EditConflict(Exception):
    """Someone else saved the record since this user opened it."""

    def __init__(self, current):
        super().__init__("edit conflict")
        self.current = current


def _next_number(school: School) -> str:
    year = timezone.localdate().year
    prefix = f"{year}-"
    last = (Case.objects.filter(school=school, number__startswith=prefix)
            .order_by("-number").values_list("number", flat=True).first())
    seq = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


@transaction.atomic
def case_open(*, pupil: Pupil, actor, signals=(), owner=None, route: str = Route.MELDCODE,
              acute: bool = False, reason: str = "") -> Case:
    """Open a case for one pupil (R1), optionally from signals about that pupil."""
    school = School.objects.select_for_update().select_related("board").get(pk=pupil.school_id)
    # The school row lock serialises this check: two people cannot open two cases at once.
    if Case.objects.filter(pupil=pupil, status=Status.OPEN, route=route).exists():
        raise ServiceError(_("Voor deze leerling loopt al een dossier; voeg de signalen daaraan toe."))
    for signal in signals:
        if signal.school_id != school.pk or not signal.pupil_links.filter(pupil=pupil).exists():
            raise ServiceError(_("Een signaal hoort niet bij deze leerling."))
    case = Case(school=school, pupil=pupil, number=_next_number(school), route=route,
                step=Step.SIGNALEN, step_entered_at=timezone.now(), owner=owner or actor,
                opened_by=actor, acute=acute, meldcode_version=school.board.meldcode_version)
    case._history_user, case._change_reason = actor, "dossier geopend"
    case.save()
    StepTransition.objects.create(case=case, kind=TransitionKind.OPEN, from_step=None,
                                  to_step=Step.SIGNALEN, actor=actor, reason=reason)
    for signal in signals:
        _link_signal(case, signal, actor)
    return case


def _link_signal(case: Case, signal, actor) -> None:
    link = CaseSignal(case=case, signal=signal, added_by=actor)
    link._history_user = actor
    link.save()
    if signal.acknowledged_at is None:
        signal.acknowledged_at, signal.acknowledged_by = timezone.now(), actor
        signal._history_user = actor
        signal.save(update_fields=["acknowledged_at", "acknowledged_by"])


@transaction.atomic
def case_add_signals(*, case: Case, signals, actor) -> int:
    """Add signals about the case's pupil to an open case; returns how many were new."""
    if case.status != Status.OPEN:
        raise ServiceError(_("Aan een afgesloten dossier kunnen geen signalen worden toegevoegd."))
    already = set(case.signal_links.values_list("signal_id", flat=True))
    added = 0
    for signal in signals:
        if signal.pk in already:
            continue
        if signal.school_id != case.school_id or not signal.pupil_links.filter(
                pupil_id=case.pupil_id).exists():
            raise ServiceError(_("Een signaal hoort niet bij de leerling van dit dossier."))
        _link_signal(case, signal, actor)
        added += 1
    return added


GRANT_CODENAMES = {"read": ["view_case"], "contribute": ["view_case", "contribute_case"]}

_GRANT_GUARDS: list = []


def register_grant_guard(guard) -> None:
    """Add ``guard(case, user) -> str | None``: a Dutch refusal, or None when allowed.

    The staff route uses it so that the accused can never be given access (R28).
    """
    if guard not in _GRANT_GUARDS:
        _GRANT_GUARDS.append(guard)


@transaction.atomic
def case_grant_access(*, case: Case, user, level: str = "read", actor=None) -> None:
    """Invite ``user`` into one case: read it, or also contribute records.

    Only staff with a role at the case's school can be invited (for the staff route: a board
    role). The grant is a guardian object permission on the direct-FK table.
    """
    if level not in GRANT_CODENAMES:
        raise ServiceError(_("Onbekend toegangsniveau."))
    roles = active_roles(user)
    if case.route == Route.STAFF:
        allowed = any(r.school_id is None and r.board_id == case.school.board_id for r in roles)
    else:
        allowed = any(r.school_id == case.school_id for r in roles)
    if not allowed:
        raise ServiceError(_("Deze persoon heeft geen rol op deze school."))
    for guard in _GRANT_GUARDS:
        if refusal := guard(case, user):
            raise ServiceError(refusal)
    perms = Permission.objects.filter(content_type__app_label="cases",
                                      codename__in=GRANT_CODENAMES[level])
    for perm in perms:
        CaseUserObjectPermission.objects.get_or_create(content_object=case, user=user,
                                                       permission=perm)
    if level == "read":
        CaseUserObjectPermission.objects.filter(content_object=case, user=user,
                                                permission__codename="contribute_case").delete()
    AccessGrantEvent.objects.create(
        case=case, user=user, actor=actor,
        action=AccessGrantAction.READ if level == "read" else AccessGrantAction.CONTRIBUTE)


@transaction.atomic
def case_revoke_access(*, case: Case, user, actor=None) -> None:
    deleted, _rows = CaseUserObjectPermission.objects.filter(content_object=case,
                                                             user=user).delete()
    if deleted:
        AccessGrantEvent.objects.create(case=case, user=user, actor=actor,
                                        action=AccessGrantAction.REVOKED)


def log_access(*, user, obj, action: str = AccessAction.VIEW, case: Case | None = None) -> None:
    """Write one access-log row for a read of case data: ids only, never content."""
    if case is None and isinstance(obj, Case):
        case = obj
    school_id = (getattr(obj, "school_id", None)
                 or getattr(getattr(obj, "signal", None), "school_id", None)
                 or (case.school_id if case else None))
    insert_access_rows([(user.pk, school_id, case.pk if case else None, obj._meta.label_lower,
                         obj.pk, action)])


# What an overview may log in ``listed_ids``: the retention purge strips destroyed ids of
# exactly these types from those lists (retention/purge.py), so a new type must be added here.
LISTED_TYPES = frozenset({"cases.case", "signals.signal"})


def listed_rows(objects) -> list[tuple]:
    """What ``log_listed_rows`` needs of the cases and signals a list shows: (type, id,
    school), once each. Plain values, so a cached list can log its reads again."""
    rows, seen = [], set()
    for obj in objects:
        key = (obj._meta.label_lower, obj.pk)
        if key in seen:
            continue
        seen.add(key)
        rows.append((key[0], obj.pk, obj.school_id))
    return rows


def log_listed_rows(*, user, rows) -> None:
    """Log that the cases and signals in ``rows`` (``listed_rows``) were shown to ``user`` in
    an overview: ONE row per school and object type, holding the ids shown (``listed_ids``),
    all in one insert. The case's access-log page finds it by the id (``has_id``)."""
    groups: dict[tuple, list[int]] = {}
    for label, pk, school_id in rows:
        if label not in LISTED_TYPES:
            raise ValueError(f"{label} is not in LISTED_TYPES")
        groups.setdefault((school_id, label), []).append(pk)
    insert_access_rows([(user.pk, school_id, None, label, None, AccessAction.LISTED, sorted(ids))
                        for (school_id, label), ids in sorted(groups.items())])


def insert_access_rows(rows) -> None:
    """Insert access-log rows ``(user_id, school_id, case_id, object_type, object_id,
    action[, listed_ids])`` in ONE statement: a single INSERT is atomic by itself, so the
    BEGIN/COMMIT that ``bulk_create`` adds (two more round trips on every list page) buys
    nothing here."""
    if not rows:
        return
    from django.db import connection

    ops = connection.ops
    at = ops.adapt_datetimefield_value(timezone.now())
    table = AccessLog._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params = []
    for row in rows:
        listed = row[6] if len(row) > 6 else None
        params.extend((*row[:6], None if listed is None else ops.adapt_json_value(listed, None),
                       at))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (user_id, school_id, case_id, object_type, "
                       f"object_id, action, listed_ids, at) VALUES {values}", params)


def log_list_access(*, user, objects) -> None:
    """Log that ``objects`` (cases, signals) were shown to ``user`` in an overview.

    A list shows a pupil's name beside a case or a signal: that is a read of case data too
    (R34), so a parent or the FG can see who had a case in view. One insert for the whole list.
    """
    log_listed_rows(user=user, rows=listed_rows(objects))


@transaction.atomic
def record_save(*, record, actor, base_version: int | None = None, reason: str = ""):
    """Create or update a step record with optimistic locking.

    ``base_version`` is the ``lock_version`` the user's form was built from; when the stored
    row has moved on, ``EditConflict`` carries the current row and nothing is written.
    """
    if record.pk is not None:
        current = type(record).objects.select_for_update().get(pk=record.pk)
        if base_version is not None and current.lock_version != base_version:
            raise EditConflict(current)
        record.lock_version = current.lock_version + 1
    record._history_user = actor
    record._change_reason = reason or ("aangemaakt" if record.pk is None else "gewijzigd")
    record.save()
    return record


def sibling_cases(case: Case, visible_qs) -> list[Case]:
    """Open cases of the pupil's siblings within the board that the viewer may see."""
    family_id = case.pupil.family_id
    if not family_id:
        return []
    return list(visible_qs.filter(pupil__family_id=family_id, status=Status.OPEN)
                .exclude(pk=case.pk).select_related("pupil", "school"))

"""Content versions: a token per school and per case that changes whenever what a page shows
of it may have changed, so rendered fragments can be cached safely (``core.fragments``).

Three kinds of token, each a row of ``ContentVersion`` (missing row = token 0):

- ``case``: the case's own content (its records, signals, decisions, grants, step).
- ``school_data``: any case or signal content at the school (lists, dashboards, agendas).
- ``school_directory``: the school's people and pupils (names, groups, roles), shown beside
  case content everywhere, and how those people want to be told of notifications (the
  notified role holders are cached under it: ``notifications.services.role_holders``).

Writes are found by Django's model signals (``post_save``, ``post_delete``, ``m2m_changed``) for
every model of the case-data apps and the school directory, resolved to schools and cases by
their foreign keys (``targets_for``); a test checks that every model is either resolved or
deliberately ignored, so a model added later cannot be forgotten silently. Code that writes
with ``QuerySet.update``/``bulk_create`` on such a model must call ``bump`` itself.

The tokens change *after* the transaction commits (one statement per transaction, however
many rows it wrote): a reader takes the tokens before it reads the data, so a fragment is
never stored under a token newer than the data in it. Each bump draws a fresh random token, so
a value is never reused for different content. The tokens live in the database, not in a
per-process cache, so every web process sees a change at its next request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

CASE = "case"
SCHOOL_DATA = "school_data"
SCHOOL_DIRECTORY = "school_directory"

# Apps whose models are case content; ``schools`` and the user model are the directory.
CONTENT_APPS = ("cases", "signals", "afwegingskader", "specialroutes")
DIRECTORY_APPS = ("schools",)
# Per-user rows of other apps that change the directory of every school of their user.
USER_DIRECTORY_MODELS = {
    "notifications.mailpreference",  # read with the role holders that are notified
}
# School settings of other apps that shape the school's case lists (the dashboard's overdue
# lists follow the school's step terms, R52): a write changes the school's data token.
SCHOOL_SETTING_MODELS = {
    "reminders.stepterm",
}
# Written on every read or by background bookkeeping; nothing a fragment shows.
IGNORED_MODELS = {
    "cases.accesslog",          # one row per read: bumping would defeat every cache
    "cases.accessgrantevent",   # shown only on the (uncached) access page
    "schools.family",           # no names; siblings are computed per request
}


@dataclass
class Targets:
    cases: set[int] = field(default_factory=set)
    schools: set[int] = field(default_factory=set)       # school_data
    signals: set[int] = field(default_factory=set)       # -> their school and cases
    directory_schools: set[int] = field(default_factory=set)
    directory_boards: set[int] = field(default_factory=set)
    directory_users: set[int] = field(default_factory=set)

    def update(self, other: Targets) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).update(getattr(other, name))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


def _content_targets(instance, depth: int = 0) -> Targets:
    """Cases, schools and signals a content row belongs to, by its foreign keys."""
    from cases.models import Case, CaseUserObjectPermission
    from schools.models import School
    from signals.models import Signal

    t = Targets()
    if isinstance(instance, Case):
        t.cases.add(instance.pk)
        t.schools.add(instance.school_id)
        return t
    if isinstance(instance, Signal):
        t.signals.add(instance.pk)
        t.schools.add(instance.school_id)
        return t
    if isinstance(instance, CaseUserObjectPermission):
        t.cases.add(int(instance.content_object_id))
        return t
    for f in instance._meta.concrete_fields:
        if not f.is_relation or not (f.many_to_one or f.one_to_one):
            continue
        value = getattr(instance, f.attname)
        if value is None:
            continue
        model = f.related_model
        if model is Case:
            t.cases.add(value)
        elif model is Signal:
            t.signals.add(value)
        elif model is School:
            t.schools.add(value)
        elif depth < 2 and model._meta.app_label in CONTENT_APPS:
            parent = getattr(instance, f.name, None)
            if parent is not None:
                t.update(_content_targets(parent, depth + 1))
    return t


def _directory_targets(instance) -> Targets:
    from schools.models import Board, School

    t = Targets()
    if isinstance(instance, School):
        t.directory_schools.add(instance.pk)
        t.schools.add(instance.pk)  # the school's settings shape its lists
    elif isinstance(instance, Board):
        t.directory_boards.add(instance.pk)
    elif isinstance(instance, get_user_model()):
        t.directory_users.add(instance.pk)
    else:
        school_id = getattr(instance, "school_id", None)
        board_id = getattr(instance, "board_id", None)
        moved_from = getattr(instance, "_meldcode_previous_school_id", None)
        if moved_from is not None:  # a pupil (or group, role) moved: the old school shows it
            t.directory_schools.add(moved_from)
        if school_id is not None:
            t.directory_schools.add(school_id)
        elif board_id is not None:  # a board role: every school of the board
            t.directory_boards.add(board_id)
        else:
            for f in instance._meta.concrete_fields:
                if (f.is_relation and (f.many_to_one or f.one_to_one)
                        and getattr(instance, f.attname) is not None):
                    related = getattr(instance, f.name, None)
                    school_id = getattr(related, "school_id", None)
                    if school_id is not None:
                        t.directory_schools.add(school_id)
    return t


def targets_for(instance) -> Targets:
    label = instance._meta.label_lower
    if label in IGNORED_MODELS:
        return Targets()
    app = instance._meta.app_label
    if label in USER_DIRECTORY_MODELS:
        return Targets(directory_users={instance.user_id})
    if label in SCHOOL_SETTING_MODELS:
        return Targets(schools={instance.school_id})
    if app in CONTENT_APPS:
        return _content_targets(instance)
    if app in DIRECTORY_APPS or isinstance(instance, get_user_model()):
        return _directory_targets(instance)
    return Targets()


# --- Bumping ---------------------------------------------------------------------------------

class _Pending:
    def __init__(self):
        self.targets = Targets()
        self.callback = self.flush

    def flush(self) -> None:
        targets, self.targets = self.targets, Targets()
        conn = connections[DEFAULT_DB_ALIAS]
        if getattr(conn, "_meldcode_pending_versions", None) is self:
            conn._meldcode_pending_versions = None
        _write(targets)


def _pending_on(conn) -> _Pending | None:
    """This transaction's pending bumps (a rolled-back transaction drops its callbacks)."""
    pending = getattr(conn, "_meldcode_pending_versions", None)
    if (pending is None or not conn.in_atomic_block
            or not any(entry[1] is pending.callback for entry in conn.run_on_commit)):
        return None
    return pending


def has_pending() -> bool:
    """Whether this connection's open transaction wrote content whose tokens change only at
    commit: what it reads now must not be served from (or stored in) a fragment cache."""
    return _pending_on(connections[DEFAULT_DB_ALIAS]) is not None


def bump(targets: Targets) -> None:
    """Change the tokens of ``targets`` once the current transaction commits (now, outside
    one). Several bumps in one transaction become one statement."""
    if not targets:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        _write(targets)
        return
    pending = _pending_on(conn)
    if pending is None:
        pending = _Pending()
        conn._meldcode_pending_versions = pending
        transaction.on_commit(pending.callback)
    pending.targets.update(targets)


def _write(t: Targets) -> None:
    """One upsert: the given rows plus what they imply (a case's school, a signal's cases and
    school, a board's or a user's schools), all set to one fresh random token."""
    from .models import ContentVersion

    if not t:
        return
    table = ContentVersion._meta.db_table
    token = secrets.randbits(62) or 1
    selects, params = [], []

    def values(kind, ids):
        for pk in sorted(ids):
            selects.append("SELECT %s AS kind, %s AS object_id")
            params.extend([kind, pk])

    def subquery(sql, ids):
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            selects.append(sql.format(ids=marks))
            params.extend(sorted(ids))

    values(CASE, t.cases)
    values(SCHOOL_DATA, t.schools)
    values(SCHOOL_DIRECTORY, t.directory_schools)
    subquery(f"SELECT '{SCHOOL_DATA}' AS kind, school_id AS object_id FROM cases_case "
             f"WHERE id IN ({{ids}})", t.cases)
    subquery(f"SELECT '{SCHOOL_DATA}' AS kind, school_id AS object_id FROM signals_signal "
             f"WHERE id IN ({{ids}})", t.signals)
    subquery(f"SELECT '{CASE}' AS kind, case_id AS object_id FROM cases_casesignal "
             f"WHERE signal_id IN ({{ids}})", t.signals)
    subquery(f"SELECT '{SCHOOL_DIRECTORY}' AS kind, id AS object_id FROM schools_school "
             f"WHERE board_id IN ({{ids}})", t.directory_boards)
    subquery(f"SELECT '{SCHOOL_DIRECTORY}' AS kind, COALESCE(m.school_id, s.id) AS object_id "
             f"FROM "
             f"schools_membership m LEFT JOIN schools_school s ON m.school_id IS NULL AND "
             f"s.board_id = m.board_id WHERE m.user_id IN ({{ids}})", t.directory_users)
    union = " UNION ".join(selects)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    sql = (f"INSERT INTO {table} (kind, object_id, token) "
           f"SELECT DISTINCT kind, object_id, %s FROM ({union}) AS bumped "
           f"WHERE object_id IS NOT NULL "
           f"ON CONFLICT (kind, object_id) DO UPDATE SET token = excluded.token")
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, [token, *params])


# --- Reading ---------------------------------------------------------------------------------

def tokens(*, cases=(), schools=(), directory_schools=()) -> dict[tuple[str, int], int]:
    """The current tokens, one query: {(kind, id): token}, 0 for ids never bumped.

    Plain SQL: every cached page asks this once, and building the equivalent ORM query cost
    more than running it."""
    from .models import ContentVersion

    wanted = [(CASE, int(i)) for i in cases] + [(SCHOOL_DATA, int(i)) for i in schools] + [
        (SCHOOL_DIRECTORY, int(i)) for i in directory_schools]
    if not wanted:
        return {}
    conditions, params = [], []
    for kind, ids in ((CASE, cases), (SCHOOL_DATA, schools),
                      (SCHOOL_DIRECTORY, directory_schools)):
        if ids:
            ids = sorted({int(i) for i in ids})
            conditions.append(f"(kind = %s AND object_id IN ({', '.join(['%s'] * len(ids))}))")
            params += [kind, *ids]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT kind, object_id, token FROM {ContentVersion._meta.db_table} "
                       f"WHERE {' OR '.join(conditions)}", params)
        found = {(kind, object_id): token for kind, object_id, token in cursor.fetchall()}
    return {key: found.get(key, 0) for key in wanted}


# --- Signal receivers ------------------------------------------------------------------------

# Saves of the user row that change nothing a page shows (every login writes last_login).
_USER_FIELDS_NOT_SHOWN = frozenset({"last_login", "password"})


def _on_write(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return  # fixtures
    update_fields = kwargs.get("update_fields")
    if (update_fields and isinstance(instance, get_user_model())
            and set(update_fields) <= _USER_FIELDS_NOT_SHOWN):
        return
    targets = targets_for(instance)
    if targets:
        bump(targets)


def _remember_previous_school(sender, instance, **kwargs):
    """Before a directory row with a school is changed: which school it belonged to, so a
    move bumps both schools (one query, only for existing rows of those models)."""
    if kwargs.get("raw") or instance.pk is None or instance._state.adding:
        return
    previous = (type(instance)._base_manager.filter(pk=instance.pk)
                .values_list("school_id", flat=True).first())
    if previous is not None and previous != instance.school_id:
        instance._meldcode_previous_school_id = previous


def _on_m2m(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        _on_write(sender, instance)


def tracked_models() -> list:
    models = [m for m in apps.get_models()
              if (m._meta.app_label in CONTENT_APPS + DIRECTORY_APPS
                  or m is get_user_model() or m._meta.label_lower in USER_DIRECTORY_MODELS
                  or m._meta.label_lower in SCHOOL_SETTING_MODELS)
              and m._meta.label_lower not in IGNORED_MODELS
              and not m.__name__.startswith("Historical")]
    return models


def connect() -> None:
    for model in tracked_models():
        uid = f"meldcode-versions-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
        if (model._meta.app_label in DIRECTORY_APPS
                and any(f.attname == "school_id" for f in model._meta.concrete_fields)):
            pre_save.connect(_remember_previous_school, sender=model,
                             dispatch_uid=uid + "-previous-school")
        for m2m in model._meta.local_many_to_many:
            m2m_changed.connect(_on_m2m, sender=m2m.remote_field.through,
                                dispatch_uid=f"{uid}-{m2m.name}-m2m")

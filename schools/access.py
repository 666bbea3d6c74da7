"""Who holds which role where, and which model permissions follow from it.

Permissions are scoped: a role held at school A gives nothing at school B. Nothing here
consults ``is_superuser``: a technical administrator reads no case content through the app.
A user's roles are read once per request (one query, cached on the user object; with a
shared cache across requests too, see ``active_roles``). What each
role may do (the role groups' permissions) changes only when a beheerder edits a group, so it
is kept in Django's cache for all requests, dropped on every change of a group, its
permissions or a permission (``_invalidate``), and at most ``ROLE_PERMISSIONS_TTL`` seconds
old in processes that do not share the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from core import sharedcache

from .models import Membership
from .roles import CASE_READING_ROLES, GROUP_NAMES, Role


@dataclass(frozen=True)
class ActiveRole:
    role: str
    board_id: int
    school_id: int | None
    membership_id: int


ROLES_CACHE = "roles"
# Only a bound on memory: a change of a membership ends the cached roles at once
# (``invalidate_roles``), the date ends them at midnight.
ROLES_TTL = 600


def active_roles(user) -> list[ActiveRole]:
    """The user's memberships that are in force today.

    Read once per request (cached on the user object) and, with a shared cache, across
    requests (``core.sharedcache``): keyed on the user, valid for the day it was read on and
    ended by every save or delete of one of the user's memberships (signals below, and
    ``MembershipQuerySet.update``/``bulk_create``).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_meldcode_roles", None)
    if cached is None:
        today = timezone.localdate()

        def compute():
            return (today.isoformat(), tuple(
                (m.role, m.board_id, m.school_id, m.pk)
                for m in Membership.objects.active(on=today).filter(user=user).only(
                    "role", "board_id", "school_id")))

        _day, rows = sharedcache.get_or_compute(
            ROLES_CACHE, user.pk, compute, ROLES_TTL,
            valid=lambda value: value[0] == today.isoformat(), holder=user)
        cached = [ActiveRole(*row) for row in rows]
        user._meldcode_roles = cached
    return cached


sharedcache.PER_USER.add(ROLES_CACHE)


def invalidate_roles(user_id) -> None:
    """End the user's roles cached across requests, in every process."""
    sharedcache.invalidate(ROLES_CACHE, user_id)


def _membership_changed(sender, instance, **kwargs):
    invalidate_roles(instance.user_id)


post_save.connect(_membership_changed, sender=Membership, dispatch_uid="roles-membership-save")
post_delete.connect(_membership_changed, sender=Membership,
                    dispatch_uid="roles-membership-delete")


def _role_permissions() -> dict[str, frozenset[str]]:
    rows = Permission.objects.filter(group__name__in=GROUP_NAMES.values()).values_list(
        "group__name", "content_type__app_label", "codename")
    by_group: dict[str, set[str]] = {}
    for group, app, code in rows:
        by_group.setdefault(group, set()).add(f"{app}.{code}")
    return {role: frozenset(by_group.get(name, ())) for role, name in GROUP_NAMES.items()}


ROLE_PERMISSIONS_KEY = "meldcode:role-permissions:v1"
ROLE_PERMISSIONS_TTL = 60
sharedcache.PLAIN_KEYS.add(ROLE_PERMISSIONS_KEY)  # read with the user's entries


def role_permissions(user) -> dict[str, frozenset[str]]:
    cached = getattr(user, "_meldcode_role_perms", None)
    if cached is None:
        cached = sharedcache.get(ROLE_PERMISSIONS_KEY, holder=user)
        if cached is None:
            cached = _role_permissions()
            cache.set(ROLE_PERMISSIONS_KEY, cached, ROLE_PERMISSIONS_TTL)
        user._meldcode_role_perms = cached
    return cached


PERMISSION_IDS_KEY = "meldcode:permission-ids:v1"
# This process's copy of the table: (monotonic time it was read, table).
_permission_ids_local: tuple[float, dict[str, int]] | None = None


def permission_id(app_label: str, codename: str) -> int | None:
    """The id of a permission (cached like the role permissions), for filters on object
    permissions by id instead of a join with ``auth_permission``. ``None`` when unknown, which
    matches no row: a stale cache can only deny. So this process also keeps its own copy for
    ``ROLE_PERMISSIONS_TTL`` seconds (no cache round trip per lookup; ids of permissions do not
    change, a new permission is unknown at most that long)."""
    global _permission_ids_local
    local = _permission_ids_local
    if local is not None and time.monotonic() - local[0] < ROLE_PERMISSIONS_TTL:
        return local[1].get(f"{app_label}.{codename}")
    table = cache.get(PERMISSION_IDS_KEY)
    if table is None:
        table = {f"{app}.{code}": pk for pk, app, code in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename")}
        cache.set(PERMISSION_IDS_KEY, table, ROLE_PERMISSIONS_TTL)
    _permission_ids_local = (time.monotonic(), table)
    return table.get(f"{app_label}.{codename}")


def clear_role_permissions_cache(**kwargs) -> None:
    global _permission_ids_local
    _permission_ids_local = None
    cache.delete_many([ROLE_PERMISSIONS_KEY, PERMISSION_IDS_KEY])


def _invalidate_on_m2m(sender, instance, model, **kwargs):
    if isinstance(instance, (Group, Permission)) or model in (Group, Permission):
        clear_role_permissions_cache()


for _model in (Group, Permission):
    post_save.connect(clear_role_permissions_cache, sender=_model,
                      dispatch_uid=f"role-perms-save-{_model.__name__}")
    post_delete.connect(clear_role_permissions_cache, sender=_model,
                        dispatch_uid=f"role-perms-delete-{_model.__name__}")
m2m_changed.connect(_invalidate_on_m2m, sender=Group.permissions.through,
                    dispatch_uid="role-perms-m2m")


def roles_at(user, school_id: int) -> set[str]:
    return {r.role for r in active_roles(user) if r.school_id == school_id}


def board_roles(user, board_id: int) -> set[str]:
    return {r.role for r in active_roles(user) if r.school_id is None and r.board_id == board_id}


def perms_at(user, school) -> set[str]:
    """Model permissions the user holds at ``school`` (a School or its id), board roles included."""
    school_id = getattr(school, "pk", school)
    board_id = getattr(school, "board_id", None)
    table = role_permissions(user)
    perms: set[str] = set()
    for r in active_roles(user):
        if r.school_id == school_id or (r.school_id is None and board_id is not None
                                        and r.board_id == board_id):
            perms |= table.get(r.role, frozenset())
    return perms


def has_school_perm(user, perm: str, school) -> bool:
    return perm in perms_at(user, school)


def school_ids_with_perm(user, perm: str) -> set[int]:
    """Schools where the user holds ``perm`` through a school-level role."""
    table = role_permissions(user)
    return {r.school_id for r in active_roles(user)
            if r.school_id is not None and perm in table.get(r.role, frozenset())}


def board_ids_with_perm(user, perm: str) -> set[int]:
    table = role_permissions(user)
    return {r.board_id for r in active_roles(user)
            if r.school_id is None and perm in table.get(r.role, frozenset())}


def reads_case_data(user) -> bool:
    """Whether any role the user holds can read case data (two-factor authentication required)."""
    return any(r.role in CASE_READING_ROLES for r in active_roles(user))


def is_role(user, role: Role) -> bool:
    return any(r.role == role for r in active_roles(user))

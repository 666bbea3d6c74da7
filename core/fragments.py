"""Rendered page fragments, cached per web process and keyed on everything they show.

A key holds the content tokens of the schools and cases a fragment shows (``core.versions``:
they change with every write), who is looking (the user and their roles in force, with what
those roles may do), the language, the date and the request's own parameters. A fragment is
looked up only *after* the view has checked the user's access, and the access log is written
for every request, cached or not (R34).

The store is ``CACHES["fragments"]``: local memory of the web process, bounded and short-lived,
so rendered case content never leaves the process that is allowed to render it (no copy in a
shared Redis). ``MELDCODE_FRAGMENT_CACHE = False`` turns it off (every request renders).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from schools.access import active_roles, role_permissions

from . import versions

T = TypeVar("T")


def enabled() -> bool:
    return getattr(settings, "MELDCODE_FRAGMENT_CACHE", False)


def _key(parts) -> str:
    return "fragment:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def cached(name: str, scope: Callable[[], tuple], build: Callable[[], T]) -> T:
    """``build()``'s result, from the process cache when it holds one for ``name`` and the
    key parts ``scope()`` returns. Neither is computed when the cache is off, or while this
    transaction has written content (its tokens change only at commit)."""
    if not enabled() or versions.has_pending():
        return build()
    store = caches["fragments"]
    key = _key((name, translation.get_language(), *scope()))
    value = store.get(key)
    if value is None:
        value = build()
        store.set(key, value)
    return value


def viewer(user) -> tuple:
    """Who is looking, as far as it changes what they may see: the user, their roles in force
    (role, board, school) and what each of those roles may do."""
    roles = tuple(sorted((r.role, r.board_id, r.school_id or 0) for r in active_roles(user)))
    perms = role_permissions(user)
    return (user.pk, user.get_full_name(), user.username, roles,
            tuple(tuple(sorted(perms.get(r[0], frozenset()))) for r in roles))


def viewer_schools(user) -> set[int]:
    """The schools whose content the user's roles can reach: schools of school roles and
    every school of a board where they hold a board role (one query only for board roles)."""
    from schools.models import School

    roles = active_roles(user)
    ids = {r.school_id for r in roles if r.school_id is not None}
    boards = {r.board_id for r in roles if r.school_id is None}
    if boards:
        ids |= set(School.objects.filter(board_id__in=boards).values_list("pk", flat=True))
    return ids


def school_scope(user, *, hour: bool = False) -> tuple:
    """Key parts for a page built from the content of the user's schools: the viewer, the
    schools' data and directory tokens (one query), today (and the hour, for pages that count
    time, such as "days in step" and overdue lists)."""
    schools = sorted(viewer_schools(user))
    found = versions.tokens(schools=schools, directory_schools=schools)
    now = timezone.localtime()
    when = (now.date(), now.hour) if hour else (now.date(),)
    return (viewer(user), tuple(sorted(found.items())), when)


def case_scope(case, *, hour: bool = False) -> tuple:
    """Key parts for a fragment that shows one case's own content: its token and its
    school's directory token (one query), today (and the hour, for overdue marks)."""
    found = versions.tokens(cases=[case.pk], directory_schools=[case.school_id])
    now = timezone.localtime()
    when = (now.date(), now.hour) if hour else (now.date(),)
    return (case.pk, tuple(sorted(found.items())), when)


# Per-request values in a cached page (the CSRF token, parts from other schools' content) are
# rendered as placeholders and filled in for each response. The placeholders are random per
# process (as the cache is), so text a user typed can never be taken for one.
_PLACEHOLDER = "meldcode-slot-" + secrets.token_hex(16) + "-"


def _slot(name: str) -> str:
    return f"{_PLACEHOLDER}{name}-"



def render_with_placeholders(template: str, context: dict, request, *, slots=()) -> str:
    """Render ``template`` for the cache: the CSRF token and each of ``slots`` become
    placeholders that ``fill`` replaces."""
    context = {**context, "csrf_token": _slot("csrf"), **{name: _slot(name) for name in slots}}
    return render_to_string(template, context, request=request)


def fill(html: str, request, **slots) -> SafeString:
    """A cached page with this request's CSRF token and ``slots`` (already safe HTML)."""
    if _PLACEHOLDER not in html:
        return mark_safe(html)  # noqa: S308 - rendered by our templates
    if _slot("csrf") in html:
        html = html.replace(_slot("csrf"), get_token(request))
    for name, value in slots.items():
        html = html.replace(_slot(name), str(value))
    return mark_safe(html)  # noqa: S308 - our templates' output plus our escaped parts

"""The registry of due moments. Each app says what is due; the scan delivers it.

A ``Source`` is a name plus a function ``due(now)`` that yields ``Due`` items: the object,
its school, the occurrence that identifies this instance of the cause, when it was due, the
link (ids only), the level, and the recipients. The function must

- compute what is due in SQL, in a fixed number of queries (usually one ``values_list``
  over an indexed due column), so the scan's query count does not grow with the items;
- yield only *unresolved* causes: an acknowledged signal, a withdrawn registration, a case
  that left its step is simply no longer yielded, and its unsent reminders are cancelled;
- be monotonic: an unresolved cause that is due at ``now`` is also due later.

Recipients are either named users (``users``, e.g. the case owner; they must still hold one
of ``Source.user_roles`` at the school, or for a board role at its board) or everyone who
holds one of ``roles`` there when the scan runs. Both are checked again at send time.

Registering (from an app's ``AppConfig.ready`` or from ``reminders.builtin``)::

    from reminders.sources import Due, Source, register

    register(Source(name="retention_signal", label=_("Bewaartermijn signalen"),
                    kind=Kind.RETENTION, object_type="signals.signal",
                    due=my_due_function, user_roles=(Role.BEHEERDER,)))

``name`` is stored in every ``Reminder`` row: never rename a source that has been in use.

Choosing ``occurrence``: the moment that identifies *this* instance of the cause. Use the due
date itself for a date column (moving the date is a new instance, so a new reminder), and
the start of the period for a running term (``Case.step_entered_at``: a changed term length
then does not re-send). Levels escalate one cause: each (occurrence, level, recipient) is
delivered once.

Retention (bewaartermijnen, R36) uses the same mechanism: a source over the column holding
the end of the retention period, e.g.::

    def retention_due(now):
        notice = timezone.localdate(now) + datetime.timedelta(days=30)
        for pk, school_id, ends_on in (Case.objects.filter(
                status=Status.CLOSED, retention_ends_on__lte=notice, purged_at__isnull=True)
                .values_list("pk", "school_id", "retention_ends_on")):
            yield Due(pk, school_id, start_of(ends_on), start_of(ends_on) - 30 days,
                      url=..., roles=(Role.BEHEERDER,))   # a board role: its board's beheerder

    register(Source(name="retention_case", label=_("Bewaartermijn dossiers"),
                    kind=Kind.RETENTION, object_type="cases.case", due=retention_due))

The reminder only tells that the term ends; the deletion itself is the retention app's own
audited task. Deleting the object resolves the cause (it is no longer yielded).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from schools.roles import Role

#: Every role; a named recipient of a source without ``user_roles`` needs any role at the school.
ANY_ROLE: tuple[str, ...] = tuple(Role.values)


class Due(NamedTuple):
    """One due item. Build it from a ``values_list`` row, not from model instances."""

    object_id: int
    school_id: int
    occurrence: datetime.datetime
    due_at: datetime.datetime
    url: str
    level: int = 1
    users: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    exclude_user: int | None = None
    kind: str = ""  # overrides Source.kind (an escalation level with its own text)


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    kind: str
    due: Callable[[datetime.datetime], Iterable[Due]]
    object_type: str = ""
    user_roles: tuple[str, ...] = ANY_ROLE
    description: str = ""
    # Shown on the beheerder's screen: which rule of domain.md this chases.
    rule: str = ""
    meta: dict = field(default_factory=dict, compare=False)


_REGISTRY: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add (or replace, by name) a source. Safe to call again from ``ready()``."""
    if len(source.name) > 40:
        raise ValueError("a source name has at most 40 characters")
    _REGISTRY[source.name] = source
    return source


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> list[Source]:
    return list(_REGISTRY.values())


def get(name: str) -> Source | None:
    return _REGISTRY.get(name)

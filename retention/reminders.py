"""Due moments for the reminders app (``reminders.sources``), registered from
``RetentionConfig.ready`` when that app is installed.

- ``retention_case``: a closed case whose term ended (or whose pupil's request was granted)
  and that no legal hold keeps: to the school's veiligheidscoördinator(s) and directeur(s).
  Occurrence: the day the term ended (a moved ``left_on`` or a changed term is a new
  occurrence; lifting a hold on the same term is not). Destroying the case resolves it.
- ``retention_signal``: a loose signal (never in a case) whose term ended since the last of
  its pupils left: to the same roles at the signal's school. Occurrence: the day the term
  ended. Destroying the signal resolves it (and the purge removes its reminders).
- ``retention_request``: an undecided request of a pupil a week before its one-month
  deadline (AVG art. 12(3)), to the same roles. Deciding resolves it.

Each runs two queries (the board terms and the cases or signals; the requests) whatever the
count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CASE_SOURCE = "retention_case"
SIGNAL_SOURCE = "retention_signal"
REQUEST_SOURCE = "retention_request"
REQUEST_NOTICE = datetime.timedelta(days=7)


def _start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def retention_case_due(now: datetime.datetime) -> Iterator:
    from reminders.sources import Due

    from schools.roles import Role

    from . import selectors
    from .models import RecordType

    today = timezone.localdate(now)
    rows = list(selectors.due_cases(today=today).order_by().values_list(
        "pk", "school_id", "school__board_id", "pupil__left_on", "requested", "closed_at"))
    if not rows:
        return
    terms = selectors.terms_for_boards({r[2] for r in rows})
    url = _pattern("retention:proposal")
    for pk, school_id, board_id, left_on, requested, closed_at in rows:
        if requested or left_on is None:
            moment = closed_at or now
        else:
            moment = _start(selectors.years_after(left_on, terms[board_id][RecordType.CASE]))
        yield Due(pk, school_id, moment, moment, url.format(pk),
                  roles=(Role.VC, Role.DIRECTEUR))


def retention_signal_due(now: datetime.datetime) -> Iterator:
    from reminders.sources import Due

    from schools.roles import Role

    from . import selectors
    from .models import RecordType

    today = timezone.localdate(now)
    rows = list(selectors.due_loose_signals(today=today).order_by().values_list(
        "pk", "school_id", "school__board_id", "last_left"))
    if not rows:
        return
    terms = selectors.terms_for_boards({r[2] for r in rows})
    url = _pattern("retention:signal_proposal")
    for pk, school_id, board_id, last_left in rows:
        moment = _start(selectors.years_after(last_left, terms[board_id][RecordType.LOOSE_SIGNAL]))
        yield Due(pk, school_id, moment, moment, url.format(pk), roles=(Role.VC, Role.DIRECTEUR))


def retention_request_due(now: datetime.datetime) -> Iterator:
    from reminders.sources import Due

    from schools.roles import Role

    from .models import DestructionRequest

    today = timezone.localdate(now)
    rows = (DestructionRequest.objects.filter(decision="", due_on__lte=today + REQUEST_NOTICE)
            .values_list("pk", "school_id", "received_on", "due_on"))
    url = None
    for pk, school_id, received_on, due_on in rows:
        url = url or _pattern("retention:request_detail")
        yield Due(pk, school_id, _start(received_on), _start(due_on - REQUEST_NOTICE),
                  url.format(pk), roles=(Role.VC, Role.DIRECTEUR))


def register_reminder_sources() -> bool:
    if not apps.is_installed("reminders"):
        return False
    from notifications.models import Kind
    from reminders.sources import Source, register
    from schools.roles import Role

    roles = (Role.VC, Role.DIRECTEUR)
    register(Source(
        name=CASE_SOURCE, label=_("Bewaartermijn verlopen: vernietiging voorstellen"),
        kind=Kind.RETENTION, object_type="cases.case", due=retention_case_due,
        user_roles=roles, rule="R36",
        description=_("Als de bewaartermijn van een afgesloten dossier verloopt, aan de "
                      "veiligheidscoördinator en de directeur van de school.")))
    register(Source(
        name=SIGNAL_SOURCE, label=_("Bewaartermijn los signaal verlopen: vernietiging voorstellen"),
        kind=Kind.RETENTION, object_type="signals.signal", due=retention_signal_due,
        user_roles=roles, rule="R36",
        description=_("Als de bewaartermijn van een signaal dat nooit in een dossier is "
                      "opgenomen verloopt, aan de veiligheidscoördinator en de directeur van de "
                      "school.")))
    register(Source(
        name=REQUEST_SOURCE, label=_("Verzoek tot vernietiging: termijn van een maand"),
        kind=Kind.REMINDER, object_type="retention.destructionrequest",
        due=retention_request_due, user_roles=roles, rule="R36",
        description=_("Een week voor de termijn, aan de veiligheidscoördinator en de "
                      "directeur.")))
    return True

"""The one-month deadline of an access request (AVG art. 12(3), R37) as a due moment for the
reminders app (``reminders.sources``), registered from ``ExportsConfig.ready`` when that app
is installed.

One query over the partial index ``access_request_due`` (open requests by deadline). Level 1
a week before the deadline, to whoever recorded the request; level 2 on the deadline, to the
school's directeur(s). Answering the request (``completed_at``) resolves it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTICE = datetime.timedelta(days=7)
SOURCE_NAME = "access_request_deadline"


def _start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def access_request_due(now: datetime.datetime) -> Iterator:
    from reminders.sources import Due

    from schools.roles import Role

    from .models import AccessRequest

    today = timezone.localdate(now)
    rows = (AccessRequest.objects.filter(completed_at__isnull=True,
                                         due_on__lte=today + NOTICE)
            .values_list("pk", "school_id", "received_on", "due_on", "recorded_by_id"))
    pattern = None
    for pk, school_id, received_on, due_on, recorded_by in rows:
        if pattern is None:
            pattern = reverse("exports:inzage_detail", args=[987654321]).replace(
                "987654321", "{}")
        url = pattern.format(pk)
        occurrence = _start(received_on)
        yield Due(pk, school_id, occurrence, _start(due_on - NOTICE), url, level=1,
                  users=(recorded_by,))
        if due_on <= today:
            yield Due(pk, school_id, occurrence, _start(due_on), url, level=2,
                      roles=(Role.DIRECTEUR,))


def register_reminder_source() -> bool:
    if not apps.is_installed("reminders"):
        return False
    try:
        from reminders.sources import Source, register
    except ImportError:
        return False
    from notifications.models import Kind
    from schools.roles import Role

    register(Source(
        name=SOURCE_NAME, label=_("Inzageverzoek: termijn van een maand"),
        kind=getattr(Kind, "ACCESS_REQUEST", Kind.REMINDER),
        object_type="exports.accessrequest", due=access_request_due,
        user_roles=(Role.DIRECTEUR, Role.VC, Role.IB), rule="R37",
        description=_("Een week voor de termijn aan wie het verzoek vastlegde; op de "
                      "termijn aan de directeur.")))
    return True

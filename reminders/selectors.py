"""Reads for the beheerder's screen: the beat schedule and the registered due moments."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from . import sources as registry

TASK_LABELS = {
    "reminders.tasks.scan_due_reminders": gettext_lazy(
        "Herinneringen zoeken en versturen (termijnen, signalen, Verwijsindex, Veilig Thuis, "
        "evaluaties, acties)"),
    "reminders.tasks.send_daily_digest": gettext_lazy(
        "Dagelijkse overzichtsmail voor wie daarvoor koos"),
    "celery.backend_cleanup": gettext_lazy("Technisch onderhoud van de taakresultaten"),
}


def _period(n, period: str) -> str:
    if period == "days":
        return ngettext("%(n)s dag", "%(n)s dagen", n) % {"n": n}
    if period == "hours":
        return ngettext("%(n)s uur", "%(n)s uur", n) % {"n": n}
    if period == "minutes":
        return ngettext("%(n)s minuut", "%(n)s minuten", n) % {"n": n}
    return ngettext("%(n)s seconde", "%(n)s seconden", n) % {"n": n}


@dataclass
class BeatEntry:
    name: str
    task: str
    label: str
    schedule: str
    enabled: bool
    last_run_at: object = None
    total_run_count: int | None = None
    in_database: bool = False


def _every(every: float, period: str) -> str:
    every = int(every) if float(every).is_integer() else every
    if period == "seconds" and isinstance(every, int) and every % 60 == 0:
        every, period = every // 60, "minutes"
    if period == "minutes" and isinstance(every, int) and every % 60 == 0:
        every, period = every // 60, "hours"
    return _("elke %(interval)s") % {"interval": _period(every, period)}


def _cron(minute: str, hour: str, day_of_month: str, month: str, day_of_week: str) -> str:
    if (day_of_month, month, day_of_week) == ("*", "*", "*") and minute.isdigit() \
            and hour.isdigit():
        return _("dagelijks om %(time)s") % {"time": f"{int(hour):02d}:{int(minute):02d}"}
    return _("volgens het rooster %(cron)s (minuut uur dag maand weekdag)") % {
        "cron": f"{minute} {hour} {day_of_month} {month} {day_of_week}"}


def describe_setting(schedule) -> str:
    """A ``CELERY_BEAT_SCHEDULE`` schedule (seconds, timedelta or crontab) in Dutch."""
    from datetime import timedelta

    from celery.schedules import crontab

    if isinstance(schedule, (int, float)):
        return _every(schedule, "seconds")
    if isinstance(schedule, timedelta):
        return _every(schedule.total_seconds(), "seconds")
    if isinstance(schedule, crontab):
        return _cron(str(schedule._orig_minute), str(schedule._orig_hour),
                     str(schedule._orig_day_of_month), str(schedule._orig_month_of_year),
                     str(schedule._orig_day_of_week))
    return str(schedule)


def describe_periodic_task(task) -> str:
    if task.interval_id:
        return _every(task.interval.every, task.interval.period)
    if task.crontab_id:
        c = task.crontab
        return _cron(c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week)
    if task.clocked_id:
        return _("eenmalig op %(when)s") % {"when": task.clocked.clocked_time}
    return _("volgens de zonnestand")


def beat_schedule() -> list[BeatEntry]:
    """The periodic tasks: those in the settings, with what the scheduler's table says about
    them (enabled, last run), plus any added in the table only. One query."""
    from django_celery_beat.models import PeriodicTask

    in_db = {t.name: t for t in PeriodicTask.objects.select_related(
        "interval", "crontab", "clocked").order_by("name")}
    entries = []
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        task = in_db.pop(name, None)
        entries.append(BeatEntry(
            name=name, task=entry["task"], label=str(TASK_LABELS.get(entry["task"], entry["task"])),
            schedule=describe_periodic_task(task) if task else describe_setting(entry["schedule"]),
            enabled=task.enabled if task else True,
            last_run_at=task.last_run_at if task else None,
            total_run_count=task.total_run_count if task else None, in_database=task is not None))
    for name, task in in_db.items():
        entries.append(BeatEntry(
            name=name, task=task.task, label=str(TASK_LABELS.get(task.task, task.task)),
            schedule=describe_periodic_task(task), enabled=task.enabled,
            last_run_at=task.last_run_at, total_run_count=task.total_run_count, in_database=True))
    return entries


def chased() -> list[registry.Source]:
    """The registered due moments, for the beheerder's overview."""
    return sorted(registry.registered(), key=lambda s: str(s.label))

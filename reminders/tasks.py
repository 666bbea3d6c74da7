"""Beat tasks. They take no arguments, are idempotent and may run on several workers at once:
the exactly-once guarantee lives in ``reminders.services`` (unique key + row claims), not in
the scheduling. Schedules: ``CELERY_BEAT_SCHEDULE`` in ``meldcode/settings/base.py``."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def scan_due_reminders() -> dict:
    """Deliver every reminder that is due now (see ``reminders.services.run_scan``)."""
    from .services import run_scan

    return run_scan().as_dict()


@shared_task(ignore_result=True)
def send_daily_digest() -> dict:
    """One content-free e-mail per user who chose the daily digest and has unread ones."""
    from notifications.services import send_daily_digest as digest

    result = digest()
    logger.info("reminders: daily digest %s", result)
    return result

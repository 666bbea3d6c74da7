"""Periodic removal of expired private working notes (R32), from beat
(``CELERY_BEAT_SCHEDULE`` entry ``werkaantekeningen-opruimen``)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def expire_work_notes() -> int:
    from .services import work_notes_expire

    count = work_notes_expire()
    if count:
        logger.info("worknotes: %d expired working notes deleted", count)
    return count

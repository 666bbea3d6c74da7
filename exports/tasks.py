"""Celery tasks: render an export (ids only, idempotent) and the periodic file cleanup.

The cleanup runs from beat (``CELERY_BEAT_SCHEDULE`` entry ``exports-opruimen``); the
download view also removes a file the moment it is streamed, so the beat task only catches
files nobody downloaded in time.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def render_export(job_id: int) -> str:
    """Render and store the PDF of export job ``job_id`` (see ``services.run_export``)."""
    from .services import run_export

    return run_export(job_id)


@shared_task(ignore_result=True)
def cleanup_expired_exports() -> int:
    """Remove the files of expired exports."""
    from .services import cleanup_expired

    count = cleanup_expired()
    if count:
        logger.info("exports: removed %s expired export file(s)", count)
    return count

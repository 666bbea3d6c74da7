"""Celery tasks: render an export (ids only, idempotent) and the periodic file cleanup.

The cleanup runs from beat (``CELERY_BEAT_SCHEDULE`` entry ``exports-opruimen``); the
download view also removes a file the moment it is streamed, so the beat task only catches
files nobody downloaded in time.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=3,
             default_retry_delay=5)
def render_export(self, job_id: int) -> str:
    """Render and store the PDF of export job ``job_id`` (see ``services.run_export``).

    When the database goes away mid-render (a restart, a failover, dropped connections) the
    job cannot even be marked failed and stays "running": drop the broken connection and
    try again; ``run_export`` picks a running job up again (found by the soak run).
    """
    from .services import run_export

    try:
        return run_export(job_id)
    except (OperationalError, InterfaceError) as exc:
        connections.close_all()
        raise self.retry(exc=exc)


@shared_task(ignore_result=True)
def cleanup_expired_exports() -> int:
    """Remove the files of expired exports."""
    from .services import cleanup_expired

    count = cleanup_expired()
    if count:
        logger.info("exports: removed %s expired export file(s)", count)
    return count

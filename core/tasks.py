from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_plain_email(self, subject: str, body: str, to: list[str]):
    """Send one e-mail. Callers put no case content in subject or body (links only)."""
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to).send()
    except OSError as exc:  # SMTP down: try again later, never lose the message silently
        raise self.retry(exc=exc)

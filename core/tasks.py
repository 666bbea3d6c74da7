from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_plain_email(self, subject: str, body: str, to: list[str]):
    """Send one e-mail. Callers put no case content in subject or body (links only)."""
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to).send()
    except OSError as exc:  # SMTP down: try again later, never lose the message silently
        raise self.retry(exc=exc)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_plain_emails(self, subject: str, mails: list[tuple[str, str]]):
    """Send one e-mail per ``(to, body)`` pair, each to its one recipient, over one
    connection. Callers put no case content in subject or bodies (links only).

    A mail the server refuses does not hold up the others; the retry sends only the refused
    ones, so nobody gets one twice and none is lost silently.
    """
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:  # SMTP down: try them all again later
        raise self.retry(exc=exc)
    failed, error = [], None
    try:
        for to, body in mails:
            try:
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to],
                             connection=connection).send()
            except OSError as exc:
                failed.append((to, body))
                error = exc
    finally:
        try:
            connection.close()
        except OSError:
            pass  # the mails went (or are in ``failed``): only the goodbye was lost
    if failed:
        raise self.retry(exc=error, args=(subject, failed))

from django.contrib.auth.forms import PasswordResetForm
from django.template import loader

from .tasks import send_plain_email


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset mail through Celery, after the request's transaction commits."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_plain_email.delay_on_commit(subject, body, [to_email])

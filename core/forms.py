from django.contrib.auth.forms import PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from .tasks import send_plain_email


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset mail through Celery, after the request's transaction commits."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_plain_email.delay_on_commit(subject, body, [to_email])


class HiddenFieldErrorsMixin:
    """Shows the errors of hidden fields as an error of the whole form.

    The shared templates render ``form.non_field_errors`` and the visible fields only, so a
    hidden field (``lock_version``, ``base_number``, a signed payload) that arrives missing or
    altered would bring the form back without a word. This adds one Dutch message instead.
    """

    hidden_field_error = _("Het formulier is niet volledig of gewijzigd verstuurd. Controleer "
                           "uw invoer en verstuur het opnieuw; laad de pagina opnieuw als dit "
                           "blijft gebeuren.")

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or self._errors is None:
            return
        hidden = [name for name in self._errors
                  if name in self.fields and self.fields[name].widget.is_hidden]
        if hidden and not self.non_field_errors():
            self.add_error(None, self.hidden_field_error)

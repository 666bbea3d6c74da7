from django import forms
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


class StepUpForm(forms.Form):
    """A fresh six-digit code from the user's authenticator app."""

    code = forms.CharField(
        label=_("Code uit uw authenticator-app"), max_length=6, min_length=6,
        help_text=_("De zes cijfers die de app nu toont."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
        error_messages={"required": _("Vul de code in."),
                        "min_length": _("De code bestaat uit zes cijfers."),
                        "max_length": _("De code bestaat uit zes cijfers.")})

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("De code bestaat uit zes cijfers."))
        from django_otp.plugins.otp_totp.models import TOTPDevice

        throttled = False
        for device in TOTPDevice.objects.devices_for_user(self.user, confirmed=True):
            # django-otp waits longer after every wrong code (1, 2, 4, ... seconds) and refuses
            # a code that was already used (also the one typed at login): really fresh.
            if not device.verify_is_allowed()[0]:
                throttled = True
            elif device.verify_token(code):
                return code
        if throttled:
            raise forms.ValidationError(
                _("Er is net een verkeerde code ingevoerd. Wacht even op de volgende code in de "
                  "app en probeer het dan opnieuw."))
        raise forms.ValidationError(
            _("Deze code klopt niet of is verlopen. Wacht op de volgende code in de app en "
              "probeer het opnieuw."))


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


def post_data(request):
    """Data for a bound form on POST, None on GET.

    Not ``request.POST or None``: an empty POST is falsy, which would give an unbound form that
    comes back without a word instead of saying which fields are required.
    """
    return request.POST if request.method == "POST" else None


def post_files(request):
    return request.FILES if request.method == "POST" else None

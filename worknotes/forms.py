"""Forms of the private working notes (R32). They validate only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin

from .services import MAX_LENGTH


class WorkNoteForm(HiddenFieldErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Werkaantekening"), max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Alleen u ziet deze aantekening. Schrijf feiten die in het dossier horen "
                    "niet alleen hier: deel ze, of leg ze vast in een verslag."),
        error_messages={"required": _("Schrijf eerst iets in de werkaantekening."),
                        "max_length": _("Een werkaantekening is hoogstens %(limit_value)d "
                                        "tekens lang (nu %(show_value)d).")})
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, note=None, **kwargs):
        super().__init__(*args, **kwargs)
        if note is None:
            del self.fields["lock_version"]
        else:
            self.fields["lock_version"].required = True
            self.fields["lock_version"].initial = note.lock_version
            self.fields["text"].initial = note.text

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Schrijf eerst iets in de werkaantekening."))
        return text


class ConfirmForm(HiddenFieldErrorsMixin, forms.Form):
    """Share or delete: the version of the note the owner confirmed."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, note, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lock_version"].initial = note.lock_version

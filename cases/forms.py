"""Forms of the case pages. They only validate; the workflow and services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin

from .models import CloseReason, Step


def user_label(user) -> str:
    return user.get_full_name() or user.username


class CaseFilterForm(forms.Form):
    """Filters of the case list. Invalid values are ignored, not errors."""

    STATUS_CHOICES = [("open", _("lopend")), ("gesloten", _("afgesloten")), ("alle", _("alle"))]

    q = forms.CharField(label=_("Zoek op naam van de leerling"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    step = forms.TypedChoiceField(label=_("Stap"), required=False, coerce=int, empty_value=None,
                                  choices=[("", _("alle stappen"))] + list(Step.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)


class SignalChoiceField(forms.ModelMultipleChoiceField):
    """Signals as checkboxes: date, kind of concern, who recorded it and the start of the facts."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, signal):
        facts = (getattr(signal, "latest_facts", "") or "").strip()
        if len(facts) > 90:
            facts = facts[:90].rstrip() + "…"
        parts = [signal.observed_on.strftime("%d-%m-%Y"), signal.get_category_display(),
                 user_label(signal.recorded_by)]
        label = " · ".join(str(p) for p in parts)
        return f"{label}: {facts}" if facts else label


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user_label(user)


class CaseOpenForm(forms.Form):
    """Open a case for one pupil from one or more signals, or add signals to its open case."""

    signals = SignalChoiceField(
        queryset=None, label=_("Signalen"),
        error_messages={"required": _("Kies minstens één signaal.")},
        help_text=_("Signalen over deze leerling die nog niet in een lopend dossier staan."))
    owner = OwnerChoiceField(
        queryset=None, label=_("Casusregisseur"), empty_label=None,
        help_text=_("De intern begeleider of veiligheidscoördinator die het dossier coördineert."))
    reason = forms.CharField(label=_("Aanleiding (optioneel)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, signals_qs, owners_qs=None, adding=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signals"].queryset = signals_qs
        if adding:
            # Adding to an open case: the owner and the opening reason are already on file.
            del self.fields["owner"]
            del self.fields["reason"]
        else:
            self.fields["owner"].queryset = owners_qs


class _VersionedForm(HiddenFieldErrorsMixin, forms.Form):
    """A step action based on the version of the case the user saw (optimistic locking)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class MoveForwardForm(_VersionedForm):
    reason = forms.CharField(label=_("Toelichting (optioneel)"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class MoveBackForm(_VersionedForm):
    target = forms.TypedChoiceField(label=_("Terug naar"), coerce=int, choices=())
    reason = forms.CharField(label=_("Reden"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _(
                                 "Geef een reden om terug te gaan naar een eerdere stap.")})

    def __init__(self, *args, current_step: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(s.value, s.label) for s in Step if s < current_step]


class CloseForm(_VersionedForm):
    close_reason = forms.ChoiceField(
        label=_("Reden van afsluiten"), choices=[("", "---------")] + list(CloseReason.choices),
        error_messages={"required": _("Kies een reden om af te sluiten.")})
    explanation = forms.CharField(label=_("Toelichting"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _(
                                      "Licht toe waarom het dossier wordt afgesloten.")})


class ReopenForm(_VersionedForm):
    reason = forms.CharField(label=_("Reden om te heropenen"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _(
                                 "Geef een reden om het dossier te heropenen.")})


class GrantAccessForm(forms.Form):
    """Invite a staff member of the school into this one case."""

    LEVELS = [("read", _("alleen lezen")), ("contribute", _("lezen en verslagen toevoegen"))]

    user = forms.TypedChoiceField(label=_("Medewerker"), coerce=int, choices=(),
                                  error_messages={"required": _("Kies een medewerker.")})
    level = forms.ChoiceField(label=_("Toegang"), choices=LEVELS, initial="read")

    def __init__(self, *args, staff: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {u.pk: u for u in staff}
        self.fields["user"].choices = [("", "---------")] + [
            (u.pk, user_label(u)) for u in staff]

    def clean_user(self):
        return self.staff[self.cleaned_data["user"]]

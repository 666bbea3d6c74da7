from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Step
from notifications.models import MailFrequency

from .models import DEFAULT_STEP_TERMS, MAX_TERM_DAYS


class MailPreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Wanneer wilt u een e-mail over nieuwe meldingen en herinneringen?"),
        choices=MailFrequency.choices, widget=forms.RadioSelect,
        help_text=_("De e-mail zegt alleen dát er iets voor u klaarstaat, met een link. "
                    "Namen en inhoud staan er nooit in."))


class StepTermsForm(forms.Form):
    """One term in days per Meldcode step and the follow-up phase (R52)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for step, default in DEFAULT_STEP_TERMS.items():
            self.fields[f"step_{step}"] = forms.IntegerField(
                label=Step(step).label, min_value=1, max_value=MAX_TERM_DAYS,
                help_text=_("Aantal kalenderdagen. Standaard: %(days)s.") % {"days": default},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def terms(self) -> dict[int, int]:
        return {step: self.cleaned_data[f"step_{step}"] for step in DEFAULT_STEP_TERMS}

    @staticmethod
    def initial_for(terms: dict[int, int]) -> dict[str, int]:
        return {f"step_{step}": days for step, days in terms.items()}

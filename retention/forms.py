"""Forms of the retention pages. They validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MAX_TERM_YEARS, MIN_TERM_YEARS, RecordType, RequestChannel, RequestDecision


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TermsForm(forms.Form):
    """One term in years per record type (R36)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for record_type in RecordType:
            self.fields[record_type.value] = forms.IntegerField(
                label=record_type.label, min_value=MIN_TERM_YEARS, max_value=MAX_TERM_YEARS,
                help_text=(_("Aantal jaren na de uitschrijving van de laatste leerling van "
                             "het signaal. Standaard: 2 jaar.")
                           if record_type == RecordType.LOOSE_SIGNAL else
                           _("Aantal jaren na de datum van uitschrijving van de leerling. "
                             "Standaard: 2 jaar.")),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={"required": _("Vul een aantal jaren in."),
                                "invalid": _("Vul een heel aantal jaren in."),
                                "min_value": _("Minstens %(limit_value)s jaar."),
                                "max_value": _("Hoogstens %(limit_value)s jaar.")})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reden"), widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=2000,
                             error_messages={"required": _("Geef een reden.")})


class ApprovalForm(forms.Form):
    stage = forms.ChoiceField(choices=[("goedkeuren", "goedkeuren"), ("bevestigen", "bevestigen")],
                              widget=forms.HiddenInput)
    proposal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    understood = forms.BooleanField(
        label=_("Ik begrijp dat het dossier met alle signalen, verslagen, bijlagen en "
                "wijzigingen definitief wordt vernietigd."),
        error_messages={"required": _("Vink aan dat u dit begrijpt.")})


class SignalApprovalForm(ApprovalForm):
    understood = forms.BooleanField(
        label=_("Ik begrijp dat het signaal met alle versies, bijlagen en wijzigingen "
                "definitief wordt vernietigd."),
        error_messages={"required": _("Vink aan dat u dit begrijpt.")})


class RequestForm(forms.Form):
    received_on = forms.DateField(label=_("Ontvangen op"), widget=DateInput(),
                                  error_messages={"required": _("Vul de datum in."),
                                                  "invalid": _("Vul een geldige datum in.")})
    channel = forms.ChoiceField(label=_("Hoe vroeg de leerling het?"),
                                choices=RequestChannel.choices, widget=forms.RadioSelect,
                                error_messages={"required": _("Kies hoe het verzoek binnenkwam.")})
    request_text = forms.CharField(
        label=_("Wat vraagt de leerling?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Zakelijk: welk deel van het dossier, en eventuele toelichting van de "
                    "leerling."),
        error_messages={"required": _("Beschrijf wat de leerling vraagt.")})

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("De datum ligt in de toekomst."))
        return day


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Beslissing"), widget=forms.RadioSelect,
        choices=[(RequestDecision.CARRY_OUT.value, RequestDecision.CARRY_OUT.label),
                 (RequestDecision.REFUSED.value, RequestDecision.REFUSED.label)],
        error_messages={"required": _("Kies een beslissing.")})
    reason = forms.CharField(
        label=_("Motivering"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Verplicht bij weigeren, bijvoorbeeld een wettelijke bewaarplicht of een "
                    "lopende procedure."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == RequestDecision.REFUSED and not data.get("reason", "").strip():
            self.add_error("reason", _("Geef de reden van de weigering."))
        return data

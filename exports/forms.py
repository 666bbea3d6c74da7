"""Forms of the export and inzage pages. They validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import PupilParent

from .models import RequesterKind
from .services import access_request_refusals


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ExportForm(forms.Form):
    include_history = forms.BooleanField(
        label=_("Wijzigingen in het dossier als bijlage toevoegen"), required=False,
        help_text=_("Wie wat wanneer heeft gewijzigd. Maakt het bestand langer."))


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, link):
        authority = _("met gezag") if link.has_authority else _("zonder gezag")
        return f"{link.parent.name} ({link.get_relationship_display()}, {authority})"


class AccessRequestForm(forms.Form):
    requester_kind = forms.ChoiceField(label=_("Wie doet het verzoek?"),
                                       choices=RequesterKind.choices, widget=forms.RadioSelect)
    parent_link = ParentChoiceField(
        queryset=PupilParent.objects.none(), required=False,
        label=_("Ouder/verzorger"), empty_label=_("— kies —"),
        help_text=_("Alleen een ouder met gezag heeft recht op inzage, en alleen zolang de "
                    "leerling jonger is dan 16 jaar."))
    received_on = forms.DateField(label=_("Ontvangen op"), widget=DateInput(),
                                  help_text=_("Het verzoek moet binnen een maand na ontvangst "
                                              "zijn beantwoord."))
    identity_verified = forms.BooleanField(
        label=_("De identiteit van de aanvrager is gecontroleerd"),
        error_messages={"required": _("Controleer eerst de identiteit van de aanvrager.")})
    note = forms.CharField(label=_("Toelichting (optioneel)"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    redact_staff_names = forms.BooleanField(
        label=_("Namen van medewerkers in de kopie weglaten"), required=False)
    staff_names_reason = forms.CharField(
        label=_("Reden om de namen van medewerkers weg te laten"), required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Deze reden staat in de kopie."))

    def __init__(self, *args, pupil, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.pupil = pupil
        self.fields["parent_link"].queryset = (PupilParent.objects.filter(pupil=pupil)
                                               .select_related("parent")
                                               .order_by("parent__name", "pk"))

    def clean(self):
        data = super().clean()
        kind, received = data.get("requester_kind"), data.get("received_on")
        if kind and received:
            if received > timezone.localdate():
                self.add_error("received_on", _("De datum van ontvangst ligt in de toekomst."))
            for message in access_request_refusals(
                    pupil=self.pupil, requester_kind=kind, parent_link=data.get("parent_link"),
                    received_on=received):
                self.add_error(None, message)
        if data.get("redact_staff_names") and not (data.get("staff_names_reason") or "").strip():
            self.add_error("staff_names_reason",
                           _("Geef de reden om de namen van medewerkers weg te laten."))
        return data


class StaffNamesForm(forms.Form):
    redact_staff_names = forms.BooleanField(
        label=_("Namen van medewerkers in de kopie weglaten"), required=False)
    staff_names_reason = forms.CharField(
        label=_("Reden (staat in de kopie)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("redact_staff_names") and not (data.get("staff_names_reason") or "").strip():
            self.add_error("staff_names_reason",
                           _("Geef de reden om de namen van medewerkers weg te laten."))
        return data


WHOLE_ENTRY = "__geheel__"


class RedactionForm(forms.Form):
    target = forms.ChoiceField(label=_("Wat wordt weggelaten?"), widget=forms.RadioSelect,
                               error_messages={"required": _("Kies wat u wilt weglaten.")})
    reason = forms.CharField(
        label=_("Reden (staat in de kopie)"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bijvoorbeeld: informatie over een derde (AVG artikel 15 lid 4), of de "
                    "veiligheid van het kind."),
        error_messages={"required": _("Geef de reden om dit weg te laten.")})

    def __init__(self, *args, field_choices, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(WHOLE_ENTRY, _("Het hele onderdeel weglaten"))]
        choices += [(name, _("Zwartmaken: %(label)s") % {"label": label})
                    for name, label in field_choices if name not in taken]
        self.fields["target"].choices = choices

    @property
    def field_name(self) -> str:
        target = self.cleaned_data["target"]
        return "" if target == WHOLE_ENTRY else target


class CompleteForm(forms.Form):
    completion_note = forms.CharField(
        label=_("Hoe en wanneer is de kopie verstrekt?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Beschrijf hoe en wanneer de kopie is verstrekt.")})

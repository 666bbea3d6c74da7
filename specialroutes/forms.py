"""Forms of the special routes. They validate input only; ``services`` decides and stores."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.forms import HiddenFieldErrorsMixin
from schools.models import Membership, Pupil
from signals.models import SOURCES_NEEDING_DETAIL, Category, Source

from .models import (BoardInformed, CalledParty, Channel, InformedParty, InspectorConsultation,
                     Notice, PoliceReport)
from .services import FUTURE_GRACE, staff_school_ids

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# specialroutes.js adds a type-to-filter box above these selects.
FILTER_ATTRS = {"data-filterable": "1", "data-filter-label": _lazy("Zoek een leerling op naam"),
                "data-filter-placeholder": _lazy("Typ een naam om te zoeken")}


def user_label(user) -> str:
    return user.get_full_name() or user.username


def _not_in_future(value):
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("De datum kan niet in de toekomst liggen."))
    return value


def pupil_choices(user) -> tuple[list, dict[int, Pupil]]:
    """The current pupils of every school where ``user`` works, one optgroup per group (klas);
    the user's own groups first. Two queries."""
    school_ids = staff_school_ids(user)
    own_class_ids = set(
        Membership.objects.active().filter(user=user, school_id__in=school_ids,
                                           classes__isnull=False)
        .values_list("classes", flat=True))
    pupils = list(Pupil.objects.current().filter(school_id__in=school_ids)
                  .select_related("school", "school_class")
                  .order_by("school__name", "school_class__name", "last_name", "first_name"))
    several = len(school_ids) > 1
    groups: dict[tuple, tuple[str, list, tuple]] = {}
    for pupil in pupils:
        cls = pupil.school_class
        key = (pupil.school_id, cls.pk if cls else None)
        if key not in groups:
            label = cls.name if cls else _("zonder groep")
            own = cls is not None and cls.pk in own_class_ids
            if own:
                label = _("Mijn groep: %(name)s") % {"name": label}
            if several:
                label = f"{label} — {pupil.school.name}"
            groups[key] = (label, [], (not own, pupil.school.name, cls is None, label))
        groups[key][1].append((pupil.pk, pupil.full_name))
    ordered = sorted(groups.values(), key=lambda g: g[2])
    choices: list = [("", _("— kies een leerling —"))]
    choices += [(label, items) for label, items, _sort in ordered]
    return choices, {p.pk: p for p in pupils}


class PupilField(forms.TypedChoiceField):
    """A pupil out of a fixed set; cleans to the ``Pupil``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("error_messages", {
            "required": _lazy("Kies een leerling."),
            "invalid_choice": _lazy("Kies een leerling van uw eigen school.")})
        super().__init__(*args, **kwargs)
        self.pupils: dict[int, Pupil] = {}

    def clean(self, value):
        pk = super().clean(value)
        if pk not in self.pupils:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return self.pupils[pk]


def colleague_choices(school_ids, exclude_user) -> tuple[list, dict[int, object]]:
    """Active staff of ``school_ids`` (school-level roles), for naming the accused."""
    memberships = Membership.objects.active().filter(user_id=OuterRef("pk"),
                                                     school_id__in=school_ids)
    users = list(get_user_model().objects.filter(Exists(memberships), is_active=True)
                 .exclude(pk=exclude_user.pk).order_by("last_name", "first_name", "pk"))
    choices = [("", _("— niemand gekozen: vul hieronder naam en functie in —"))]
    choices += [(u.pk, user_label(u)) for u in users]
    return choices, {u.pk: u for u in users}


class UserField(forms.TypedChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)
        self.users: dict[int, object] = {}

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        if pk not in self.users:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": value})
        return self.users[pk]


# --- Acute danger ----------------------------------------------------------------------------

class AcuteCallForm(forms.Form):
    """R5: which pupil, whom the staff member called, when, and what was agreed."""

    pupil = PupilField(label=_lazy("Over welke leerling gaat het?"),
                       widget=forms.Select(attrs=FILTER_ATTRS))
    called_party = forms.ChoiceField(
        label=_lazy("Wie heeft u gebeld?"), choices=CalledParty.choices,
        initial=CalledParty.VEILIG_THUIS,
        error_messages={"required": _lazy("Kies wie u heeft gebeld."),
                        "invalid_choice": _lazy("Kies wie u heeft gebeld.")})
    called_party_other = forms.CharField(
        label=_lazy("Wie dan?"), required=False, max_length=200,
        help_text=_lazy("Alleen invullen als u ‘anders’ kiest."))
    called_at = forms.DateTimeField(
        label=_lazy("Wanneer heeft u gebeld?"),
        widget=forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local"}),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                       "%d-%m-%Y %H:%M"],
        error_messages={"required": _lazy("Vul het tijdstip van het gesprek in."),
                        "invalid": _lazy("Vul een geldige datum en tijd in.")})
    phone_note = forms.CharField(
        label=_lazy("Wat is er aan de telefoon afgesproken?"), required=False, max_length=4000,
        help_text=_lazy("Kort. Mag ook later, in de terugblik binnen 24 uur."),
        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices, pupils = pupil_choices(user)
        self.fields["pupil"].choices = choices
        self.fields["pupil"].pupils = pupils
        now = timezone.localtime()
        self.fields["called_at"].initial = now.replace(second=0, microsecond=0)
        self.fields["called_at"].widget.attrs["max"] = (now + FUTURE_GRACE).strftime(
            DATETIME_FORMAT)

    def clean_called_at(self):
        value = self.cleaned_data["called_at"]
        if value > timezone.now() + FUTURE_GRACE:
            raise ValidationError(_("Het tijdstip van het gesprek kan niet in de toekomst liggen."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("called_party") == CalledParty.OTHER and not data.get(
                "called_party_other", "").strip():
            self.add_error("called_party_other", _("Vul in wie u heeft gebeld."))
        return data


class RetrospectiveForm(HiddenFieldErrorsMixin, forms.Form):
    """The retrospective entry within 24 hours (R5), facts apart from interpretation (R29)."""

    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    situation = forms.CharField(
        label=_lazy("Wat is er gebeurd?"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_lazy("De aanleiding en het verloop: wie, wat, waar, wanneer."),
        error_messages={"required": _lazy("Beschrijf wat er is gebeurd.")})
    facts = forms.CharField(
        label=_lazy("Wat heeft u zelf gezien of gehoord? (feiten)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_lazy("Zo letterlijk en neutraal mogelijk. Geen conclusies."),
        error_messages={"required": _lazy("Beschrijf wat u zelf heeft gezien of gehoord.")})
    child_words = forms.CharField(
        label=_lazy("Letterlijke woorden van het kind"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}))
    interpretation = forms.CharField(
        label=_lazy("Uw interpretatie"), required=False,
        help_text=_lazy("Uw eigen duiding, los van de feiten; getoond met uw naam."),
        widget=forms.Textarea(attrs={"rows": 3}))
    phone_summary = forms.CharField(
        label=_lazy("Wat is er aan de telefoon gezegd?"), widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _lazy("Beschrijf wat er aan de telefoon is gezegd.")})
    agreements = forms.CharField(
        label=_lazy("Welke afspraken zijn er gemaakt?"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _lazy("Beschrijf de gemaakte afspraken, of schrijf ‘geen’.")})
    informed = forms.CharField(
        label=_lazy("Wie is er geïnformeerd?"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_lazy("Bijvoorbeeld de directeur, de ouders, de intern begeleider."),
        error_messages={"required": _lazy("Vul in wie er is geïnformeerd, of schrijf ‘niemand’.")})
    reason = forms.CharField(
        label=_lazy("Reden van de correctie"), required=False,
        help_text=_lazy("Alleen bij het corrigeren van een eerder vastgelegde terugblik."),
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not correcting:
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        if "reason" in self.fields and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Geef de reden van de correctie."))
        return data


# --- Board route -----------------------------------------------------------------------------

class AccusedFieldsMixin:
    def clean_accused(self, data):
        if data.get("accused_user") is None and not (data.get("accused_description") or "").strip():
            self.add_error("accused_description",
                           _("Kies de medewerker of vul naam en functie in."))


def _accused_fields():
    return {
        "accused_user": UserField(
            label=_lazy("Om welke medewerker gaat het?"), required=False,
            help_text=_lazy("Deze medewerker krijgt nooit toegang tot het dossier.")),
        "accused_description": forms.CharField(
            label=_lazy("Naam en functie van de medewerker"), required=False, max_length=200,
            help_text=_lazy("Verplicht als de medewerker hierboven niet in de lijst staat.")),
    }


class StaffReportForm(AccusedFieldsMixin, forms.Form):
    """A staff member reports a suspected colleague directly to the board (R25, R26)."""

    pupil = PupilField(label=_lazy("Over welke leerling gaat het?"),
                       widget=forms.Select(attrs=FILTER_ATTRS))
    observed_on = forms.DateField(
        label=_lazy("Datum van de waarneming"), widget=DATE_WIDGET,
        error_messages={"required": _lazy("Vul de datum in waarop u het zag of hoorde."),
                        "invalid": _lazy("Vul een geldige datum in.")})
    category = forms.ChoiceField(
        label=_lazy("Soort zorg"), choices=[("", _lazy("— kies —"))] + Category.choices,
        error_messages={"required": _lazy("Kies een soort zorg.")})
    facts = forms.CharField(
        label=_lazy("Wat heeft u gezien of gehoord? (feiten)"),
        help_text=_lazy("Zo letterlijk en neutraal mogelijk: wie, wat, waar, wanneer."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _lazy("Beschrijf wat u heeft gezien of gehoord.")})
    child_words = forms.CharField(label=_lazy("Letterlijke woorden van het kind"),
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))
    interpretation = forms.CharField(
        label=_lazy("Uw interpretatie of niet-pluisgevoel"), required=False,
        help_text=_lazy("Uw eigen duiding, los van de feiten; getoond met uw naam."),
        widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label=_lazy("Van wie komt de informatie?"),
                               choices=Source.choices, initial=Source.OWN)
    source_detail = forms.CharField(
        label=_lazy("Naam of functie van de bron"), required=False, max_length=200,
        help_text=_lazy("Verplicht bij een ouder/verzorger, een collega of een derde."))
    informed_party = forms.ChoiceField(
        label=_lazy("Wie heeft u zelf al geïnformeerd?"), required=False,
        choices=[("", _lazy("nog niemand"))] + InformedParty.choices,
        help_text=_lazy("U moet het bevoegd gezag (het schoolbestuur) zelf direct informeren. "
                        "Alleen de directeur inlichten is niet genoeg."))
    informed_name = forms.CharField(label=_lazy("Naam van wie u heeft geïnformeerd"),
                                    required=False, max_length=200)
    informed_on = forms.DateField(label=_lazy("Datum waarop u het heeft laten weten"),
                                  required=False, widget=DATE_WIDGET,
                                  error_messages={"invalid": _lazy("Vul een geldige datum in.")})
    informed_channel = forms.ChoiceField(
        label=_lazy("Hoe heeft u het laten weten?"), required=False,
        choices=[("", _lazy("— kies —"))] + Channel.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        fields = _accused_fields()
        # Accused first after the pupil: the two facts the board needs first.
        items = list(self.fields.items())
        self.fields.clear()
        self.fields.update([items[0], *fields.items(), *items[1:]])
        choices, pupils = pupil_choices(user)
        self.fields["pupil"].choices, self.fields["pupil"].pupils = choices, pupils
        users_choices, users = colleague_choices(staff_school_ids(user), user)
        self.fields["accused_user"].choices = users_choices
        self.fields["accused_user"].users = users
        today = timezone.localdate()
        self.fields["observed_on"].initial = today
        for name in ("observed_on", "informed_on"):
            self.fields[name].widget.attrs["max"] = today.isoformat()

    def clean_observed_on(self):
        value = self.cleaned_data["observed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("De datum van de waarneming kan niet in de toekomst liggen."))
        return value

    def clean_informed_on(self):
        return _not_in_future(self.cleaned_data.get("informed_on"))

    def clean(self):
        data = super().clean()
        self.clean_accused(data)
        if data.get("source") in SOURCES_NEEDING_DETAIL and not data.get("source_detail",
                                                                         "").strip():
            self.add_error("source_detail", _(
                "Vul de naam of functie in van degene van wie de informatie komt."))
        if data.get("informed_party"):
            if not data.get("informed_name", "").strip():
                self.add_error("informed_name", _("Vul de naam in van wie u heeft geïnformeerd."))
            if not data.get("informed_on") and "informed_on" not in self.errors:
                self.add_error("informed_on", _("Vul de datum in."))
            if not data.get("informed_channel"):
                self.add_error("informed_channel", _("Kies hoe u het heeft laten weten."))
        return data

    def informed(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("informed_party"):
            return None
        return {"informed_party": data["informed_party"], "informed_name": data["informed_name"],
                "informed_on": data["informed_on"], "channel": data["informed_channel"]}


class StaffStartForm(AccusedFieldsMixin, forms.Form):
    """A bestuurder starts the board route from a staff-suspect signal."""

    pupil = PupilField(label=_lazy("Om welke leerling gaat het dossier?"))

    def __init__(self, *args, signal, pupil_links, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_accused_fields())
        field = self.fields["pupil"]
        field.choices = [(link.pupil_id, link.pupil.full_name) for link in pupil_links]
        field.pupils = {link.pupil_id: link.pupil for link in pupil_links}
        if len(pupil_links) == 1:
            field.initial = pupil_links[0].pupil_id
        users_choices, users = colleague_choices([signal.school_id], signal.recorded_by)
        self.fields["accused_user"].choices = users_choices
        self.fields["accused_user"].users = users

    def clean(self):
        data = super().clean()
        self.clean_accused(data)
        return data


class _RouteRecordForm(forms.ModelForm):
    DATE_FIELD = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.DATE_FIELD].widget = DATE_WIDGET
        self.fields[self.DATE_FIELD].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields[self.DATE_FIELD].initial = timezone.localdate()
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        default = forms.Field.default_error_messages["required"]
        for field in self.fields.values():
            if field.required and field.error_messages.get("required") == default:
                field.error_messages["required"] = _("Dit veld is verplicht.")

    def clean(self):
        data = super().clean()
        if data.get(self.DATE_FIELD) and data[self.DATE_FIELD] > timezone.localdate():
            self.add_error(self.DATE_FIELD, _("De datum kan niet in de toekomst liggen."))
        return data

    def _post_clean(self):
        # The service builds and validates the row; the form only checks the input.
        pass


class BoardInformedForm(_RouteRecordForm):
    DATE_FIELD = "informed_on"

    class Meta:
        model = BoardInformed
        fields = ["informed_party", "informed_name", "informed_on", "channel", "informed_by",
                  "notes"]
        help_texts = {
            "informed_party": _lazy("Alleen de directeur inlichten is niet genoeg: het "
                                    "bevoegd gezag zelf moet zijn geïnformeerd."),
            "informed_by": _lazy("Meestal de medewerker die het vermoeden meldde."),
        }


class InspectorConsultationForm(_RouteRecordForm):
    DATE_FIELD = "consulted_on"
    reasonable_suspicion = forms.TypedChoiceField(
        label=_lazy("Conclusie: is er een redelijk vermoeden?"),
        choices=[("", _lazy("— kies —")), ("ja", _lazy("ja: redelijk vermoeden")),
                 ("nee", _lazy("nee: geen redelijk vermoeden"))],
        coerce=lambda v: v == "ja", empty_value=None,
        help_text=_lazy("Bij een redelijk vermoeden is het bestuur verplicht aangifte te doen."),
        error_messages={"required": _lazy("Kies de conclusie van de vertrouwensinspecteur.")})

    class Meta:
        model = InspectorConsultation
        fields = ["consulted_on", "inspector_name", "reasonable_suspicion", "notes"]


class PoliceReportForm(_RouteRecordForm):
    DATE_FIELD = "reported_on"

    class Meta:
        model = PoliceReport
        fields = ["reported_on", "reported_by_name", "reference", "notes"]
        help_texts = {"reference": _lazy("Als bekend: het nummer van het proces-verbaal.")}


class NoticeForm(_RouteRecordForm):
    DATE_FIELD = "notified_on"

    class Meta:
        model = Notice
        fields = ["recipient", "notified_on", "notified_by", "channel", "notes"]


class AssignForm(forms.Form):
    user = UserField(label=_lazy("Bestuurder"),
                     error_messages={"required": _lazy("Kies een bestuurder.")})

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("— kies —"))] + [
            (u.pk, user_label(u)) for u in candidates]
        self.fields["user"].users = {u.pk: u for u in candidates}

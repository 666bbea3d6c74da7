"""Forms of step 5 and its follow-through. They check the shape of the input only; the rules
live in ``services`` (which raise ``FieldErrors`` that the views show inline)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin
from cases.record_forms import ParticipantsField

from .decision import QUESTIONS
from .models import (AftercareNote, AnonymityReason, BottleneckNote, Channel, DecisionChoice,
                     Evaluation, FeedbackKind, FollowUpAction, HelpPlan, InformationRequest,
                     MonitoringAgreement, ParentsException, Q2Answer,
                     SchoolRoleAgreement)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def textarea(rows: int = 4):
    return forms.Textarea(attrs={"rows": rows})


def _yes_no_none(value):
    return {"ja": True, "nee": False, True: True, False: False,
            "True": True, "False": False}.get(value)


YES_NO = [("ja", _("Ja")), ("nee", _("Nee"))]


def _bool_to_choice(value):
    return {True: "ja", False: "nee"}.get(value, "")


class ChangeReasonMixin(HiddenFieldErrorsMixin, forms.Form):
    """Edit mode: the version the form was built from and a reason for the change (R31)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label=_("Reden van de wijziging"), required=False, max_length=300,
        help_text=_("De vorige versie blijft bewaard, met uw naam en deze reden."))


# --- the afwegingskader --------------------------------------------------------------------


class AssessmentForm(ChangeReasonMixin, forms.Form):
    """Q1–Q5 in order, each ja/nee (Q2 also twijfel) with a justification (R10)."""

    q2_change_reason = forms.CharField(
        label=_("Reden om bij vraag 2 iets anders dan „ja” te antwoorden"), required=False,
        widget=textarea(2),
        help_text=_("Het kind heeft zelf iets verteld (disclosure). Een disclosure geldt als acute "
                    "onveiligheid en is vooringevuld als „ja”."))
    specialist_consulted = forms.CharField(
        label=_("Overleg met een specialist over eergerelateerd geweld"), required=False,
        widget=textarea(3),
        help_text=_("Met wie, wanneer en wat het advies was."))

    def __init__(self, *args, assessment=None, prefill_q2: bool = False, lock_q1_q4=False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        for n, text in QUESTIONS.items():
            choices = [*YES_NO, ("twijfel", _("Twijfel"))] if n == 2 else YES_NO
            self.fields[f"q{n}"] = forms.ChoiceField(
                label=_("Vraag %(n)s") % {"n": n}, choices=choices, required=False,
                widget=forms.RadioSelect, help_text=text)
            self.fields[f"q{n}_justification"] = forms.CharField(
                label=_("Onderbouwing bij vraag %(n)s") % {"n": n}, required=False,
                widget=textarea(3))
            if lock_q1_q4 and n < 5:
                self.fields[f"q{n}"].disabled = True
                self.fields[f"q{n}_justification"].disabled = True
        if assessment is not None:
            self.initial.update({f"q{n}": _bool_to_choice(getattr(assessment, f"q{n}"))
                                 for n in (1, 3, 4, 5)})
            self.initial.update({
                "q2": assessment.q2, "q2_change_reason": assessment.q2_change_reason,
                "specialist_consulted": assessment.specialist_consulted,
                "lock_version": assessment.lock_version,
                **{f"q{n}_justification": getattr(assessment, f"q{n}_justification")
                   for n in range(1, 6)}})
        elif prefill_q2:
            # R18: a disclosure by the child pre-fills Q2 as "ja" (editable, with a reason).
            self.initial["q2"] = Q2Answer.JA
            self.initial["q2_justification"] = str(_(
                "Het kind heeft zelf iets verteld (disclosure). Een disclosure geldt als acute "
                "onveiligheid."))
        if assessment is None:
            del self.fields["change_reason"]

    def answers(self) -> dict:
        """The cleaned answers in the shape ``services.assessment_save`` takes."""
        data = self.cleaned_data
        out = {f"q{n}": _yes_no_none(data.get(f"q{n}")) for n in (1, 3, 4, 5)}
        out["q2"] = data.get("q2") or ""
        for n in range(1, 6):
            out[f"q{n}_justification"] = data.get(f"q{n}_justification", "")
        out["q2_change_reason"] = data.get("q2_change_reason", "")
        out["specialist_consulted"] = data.get("specialist_consulted", "")
        return out

    def question_rows(self):
        """(number, question text, answer field, justification field) in order, for the page."""
        return [(n, QUESTIONS[n], self[f"q{n}"], self[f"q{n}_justification"])
                for n in range(1, 6)]


# --- the decision ----------------------------------------------------------------------------


class StaffChoiceField(forms.TypedChoiceField):
    def __init__(self, *, staff: dict, blank_label=None, **kwargs):
        choices = [(pk, entry["label"]) for pk, entry in staff.items()]
        if blank_label is not None:
            choices = [("", blank_label), *choices]
        super().__init__(choices=choices, coerce=int, empty_value=None, **kwargs)


class DecisionForm(forms.Form):
    choice = forms.ChoiceField(label=_("Besluit"), choices=DecisionChoice.choices,
                               widget=forms.RadioSelect)
    decided_on = forms.DateField(label=_("Datum van het besluit"), widget=DateInput())
    motivation = forms.CharField(label=_("Toelichting bij het besluit"), widget=textarea(4))
    deviation_reason = forms.CharField(
        label=_("Reden om af te wijken van het advies"), required=False, widget=textarea(3),
        help_text=_("Verplicht als het besluit afwijkt van het advies: als u niet meldt terwijl "
                    "het advies melden is, wel meldt terwijl melden volgens het advies niet nodig "
                    "is, of geen hulp organiseert terwijl het advies hulp is. De reden staat in "
                    "elke uitdraai."))
    sot_meeting = forms.TypedChoiceField(label=_("In het SOT-overleg van"), required=False,
                                         coerce=int, empty_value=None)
    present = forms.TypedMultipleChoiceField(
        label=_("Aanwezig bij het besluit"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("U staat er zelf altijd bij. De rollen worden vastgelegd zoals ze nu zijn."))
    present_external = ParticipantsField(
        label=_("Andere aanwezigen (naam – functie)"), required=False,
        help_text=_("Bijvoorbeeld „A. Jansen – jeugdarts”. Eén persoon per regel."))
    parents_informer_other = forms.CharField(
        label=_("Of: een andere persoon of instantie"), required=False, max_length=200,
        help_text=_("Bijvoorbeeld Veilig Thuis, als dat zo is afgesproken."))
    parents_inform_on = forms.DateField(label=_("Wanneer worden de ouders geïnformeerd"),
                                        required=False, widget=DateInput())
    parents_exception = forms.ChoiceField(
        label=_("Of: reden om de ouders niet vooraf te informeren"), required=False,
        choices=[("", _("— open melden: de ouders worden geïnformeerd —")),
                 *ParentsException.choices])
    parents_exception_explanation = forms.CharField(label=_("Toelichting"), required=False,
                                                    widget=textarea(2))

    def __init__(self, *args, staff: dict, meetings=(), urgent: bool, user_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(pk, e["label"]) for pk, e in staff.items()]
        self.fields["reporter"] = StaffChoiceField(
            staff=staff, blank_label=_("— kies wie meldt —"), label=_("Wie doet de melding"),
            required=False, help_text=_("Verplicht bij een besluit om te melden."))
        self.fields["parents_informer"] = StaffChoiceField(
            staff=staff, blank_label=_("— kies een medewerker —"),
            label=_("Wie informeert de ouders"), required=False)
        order = ["choice", "decided_on", "motivation", "deviation_reason", "sot_meeting",
                 "present", "present_external", "reporter", "parents_informer",
                 "parents_informer_other", "parents_inform_on", "parents_exception",
                 "parents_exception_explanation"]
        if urgent:
            del self.fields["sot_meeting"]
            order.remove("sot_meeting")
        else:
            self.fields["sot_meeting"].choices = [
                ("", _("— geen of ander overleg —")),
                *[(m.pk, m.held_on.strftime("%d-%m-%Y")) for m in meetings]]
            if meetings and not self.is_bound:
                self.initial.setdefault("sot_meeting", meetings[0].pk)
        self.order_fields(order)
        self.initial.setdefault("decided_on", timezone.localdate())
        self.initial.setdefault("present", [user_id])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "choice": data["choice"], "decided_on": data["decided_on"],
            "motivation": data["motivation"], "deviation_reason": data.get("deviation_reason", ""),
            "present_user_ids": data.get("present") or [],
            "present_external": data.get("present_external") or [],
            "reporter_id": data.get("reporter"), "parents_informer_id": data.get("parents_informer"),
            "parents_informer_other": data.get("parents_informer_other", ""),
            "parents_inform_on": data.get("parents_inform_on"),
            "parents_exception": data.get("parents_exception", ""),
            "parents_exception_explanation": data.get("parents_exception_explanation", ""),
        }


# --- Veilig Thuis ----------------------------------------------------------------------------


class PersonsField(ParticipantsField):
    """Persons involved, one per line "naam – relatie", stored as ``{"name", "relation"}``."""

    def prepare_value(self, value):
        if isinstance(value, list):
            value = [{"name": p.get("name", ""), "role": p.get("relation", p.get("role", ""))}
                     for p in value]
        return super().prepare_value(value)

    def to_python(self, value):
        people = super().to_python(value)
        return [{"name": p["name"], "relation": p.get("role", p.get("relation", ""))}
                for p in people]


class SignalsField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ReportForm(ChangeReasonMixin, forms.Form):
    """The report to Veilig Thuis as made (R20): "open melden, tenzij" (R8), anonymity (R21)."""

    reported_at = forms.DateTimeField(label=_("Datum en tijd van de melding"),
                                      widget=DateTimeInput(),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                                     "%d-%m-%Y %H:%M"])
    channel = forms.ChoiceField(label=_("Hoe is gemeld"), choices=Channel.choices,
                                widget=forms.RadioSelect, initial=Channel.TELEFOON)
    channel_other = forms.CharField(label=_("Anders, namelijk"), required=False, max_length=200)
    persons_involved = PersonsField(
        label=_("Betrokkenen (naam – relatie tot het kind)"),
        help_text=_("Eén persoon per regel, bijvoorbeeld „S. de Vries – moeder”."))
    signals = SignalsField(label=_("Gemelde signalen"), coerce=int)
    steps_taken = forms.CharField(label=_("Gezette stappen tot nu toe"), widget=textarea(6),
                                  help_text=_("Vooringevuld uit het dossier; pas aan waar nodig."))
    parents_informed = forms.ChoiceField(
        label=_("Zijn de ouders vooraf geïnformeerd over de melding?"), widget=forms.RadioSelect,
        choices=[("ja", _("Ja (open melden)")),
                 ("nee", _("Nee, om een van de redenen hieronder"))],
        help_text=_("Open melden is de norm: bespreek de zorgen en vertel dat u meldt. "
                    "Toestemming is niet nodig."))
    parents_informed_how = forms.CharField(label=_("Hoe en door wie zijn de ouders geïnformeerd"),
                                           required=False, widget=textarea(2))
    parents_reaction = forms.CharField(label=_("Reactie van de ouders"), required=False,
                                       widget=textarea(2))
    parents_exception = forms.ChoiceField(
        label=_("Reden om de ouders niet vooraf te informeren"), required=False,
        choices=[("", _("— kies een reden —")), *ParentsException.choices])
    parents_exception_explanation = forms.CharField(label=_("Toelichting"), required=False,
                                                    widget=textarea(2))
    anonymity_requested = forms.BooleanField(
        label=_("Gevraagd om de melder af te schermen voor het gezin"), required=False,
        help_text=_("Alleen bij uitzondering: Veilig Thuis kent de melder altijd."))
    anonymity_reason = forms.ChoiceField(
        label=_("Reden voor afscherming"), required=False,
        choices=[("", _("— kies een reden —")), *AnonymityReason.choices])
    anonymity_explanation = forms.CharField(label=_("Toelichting bij de afscherming"),
                                            required=False, widget=textarea(2))
    vt_reference = forms.CharField(label=_("Kenmerk van Veilig Thuis"), required=False,
                                   max_length=100)
    investigation_feedback_due = forms.DateField(
        label=_("Terugkoppeling na onderzoek verwacht op"), required=False, widget=DateInput(),
        help_text=_("Als Veilig Thuis een onderzoek doet en een datum heeft genoemd."))

    def __init__(self, *args, staff: dict, signals, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter"] = StaffChoiceField(staff=staff, blank_label=_("— kies —"),
                                                   label=_("Melder"))
        self.fields["signals"].choices = [
            (s.pk, f"{s.observed_on.strftime('%d-%m-%Y')} · {s.get_category_display()}")
            for s in signals]
        if not editing:
            del self.fields["change_reason"]
            del self.fields["lock_version"]
        self.order_fields(["reported_at", "channel", "channel_other", "reporter"])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["parents_informed"] = data.get("parents_informed") == "ja"
        if self.cleaned_data.get("parents_informed") not in ("ja", "nee"):
            data["parents_informed"] = None
        for name in ("signals", "reporter", "lock_version", "change_reason"):
            data.pop(name, None)
        return data


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("Soort terugkoppeling"), choices=FeedbackKind.choices,
                             widget=forms.RadioSelect)
    received_on = forms.DateField(label=_("Ontvangen op"), widget=DateInput())
    content = forms.CharField(label=_("Inhoud van de terugkoppeling"), widget=textarea(5),
                              help_text=_("Of er vervolg is gestart, welke partijen het "
                                          "overnemen, en veiligheidsvoorwaarden of monitoring "
                                          "waarin de school een rol heeft."))


class VersionedModelForm(HiddenFieldErrorsMixin, forms.ModelForm):
    """A model form with, when editing, the version it was built from and a change reason."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label=_("Reden van de wijziging"), required=False, max_length=300,
        help_text=_("De vorige versie blijft bewaard, met uw naam en deze reden."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        if self.editing:
            self.fields["lock_version"].initial = self.instance.lock_version
        else:
            del self.fields["lock_version"]
            del self.fields["change_reason"]
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()


class RoleAgreementForm(VersionedModelForm):
    class Meta:
        model = SchoolRoleAgreement
        fields = ["agreed_on", "vt_contact", "school_role", "parents_informed_by"]
        widgets = {"school_role": textarea(4)}


class InformationRequestForm(forms.ModelForm):
    class Meta:
        model = InformationRequest
        fields = ["report", "requested_on", "requested_by", "given_on", "information_given",
                  "legal_basis", "legal_basis_explanation"]
        widgets = {"information_given": textarea(5), "legal_basis_explanation": textarea(2),
                   "requested_on": DateInput(), "given_on": DateInput(),
                   "legal_basis": forms.RadioSelect}
        help_texts = {
            "legal_basis": _("Het meldrecht geeft u het recht om Veilig Thuis zonder "
                             "toestemming informatie te geven die nodig is om geweld te stoppen "
                             "of te onderzoeken. Geef niet meer dan nodig is."),
            "information_given": _("Feiten en bronnen; meningen als zodanig benoemd.")}

    def __init__(self, *args, reports=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["report"]
        field.queryset = field.queryset.model.objects.filter(pk__in=[r.pk for r in reports])
        field.required = False
        field.empty_label = _("— geen (Veilig Thuis vraagt als informant) —")
        field.label_from_instance = lambda r: str(r)


# --- help and follow-up -------------------------------------------------------------------


class HelpPlanForm(VersionedModelForm):
    roles = ParticipantsField(label=_("Rollen (naam – rol)"),
                              help_text=_("Wie doet wat, bijvoorbeeld „M. Smit – intern "
                                          "begeleider: gesprekken met de leerling”."))

    class Meta:
        model = HelpPlan
        fields = ["help_description", "coordinator_name", "roles", "expected_results",
                  "period_start", "period_end", "evaluation_on"]
        widgets = {"help_description": textarea(4), "expected_results": textarea(4)}
        help_texts = {
            "help_description": _("Hulp van tweedelijns medewerkers van de school of van "
                                  "partners, niet van de leerkracht alleen."),
            "expected_results": _("Concreet en meetbaar: wat moet er aan het eind van de "
                                  "termijn veranderd zijn voor de veiligheid van het kind?"),
            "evaluation_on": _("Op deze datum wordt vraag 5 beantwoord: leidt de hulp tot de "
                               "noodzakelijke resultaten?")}

    def __init__(self, *args, staff: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"] = StaffChoiceField(
            staff=staff, blank_label=_("— kies een medewerker —"),
            label=_("Zorgcoördinator"), required=False)
        if self.instance.coordinator_id:
            self.initial.setdefault("coordinator", self.instance.coordinator_id)
        # R13: the service names every missing element at once, with its own message.
        for name in ("help_description", "roles", "expected_results", "period_start",
                     "period_end", "evaluation_on"):
            self.fields[name].required = False
        for name in ("help_description", "expected_results", "period_start", "period_end",
                     "evaluation_on"):
            self.fields[name].widget.attrs["aria-required"] = "true"
        self.order_fields(["help_description", "coordinator", "coordinator_name", "roles"])

    def save(self, commit=False):
        plan = super().save(commit=False)
        plan.coordinator_id = self.cleaned_data.get("coordinator")
        return plan

    def _post_clean(self):
        # The coordinator is checked by the service (member of staff or an outside name).
        self.instance.coordinator_id = self.cleaned_data.get("coordinator")
        super()._post_clean()


class FollowUpActionForm(VersionedModelForm):
    class Meta:
        model = FollowUpAction
        fields = ["description", "due_on", "done_on", "result"]
        widgets = {"description": textarea(3), "result": textarea(3)}

    def __init__(self, *args, staff: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = StaffChoiceField(staff=staff, blank_label=_("— kies —"),
                                                label=_("Uitvoerder"))
        if self.instance.owner_id:
            self.initial.setdefault("owner", self.instance.owner_id)
        if not self.editing:
            del self.fields["done_on"]
            del self.fields["result"]
        self.order_fields(["description", "owner", "due_on"])

    def _post_clean(self):
        self.instance.owner_id = self.cleaned_data.get("owner")
        super()._post_clean()


class EvaluationForm(forms.ModelForm):
    participants = ParticipantsField(label=_("Deelnemers (naam – rol)"), required=False)

    class Meta:
        model = Evaluation
        fields = ["evaluated_on", "participants", "outcome", "note"]
        widgets = {"evaluated_on": DateInput(), "note": textarea(5),
                   "outcome": forms.RadioSelect}
        help_texts = {"note": _("Is het kind veilig? Wat werkte, wat niet, en wat is er nog "
                                "nodig?")}


class AftercareForm(forms.ModelForm):
    class Meta:
        model = AftercareNote
        fields = ["occurred_on", "note"]
        widgets = {"occurred_on": DateInput(), "note": textarea(4)}


class MonitoringForm(VersionedModelForm):
    class Meta:
        model = MonitoringAgreement
        fields = ["agreed_on", "parties", "agreement", "review_on"]
        widgets = {"agreement": textarea(4)}
        help_texts = {"parties": _("Bijvoorbeeld: ouders, leerkracht, wijkteam.")}


class BottleneckForm(forms.ModelForm):
    class Meta:
        model = BottleneckNote
        fields = ["theme", "note"]
        widgets = {"note": textarea(4)}
        help_texts = {"note": _("Voor beleidsadvies: beschrijf het knelpunt zonder namen, "
                                "leerlingnummers, geboortedata of andere gegevens waarmee het "
                                "kind of gezin herkenbaar is.")}

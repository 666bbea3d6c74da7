"""Forms for the step records and SOT meetings. They validate only; saving goes through
``cases.records`` / ``cases.sot`` (which call ``services.record_save``)."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin
from schools.models import Membership, Parent, PupilParent
from schools.roles import Role

from .models import (Case, CaseNote, Consultation, Conversation, ConversationKind, NotHeldReason,
                     ParentStatement, Regie, SotDiscussion, SotMeeting, StatementChannel,
                     VeiligThuisAdvice, VerwijsindexMatch, VerwijsindexRegistration)
from .records import (child_identifier_patterns, identifiers_in, vir_match_errors,
                      vir_match_first_regie_only)

# --- participants: one per line, "Naam – rol" ------------------------------------------------

_PARENS = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<role>[^()]+)\)$")
# An en or em dash with or without spaces, or a hyphen with spaces on both sides: "Anne-Fleur
# de Vries - moeder" keeps its double first name.
_DASH = re.compile(r"\s*[–—]\s*|\s+-\s+")
DASH = "–"
MAX_PARTICIPANTS = 40


def parse_participants(text: str) -> tuple[list[dict], list[str]]:
    """Parse "Naam – rol" lines (also "Naam - rol" and "Naam (rol)") into
    ``[{"name": ..., "role": ...}]``; returns the list and Dutch error messages."""
    people: list[dict] = []
    errors: list[str] = []
    lines = [ln.strip() for ln in (text or "").splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        match = _PARENS.match(line)
        if match:
            name, role = match["name"], match["role"]
        else:
            parts = _DASH.split(line, maxsplit=1)
            name, role = (parts + [""])[:2]
        name, role = name.strip(" -–—"), role.strip(" -–—")
        if not name or not role:
            errors.append(str(_("Regel %(number)s: schrijf naam en rol, gescheiden door een "
                                "streepje, bijvoorbeeld „J. de Vries – leerkracht”.")
                              % {"number": number}))
        elif len(name) > 200 or len(role) > 100:
            errors.append(str(_("Regel %(number)s is te lang.") % {"number": number}))
        else:
            people.append({"name": name, "role": role})
    if len(people) > MAX_PARTICIPANTS:
        errors.append(str(_("Er kunnen hoogstens %(max)s personen worden ingevuld.")
                          % {"max": MAX_PARTICIPANTS}))
    return people, errors


def format_participants(people) -> str:
    if not people:
        return ""
    return "\n".join(f"{p.get('name', '')} {DASH} {p.get('role', '')}" for p in people)


class ParticipantsField(forms.Field):
    """A textarea with one person per line, stored as a JSON list of ``{"name", "role"}``."""

    default_error_messages = {"required": _("Vul minstens één persoon in.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("help_text", _("Eén persoon per regel: naam – rol, bijvoorbeeld "
                                         "„J. de Vries – leerkracht”."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return format_participants(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        people, errors = parse_participants(value or "")
        if errors:
            raise forms.ValidationError(errors)
        return people

    def has_changed(self, initial, data):
        try:
            return (initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


YES_NO = [(True, _("Ja")), (False, _("Nee"))]


def _to_bool(value) -> bool:
    return value in (True, "True", "true", "1", "on")


def yes_no_field(label, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=_to_bool,
                                  widget=forms.RadioSelect, **kwargs)


def textarea(rows: int = 4):
    return forms.Textarea(attrs={"rows": rows})


class VersionedForm(HiddenFieldErrorsMixin, forms.ModelForm):
    """Edit mode adds the hidden ``lock_version`` the form was built from and a required reason:
    saved entries are part of the dossier and every change keeps its reason (R31)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label=_("Reden van de wijziging"), required=False, max_length=300,
        help_text=_("Wat u vastlegt hoort bij het dossier: de vorige versie blijft bewaard, "
                    "met uw naam en deze reden."))

    reason_always_required = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        if self.editing:
            self.fields["lock_version"].required = True
            self.fields["lock_version"].initial = self.instance.lock_version
            self.fields["change_reason"].required = self.reason_required()
        else:
            del self.fields["lock_version"]
            del self.fields["change_reason"]

    def reason_required(self) -> bool:
        return self.reason_always_required


class RecordForm(VersionedForm):
    """Date and participants, common to the step records."""

    participants = ParticipantsField(label=_("Deelnemers en hun rol"), required=False)
    participants_required = False

    def __init__(self, *args, case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        if "occurred_on" in self.fields:
            self.fields["occurred_on"].widget = DateInput()
            if not self.editing:
                self.fields["occurred_on"].initial = timezone.localdate()
        if "participants" in self.fields:
            self.fields["participants"].required = self.participants_required

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Deze datum ligt in de toekomst. Leg een verslag vast "
                                          "nadat het heeft plaatsgevonden."))
        return day


class VerwijsindexForm(RecordForm):
    """Only that a signal was given, when, and whether parents were informed: the Verwijsindex
    holds no reason and no content (domain.md §8, R43), so neither does this form."""

    parents_informed = yes_no_field(_("Zijn de ouders/verzorgers geïnformeerd?"))
    participants = None  # "by whom" is the author; nothing else is recorded

    class Meta:
        model = VerwijsindexRegistration
        fields = ["occurred_on", "parents_informed"]
        labels = {"occurred_on": _("Datum van registratie")}
        help_texts = {"occurred_on": _("Herbeoordelen of intrekken moet uiterlijk twee jaar na "
                                       "deze datum.")}


class VerwijsindexWithdrawForm(HiddenFieldErrorsMixin, forms.Form):
    withdrawn_on = forms.DateField(label=_("Ingetrokken op"), widget=DateInput())
    lock_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()
        self.fields["lock_version"].initial = registration.lock_version


class ConsultationForm(RecordForm):
    participants_required = True

    class Meta:
        model = Consultation
        fields = ["occurred_on", "participants", "consulted", "question", "advice",
                  "agreed_actions"]
        labels = {"occurred_on": _("Datum van de consultatie"),
                  "consulted": _("Wie is geraadpleegd")}
        help_texts = {"consulted": _("Bijvoorbeeld de intern begeleider, de jeugdverpleegkundige "
                                     "of het wijkteam.")}
        widgets = {"question": textarea(), "advice": textarea(), "agreed_actions": textarea()}


class CaseNoteForm(RecordForm):
    """A general note in the file: made by sharing a private working note (R32), edited here
    like every record (with a reason, R31)."""

    participants = None

    class Meta:
        model = CaseNote
        fields = ["occurred_on", "text"]
        labels = {"occurred_on": _("Datum")}
        widgets = {"text": textarea(6)}


class VeiligThuisAdviceForm(RecordForm):
    class Meta:
        model = VeiligThuisAdvice
        fields = ["occurred_on", "adviser", "anonymous", "participants", "question", "advice"]
        labels = {"occurred_on": _("Datum van de adviesvraag"),
                  "anonymous": _("Anoniem gevraagd (zonder gegevens van het kind of gezin)"),
                  "participants": _("Wie vroeg het advies (naam – rol)")}
        help_texts = {
            "adviser": _("Naam of functie van de adviseur bij Veilig Thuis."),
            "question": _("Bij een anonieme adviesvraag: geen naam, leerlingnummer of "
                          "geboortedatum van het kind en geen namen van de ouders."),
        }
        widgets = {"question": textarea(), "advice": textarea()}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("anonymous"):
            # R19: an anonymous advice request stores no child identifiers in its note.
            patterns = child_identifier_patterns(self.case.pupil)
            for name in ("question", "advice"):
                hits = identifiers_in(cleaned.get(name, ""), patterns)
                if hits:
                    self.add_error(name, _(
                        "Deze adviesvraag is anoniem: de tekst mag het kind niet herkenbaar maken. "
                        "Haal weg: %(what)s.") % {"what": ", ".join(hits)})
        return cleaned


HELD_CHOICES = [(True, _("Ja, het gesprek is gevoerd")),
                (False, _("Nee, het gesprek is (nog) niet gevoerd"))]

HELD_FIELDS = ["participants", "with_parents", "with_pupil", "purpose", "discussed", "reactions",
               "agreements"]
NOT_HELD_FIELDS = ["not_held_reason", "not_held_explanation"]


class ConversationForm(RecordForm):
    """Conversation with parents and/or pupil (step 3, R7), or why it was not held (R8)."""

    kind = ConversationKind.STEP3
    held = forms.TypedChoiceField(label=_("Is het gesprek gevoerd?"), choices=HELD_CHOICES,
                                  coerce=_to_bool, widget=forms.RadioSelect, initial=True)

    class Meta:
        model = Conversation
        fields = ["occurred_on", "held", *HELD_FIELDS, *NOT_HELD_FIELDS]
        labels = {"occurred_on": _("Datum"), "purpose": _("Doel van het gesprek"),
                  "reactions": _("Reacties van ouders en/of leerling"),
                  "not_held_explanation": _("Toelichting waarom het gesprek niet is gevoerd")}
        widgets = {"purpose": textarea(2), "discussed": textarea(5), "reactions": textarea(),
                   "agreements": textarea(), "not_held_explanation": textarea()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "not_held_reason" in self.fields:
            self.fields["not_held_reason"].choices = [("", _("— kies een reden —")),
                                                      *NotHeldReason.choices]

    def _post_clean(self):
        self.instance.kind = self.kind
        super()._post_clean()

    def clean(self):
        cleaned = super().clean()
        held = cleaned.get("held", True)
        if held:
            if not cleaned.get("discussed", "").strip():
                self.add_error("discussed", _("Beschrijf wat er is besproken."))
            if not cleaned.get("participants") and "participants" not in self.errors:
                self.add_error("participants", _("Vul in wie er bij het gesprek waren."))
            if (self.kind == ConversationKind.STEP3 and not cleaned.get("with_parents")
                    and not cleaned.get("with_pupil")):
                self.add_error("with_parents", _("Kies met wie het gesprek was: de ouders/"
                                                 "verzorgers en/of de leerling."))
            # A held conversation has no reason for not holding it.
            cleaned["not_held_reason"], cleaned["not_held_explanation"] = "", ""
        else:
            if not cleaned.get("not_held_reason"):
                self.add_error("not_held_reason", _("Kies een reden uit de lijst."))
            if not cleaned.get("not_held_explanation", "").strip():
                self.add_error("not_held_explanation",
                               _("Licht toe waarom het gesprek niet is gevoerd."))
            # Nothing was discussed in a conversation that did not take place.
            for name in ("purpose", "discussed", "reactions", "agreements"):
                cleaned[name] = ""
        return cleaned


class ParentContactForm(ConversationForm):
    """Contact with parents ("bespreken met ouders"), at any step: no "not held" branch."""

    kind = ConversationKind.PARENT_CONTACT

    class Meta(ConversationForm.Meta):
        fields = ["occurred_on", "participants", "with_pupil", "purpose", "discussed",
                  "reactions", "agreements"]
        labels = {**ConversationForm.Meta.labels, "with_pupil": _("De leerling was er ook bij"),
                  "purpose": _("Aanleiding"), "reactions": _("Reacties van de ouders")}

    held = None  # no "not held" branch: a contact that did not happen is not recorded

    def _post_clean(self):
        self.instance.held, self.instance.with_parents = True, True
        super()._post_clean()


class ParentChoiceField(forms.ModelChoiceField):
    """The pupil's known parents and guardians, labelled with relation and authority (gezag)."""

    links: dict[int, PupilParent] = {}

    def label_from_instance(self, obj):
        link = self.links.get(obj.pk)
        if link is None:
            return obj.name
        authority = _("met gezag") if link.has_authority else _("zonder gezag")
        return f"{obj.name} ({link.get_relationship_display()}, {authority})"


MAX_STATEMENT_CHARS = 20000


class ParentStatementForm(RecordForm):
    """A parents' own statement on the file (R39): who gave it, when and how it was received,
    what it responds to, and the text as given. Saving goes through ``records.record_create``
    / ``record_update``, which check who gave it and copy their name onto the record."""

    participants = None  # who gave it is the parent; the author is the one who added it
    parent = ParentChoiceField(
        label=_("Wie gaf de verklaring?"), queryset=Parent.objects.none(), required=False,
        empty_label=_("— iemand anders: vul hieronder naam en relatie in —"),
        help_text=_("Een ouder of verzorger van de leerling. Staat die er niet bij, vul dan "
                    "hieronder naam en relatie in."))
    other_name = forms.CharField(label=_("Naam (als de ouder/verzorger er niet bij staat)"),
                                 required=False, max_length=200)
    other_relation = forms.CharField(
        label=_("Relatie tot de leerling"), required=False, max_length=100,
        help_text=_("Bijvoorbeeld moeder, vader, voogd of pleegouder."))
    received_via = forms.ChoiceField(label=_("Hoe is de verklaring ontvangen?"),
                                     choices=StatementChannel.choices, widget=forms.RadioSelect)
    statement = forms.CharField(
        label=_("Verklaring van de ouders"), max_length=MAX_STATEMENT_CHARS,
        widget=textarea(10),
        help_text=_("Neem de woorden van de ouders letterlijk over: niets weglaten, niets "
                    "verbeteren en niets toevoegen. Een mondelinge verklaring schrijft u op "
                    "zoals die is gegeven."),
        error_messages={"required": _("Neem de verklaring van de ouders over.")})
    letter = forms.FileField(
        label=_("Gescande brief (optioneel)"), required=False,
        help_text=_("De brief zoals de ouders hem gaven: een PDF of een foto (JPEG of PNG) van "
                    "hoogstens 10 MB. Kan alleen bij het toevoegen; de brief wordt daarna niet "
                    "meer vervangen. Geeft het formulier een fout, kies het bestand dan "
                    "opnieuw."))

    class Meta:
        model = ParentStatement
        fields = ["occurred_on", "parent", "other_name", "other_relation", "received_via",
                  "responds_to", "statement", "letter"]
        labels = {"occurred_on": _("Ontvangen op"),
                  "responds_to": _("Waarop reageren de ouders?")}
        help_texts = {"responds_to": _("Optioneel: welk verslag of welk deel van het dossier, "
                                       "bijvoorbeeld „het gespreksverslag van 12 maart”.")}
        widgets = {"responds_to": textarea(2)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        links = {link.parent_id: link for link in PupilParent.objects.filter(
            pupil_id=self.case.pupil_id).select_related("parent").order_by("parent__name")}
        field = self.fields["parent"]
        field.links = links
        field.queryset = Parent.objects.filter(pk__in=list(links)).order_by("name")
        # Django would re-query the choices on every render: the links already hold them.
        field.choices = [("", field.empty_label),
                         *[(pk, field.label_from_instance(link.parent))
                           for pk, link in links.items()]]
        if self.editing:
            del self.fields["letter"]  # the letter as given is never replaced
        if self.editing and self.instance.parent_id not in links:
            # Typed in, or a parent no longer linked to the pupil: keep the name on file.
            self.fields["other_name"].initial = self.instance.given_by_name
            self.fields["other_relation"].initial = self.instance.relation
        elif not self.editing and len(links) == 1:
            self.fields["parent"].initial = next(iter(links))

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("De datum van ontvangst ligt in de toekomst."))
        return day

    def clean_letter(self):
        from signals.validators import validate_attachment

        upload = self.cleaned_data.get("letter")
        if upload:
            self.letter_type = validate_attachment(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if "parent" in self.errors or cleaned.get("parent") is not None:
            return cleaned
        if not cleaned.get("other_name", "").strip():
            self.add_error("other_name", _("Kies een ouder/verzorger of vul de naam in van "
                                           "wie de verklaring gaf."))
        if not cleaned.get("other_relation", "").strip():
            self.add_error("other_relation", _("Vul de relatie tot de leerling in."))
        return cleaned

    def _post_clean(self):
        if self.cleaned_data.get("parent") is None:
            self.instance.given_by_name = self.cleaned_data.get("other_name", "")
            self.instance.relation = self.cleaned_data.get("other_relation", "")
        upload = self.cleaned_data.get("letter")
        if upload:
            self.instance.file = upload
            self.instance.file_name = (upload.name or "")[:200]
        super()._post_clean()


# --- SOT ------------------------------------------------------------------------------------

User = get_user_model()
CHAIR_ROLES = {Role.DIRECTEUR, Role.IB, Role.VC, Role.SOT}


class _StaffChoiceMixin:
    labels: dict[int, str] = {}

    def label_from_instance(self, obj):
        return self.labels.get(obj.pk) or obj.get_full_name() or obj.username


class StaffChoiceField(_StaffChoiceMixin, forms.ModelChoiceField):
    pass


class StaffMultipleChoiceField(_StaffChoiceMixin, forms.ModelMultipleChoiceField):
    pass


def school_staff(school) -> dict[int, dict]:
    """Users with a role in force at ``school``: ``{user_id: {"user", "roles", "label"}}``.
    One query; includes external SOT members and their function (R9)."""
    staff: dict[int, dict] = {}
    rows = (Membership.objects.active().filter(school=school)
            .exclude(role__in=Role.board_level()).select_related("user")
            .order_by("user__last_name", "user__first_name"))
    for m in rows:
        entry = staff.setdefault(m.user_id, {"user": m.user, "roles": [], "functions": []})
        entry["roles"].append(m.role)
        if m.external_function:
            entry["functions"].append(m.get_external_function_display())
        entry.setdefault("labels", []).append(str(m.get_role_display()))
    for entry in staff.values():
        user = entry["user"]
        extra = ", ".join(entry["labels"] + entry["functions"])
        entry["label"] = f"{user.get_full_name() or user.username} — {extra}"
    return staff


class SotMeetingForm(VersionedForm):
    """Date, chair (default the directeur), attendees with their roles including external SOT
    members, external attendees and whether parents attended (R9)."""

    held_on = forms.DateField(label=_("Datum van het overleg"), widget=DateInput())
    chair = StaffChoiceField(label=_("Voorzitter"), queryset=User.objects.none(),
                             empty_label=_("— kies de voorzitter —"))
    attendees = StaffMultipleChoiceField(
        label=_("Aanwezigen van de school en het SOT"), queryset=User.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Aanwezigen zien de leerlingen op de agenda van dit overleg. De voorzitter "
                    "is altijd aanwezig."))
    external_attendees = ParticipantsField(
        label=_("Andere aanwezigen (naam – functie)"), required=False,
        help_text=_("Eén persoon per regel, bijvoorbeeld „A. Jansen – jeugdarts”. Alleen namen, "
                    "deze personen krijgen geen toegang tot de app."))

    class Meta:
        model = SotMeeting
        fields = ["held_on", "chair", "attendees", "external_attendees", "parents_attended"]
        labels = {"parents_attended": _("Ouders/verzorgers waren (deels) aanwezig")}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        staff = school_staff(school)
        labels = {pk: entry["label"] for pk, entry in staff.items()}
        chair_ids = [pk for pk, e in staff.items() if CHAIR_ROLES & set(e["roles"])]
        attendee_ids = list(staff)
        if self.editing:
            # People whose role has ended since stay on the record of a meeting they attended.
            chair_ids.append(self.instance.chair_id)
            attendee_ids += list(self.instance.attendees.values_list("pk", flat=True))
        ordered = User.objects.order_by("last_name", "first_name", "pk")
        self.fields["chair"].queryset = ordered.filter(pk__in=chair_ids)
        self.fields["chair"].labels = labels
        self.fields["attendees"].queryset = ordered.filter(pk__in=attendee_ids)
        self.fields["attendees"].labels = labels
        if not self.editing:
            directors = [pk for pk, e in staff.items() if Role.DIRECTEUR in e["roles"]]
            if directors:
                self.fields["chair"].initial = directors[0]


class SotAgendaMeetingForm(forms.Form):
    """Put one case on the agenda of a meeting (chosen from the case)."""

    meeting = forms.ModelChoiceField(label=_("SOT-overleg"), queryset=SotMeeting.objects.none(),
                                     empty_label=_("— kies een overleg —"))

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = lambda m: _(
            "%(date)s, voorzitter %(chair)s") % {
            "date": m.held_on.strftime("%d-%m-%Y"),
            "chair": m.chair.get_full_name() or m.chair.username}


class SotAgendaCaseForm(forms.Form):
    """Put a case on the agenda (chosen from the meeting page)."""

    case = forms.ModelChoiceField(label=_("Dossier"), queryset=Case.objects.none(),
                                  empty_label=_("— kies een dossier —"))

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda c: f"{c.pupil.full_name} ({c.number})"


class SotWeighingForm(VersionedForm):
    """The weighing of one case in the SOT (step 4, R9)."""

    class Meta:
        model = SotDiscussion
        fields = ["nature_severity", "risk_assessment", "doubt", "agreed_approach"]
        widgets = {"nature_severity": textarea(5), "risk_assessment": textarea(5),
                   "agreed_approach": textarea(5)}
        labels = {"doubt": _("Er is twijfel over de aard of ernst")}
        help_texts = {"doubt": _("Bij twijfel vraagt u advies aan Veilig Thuis (R16); na het "
                                 "opslaan staat er een link om dat advies vast te leggen.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("nature_severity", "risk_assessment", "agreed_approach"):
            self.fields[name].required = True

    def reason_required(self) -> bool:
        # Filling in the empty agenda item the first time is not a change of the dossier.
        i = self.instance
        return bool(i.nature_severity or i.risk_assessment or i.agreed_approach or i.doubt)


# --- R44: a match in the Verwijsindex and the regievoerder -----------------------------------

MAX_ORGANISATIONS = 20


def parse_organisations(text: str) -> tuple[list[dict], list[str]]:
    """Parse "Organisatie – contactpersoon of functie" lines (the contact is optional; also
    "Organisatie (contact)") into ``[{"organisation": ..., "contact": ...}]``; returns the
    list and Dutch error messages."""
    found: list[dict] = []
    errors: list[str] = []
    for number, line in enumerate((ln.strip() for ln in (text or "").splitlines()), start=1):
        if not line:
            continue
        match = _PARENS.match(line)
        if match:
            organisation, contact = match["name"], match["role"]
        else:
            organisation, contact = (_DASH.split(line, maxsplit=1) + [""])[:2]
        organisation, contact = organisation.strip(" -–—"), contact.strip(" -–—")
        if not organisation:
            errors.append(str(_("Regel %(number)s: begin met de naam van de organisatie, "
                                "bijvoorbeeld „Wijkteam Noord – J. Jansen, jeugdconsulent”.")
                              % {"number": number}))
        elif len(organisation) > 200 or len(contact) > 200:
            errors.append(str(_("Regel %(number)s is te lang.") % {"number": number}))
        else:
            found.append({"organisation": organisation, "contact": contact})
    if len(found) > MAX_ORGANISATIONS:
        errors.append(str(_("Er kunnen hoogstens %(max)s organisaties worden ingevuld.")
                          % {"max": MAX_ORGANISATIONS}))
    return found, errors


def format_organisations(organisations) -> str:
    lines = []
    for item in organisations or []:
        if isinstance(item, dict):
            org, contact = item.get("organisation", ""), item.get("contact", "")
            lines.append(f"{org} {DASH} {contact}" if contact else org)
    return "\n".join(lines)


class OrganisationsField(forms.Field):
    """A textarea with one organisation per line, stored as a JSON list of
    ``{"organisation", "contact"}``."""

    default_error_messages = {"required": _("Vul minstens één andere organisatie in.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return format_organisations(value) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        found, errors = parse_organisations(value or "")
        if errors:
            raise forms.ValidationError(errors)
        return found

    def has_changed(self, initial, data):
        try:
            return (initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True


class VerwijsindexMatchForm(VersionedForm):
    """A match notice from the Verwijsindex and, now or later, the agreed regievoerder (R44).

    Only what the index itself knows: dates, organisations and the professionals' names or
    functions. No reason, no content, nothing about the child or the parents (domain.md §8).
    The rules (dates, a complete regievoerder) are ``cases.records.vir_match_errors``, the
    same ones the services apply.
    """

    organisations = OrganisationsField(
        label=_("Andere betrokken organisatie(s)"),
        help_text=_("Eén organisatie per regel, met de contactpersoon of functie als u die "
                    "weet: „Wijkteam Noord – J. Jansen, jeugdconsulent”. Alleen gegevens van "
                    "de professionals, niets over het kind of de ouders."))
    regie = forms.ChoiceField(label=_("Wie heeft de regie?"), choices=Regie.choices,
                              widget=forms.RadioSelect, required=False, initial=Regie.PENDING)
    lead_staff = StaffChoiceField(
        label=_("Regievoerder van onze school"), queryset=None, required=False,
        empty_label=_("— kies een medewerker —"),
        help_text=_("Alleen bij „onze school”: de medewerker die de regie heeft."))

    class Meta:
        model = VerwijsindexMatch
        fields = ["notified_on", "organisations", "regie", "lead_staff", "lead_organisation",
                  "lead_contact", "regie_agreed_on"]
        labels = {"regie_agreed_on": _("Datum waarop de regie is afgesproken")}
        help_texts = {
            "notified_on": _("De dag waarop de Verwijsindex de match meldde."),
            "lead_organisation": _("Alleen bij „een andere organisatie”."),
            "lead_contact": _("Alleen bij „een andere organisatie”, als u die weet."),
            "regie_agreed_on": _("Alleen als de regie is afgesproken."),
        }
        widgets = {"notified_on": DateInput(), "regie_agreed_on": DateInput()}

    def __init__(self, *args, registration, **kwargs):
        self.registration = registration
        super().__init__(*args, **kwargs)
        school = registration.case.school
        staff = school_staff(school)
        ids = list(staff)
        if self.editing and self.instance.lead_staff_id:
            # Someone whose role has ended since stays the recorded regievoerder.
            ids.append(self.instance.lead_staff_id)
        self.fields["lead_staff"].queryset = (User.objects.filter(pk__in=ids)
                                              .order_by("last_name", "first_name", "pk"))
        self.fields["lead_staff"].labels = {pk: e["label"] for pk, e in staff.items()}
        if not self.editing:
            self.fields["notified_on"].initial = timezone.localdate()
        if "change_reason" in self.fields:
            # Filling in the regievoerder for the first time completes the match; only a
            # correction needs a reason (checked in ``clean``).
            self.fields["change_reason"].required = False
            self.fields["change_reason"].help_text = _(
                "Nodig als u iets corrigeert dat al was vastgelegd; niet als u alleen de "
                "regievoerder voor het eerst invult.")

    def clean(self):
        cleaned = super().clean()
        regie = cleaned.get("regie") or Regie.PENDING
        # The chosen option decides which fields count (as the service does): the other
        # option's fields are emptied, so the saved row meets the model's check constraints.
        if regie == Regie.SCHOOL:
            cleaned["lead_organisation"], cleaned["lead_contact"] = "", ""
        elif regie == Regie.OTHER:
            cleaned["lead_staff"] = None
        candidate = VerwijsindexMatch(
            notified_on=cleaned.get("notified_on"), organisations=cleaned.get("organisations"),
            regie=regie, lead_staff=cleaned.get("lead_staff"),
            lead_organisation=cleaned.get("lead_organisation", ""),
            lead_contact=cleaned.get("lead_contact", ""),
            regie_agreed_on=cleaned.get("regie_agreed_on"))
        for name, messages in vir_match_errors(registration=self.registration,
                                               match=candidate).items():
            if name in self.errors:
                continue  # the field's own error (missing, not a date) says enough
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        stale = cleaned.get("lock_version") != self.instance.lock_version
        # A stale form is a conflict (the service says so, keeping the input), not a missing
        # reason measured against a version the user never saw.
        if (self.editing and not stale and not self.errors
                and not cleaned.get("change_reason", "").strip() and self.has_changed()
                and not vir_match_first_regie_only(self.instance_before, candidate)):
            self.add_error("change_reason", _("Geef een reden voor de wijziging."))
        return cleaned

    @property
    def instance_before(self):
        """The saved state the form was built from (``self.instance`` is changed by
        ``_post_clean``)."""
        return VerwijsindexMatch(regie=self.initial.get("regie", ""),
                                 notified_on=self.initial.get("notified_on"),
                                 organisations=self.initial.get("organisations") or [])

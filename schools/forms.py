"""Forms of the beheer screens. They validate only; writes go through ``schools.services``."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin

from . import importer, services
from .models import (Board, ContactKind, ExternalFunction, Parent, Pupil, PupilParent,
                     Relationship, School, SchoolClass, SchoolContact)
from .roles import Role

User = get_user_model()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y"]


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(), input_formats=DATE_INPUT_FORMATS,
                           **kwargs)


# --------------------------------------------------------------------------------------------
# People and roles
# --------------------------------------------------------------------------------------------

class PeopleFilterForm(forms.Form):
    STATUS_ACTIVE, STATUS_ENDED, STATUS_ALL = "actief", "beeindigd", "alle"

    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none(),
                                    required=False, empty_label=_("Alle scholen"))
    role = forms.ChoiceField(label=_("Rol"), required=False,
                             choices=[("", _("Alle rollen")), *Role.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        (STATUS_ACTIVE, _("Actieve rollen")), (STATUS_ENDED, _("Beëindigde rollen")),
        (STATUS_ALL, _("Alle rollen"))])
    q = forms.CharField(label=_("Naam of gebruikersnaam"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, scope: services.Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = services.managed_schools(scope)


class StaffUserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]
        labels = {"username": _("Gebruikersnaam"), "first_name": _("Voornaam"),
                  "last_name": _("Achternaam"), "email": _("E-mailadres")}
        help_texts = {
            "username": _("Letters, cijfers en @ . + - _; bijvoorbeeld j.devries."),
            "email": _("Hierheen gaat de link om een wachtwoord in te stellen. Zelf stelt u "
                       "geen wachtwoord in."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Deze gebruikersnaam is al in gebruik."))
        return username


class MembershipForm(forms.Form):
    """One role for one person; the rules live in ``services.membership_errors``."""

    role = forms.ChoiceField(label=_("Rol"))
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False,
        empty_label=_("(geen: bestuursrol)"),
        help_text=_("Verplicht voor rollen op een school; leeg voor een bestuursrol."))
    board = forms.ModelChoiceField(label=_("Bestuur"), queryset=Board.objects.none(),
                                   required=False, help_text=_("Alleen voor een bestuursrol."))
    starts_on = date_field(_("Startdatum"))
    ends_on = date_field(_("Einddatum"), required=False,
                         help_text=_("Leeg laten als de rol niet op een vaste datum stopt."))
    external_function = forms.ChoiceField(
        label=_("Externe functie"), required=False, choices=ExternalFunction.choices,
        help_text=_("Alleen voor SOT-leden van buiten de school."))
    classes = forms.TypedMultipleChoiceField(
        label=_("Groepen"), required=False, coerce=int,
        help_text=_("Alleen voor een leerkracht: de groepen van dit en volgend schooljaar."))

    def __init__(self, *args, actor, scope: services.Scope, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.scope, self.person = actor, scope, person
        self.fields["starts_on"].initial = timezone.localdate
        roles = Role.choices
        if not scope.board_ids:  # a directeur cannot grant board roles
            roles = [(v, label) for v, label in roles if v not in Role.board_level()]
            del self.fields["board"]
            self.fields["school"].required = True
            self.fields["school"].empty_label = None
            self.fields["school"].help_text = ""
        else:
            boards = services.managed_boards(scope)
            self.fields["board"].queryset = boards
            if len(scope.board_ids) == 1:
                self.fields["board"].widget = forms.HiddenInput()
                self.fields["board"].initial = next(iter(scope.board_ids))
        self.fields["role"].choices = [("", "---------"), *roles]
        schools = services.managed_schools(scope)
        self.fields["school"].queryset = schools
        year = services.current_school_year()
        self._classes = {c.pk: c for c in services.managed_classes(scope).filter(
            school_year__gte=year).order_by("school__name", "school_year", "name")}
        grouped: dict[str, list] = {}
        for c in self._classes.values():
            grouped.setdefault(c.school.name, []).append((c.pk, str(c)))
        self.fields["classes"].choices = list(grouped.items())

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        school = data.get("school")
        board = data.get("board") if "board" in self.fields else None
        if data["role"] not in Role.board_level():
            board = school.board if school else board
        req = services.MembershipRequest(
            role=data["role"], school=school, board=board, starts_on=data["starts_on"],
            ends_on=data.get("ends_on"), external_function=data.get("external_function", ""),
            classes=[self._classes[pk] for pk in data.get("classes", [])])
        for field_name, messages in services.membership_errors(
                actor=self.actor, user=self.person, req=req).items():
            for message in messages:
                self.add_error(field_name if field_name in self.fields or field_name is None
                               else None, message)
        self.request_data = req
        return data

    def membership_kwargs(self) -> dict:
        req = self.request_data
        return {"role": req.role, "school": req.school, "board": req.board,
                "starts_on": req.starts_on, "ends_on": req.ends_on,
                "external_function": req.external_function, "classes": req.classes}


class MembershipEndForm(forms.Form):
    ends_on = date_field(_("Einddatum"), help_text=_(
        "De rol geldt tot en met deze dag. Vandaag invullen beëindigt de rol na vandaag."))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["ends_on"].initial = max(timezone.localdate(), membership.starts_on)

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on < self.membership.starts_on:
            raise forms.ValidationError(_("De einddatum ligt vóór de startdatum (%(d)s).")
                                        % {"d": self.membership.starts_on.strftime("%d-%m-%Y")})
        return ends_on


# --------------------------------------------------------------------------------------------
# School settings
# --------------------------------------------------------------------------------------------

def _seen_field():
    """What a switch was when the form was rendered ("1"/"0"), to detect someone else's save
    in between (``services.school_settings_update``). Required: a missing or altered value
    is refused with the hidden-field message, never read as "off"."""
    return forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1",
                                  widget=forms.HiddenInput)


class SchoolSettingsForm(HiddenFieldErrorsMixin, forms.Form):
    """The per-school switches (R12, R32, R45) and an optional reason for the history.
    Each help text is in paragraphs (blank lines): what "on" does, what "off" does.

    The reason is optional, as on the other beheer forms (none asks for one): without it the
    history row says what was switched (``services._settings_summary``)."""

    verwijsindex_enabled = forms.BooleanField(
        label=_("Aangesloten op de Verwijsindex"), required=False,
        help_text=_("Aan: bij elk dossier kunnen de IB'er en de veiligheidscoördinator vastleggen "
                    "dát de leerling in de Verwijsindex risicojongeren is geregistreerd, met "
                    "herbeoordeling, intrekking en een match met de afgesproken regievoerder; het "
                    "dashboard toont herbeoordelingen die eraan komen. De registratie zelf doet "
                    "u in de Verwijsindex: Meldcode is er niet mee gekoppeld.\n\n"
                    "Uit: de knop en het overzicht verdwijnen. Al vastgelegde registraties "
                    "blijven in het dossier staan (ze worden niet verwijderd), maar openen, "
                    "wijzigen en intrekken kan pas weer als deze instelling aan staat."))
    work_notes_enabled = forms.BooleanField(
        label=_("Persoonlijke werkaantekeningen toestaan"), required=False,
        help_text=_("Aan: elke medewerker die een dossier mag inzien, kan er eigen, tijdelijke "
                    "werkaantekeningen bij maken die niemand anders ziet, ook de directeur en de "
                    "beheerder niet. Ze vallen alleen buiten het dossier (en buiten het "
                    "inzagerecht van ouders) zolang ze tijdelijk en niet gedeeld zijn: ze "
                    "verdwijnen drie maanden na de laatste wijziging, of twee weken nadat het "
                    "dossier is afgesloten; gedeeld worden ze een aantekening in het dossier."
                    "\n\n"
                    "Uit: niemand kan nog werkaantekeningen maken, openen of delen. Bestaande "
                    "werkaantekeningen worden niet meteen verwijderd: ze blijven verborgen en "
                    "verdwijnen op hun gewone vervaldatum. Zet u ze vóór die datum weer aan, dan "
                    "ziet de eigenaar ze weer. Laat medewerkers wat in het dossier hoort eerst "
                    "delen."))
    doubt_means_report = forms.BooleanField(
        label=_("Twijfel bij vraag 2 van het afwegingskader betekent melden"), required=False,
        help_text=_("Bij vraag 2 (is er sprake van acute en/of structurele onveiligheid?) kan "
                    "ook ‘twijfel’ worden gekozen.\n\n"
                    "Aan (standaard, de onderwijsvariant van het afwegingskader): twijfel telt "
                    "als ‘ja’, het advies is melden bij Veilig Thuis en vragen 3 tot en met 5 "
                    "worden samen met Veilig Thuis beantwoord.\n\n"
                    "Uit: twijfel telt als ‘nee’, de school beantwoordt vragen 3 tot en met 5 "
                    "zelf en het afwegingskader vraagt bij twijfel altijd Veilig Thuis te "
                    "raadplegen.\n\n"
                    "Geldt voor elk afwegingskader dat vanaf nu wordt ingevuld of gewijzigd; een "
                    "opgeslagen afwegingskader houdt de instelling waarmee het advies is "
                    "bepaald."))
    reason = forms.CharField(
        label=_("Toelichting bij de wijziging"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Niet verplicht. Komt in de wijzigingshistorie van de school, met uw naam en "
                    "het tijdstip. Zet hier geen gegevens over leerlingen of dossiers."),
        error_messages={"max_length": _("Hoogstens %(limit_value)d tekens (nu %(show_value)d).")})
    seen_verwijsindex_enabled = _seen_field()
    seen_work_notes_enabled = _seen_field()
    seen_doubt_means_report = _seen_field()

    def __init__(self, *args, school: School, **kwargs):
        current = services.school_settings_of(school)
        kwargs.setdefault("initial", {
            **current, **{f"seen_{name}": "1" if value else "0"
                          for name, value in current.items()}})
        super().__init__(*args, **kwargs)

    def values(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in services.SCHOOL_SETTINGS}

    def seen(self) -> dict[str, bool]:
        return {name: self.cleaned_data[f"seen_{name}"] for name in services.SCHOOL_SETTINGS}

    def rebase(self, current: School) -> None:
        """After a conflict: keep what the user submitted, but base the next save on the
        settings stored now."""
        data = self.data.copy()
        for name, value in services.school_settings_of(current).items():
            data[f"seen_{name}"] = "1" if value else "0"
        self.data = data


# --------------------------------------------------------------------------------------------
# Local contacts (R47)
# --------------------------------------------------------------------------------------------

def _reason_field():
    return forms.CharField(
        label=_("Toelichting bij de wijziging"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Niet verplicht. Komt in de wijzigingshistorie, met uw naam en het "
                    "tijdstip. Zet hier geen gegevens over leerlingen of dossiers."),
        error_messages={"max_length": _("Hoogstens %(limit_value)d tekens (nu %(show_value)d).")})


class SchoolContactForm(HiddenFieldErrorsMixin, forms.Form):
    """One local contact. Only professionals' work details: never a pupil or a parent.
    Editing carries the ``lock_version`` the form was built from (a save based on an older
    version is refused by ``services.school_contact_update``)."""

    kind = forms.ChoiceField(label=_("Soort contact"),
                             choices=[("", "---------"), *ContactKind.choices])
    organisation = forms.CharField(
        label=_("Organisatie"), max_length=200,
        help_text=_("Bijvoorbeeld ‘Veilig Thuis Utrecht’ of ‘Wijkteam Noord’."))
    name = forms.CharField(
        label=_("Naam of functie"), max_length=200, required=False,
        help_text=_("Niet verplicht. Bijvoorbeeld ‘jeugdverpleegkundige’ of de naam van de "
                    "vaste contactpersoon."))
    phone = forms.CharField(
        label=_("Telefoon"), max_length=30, required=False,
        help_text=_("Cijfers, spaties, + en -. Telefoon of e-mail is verplicht."))
    email = forms.EmailField(
        label=_("E-mailadres"), required=False, max_length=254,
        error_messages={"invalid": _("Vul een geldig e-mailadres in, bijvoorbeeld "
                                     "naam@organisatie.nl.")})
    note = forms.CharField(
        label=_("Opmerking"), max_length=200, required=False,
        help_text=_("Niet verplicht, kort: bijvoorbeeld bereikbaarheid of openingstijden."))
    sort_order = forms.IntegerField(
        label=_("Volgorde"), required=False, min_value=0, max_value=999, initial=0,
        help_text=_("Lager staat eerder binnen dezelfde soort."))
    reason = _reason_field()
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, instance: SchoolContact | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(instance, name) for name in services.CONTACT_FIELDS},
                "lock_version": instance.lock_version})
        super().__init__(*args, **kwargs)
        for name in ("organisation", "name", "phone", "email", "note"):
            self.fields[name].error_messages.setdefault(
                "max_length", _("Hoogstens %(limit_value)d tekens (nu %(show_value)d)."))
        if instance is None:
            del self.fields["lock_version"]
        else:
            self.fields["lock_version"].required = True

    def clean_phone(self):
        return services.normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if ("phone" not in self.errors and "email" not in self.errors
                and not data.get("phone") and not data.get("email")):
            self.add_error("phone", _("Vul een telefoonnummer of een e-mailadres in (of "
                                      "allebei)."))
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.CONTACT_FIELDS}

    def rebase(self, current: SchoolContact) -> None:
        """After a conflict: keep what the user typed, base the next save on ``current``."""
        data = self.data.copy()
        data["lock_version"] = str(current.lock_version)
        self.data = data


class SchoolContactDeleteForm(HiddenFieldErrorsMixin, forms.Form):
    reason = _reason_field()
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, instance: SchoolContact, **kwargs):
        kwargs.setdefault("initial", {"lock_version": instance.lock_version})
        super().__init__(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Groups, pupils, parents
# --------------------------------------------------------------------------------------------

class SchoolClassForm(forms.ModelForm):
    class Meta:
        model = SchoolClass
        fields = ["name", "school_year"]
        labels = {"name": _("Naam"), "school_year": _("Schooljaar")}
        help_texts = {"name": _("Bijvoorbeeld ‘groep 5a’ of ‘groep 1/2b’."),
                      "school_year": _("jjjj-jjjj, bijvoorbeeld 2026-2027.")}

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        if not self.instance.pk:
            self.fields["school_year"].initial = services.current_school_year()

    def clean_school_year(self):
        value = importer.parse_school_year(self.cleaned_data["school_year"].strip())
        if value is None:
            raise forms.ValidationError(_("Gebruik jjjj-jjjj met opeenvolgende jaren, "
                                          "bijvoorbeeld 2026-2027."))
        return value

    def clean(self):
        data = super().clean()
        name, year = data.get("name"), data.get("school_year")
        if name and year and SchoolClass.objects.filter(
                school=self.school, school_year=year, name__iexact=name.strip()).exclude(
                pk=self.instance.pk).exists():
            self.add_error("name", _("Deze school heeft in dat schooljaar al een groep met "
                                     "deze naam."))
        return data


class PupilForm(forms.ModelForm):
    class Meta:
        model = Pupil
        fields = ["external_id", "first_name", "last_name", "date_of_birth", "school_class",
                  "left_on"]
        labels = {"external_id": _("Leerlingnummer"), "first_name": _("Voornaam"),
                  "last_name": _("Achternaam"), "date_of_birth": _("Geboortedatum"),
                  "school_class": _("Groep"), "left_on": _("Datum uitschrijving")}
        help_texts = {"left_on": _("Vul in wanneer de leerling de school verlaat (of verliet).")}
        widgets = {"date_of_birth": DateInput(), "left_on": DateInput()}

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        for name in ("date_of_birth", "left_on"):
            self.fields[name].input_formats = DATE_INPUT_FORMATS
        self.fields["school_class"].queryset = SchoolClass.objects.filter(
            school=school).order_by("-school_year", "name")
        self.fields["school_class"].empty_label = _("(geen groep)")

    def clean_external_id(self):
        value = self.cleaned_data["external_id"].strip()
        if Pupil.objects.filter(school=self.school, external_id=value).exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Op deze school heeft al een leerling dit nummer."))
        return value

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("De geboortedatum ligt in de toekomst."))
        return value

    def clean(self):
        data = super().clean()
        born, left = data.get("date_of_birth"), data.get("left_on")
        if born and left and left < born:
            self.add_error("left_on", _("De datum van uitschrijving ligt vóór de geboortedatum."))
        return data


class ParentFieldsMixin(forms.Form):
    name = forms.CharField(label=_("Naam"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mailadres"), required=False)
    phone = forms.CharField(label=_("Telefoon"), max_length=30, required=False)
    safe_to_contact = forms.BooleanField(
        label=_("Contact met deze ouder is veilig"), required=False, initial=True,
        help_text=Parent._meta.get_field("safe_to_contact").help_text)
    relationship = forms.ChoiceField(label=_("Relatie tot de leerling"),
                                     choices=Relationship.choices, initial=Relationship.PARENT)
    has_authority = forms.BooleanField(label=_("Heeft gezag over deze leerling"),
                                       required=False, initial=True)


class ParentAddForm(ParentFieldsMixin):
    existing_parent = forms.ModelChoiceField(
        label=_("Bestaande ouder van een broer of zus"), queryset=Parent.objects.none(),
        required=False, empty_label=_("(nee, een nieuwe ouder)"),
        help_text=_("Kiest u een bestaande ouder, dan blijven naam, e-mail en telefoon zoals "
                    "ze zijn."))

    field_order = ["existing_parent", "name", "email", "phone", "safe_to_contact",
                   "relationship", "has_authority"]

    def __init__(self, *args, pupil: Pupil, **kwargs):
        super().__init__(*args, **kwargs)
        siblings = services.sibling_parents(pupil)
        if pupil.family_id and siblings.exists():
            self.fields["existing_parent"].queryset = siblings
        else:
            del self.fields["existing_parent"]

    def clean(self):
        data = super().clean()
        if not data.get("existing_parent") and not (data.get("name") or "").strip():
            self.add_error("name", _("Vul de naam in, of kies een bestaande ouder."))
        return data


class ParentLinkEditForm(ParentFieldsMixin):
    """Edits the parent (shared by siblings at this school) and this pupil's link to them."""

    def __init__(self, *args, link: PupilParent, **kwargs):
        parent = link.parent
        kwargs.setdefault("initial", {
            "name": parent.name, "email": parent.email, "phone": parent.phone,
            "safe_to_contact": parent.safe_to_contact, "relationship": link.relationship,
            "has_authority": link.has_authority})
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

class PupilImportForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    file = forms.FileField(label=_("CSV-bestand"), help_text=_(
        "UTF-8, met ‘;’ of ‘,’ als scheidingsteken; hoogstens 2 MB."))

    def __init__(self, *args, scope: services.Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = services.managed_schools(scope)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importer.MAX_BYTES:
            raise forms.ValidationError(
                _("Het bestand is te groot (%(size)s kB); de grens is 2 MB.")
                % {"size": f"{upload.size / 1024:.0f}"})
        return upload


class PupilImportConfirmForm(HiddenFieldErrorsMixin, forms.Form):
    """Carries the checked file back, signed for this user and school (see the view)."""

    school = forms.ModelChoiceField(queryset=School.objects.none(), widget=forms.HiddenInput)
    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, scope: services.Scope, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["school"].queryset = services.managed_schools(scope)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["content"] = services.import_payload_read(
            data["payload"], user=self.user, school=data["school"])
        if data["content"] is None:
            raise forms.ValidationError(_("Deze bevestiging is verlopen of ongeldig. Laad het "
                                          "bestand opnieuw."))
        return data

"""Forms for recording and correcting a signal. They validate only; services store."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core import fragments, versions
from core.forms import HiddenFieldErrorsMixin
from schools.models import Membership, Pupil

from .models import SOURCES_NEEDING_DETAIL, Category, PupilRole, Source
from .validators import validate_attachment, validate_attachment_count

MAX_PUPIL_ROWS = 5
ROWS_WITHOUT_JS = 3


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ChooseSchoolForm(forms.Form):
    """For staff with a role at more than one school: which school is the signal about?"""

    school = forms.ModelChoiceField(queryset=None, label=_lazy("School"),
                                    empty_label=_lazy("— kies een school —"),
                                    error_messages={"required": _lazy("Kies een school."),
                                                    "invalid_choice": _lazy("Kies een school.")})

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class SignalForm(forms.Form):
    """The observation itself: when, what (facts, the child's words, interpretation), source,
    category and flags (R29, R30)."""

    observed_on = forms.DateField(
        label=_lazy("Datum van de waarneming"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": _lazy("Vul de datum in waarop u het zag of hoorde."),
                        "invalid": _lazy("Vul een geldige datum in.")})
    facts = forms.CharField(
        label=_lazy("Wat heeft u gezien of gehoord? (feiten)"),
        help_text=_lazy("Beschrijf zo letterlijk en neutraal mogelijk wat u zag of hoorde: "
                        "wie, wat, waar, wanneer. Geen conclusies."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _lazy("Beschrijf wat u heeft gezien of gehoord.")})
    child_words = forms.CharField(
        label=_lazy("Letterlijke woorden van het kind"), required=False,
        help_text=_lazy("Alleen wat het kind zelf zei, zo letterlijk mogelijk."),
        widget=forms.Textarea(attrs={"rows": 3}))
    interpretation = forms.CharField(
        label=_lazy("Uw interpretatie of niet-pluisgevoel"), required=False,
        help_text=_lazy("Uw eigen duiding, los van de feiten. Dit wordt getoond met uw naam "
                        "als auteur."),
        widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(
        label=_lazy("Van wie komt de informatie?"), choices=Source.choices, initial=Source.OWN,
        widget=forms.Select(attrs={"data-signal-source": "1"}))
    source_detail = forms.CharField(
        label=_lazy("Naam of functie van de bron"), required=False, max_length=200,
        help_text=_lazy("Verplicht bij een ouder/verzorger, een collega of een derde."))
    category = forms.ChoiceField(
        label=_lazy("Soort zorg"), choices=[("", _lazy("— kies —"))] + Category.choices,
        help_text=_lazy("Bij eergerelateerd geweld, meisjesbesnijdenis of huwelijksdwang "
                        "raadpleegt u altijd een specialist."),
        widget=forms.Select(attrs={"data-signal-category": "1"}),
        error_messages={"required": _lazy("Kies een soort zorg.")})
    disclosure = forms.BooleanField(
        label=_lazy("Het kind heeft mij zelf iets verteld (disclosure)"), required=False)
    acute_danger = forms.BooleanField(
        label=_lazy("Er is acuut gevaar"), required=False,
        help_text=_lazy("Is het kind nu in gevaar? Bel direct 112 of Veilig Thuis "
                        "(0800-2000) en leg daarna dit signaal vast."))
    staff_suspect = forms.BooleanField(
        label=_lazy("De vermoedelijke pleger is een medewerker van de school"), required=False,
        help_text=_lazy("Dan gaat het signaal niet naar de school maar naar het bestuur. U "
                        "moet het bevoegd gezag ook zelf direct informeren; alleen de "
                        "directeur inlichten is niet genoeg."))
    attachments = MultipleFileField(
        label=_lazy("Bijlagen (foto of PDF)"), required=False,
        help_text=_lazy("Maximaal 5 bestanden van elk hoogstens 10 MB: JPEG, PNG of PDF."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["observed_on"].initial = today
        self.fields["observed_on"].widget.attrs["max"] = today.isoformat()

    def clean_observed_on(self):
        observed_on = self.cleaned_data["observed_on"]
        if observed_on > timezone.localdate():
            raise ValidationError(_("De datum van de waarneming kan niet in de toekomst liggen."))
        return observed_on

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        validate_attachment_count(files)
        errors = []
        for upload in files:
            try:
                validate_attachment(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        if data.get("source") in SOURCES_NEEDING_DETAIL and not data.get("source_detail", "").strip():
            self.add_error("source_detail", _(
                "Vul de naam of functie in van degene van wie de informatie komt."))
        return data


def taught_class_ids(user, school) -> set[int]:
    """The classes ``user`` teaches at ``school`` today (``Membership.classes``)."""
    return set(
        Membership.objects.active().filter(user=user, school=school, classes__isnull=False)
        .values_list("classes", flat=True))


def _pupil_groups(school) -> tuple[dict, list[Pupil]]:
    """The school's current pupils by class: ``{class pk or None: (class name or None,
    [(pupil pk, full name), ...])}`` in class, then pupil name order (one query)."""
    pupils = list(Pupil.objects.current().filter(school=school).select_related("school_class")
                  .order_by("school_class__name", "last_name", "first_name"))
    groups: dict[int | None, tuple[str | None, list]] = {}
    for pupil in pupils:
        cls = pupil.school_class
        key = cls.pk if cls else None
        if key not in groups:
            groups[key] = (cls.name if cls else None, [])
        groups[key][1].append((pupil.pk, pupil.full_name))
    return groups, pupils


def _ordered_groups(groups: dict, own_class_ids: set[int]) -> list[tuple[str, object]]:
    """``(label, options)`` per group of ``_pupil_groups`` (whatever ``options`` holds): the
    user's own classes first, then the others, then the pupils without a class."""
    labelled: dict[int | None, tuple[str, object]] = {}
    for key, (name, options) in groups.items():
        label = name if key is not None else _("zonder groep")
        if key in own_class_ids:
            label = _("Mijn groep: %(name)s") % {"name": label}
        labelled[key] = (label, options)
    order = sorted(labelled, key=lambda k: (k not in own_class_ids, k is None, labelled[k][0]))
    return [labelled[k] for k in order]


EMPTY_CHOICE_LABEL = _lazy("— kies een leerling —")


def pupil_choices(user, school, own_classes: set[int] | None = None
                  ) -> tuple[list, dict[int, Pupil]]:
    """Grouped choices of the school's current pupils, one optgroup per class.

    The classes the user teaches (``Membership.classes``, or ``own_classes`` when the caller
    has them already) come first. Two queries; the result is shared by every row of the
    formset.
    """
    own_class_ids = (own_classes if own_classes is not None
                     else taught_class_ids(user, school))
    groups, pupils = _pupil_groups(school)
    choices: list = [("", str(EMPTY_CHOICE_LABEL))]
    choices += _ordered_groups(groups, own_class_ids)
    return choices, {p.pk: p for p in pupils}


# The largest primary key PostgreSQL can hold (BigAutoField): larger ids name no pupil.
_MAX_PK = 2**63 - 1


class PupilLookup:
    """The pupils the record form offers at ``school``: its current pupils, as
    ``pupil_choices`` lists them. Shared by every row of the formset.

    Checking a submitted pupil needs only the submitted ids: the first ``get`` loads all of
    them with one query, scoped exactly as the offered choices (``Pupil.current()`` at the
    school). The options HTML (``options_html``) is built only when a form is rendered: for a
    GET, or a POST that is refused; ``choices`` only when something asks for the list itself.
    """

    def __init__(self, user, school, data=None, prefix="leerlingen"):
        self.user, self.school = user, school
        self._found: dict[int, Pupil | None] = {}
        self._offered: dict[int, Pupil] | None = None
        # The rows a formset can bind (``absolute_max``): their pupils are looked up together.
        self._submitted = [] if data is None else [
            data.get(f"{prefix}-{i}-pupil") for i in range(MAX_PUPIL_ROWS)]

    @cached_property
    def own_classes(self) -> set[int]:
        return taught_class_ids(self.user, self.school)

    @cached_property
    def choices(self) -> list:
        choices, self._offered = pupil_choices(self.user, self.school, self.own_classes)
        return choices

    @cached_property
    def options_html(self) -> str:
        """The ``<option>``s of ``choices`` as HTML, none selected: rendered once per request
        for every row. Each class's options are kept in the fragment cache for the school's
        directory as it is now (its token changes with every pupil, class or membership
        written) and the date (``current()`` goes by it), shared by the school's teachers;
        the order and labels for this teacher's classes are applied per request."""
        def scope():
            found = versions.tokens(directory_schools=[self.school.pk])
            return (self.school.pk, tuple(sorted(found.items())), timezone.localdate())

        def build() -> dict:
            groups, _pupils = _pupil_groups(self.school)
            return {key: (name, _options_html(options))
                    for key, (name, options) in groups.items()}

        groups = fragments.cached("signals.pupil_options", scope, build)
        parts = [_options_html([("", EMPTY_CHOICE_LABEL)])]
        for label, options in _ordered_groups(groups, self.own_classes):
            parts.append(f'\n  <optgroup label="{conditional_escape(label)}">{options}'
                         "\n  </optgroup>")
        return "".join(parts)

    @staticmethod
    def _pk(value) -> int | None:
        """The pupil id ``value`` names, as the choice field compares it: the exact text of
        an id (``"7"``, not ``"07"`` or ``" 7"``)."""
        text = str(value)
        # Length first: int() refuses texts of thousands of digits with a ValueError.
        if len(text) > len(str(_MAX_PK)) or not text.isascii() or not text.isdigit():
            return None
        if text != str(int(text)):
            return None
        pk = int(text)
        return pk if 0 < pk <= _MAX_PK else None

    def get(self, value) -> Pupil | None:
        """The offered pupil with id ``value`` (a submitted string or an int), else None."""
        pk = self._pk(value)
        if pk is None:
            return None
        if self._offered is not None:
            return self._offered.get(pk)
        if pk not in self._found:
            wanted = {pk} | {p for p in map(self._pk, filter(None, self._submitted))
                             if p is not None and p not in self._found}
            rows = {p.pk: p for p in Pupil.objects.current()
                    .filter(school=self.school, pk__in=wanted).order_by()}
            self._found.update({p: rows.get(p) for p in wanted})
        return self._found[pk]


class PupilChoiceField(forms.TypedChoiceField):
    """A choice of pupil whose valid values come from a ``PupilLookup`` (set by the form),
    so that validating does not need the whole choice list."""

    lookup: PupilLookup | None = None

    def valid_value(self, value):
        return self.lookup is not None and self.lookup.get(value) is not None


def _options_html(options) -> str:
    """``(value, label)`` pairs as ``<option>``s, none selected, exactly as Django's
    ``select.html`` writes them (in or outside an ``<optgroup>``)."""
    return "".join(f'\n  <option value="{conditional_escape(value)}">'
                   f"{conditional_escape(label)}</option>\n" for value, label in options)


def _attrs_html(attrs: dict) -> str:
    """``attrs`` as Django's ``attrs.html`` writes them (in order; True bare, False left out)."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items() if value is not False)


class PupilSelect(forms.Select):
    """The pupil ``<select>`` of a formset row. Its options (every current pupil of the
    school) are rendered once per request by the ``PupilLookup`` and shared by all rows: a row
    only marks its own value ``selected``. The output is the same as ``forms.Select``'s."""

    lookup: PupilLookup | None = None

    def use_required_attribute(self, initial):
        # forms.Select asks for the first choice to be empty; ours always is ("", "— kies —").
        return not self.is_hidden

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        context = forms.Widget.get_context(self, name, value, attrs)["widget"]
        options = self.lookup.options_html
        # The first option (in choice order) whose value is the row's value gets selected.
        # Values and labels are escaped, so an option's opening tag occurs only as a tag.
        found = [i for i in (options.find(f'<option value="{conditional_escape(v)}">')
                             for v in context["value"]) if i >= 0]
        if found:
            at = options.index(">", min(found))
            options = f"{options[:at]} selected{options[at:]}"
        return mark_safe(
            f'<select name="{conditional_escape(name)}"{_attrs_html(context["attrs"])}>'
            f"{options}\n</select>")


class SignalPupilForm(forms.Form):
    pupil = PupilChoiceField(
        label=_lazy("Leerling"), coerce=int, choices=(), widget=PupilSelect,
        error_messages={"required": _lazy("Kies een leerling."),
                        "invalid_choice": _lazy("Kies een leerling van deze school.")})
    role = forms.ChoiceField(label=_lazy("Rol in het signaal"), choices=PupilRole.choices,
                             initial=PupilRole.CONCERNED)

    def __init__(self, *args, lookup: PupilLookup, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["pupil"]
        field.lookup = field.widget.lookup = lookup
        # A callable: the list is built (once, on the lookup) when a row is rendered.
        field.choices = lambda: lookup.choices
        self._lookup = lookup

    def clean_pupil(self):
        pupil = self._lookup.get(self.cleaned_data["pupil"])
        if pupil is None:
            raise ValidationError(_("Kies een leerling van deze school."))
        return pupil


class BaseSignalPupilFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [(f.cleaned_data["pupil"], f.cleaned_data["role"]) for f in self.forms
                  if f.cleaned_data and f.cleaned_data.get("pupil")]
        if not chosen:
            raise ValidationError(_("Kies minstens één leerling."))
        if len({p.pk for p, _role in chosen}) != len(chosen):
            raise ValidationError(_("Dezelfde leerling staat er meer dan één keer in."))
        if not any(role == PupilRole.CONCERNED for _p, role in chosen):
            raise ValidationError(
                _("Kies bij minstens één leerling de rol ‘om wie de zorg gaat’."))
        self.chosen = chosen


SignalPupilFormSet = forms.formset_factory(
    SignalPupilForm, formset=BaseSignalPupilFormSet, extra=ROWS_WITHOUT_JS,
    max_num=MAX_PUPIL_ROWS, absolute_max=MAX_PUPIL_ROWS, validate_max=True)


def pupil_formset(user, school, data=None) -> BaseSignalPupilFormSet:
    prefix = "leerlingen"
    lookup = PupilLookup(user, school, data, prefix=prefix)
    return SignalPupilFormSet(data, prefix=prefix, form_kwargs={"lookup": lookup})


class SignalCorrectForm(HiddenFieldErrorsMixin, forms.Form):
    """A new version of the observation text (R31). ``base_number`` detects edit conflicts."""

    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    facts = SignalForm.base_fields["facts"]
    child_words = SignalForm.base_fields["child_words"]
    interpretation = SignalForm.base_fields["interpretation"]
    reason = forms.CharField(
        label=_lazy("Reden van de correctie"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_lazy("Bijvoorbeeld: tikfout hersteld, datum of woorden verduidelijkt. De "
                        "eerdere versie blijft bewaard."),
        error_messages={"required": _lazy("Geef de reden van de correctie.")})


"""Boards, schools, groups, pupils, parents and staff role memberships.

No case content lives here: this app is what the beheerder manages.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import Role


class Board(models.Model):
    """Schoolbestuur (bevoegd gezag): owns the meldcode and the staff-perpetrator route."""

    name = models.CharField(_("naam"), max_length=200)
    meldcode_version = models.CharField(
        _("versie meldcode"), max_length=100, default="Meldcode 2019 met afwegingskader onderwijs"
    )

    class Meta:
        verbose_name = _("schoolbestuur")
        verbose_name_plural = _("schoolbesturen")
        ordering = ["name"]

    def __str__(self):
        return self.name


class School(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="schools",
                              verbose_name=_("schoolbestuur"))
    name = models.CharField(_("naam"), max_length=200)
    brin_code = models.CharField(_("BRIN-code"), max_length=6, unique=True,
                                 help_text=_("Vier tekens plus twee cijfers, bijvoorbeeld 12AB00."))
    # Education variant of the afwegingskader: "twijfel" at Q2 counts as yes (domain.md §4.2).
    doubt_means_report = models.BooleanField(
        _("twijfel bij vraag 2 betekent melden"), default=True)
    verwijsindex_enabled = models.BooleanField(_("aangesloten op de Verwijsindex"), default=False)
    # R32: private working notes per staff member, off unless the school switches them on.
    work_notes_enabled = models.BooleanField(
        _("persoonlijke werkaantekeningen toestaan"), default=False,
        help_text=_("Medewerkers kunnen bij een dossier tijdelijke, persoonlijke "
                    "werkaantekeningen maken die niemand anders ziet. Ze vervallen vanzelf; "
                    "delen maakt ze onderdeel van het dossier."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("scholen")
        ordering = ["name"]
        permissions = [
            ("manage_people", _("Mag personeel, rollen, groepen en leerlingen beheren")),
            ("import_pupils", _("Mag leerlingen importeren")),
            ("manage_settings", _("Mag schoolinstellingen beheren")),
        ]

    def __str__(self):
        return self.name


class SchoolClass(models.Model):
    """A group (klas) in one school year, e.g. "groep 5" in 2026-2027."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes",
                               verbose_name=_("school"))
    name = models.CharField(_("naam"), max_length=50)
    school_year = models.CharField(_("schooljaar"), max_length=9, help_text=_("Bijvoorbeeld 2026-2027."))

    class Meta:
        verbose_name = _("groep")
        verbose_name_plural = _("groepen")
        ordering = ["school_year", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "school_year", "name"],
                                               name="unique_class_per_year")]

    def __str__(self):
        return f"{self.name} ({self.school_year})"


class Family(models.Model):
    """Links siblings within one board, across its schools."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="families")
    label = models.CharField(_("kenmerk"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("gezin")
        verbose_name_plural = _("gezinnen")

    def __str__(self):
        return self.label or f"gezin {self.pk}"


class PupilQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gt=on))


class Pupil(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils",
                               verbose_name=_("school"))
    school_class = models.ForeignKey(SchoolClass, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="pupils", verbose_name=_("groep"))
    family = models.ForeignKey(Family, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="pupils", verbose_name=_("gezin"))
    external_id = models.CharField(_("leerlingnummer"), max_length=50,
                                   help_text=_("Nummer uit de leerlingadministratie."))
    first_name = models.CharField(_("voornaam"), max_length=100)
    last_name = models.CharField(_("achternaam"), max_length=150)
    date_of_birth = models.DateField(_("geboortedatum"))
    left_on = models.DateField(_("datum uitschrijving"), null=True, blank=True)
    history = HistoricalRecords()

    objects = PupilQuerySet.as_manager()

    class Meta:
        verbose_name = _("leerling")
        verbose_name_plural = _("leerlingen")
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(fields=["school", "external_id"],
                                               name="unique_pupil_number_per_school")]
        indexes = [models.Index(fields=["school", "last_name", "first_name"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day=None):
        day = day or timezone.localdate()
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Parent(models.Model):
    """Ouder/verzorger. Authority (gezag) is recorded per child on the link."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="parents")
    name = models.CharField(_("naam"), max_length=200)
    email = models.EmailField(_("e-mailadres"), blank=True)
    phone = models.CharField(_("telefoon"), max_length=30, blank=True)
    safe_to_contact = models.BooleanField(
        _("contact is veilig"), default=True,
        help_text=_("Zet uit als contact met deze ouder de veiligheid van kind of anderen kan schaden."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ouder/verzorger")
        verbose_name_plural = _("ouders/verzorgers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Relationship(models.TextChoices):
    MOTHER = "moeder", _("moeder")
    FATHER = "vader", _("vader")
    PARENT = "ouder", _("ouder")
    STEPPARENT = "stiefouder", _("stiefouder")
    FOSTER = "pleegouder", _("pleegouder")
    GUARDIAN = "voogd", _("voogd")
    OTHER = "anders", _("anders")


class PupilParent(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="parent_links")
    parent = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="pupil_links")
    relationship = models.CharField(_("relatie"), max_length=20, choices=Relationship.choices)
    has_authority = models.BooleanField(_("heeft gezag"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ouder van leerling")
        verbose_name_plural = _("ouders van leerlingen")
        constraints = [models.UniqueConstraint(fields=["pupil", "parent"], name="unique_pupil_parent")]


class MembershipQuerySet(models.QuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(starts_on__lte=on), Q(ends_on__isnull=True) | Q(ends_on__gte=on))

    # Bulk writes send no signals: they end the cached roles themselves (``schools.access``)
    # and change the directory tokens of the schools involved (``core.versions``: the
    # notified role holders are cached under them).
    def update(self, **kwargs):
        from core import sharedcache, versions

        from .access import invalidate_roles

        rows = list(self.values_list("user_id", "school_id", "board_id"))
        count = super().update(**kwargs)
        user_ids = {user_id for user_id, _school, _board in rows}
        if "user" in kwargs:  # moved to another user
            user_ids.add(getattr(kwargs["user"], "pk", kwargs["user"]))
        if "user_id" in kwargs:
            user_ids.add(kwargs["user_id"])
        # The schools the rows were at, and (through their users) the ones they are at now.
        versions.bump(versions.Targets(
            directory_schools={school for _u, school, _b in rows if school is not None},
            directory_boards={board for _u, school, board in rows if school is None},
            directory_users=user_ids))
        if sharedcache.enabled():
            for user_id in user_ids:
                invalidate_roles(user_id)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        from core import versions

        from .access import invalidate_roles

        objs = super().bulk_create(objs, *args, **kwargs)
        targets = versions.Targets()
        for obj in objs:
            targets.update(versions.targets_for(obj))
        versions.bump(targets)
        for user_id in {obj.user_id for obj in objs}:
            invalidate_roles(user_id)
        return objs


class ExternalFunction(models.TextChoices):
    NONE = "", _("(geen)")
    YOUTH_NURSE = "jeugdverpleegkundige", _("jeugdverpleegkundige")
    YOUTH_DOCTOR = "jeugdarts", _("jeugdarts")
    SOCIAL_WORKER = "schoolmaatschappelijk_werker", _("schoolmaatschappelijk werker")
    NEIGHBOURHOOD_TEAM = "wijkteam", _("wijkteam")
    OTHER = "anders", _("anders")


class Membership(models.Model):
    """A role a user holds at one school (or, for board roles, at the board), with dates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships", verbose_name=_("gebruiker"))
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="memberships",
                              verbose_name=_("schoolbestuur"))
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="memberships", verbose_name=_("school"))
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices)
    external_function = models.CharField(_("externe functie"), max_length=40, blank=True,
                                         choices=ExternalFunction.choices)
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="teachers",
                                     verbose_name=_("groepen"))
    starts_on = models.DateField(_("startdatum"), default=timezone.localdate)
    ends_on = models.DateField(_("einddatum"), null=True, blank=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rol")
        verbose_name_plural = _("rollen")
        ordering = ["school__name", "role"]
        indexes = [models.Index(fields=["user", "school", "role"])]
        constraints = [
            models.CheckConstraint(
                name="membership_school_matches_role",
                condition=(Q(role__in=Role.board_level(), school__isnull=True)
                           | (~Q(role__in=Role.board_level()) & Q(school__isnull=False))),
            ),
            models.CheckConstraint(name="membership_dates_ordered",
                                   condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on"))),
        ]

    def __str__(self):
        where = self.school or self.board
        return f"{self.user} — {self.get_role_display()} ({where})"


class ContactKind(models.TextChoices):
    """Who a school calls in Meldcode work (protocol steps 2-5, domain.md §5-6), in the order
    the pages show them: first the advice line, then the school's own network, then the
    board's route for a staff member."""

    VEILIG_THUIS = "veilig_thuis", _("Veilig Thuis (regio)")
    WIJKTEAM = "wijkteam", _("wijkteam / jeugd- en gezinsteam")
    JGZ = "jgz", _("jeugdverpleegkundige / jeugdarts (GGD)")
    SMW = "smw", _("schoolmaatschappelijk werk")
    LEERPLICHT = "leerplicht", _("leerplichtambtenaar")
    POLITIE = "politie", _("wijkagent / politie")
    BESTUUR = "bestuur", _("schoolbestuur (bevoegd gezag)")
    INSPECTIE = "vertrouwensinspecteur", _("vertrouwensinspecteur (Inspectie van het Onderwijs)")
    OTHER = "anders", _("anders")


class SchoolContact(models.Model):
    """A local contact of the school (sociale kaart, R47): an organisation or professional
    staff call in Meldcode work. Professionals' work details only, never a pupil or parent.

    Edited by whoever manages the school's people (``schools.manage_people``), read by every
    staff member of the school. ``lock_version`` refuses a save based on an older version
    (``services.school_contact_update``)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="contacts",
                               verbose_name=_("school"))
    kind = models.CharField(_("soort"), max_length=30, choices=ContactKind.choices)
    organisation = models.CharField(_("organisatie"), max_length=200)
    name = models.CharField(_("naam of functie"), max_length=200, blank=True)
    phone = models.CharField(_("telefoon"), max_length=30, blank=True)
    email = models.EmailField(_("e-mailadres"), blank=True)
    note = models.CharField(_("opmerking"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    lock_version = models.PositiveIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("contact van de school")
        verbose_name_plural = _("contacten van de school")
        ordering = ["school", "sort_order", "organisation", "pk"]
        indexes = [models.Index(fields=["school", "kind"])]
        constraints = [
            models.CheckConstraint(name="school_contact_phone_or_email",
                                   condition=~Q(phone="") | ~Q(email="")),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_kind_display()})"

    @property
    def phone_href(self) -> str:
        """``tel:`` link target: the digits, with a leading + kept (``0800-2000`` →
        ``tel:08002000``)."""
        digits = "".join(c for c in self.phone if c.isdigit())
        if not digits:
            return ""
        return "tel:" + ("+" if self.phone.strip().startswith("+") else "") + digits

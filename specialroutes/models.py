"""The two special routes beside the ordinary Meldcode flow.

Acute danger (R5): any staff member who called Veilig Thuis or 112 records that call; the
system opens (or marks) the case and asks for a retrospective entry within 24 hours.

Suspected perpetrator is a staff member (domain.md §6, R25–R28): the signal leaves the
school's flow for the board's route. A ``StaffConcern`` ties the board-route case to the
signal and the accused; the route's steps are append-only records: the board itself was
informed (R26), the vertrouwensinspecteur was consulted (R27), the police report (aangifte),
and the notice to the accused and the parents.

Saved entries are never edited in place (R31): corrections are new rows, and every model is
tracked by django-simple-history.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import AppendOnlyModel

# R5: the retrospective entry is due within 24 hours of the call.
RETROSPECTIVE_WITHIN = timedelta(hours=24)


class CalledParty(models.TextChoices):
    VEILIG_THUIS = "veilig_thuis", _("Veilig Thuis (0800-2000)")
    EMERGENCY = "112", _("112 (alarmnummer)")
    POLICE = "politie", _("politie (0900-8844)")
    OTHER = "anders", _("anders")


class AcuteCall(models.Model):
    """An immediate call to Veilig Thuis, 112 or the police about a pupil in acute danger.

    Written once by the caller; only the retrospective columns are filled in later.
    ``retrospective_due_at`` has a partial index on the rows still waiting for their
    retrospective: the reminder scan reads exactly those.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="acute_calls",
                             verbose_name=_("dossier"))
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("gebeld door"))
    called_party = models.CharField(_("wie is gebeld"), max_length=20,
                                    choices=CalledParty.choices)
    called_party_other = models.CharField(_("andere instantie"), max_length=200, blank=True)
    called_at = models.DateTimeField(_("tijdstip van het gesprek"))
    phone_note = models.TextField(_("wat is er aan de telefoon afgesproken"), blank=True)
    opened_case = models.BooleanField(
        _("dossier geopend door deze melding"), default=True,
        help_text=_("Uit als de leerling al een lopend dossier had."))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    retrospective_due_at = models.DateTimeField(_("terugblik uiterlijk"))
    retrospective_entered_at = models.DateTimeField(_("terugblik vastgelegd op"), null=True,
                                                    blank=True)
    retrospective_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+",
                                         verbose_name=_("terugblik door"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("melding acuut gevaar")
        verbose_name_plural = _("meldingen acuut gevaar")
        ordering = ["-called_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "-called_at"]),
            models.Index(fields=["retrospective_due_at"], name="acute_retrospective_due",
                         condition=Q(retrospective_entered_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                name="acute_other_party_named",
                condition=~Q(called_party="anders") | ~Q(called_party_other="")),
        ]

    def __str__(self):
        return _("Melding acuut gevaar %(id)s") % {"id": self.pk}

    @property
    def called_party_label(self) -> str:
        if self.called_party == CalledParty.OTHER and self.called_party_other:
            return self.called_party_other
        return self.get_called_party_display()

    @property
    def retrospective_done(self) -> bool:
        return self.retrospective_entered_at is not None

    def is_overdue(self, now=None) -> bool:
        """No retrospective yet and more than 24 hours since the call (R5)."""
        return not self.retrospective_done and (now or timezone.now()) > self.retrospective_due_at


class AcuteRetrospective(AppendOnlyModel):
    """The retrospective entry after an acute call; a correction is a new version (R31).

    Facts, the child's own words and the interpretation are separate fields (R29), as in a
    signal; the interpretation is shown with its author.
    """

    call = models.ForeignKey(AcuteCall, on_delete=models.CASCADE, related_name="retrospectives")
    number = models.PositiveIntegerField(_("versie"))
    situation = models.TextField(_("wat is er gebeurd"))
    facts = models.TextField(_("wat heeft u zelf gezien of gehoord (feiten)"))
    child_words = models.TextField(_("letterlijke woorden van het kind"), blank=True)
    interpretation = models.TextField(_("interpretatie"), blank=True)
    phone_summary = models.TextField(_("wat is er aan de telefoon gezegd"))
    agreements = models.TextField(_("afspraken"))
    informed = models.TextField(_("wie is er geïnformeerd"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("auteur"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    reason = models.TextField(_("reden van de correctie"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("terugblik op acuut gevaar")
        verbose_name_plural = _("terugblikken op acuut gevaar")
        ordering = ["call", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="unique_retrospective_version"),
            models.CheckConstraint(name="retrospective_correction_has_reason",
                                   condition=Q(number=1) | ~Q(reason="")),
        ]


class StaffConcern(AppendOnlyModel):
    """A suspected perpetrator who works at the school: the start of the board's route.

    The observation itself is the signal (facts, child's words, interpretation, R29); this
    row adds who is suspected. ``accused_user`` can never be given access to the case
    (``services.staff_route_grant`` refuses, R28).
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT,
                                related_name="staff_concern", verbose_name=_("dossier"))
    board = models.ForeignKey("schools.Board", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("schoolbestuur"))
    signal = models.OneToOneField("signals.Signal", on_delete=models.PROTECT,
                                  related_name="staff_concern", verbose_name=_("signaal"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("gemeld door"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("route gestart door"))
    started_at = models.DateTimeField(_("route gestart op"), auto_now_add=True)
    accused_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("medewerker (account)"))
    accused_description = models.CharField(_("naam en functie van de medewerker"),
                                           max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vermoeden tegen een medewerker")
        verbose_name_plural = _("vermoedens tegen medewerkers")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(name="staff_concern_accused_named",
                                   condition=Q(accused_user__isnull=False)
                                   | ~Q(accused_description="")),
        ]

    def __str__(self):
        return _("Route bevoegd gezag %(id)s") % {"id": self.pk}


class Channel(models.TextChoices):
    IN_PERSON = "persoonlijk", _("persoonlijk")
    PHONE = "telefonisch", _("telefonisch")
    EMAIL = "e-mail", _("per e-mail")
    LETTER = "brief", _("per brief")
    OTHER = "anders", _("anders")


class RouteRecord(AppendOnlyModel):
    """Common fields of the board route's records: who wrote it down and when."""

    concern = models.ForeignKey(StaffConcern, on_delete=models.CASCADE,
                                related_name="%(class)s_set")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("vastgelegd door"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    notes = models.TextField(_("toelichting"), blank=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class InformedParty(models.TextChoices):
    BOARD = "bestuur", _("een lid van het bestuur (bevoegd gezag)")
    # Recorded because it happens, but it does not complete the duty (R26).
    DIRECTOR = "directeur", _("alleen de directeur of schoolleider")


class BoardInformed(RouteRecord):
    """That the board itself was informed (R26): by whom, whom, when, how."""

    informed_party = models.CharField(_("wie is geïnformeerd"), max_length=20,
                                      choices=InformedParty.choices)
    informed_name = models.CharField(_("naam van wie is geïnformeerd"), max_length=200)
    informed_on = models.DateField(_("datum"))
    channel = models.CharField(_("hoe"), max_length=20, choices=Channel.choices)
    informed_by = models.CharField(_("geïnformeerd door"), max_length=200)

    class Meta(RouteRecord.Meta):
        verbose_name = _("informeren van het bestuur")
        verbose_name_plural = _("informeren van het bestuur")


class InspectorConsultation(RouteRecord):
    """The board's consultation with the vertrouwensinspecteur and its conclusion (R27)."""

    consulted_on = models.DateField(_("datum van het overleg"))
    inspector_name = models.CharField(_("naam van de vertrouwensinspecteur"), max_length=200)
    reasonable_suspicion = models.BooleanField(_("conclusie: redelijk vermoeden"))

    class Meta(RouteRecord.Meta):
        verbose_name = _("overleg met de vertrouwensinspecteur")
        verbose_name_plural = _("overleggen met de vertrouwensinspecteur")


class PoliceReport(RouteRecord):
    """The board's police report (aangifte), required after a reasonable suspicion (§6)."""

    reported_on = models.DateField(_("datum van de aangifte"))
    reported_by_name = models.CharField(_("aangifte gedaan door"), max_length=200)
    reference = models.CharField(_("kenmerk of registratienummer"), max_length=100, blank=True)

    class Meta(RouteRecord.Meta):
        verbose_name = _("aangifte bij de politie")
        verbose_name_plural = _("aangiftes bij de politie")


class NoticeRecipient(models.TextChoices):
    ACCUSED = "medewerker", _("de beschuldigde medewerker")
    PARENTS = "ouders", _("de ouders/verzorgers")


class Notice(RouteRecord):
    """The board informed the accused or the parents (§6)."""

    recipient = models.CharField(_("wie is geïnformeerd"), max_length=20,
                                 choices=NoticeRecipient.choices)
    notified_on = models.DateField(_("datum"))
    notified_by = models.CharField(_("geïnformeerd door"), max_length=200)
    channel = models.CharField(_("hoe"), max_length=20, choices=Channel.choices)

    class Meta(RouteRecord.Meta):
        verbose_name = _("kennisgeving")
        verbose_name_plural = _("kennisgevingen")

"""Dossier exports (R35, R46) and access requests with their copies (R37, R38).

- ``ExportJob``: one requested PDF, rendered in a Celery task. The file is short-lived: it is
  removed after the one download its requester may make, or when it expires (setting
  ``MELDCODE_EXPORT_TTL_MINUTES``, default 15). The job row stays as the record that an export
  was made; the access log (``cases.AccessLog``) holds who exported and downloaded what.
- ``AccessRequest``: a request for access ("inzageverzoek", AVG art. 15) by a parent with
  authority (gezag) or by the pupil aged 16 or over, with its one-month deadline (``due_on``,
  scanned by the reminders over a partial index).
- ``Redaction``: per entry of the copy, what is left out or blacked out and why (R33, R37).

Job rows change constantly while rendering (progress), so they carry no simple-history; the
access requests and redactions are case data and do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class JobKind(models.TextChoices):
    DOSSIER = "dossier", _("dossier (intern)")
    INZAGE = "inzage", _("inzagekopie")


class JobStatus(models.TextChoices):
    QUEUED = "wachtrij", _("in de wachtrij")
    RUNNING = "bezig", _("wordt gemaakt")
    DONE = "klaar", _("klaar")
    FAILED = "mislukt", _("mislukt")


class ExportJob(models.Model):
    kind = models.CharField(_("soort"), max_length=10, choices=JobKind.choices)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("aangevraagd door"))
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("dossier"))
    access_request = models.ForeignKey("AccessRequest", on_delete=models.CASCADE, null=True,
                                       blank=True, related_name="jobs",
                                       verbose_name=_("inzageverzoek"))
    include_history = models.BooleanField(_("met wijzigingen als bijlage"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices,
                              default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0)
    # Name in the default storage (random, no case or pupil identifiers); "" until rendered.
    file_name = models.CharField(max_length=255, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    # A short technical code on failure, never case content.
    error = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("aangevraagd op"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("verloopt op"))
    downloaded_at = models.DateTimeField(_("gedownload op"), null=True, blank=True)
    file_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            # The cleanup scans jobs whose file may still exist.
            models.Index(fields=["expires_at"], name="export_file_expiry",
                         condition=Q(file_removed_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                name="export_job_subject",
                condition=(Q(kind="dossier", case__isnull=False, access_request__isnull=True)
                           | Q(kind="inzage", access_request__isnull=False))),
            models.CheckConstraint(name="export_progress_percent",
                                   condition=Q(progress__lte=100)),
        ]

    def __str__(self):
        return str(_("Export %(id)s") % {"id": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def download_name(self) -> str:
        """File name offered to the browser: ids only, no pupil name (URLs and logs)."""
        if self.kind == JobKind.DOSSIER:
            return f"dossier-{self.case.number}.pdf" if self.case_id else f"dossier-{self.pk}.pdf"
        return f"inzagekopie-{self.access_request_id}.pdf"


class RequesterKind(models.TextChoices):
    PARENT = "ouder", _("ouder/verzorger met gezag")
    PUPIL = "leerling", _("de leerling zelf (16 jaar of ouder)")


class AccessRequest(models.Model):
    """A request for access to and a copy of the pupil's data (AVG art. 15, R37, R38)."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT,
                              related_name="access_requests", verbose_name=_("leerling"))
    requester_kind = models.CharField(_("aangevraagd door"), max_length=10,
                                      choices=RequesterKind.choices)
    parent_link = models.ForeignKey("schools.PupilParent", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("ouder/verzorger"))
    # The requester's name as it was when the request came in (the parent row may change).
    requester_name = models.CharField(_("naam aanvrager"), max_length=200)
    received_on = models.DateField(_("ontvangen op"))
    # AVG art. 12(3): answer within one month of receipt.
    due_on = models.DateField(_("uiterlijk afhandelen op"))
    identity_verified = models.BooleanField(_("identiteit van de aanvrager gecontroleerd"),
                                            default=False)
    note = models.TextField(_("toelichting"), blank=True)
    redact_staff_names = models.BooleanField(_("namen van medewerkers weglaten"), default=False)
    staff_names_reason = models.TextField(_("reden om namen van medewerkers weg te laten"),
                                          blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("vastgelegd door"))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    completed_at = models.DateTimeField(_("afgehandeld op"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("afgehandeld door"))
    completion_note = models.TextField(_("hoe is de kopie verstrekt"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inzageverzoek")
        verbose_name_plural = _("inzageverzoeken")
        ordering = ["-received_on", "-pk"]
        indexes = [
            # Scanned by the reminders: open requests by deadline.
            models.Index(fields=["due_on"], name="access_request_due",
                         condition=Q(completed_at__isnull=True)),
            models.Index(fields=["school", "-received_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="access_request_parent_link",
                condition=Q(requester_kind="leerling", parent_link__isnull=True)
                | Q(requester_kind="ouder", parent_link__isnull=False)),
            models.CheckConstraint(name="access_request_due_after_receipt",
                                   condition=Q(due_on__gte=models.F("received_on"))),
            models.CheckConstraint(name="access_request_staff_names_reason",
                                   condition=Q(redact_staff_names=False)
                                   | ~Q(staff_names_reason="")),
        ]

    def __str__(self):
        return str(_("Inzageverzoek %(id)s") % {"id": self.pk})

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class Redaction(models.Model):
    """One entry of the copy left out (``field`` empty) or one of its fields blacked out."""

    access_request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE,
                                       related_name="redactions",
                                       verbose_name=_("inzageverzoek"))
    # The entry: model label and id (``cases.consultation``, 12); ids only.
    object_type = models.CharField(_("soort onderdeel"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("nummer onderdeel"))
    field = models.CharField(_("veld"), max_length=60, blank=True,
                             help_text=_("Leeg: het hele onderdeel is weggelaten."))
    reason = models.TextField(_("reden"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("vastgelegd door"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("weglating")
        verbose_name_plural = _("weglatingen")
        ordering = ["object_type", "object_id", "field"]
        constraints = [
            models.UniqueConstraint(fields=["access_request", "object_type", "object_id", "field"],
                                    name="unique_redaction"),
            models.CheckConstraint(name="redaction_has_reason", condition=~Q(reason="")),
        ]

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.object_type, self.object_id, self.field)

"""Reminders: the terms per step and school, and one row per reminder ever due.

``Reminder`` is the idempotency key of the whole mechanism: one row per (source, object,
occurrence, level, recipient), enforced by a unique constraint. The scan inserts the rows
with ``INSERT ... ON CONFLICT DO NOTHING`` and delivers only rows that are still unsent,
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``; the in-app notification and ``sent_at``
are written in one transaction. So a reminder is delivered once, however many workers scan
and wherever one of them dies. The rows hold ids only, never case content.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models import Step

# R52: no statutory terms exist for the school's steps; these are defaults the beheerder can
# change per school (calendar days, for simplicity).
DEFAULT_STEP_TERMS: dict[int, int] = {
    Step.SIGNALEN: 14,
    Step.CONSULTATIE: 14,
    Step.GESPREK: 14,
    Step.WEGEN: 21,
    Step.BESLISSEN: 14,
    Step.VOLGEN: 90,
}
MAX_TERM_DAYS = 365


class StepTerm(models.Model):
    """The school's own term for one step (R52); without a row the default applies."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE,
                               related_name="step_terms", verbose_name=_("school"))
    step = models.PositiveSmallIntegerField(_("stap"), choices=Step.choices)
    days = models.PositiveSmallIntegerField(
        _("termijn in dagen"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TERM_DAYS)])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("termijn per stap")
        verbose_name_plural = _("termijnen per stap")
        ordering = ["school", "step"]
        constraints = [
            models.UniqueConstraint(fields=["school", "step"], name="unique_step_term"),
            models.CheckConstraint(name="step_term_days_positive",
                                   condition=Q(days__gte=1, days__lte=MAX_TERM_DAYS)),
        ]

    def __str__(self):
        return f"{self.school_id}: {self.step} = {self.days}"


class CancelReason(models.TextChoices):
    RESOLVED = "opgelost", _("de aanleiding is opgelost")
    ROLE_ENDED = "rol_beeindigd", _("de ontvanger heeft de rol niet meer")


class Reminder(models.Model):
    """One reminder to one person about one occurrence of a due moment, at one level."""

    source = models.CharField(_("bron"), max_length=40)
    object_id = models.PositiveBigIntegerField()
    # Identifies this occurrence of the cause: the due date for a date column, the moment the
    # case entered its step for a step term. A new occurrence (a new step, a moved date) is a
    # new reminder; a changed term is not.
    occurrence = models.DateTimeField()
    level = models.PositiveSmallIntegerField(default=1)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    # Roles (comma separated) of which the recipient must still hold one at send time.
    roles = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    object_type = models.CharField(max_length=40, blank=True)
    url = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True, choices=CancelReason.choices)

    class Meta:
        verbose_name = _("herinnering")
        verbose_name_plural = _("herinneringen")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "object_id", "occurrence", "level", "recipient"],
                name="reminder_once"),
        ]
        indexes = [
            models.Index(fields=["id"], name="reminder_pending",
                         condition=Q(sent_at__isnull=True, cancelled_at__isnull=True)),
            models.Index(fields=["school", "-due_at"]),
        ]

    def __str__(self):
        return f"{self.source}:{self.object_id}@{self.level}->{self.recipient_id}"

    @property
    def key(self) -> tuple:
        return (self.source, self.object_id, self.occurrence, self.level, self.recipient_id)

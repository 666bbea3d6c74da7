"""Building blocks shared by the case-data apps."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImmutableError(Exception):
    """An append-only row was about to be changed."""


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed in place (R31).

    A correction is a new row. Deletion happens only through retention (a separate,
    audited path that uses the queryset's ``_raw_delete``-free ``delete``).
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)


class LockVersionModel(models.Model):
    """Optimistic locking: a save based on an older version is a conflict, not an overwrite."""

    lock_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class SecurityEventKind(models.TextChoices):
    STEPUP_PASSED = "stepup_geslaagd", _("herbevestiging geslaagd")
    STEPUP_FAILED = "stepup_mislukt", _("herbevestiging mislukt")
    STEPUP_LOCKED = "stepup_geblokkeerd", _("herbevestiging geblokkeerd, uitgelogd")


class SecurityEvent(models.Model):
    """Audit trail of step-up re-authentication: who, what, when, for which page.

    ``target`` is the path the user was going to; URLs carry ids only, never case content.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("gebruiker"))
    kind = models.CharField(_("soort"), max_length=20, choices=SecurityEventKind.choices)
    target = models.CharField(_("doelpagina"), max_length=200, blank=True)
    at = models.DateTimeField(_("tijdstip"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("beveiligingsgebeurtenis")
        verbose_name_plural = _("beveiligingsgebeurtenissen")
        ordering = ["-at"]


class ContentVersion(models.Model):
    """A token that changes with what pages show of a case or a school (``core.versions``)."""

    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    token = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("inhoudsversie")
        verbose_name_plural = _("inhoudsversies")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"],
                                               name="contentversion_unique_kind_object")]

    def __str__(self):
        return f"{self.kind} {self.object_id}"

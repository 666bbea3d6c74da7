"""In-app notifications. They say *that* something awaits the user and link to it; the
text is chosen from a fixed list by ``kind`` and never carries case content."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NEW_SIGNAL = "nieuw_signaal", _("Er staat een nieuw signaal voor u klaar.")
    CASE_INVITATION = "uitnodiging", _("U bent uitgenodigd in een dossier.")
    ACUTE = "acuut", _("Er is een melding van acuut gevaar vastgelegd.")
    REMINDER = "herinnering", _("Er is een actie in een dossier die aandacht vraagt.")
    SOT_AGENDA = "sot_agenda", _("Er staat een leerling op de agenda van het SOT.")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, null=True,
                               related_name="+")
    # Where it points: a path inside the app, built from ids only.
    url = models.CharField(max_length=200)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"]),
                   models.Index(fields=["user"], name="notification_unread",
                                condition=Q(read_at__isnull=True))]

    @property
    def text(self):
        return self.get_kind_display()

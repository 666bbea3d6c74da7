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
    # Reminders (reminders app): each text says only *that* something is due, never what.
    STEP_TERM = "stap_termijn", _(
        "Een dossier staat langer in dezelfde stap dan de afgesproken termijn.")
    STEP_ESCALATION = "stap_escalatie", _(
        "Een dossier van uw school staat al ruim over de termijn in dezelfde stap.")
    SIGNAL_UNSEEN = "signaal_niet_gezien", _(
        "Een nieuw signaal is na twee schooldagen nog niet als gezien gemarkeerd.")
    VIR_REVIEW = "vir_herbeoordelen", _(
        "Een registratie in de Verwijsindex moet binnenkort worden herbeoordeeld of ingetrokken.")
    VT_FEEDBACK = "vt_terugkoppeling", _("Er wordt een terugkoppeling van Veilig Thuis verwacht.")
    HELP_EVALUATION = "evaluatie_hulp", _(
        "De evaluatie van de hulp (vraag 5 van het afwegingskader) is aan de beurt.")
    FOLLOW_UP = "actie_volgfase", _("Een actie in de volgfase is aan de beurt.")
    MONITORING_REVIEW = "monitoring_bekijken", _(
        "Afspraken over monitoring moeten opnieuw worden bekeken.")
    ACUTE_RETROSPECTIVE = "terugblik_acuut", _(
        "De terugblik op een melding van acuut gevaar moet nog worden vastgelegd.")
    RETENTION = "bewaartermijn", _("Er zijn gegevens waarvan de bewaartermijn afloopt.")
    ACCESS_REQUEST = "inzageverzoek", _("De termijn van een inzageverzoek loopt af.")


UNREAD_CACHE = "unread-notifications"
UNREAD_TTL = 600


def _register():
    from core import sharedcache

    sharedcache.PER_USER.add(UNREAD_CACHE)  # read in the request's first round trip


_register()


def invalidate_unread(user_ids) -> None:
    """End the unread counts cached for the navigation (``context_processors``)."""
    from core import sharedcache

    sharedcache.invalidate_many(UNREAD_CACHE, set(user_ids))


class NotificationQuerySet(models.QuerySet):
    """Bulk writes send no signals: they end the users' cached unread counts themselves."""

    def _user_ids(self):
        from core import sharedcache

        return set(self.values_list("user_id", flat=True)) if sharedcache.enabled() else set()

    def update(self, **kwargs):
        affected = set()
        if {"read_at", "user", "user_id"} & kwargs.keys():
            affected = self._user_ids()
            if "user" in kwargs:
                affected.add(getattr(kwargs["user"], "pk", kwargs["user"]))
            if "user_id" in kwargs:
                affected.add(kwargs["user_id"])
        count = super().update(**kwargs)
        invalidate_unread(affected)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        invalidate_unread(obj.user_id for obj in objs)
        return objs

    def _raw_delete(self, using):
        affected = self._user_ids()
        count = super()._raw_delete(using)
        invalidate_unread(affected)
        return count

    _raw_delete.alters_data = True


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
    # Waiting for the user's daily digest e-mail (``MailPreference.DAILY``).
    digest_pending = models.BooleanField(default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"]),
                   models.Index(fields=["user"], name="notification_unread",
                                condition=Q(read_at__isnull=True)),
                   models.Index(fields=["id"], name="notification_digest_pending",
                                condition=Q(digest_pending=True))]

    @property
    def text(self):
        return self.get_kind_display()


def _notification_changed(sender, instance, **kwargs):
    invalidate_unread([instance.user_id])


# Deletes (a user's or a school's included) go through these too: a receiver stops Django's
# fast bulk delete of notifications, so each deleted row is signalled.
models.signals.post_save.connect(_notification_changed, sender=Notification,
                                 dispatch_uid="notifications.unread_saved")
models.signals.post_delete.connect(_notification_changed, sender=Notification,
                                   dispatch_uid="notifications.unread_deleted")


class MailFrequency(models.TextChoices):
    IMMEDIATE = "direct", _("Direct: een e-mail zodra er iets voor mij klaarstaat")
    DAILY = "dagelijks", _("Dagelijks: één overzichtsmail per dag met het aantal meldingen")


class MailPreference(models.Model):
    """How a user wants to hear by e-mail that something awaits them (default: immediately).

    Either way the e-mail carries no content: only that something awaits, and a link.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="mail_preference")
    frequency = models.CharField(_("e-mail over meldingen"), max_length=12,
                                 choices=MailFrequency.choices, default=MailFrequency.IMMEDIATE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mailvoorkeur")
        verbose_name_plural = _("e-mailvoorkeuren")

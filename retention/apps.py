from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Bewaartermijnen en vernietiging")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Cases whose term has ended, and the deadline of a pupil's request, are due moments
        # for the reminders app (when installed); the destruction itself is ours.
        from .reminders import register_reminder_sources

        register_reminder_sources()
        from . import checks  # noqa: F401 - registers the pseudonym key check

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Herinneringen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each app's due moments are registered here (reminders reads their models; they do
        # not import reminders). Runs after every app's models are loaded, whatever the order
        # in INSTALLED_APPS.
        from .builtin import register_builtin

        register_builtin()

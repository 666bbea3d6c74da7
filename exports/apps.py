from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("Export en inzage")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The dossier's sections come from a registry (``exports.sections``): the built-in
        # Meldcode records first, then the afwegingskader's when that app is installed, so
        # neither ``cases`` nor ``afwegingskader`` has to import this app.
        from . import sections

        sections.register_builtin()
        # The one-month deadline of an access request (R37) is a due moment for the
        # reminders, when that app is installed.
        from .reminders import register_reminder_source

        register_reminder_source()

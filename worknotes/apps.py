from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorknotesConfig(AppConfig):
    name = "worknotes"
    verbose_name = _("Persoonlijke werkaantekeningen")
    default_auto_field = "django.db.models.BigAutoField"

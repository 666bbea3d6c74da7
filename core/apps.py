from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Kern")
    default = True


class MeldcodeAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.MeldcodeAdminSite"

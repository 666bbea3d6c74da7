from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Kern")
    default = True

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import versions
        from .middleware import session_refreshed_at_login

        versions.connect()

        user_logged_in.connect(session_refreshed_at_login, dispatch_uid="core.session_refreshed")


class MeldcodeAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.MeldcodeAdminSite"

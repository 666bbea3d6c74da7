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
        from .history import cache_history_manager_classes
        from .middleware import session_refreshed_at_login

        versions.connect()
        cache_history_manager_classes()

        user_logged_in.connect(session_refreshed_at_login, dispatch_uid="core.session_refreshed")

        # A saved or deleted 2FA device ends its state cached by CachedOTPMiddleware. Per
        # device model (not for every model: that would stop Django's fast bulk deletes).
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save
        from django_otp.models import Device

        from .middleware import device_changed

        for model in apps.get_models():
            if issubclass(model, Device):
                post_save.connect(device_changed, sender=model,
                                  dispatch_uid=f"core.device_saved.{model._meta.label}")
                post_delete.connect(device_changed, sender=model,
                                    dispatch_uid=f"core.device_deleted.{model._meta.label}")


class MeldcodeAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.MeldcodeAdminSite"

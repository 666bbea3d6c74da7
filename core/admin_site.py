from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MeldcodeAdminSite(admin.AdminSite):
    """Superusers only, behind the same two-factor login as the rest of the app."""

    site_header = _("Meldcode systeembeheer")
    site_title = _("Meldcode systeembeheer")

    def has_permission(self, request):
        user = request.user
        verified = getattr(settings, "DEMO_MODE", False) or user.is_verified()
        return user.is_active and user.is_superuser and verified

    def login(self, request, extra_context=None):
        return redirect_to_login(request.get_full_path(), reverse("two_factor:login"))

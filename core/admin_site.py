from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MeldcodeAdminSite(admin.AdminSite):
    """Superusers only, behind the same two-factor login as the rest of the app.

    Every change made here is audited in Django's LogEntry: add, change and delete (also the
    bulk delete) by Django itself, and any other bulk action of a model admin (such as
    django-celery-beat's "disable tasks", which updates rows without a LogEntry) by
    ``admin_view`` below. No case-data model is registered (``cases/admin.py``).
    """

    site_header = _("Meldcode systeembeheer")
    site_title = _("Meldcode systeembeheer")

    def has_permission(self, request):
        user = request.user
        verified = getattr(settings, "DEMO_MODE", False) or user.is_verified()
        return user.is_active and user.is_superuser and verified

    def login(self, request, extra_context=None):
        return redirect_to_login(request.get_full_path(), reverse("two_factor:login"))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, admin.ModelAdmin) or view.__name__ != "changelist_view":
            return inner

        @wraps(inner)
        def audited(request, *args, **kwargs):
            action = request.POST.get("action", "") if request.method == "POST" else ""
            selected = (request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
                        if action and action != "delete_selected" else [])
            response = inner(request, *args, **kwargs)
            if selected and self.has_permission(request) and response.status_code < 400:
                _log_action(request.user, model_admin.model, selected, action)
            return response

        return audited


def _log_action(user, model, pks, action: str) -> None:
    from django.contrib.admin.models import CHANGE, LogEntry

    queryset = model._default_manager.filter(pk__in=pks)
    LogEntry.objects.log_actions(user_id=user.pk, queryset=queryset, action_flag=CHANGE,
                                 change_message=f"Bulkactie in het beheer: {action}")

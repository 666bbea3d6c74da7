from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from cases.services import listed_rows, log_listed_rows

from . import fragments, ratelimit
from .dashboard import dashboard_for
from .forms import QueuedPasswordResetForm, StepUpForm
from .models import SecurityEvent, SecurityEventKind
from .stepup import mark_fresh, max_age


@login_required
def dashboard(request):
    """Start page: a panel for each role the user holds, at each school (``core.dashboard``).

    Nothing to resolve or refuse: every panel reads through the access selectors, so a user
    without roles gets an empty page with a pointer to the beheerder.
    """
    user = request.user

    def build():
        dash = dashboard_for(user)
        body = render_to_string("core/_dashboard_body.html", {"dash": dash, "user": user},
                                request=request)
        return body, listed_rows(dash.listed_objects())

    body, listed = fragments.cached("dashboard", lambda: fragments.school_scope(user, hour=True),
                                    build)
    log_listed_rows(user=user, rows=listed)
    return render(request, "core/dashboard.html", {"body": body})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("two_factor:login")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm


def health(request):
    """Load-balancer health check: the app answers and the database is reachable."""
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("core:dashboard")


@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def stepup(request):
    """Enter a fresh 2FA code before an export or the change history (``core.stepup``).

    Wrong codes get a Dutch error. More than the ``stepup-user`` limit of attempts ends the
    session: whoever holds a session without the phone must log in again, where the axes
    lockout applies to the password.
    """
    next_url = _safe_next(request)
    target = next_url[:200]
    form = StepUpForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if ratelimit.exceeded("stepup-user", str(request.user.pk)):
            SecurityEvent.objects.create(user=request.user, kind=SecurityEventKind.STEPUP_LOCKED,
                                         target=target)
            logout(request)
            return ratelimit.too_many_requests(request, what=_(
                "U heeft te vaak een verkeerde code ingevoerd en bent daarom uitgelogd."))
        if form.is_valid():
            SecurityEvent.objects.create(user=request.user, kind=SecurityEventKind.STEPUP_PASSED,
                                         target=target)
            ratelimit.reset("stepup-user", str(request.user.pk))
            mark_fresh(request)
            return redirect(next_url)
        SecurityEvent.objects.create(user=request.user, kind=SecurityEventKind.STEPUP_FAILED,
                                     target=target)
    return render(request, "core/stepup.html", {
        "form": form, "next": next_url, "minutes": max_age().seconds // 60})

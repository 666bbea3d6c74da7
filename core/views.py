from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cases.services import log_list_access

from .dashboard import dashboard_for
from .forms import QueuedPasswordResetForm


@login_required
def dashboard(request):
    """Start page: a panel for each role the user holds, at each school (``core.dashboard``).

    Nothing to resolve or refuse: every panel reads through the access selectors, so a user
    without roles gets an empty page with a pointer to the beheerder.
    """
    dash = dashboard_for(request.user)
    log_list_access(user=request.user, objects=dash.listed_objects())
    return render(request, "core/dashboard.html", {"dash": dash})


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

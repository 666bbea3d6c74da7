"""Step-up re-authentication: a fresh 2FA code before the most sensitive reads (issue 7).

Exporting a dossier (and downloading or sending out the result) and opening a case's change
history ask for a new TOTP code, even though the user passed 2FA at login: a session left
open on a school computer must not be enough to take a whole dossier away. A code entered on
the step-up page is valid for ``MELDCODE_STEPUP_MINUTES`` (10) minutes, stored as a
timestamp in the session.

Views call ``require_stepup`` AFTER their own permission check, so users without access keep
getting their 403/404 and learn nothing from a step-up redirect.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "meldcode_stepup_at"


def max_age() -> timedelta:
    return timedelta(minutes=settings.MELDCODE_STEPUP_MINUTES)


def is_fresh(request) -> bool:
    stamp = request.session.get(SESSION_KEY)
    if not isinstance(stamp, (int, float)):
        return False
    age = timezone.now().timestamp() - stamp
    return 0 <= age < max_age().total_seconds()


def mark_fresh(request) -> None:
    request.session[SESSION_KEY] = timezone.now().timestamp()


def require_stepup(request, next_url: str | None = None):
    """None when the user may go on; otherwise a redirect to the step-up page.

    ``next_url`` is where to go after the code (default: this page; POST views pass the page
    their form is on).
    """
    if getattr(settings, "DEMO_MODE", False) or is_fresh(request):
        return None
    target = next_url or request.get_full_path()
    return redirect(f"{reverse('core:stepup')}?{urlencode({'next': target})}")

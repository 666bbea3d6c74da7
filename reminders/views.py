"""Two screens: everyone's e-mail preference, and the beheerder's terms per school.

Deny by default: anyone without a role in force gets 403 on the preference page; the terms
need ``schools.manage_settings`` (the board's beheerder) — 403 without it anywhere, 404 for a
school outside the user's boards. No case content is shown on either page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import post_data
from notifications.services import mail_preference_get, mail_preference_set
from schools.access import active_roles
from schools.services import manage_scope, managed_schools

from . import selectors, services
from .forms import MailPreferenceForm, StepTermsForm
from .models import DEFAULT_STEP_TERMS

MANAGE_SETTINGS = "schools.manage_settings"
MAX_SCHOOLS = 500


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    if not active_roles(request.user):
        raise PermissionDenied
    form = MailPreferenceForm(post_data(request),
                              initial={"frequency": mail_preference_get(request.user)})
    if request.method == "POST" and form.is_valid():
        mail_preference_set(user=request.user, frequency=form.cleaned_data["frequency"])
        messages.success(request, _("Uw voorkeur is opgeslagen."))
        return redirect("reminders:preferences")
    return render(request, "reminders/preferences.html", {"form": form})


def _settings_scope(request):
    scope = manage_scope(request.user, MANAGE_SETTINGS)
    if not scope:
        raise PermissionDenied
    return scope


@login_required
@require_GET
def terms(request):
    """The terms per step of every managed school, the beat schedule and what is chased."""
    scope = _settings_scope(request)
    # A board has tens of schools, not thousands: one table, no pagination (saves a COUNT).
    schools = list(managed_schools(scope).order_by("name", "pk")[:MAX_SCHOOLS])
    terms_by_school = services.step_terms_for(s.pk for s in schools)
    rows = [{"school": school,
             "terms": [{"days": terms_by_school[school.pk][step],
                        "default": terms_by_school[school.pk][step] == default}
                       for step, default in DEFAULT_STEP_TERMS.items()]}
            for school in schools]
    return render(request, "reminders/terms.html", {
        "rows": rows, "truncated": len(schools) == MAX_SCHOOLS,
        "steps": list(DEFAULT_STEP_TERMS.items()), "schedule": selectors.beat_schedule(), "sources": selectors.chased()})


@login_required
@require_http_methods(["GET", "POST"])
def terms_edit(request, school_id: int):
    scope = _settings_scope(request)
    school = get_object_or_404(managed_schools(scope), pk=school_id)
    current = services.step_terms_for([school.pk])[school.pk]
    form = StepTermsForm(post_data(request), initial=StepTermsForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        changed = services.step_terms_save(school=school, terms=form.terms(), actor=request.user)
        if changed:
            messages.success(request, _("De termijnen van %(school)s zijn opgeslagen.")
                             % {"school": school.name})
        else:
            messages.info(request, _("Er is niets gewijzigd."))
        return redirect("reminders:terms")
    return render(request, "reminders/terms_edit.html", {
        "school": school, "form": form, "defaults": DEFAULT_STEP_TERMS})

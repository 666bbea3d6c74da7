"""The local contacts (R47) as staff read them: every school where the user holds a role.

Read-only; the beheer screens (``schools.views``) change them. Professionals' work details
only, no case content, so nothing is written to the access log.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.fragments import viewer_schools

from . import services
from .models import School


@login_required
@require_GET
def contact_directory(request):
    """The contacts of every school the user works at or for: a school role there, or a
    board role (beheerder, bestuurder) at its board. No role anywhere: 403. Two queries at
    most (the board's schools for a board role, the contacts with their schools)."""
    school_ids = viewer_schools(request.user)
    if not school_ids:
        raise PermissionDenied
    contacts = services.school_contacts(school_ids)
    by_school: dict[int, list] = {}
    for contact in contacts:
        by_school.setdefault(contact.school_id, []).append(contact)
    # Schools without contacts are listed too (with their names: one query, only then).
    missing = school_ids - by_school.keys()
    names = {c.school_id: c.school for c in contacts}
    if missing:
        names.update({s.pk: s for s in School.objects.filter(pk__in=missing)})
    schools = sorted((names[pk] for pk in school_ids), key=lambda s: (s.name, s.pk))
    scope = services.manage_scope(request.user)  # no query: the roles are read already
    return render(request, "schools/contact_directory.html", {
        "groups": [(school, by_school.get(school.pk, [])) for school in schools],
        "can_manage_ids": {s.pk for s in schools
                           if s.pk in scope.school_ids or s.board_id in scope.board_ids}})

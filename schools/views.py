from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .access import board_ids_with_perm, school_ids_with_perm
from .models import Membership


@login_required
def people(request):
    """Staff and their roles at the schools the user manages."""
    school_ids = school_ids_with_perm(request.user, "schools.manage_people")
    board_ids = board_ids_with_perm(request.user, "schools.manage_people")
    if not school_ids and not board_ids:
        raise PermissionDenied
    memberships = (Membership.objects.filter(school_id__in=school_ids)
                   | Membership.objects.filter(board_id__in=board_ids)).select_related(
        "user", "school", "board").order_by("school__name", "user__last_name")
    return render(request, "schools/people.html", {"memberships": memberships})

"""Reads: who may handle access requests, and which jobs a user may see.

Access requests (R37) are handled by whoever holds ``cases.export_dossier`` (directeur) or
``cases.view_access_log`` (veiligheidscoördinator, IB'er) at the pupil's school, *and* sees
that school's cases (``cases.view_school_cases``): the copy draws on every Meldcode case of
the pupil. Both permissions sit on the role groups, so a board can change who handles
requests by editing the groups (R35, R47). Anything outside → 404.

Export jobs are private to their requester: anyone else gets a 404, whatever their role.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from cases.models import Route
from cases.selectors import case_permissions, cases_visible_to
from schools.access import school_ids_with_perm
from schools.models import Pupil

from .models import AccessRequest, ExportJob, JobKind

INZAGE_PERMS = ("cases.export_dossier", "cases.view_access_log")


def inzage_school_ids(user) -> set[int]:
    """Schools where ``user`` may record and handle access requests."""
    handling = set()
    for perm in INZAGE_PERMS:
        handling |= school_ids_with_perm(user, perm)
    return handling & school_ids_with_perm(user, "cases.view_school_cases")


def access_requests_visible_to(user) -> QuerySet[AccessRequest]:
    return (AccessRequest.objects.filter(school_id__in=inzage_school_ids(user))
            .select_related("pupil", "school", "recorded_by", "completed_by"))


def access_request_get_for_user(user, pk: int) -> AccessRequest:
    return get_object_or_404(access_requests_visible_to(user), pk=pk)


def inzage_pupils(user) -> QuerySet[Pupil]:
    """Pupils with a Meldcode case at a school where ``user`` handles access requests."""
    return (Pupil.objects.filter(school_id__in=inzage_school_ids(user),
                                 cases__route=Route.MELDCODE)
            .select_related("school", "school_class").distinct()
            .order_by("last_name", "first_name", "pk"))


def inzage_pupil_get_for_user(user, pk: int) -> Pupil:
    return get_object_or_404(inzage_pupils(user), pk=pk)


def job_get_for_requester(user, pk: int) -> ExportJob:
    """The requester's own job, while they still hold the right that made it.

    A role that ended (or an invitation withdrawn) between the request and the download
    ends access to the file too: 404, as for anyone else's job.
    """
    job = get_object_or_404(ExportJob.objects.select_related("case", "access_request"),
                            pk=pk, requester_id=user.pk)
    if job.kind == JobKind.INZAGE:
        allowed = job.access_request.school_id in inzage_school_ids(user)
    else:
        allowed = (cases_visible_to(user).filter(pk=job.case_id).exists()
                   and "export_dossier" in case_permissions(user, job.case))
    if not allowed:
        raise Http404
    return job


def jobs_of(user, *, case=None, access_request=None, limit: int = 10) -> list[ExportJob]:
    qs = ExportJob.objects.filter(requester_id=user.pk).select_related("case")
    if case is not None:
        qs = qs.filter(case=case)
    if access_request is not None:
        qs = qs.filter(access_request=access_request)
    return list(qs.order_by("-created_at", "-pk")[:limit])

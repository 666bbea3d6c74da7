"""Role permissions are cached across requests and dropped whenever a role group changes."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools.access import has_school_perm, perms_at
from schools.roles import GROUP_NAMES, Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as the next request loads it (nothing cached on the object)."""
    return get_user_model().objects.get(pk=user.pk)


def _permission_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "auth_permission" in q["sql"]]


def test_second_request_reads_no_permission_rows(school):
    user = staff(Role.IB, school)
    assert has_school_perm(_fresh(user), "cases.open_case", school)
    with CaptureQueriesContext(connection) as ctx:
        assert has_school_perm(_fresh(user), "cases.open_case", school)
    assert _permission_queries(ctx.captured_queries) == []


def test_removing_a_permission_from_a_role_group_takes_effect_at_once(school):
    user = staff(Role.IB, school)
    assert "cases.open_case" in perms_at(_fresh(user), school)  # cached now
    group = Group.objects.get(name=GROUP_NAMES[Role.IB])
    permission = Permission.objects.get(codename="open_case", content_type__app_label="cases")
    group.permissions.remove(permission)
    assert "cases.open_case" not in perms_at(_fresh(user), school)
    group.permissions.add(permission)
    assert "cases.open_case" in perms_at(_fresh(user), school)


def test_clearing_a_role_group_and_deleting_a_permission_take_effect(school):
    user = staff(Role.DIRECTEUR, school)
    assert "cases.export_dossier" in perms_at(_fresh(user), school)
    Permission.objects.get(codename="export_dossier").delete()
    assert "cases.export_dossier" not in perms_at(_fresh(user), school)
    assert perms_at(_fresh(user), school)  # the others remain
    Group.objects.get(name=GROUP_NAMES[Role.DIRECTEUR]).permissions.clear()
    assert perms_at(_fresh(user), school) == set()


def test_permissions_stay_scoped_to_the_school(school, other_school):
    user = staff(Role.IB, school)
    perms_at(_fresh(user), school)
    assert perms_at(_fresh(user), other_school) == set()

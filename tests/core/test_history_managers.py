"""``core.history``: the history managers' class is built once per model, and each access
still gives a manager for its own model and instance (django-simple-history's behaviour)."""

import pytest

from schools.models import Membership
from schools.roles import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_history_manager_class_is_built_once_and_bound_per_access(school, other_school):
    ib, vc = staff(Role.IB, school), staff(Role.VC, other_school)
    first, second = ib.memberships.get(), vc.memberships.get()
    assert type(Membership.history) is type(first.history) is type(second.history)
    assert Membership.history.model is first.history.model
    assert first.history.instance == first and second.history.instance == second
    assert list(first.history.values_list("id", "history_type")) == [(first.pk, "+")]
    assert sorted(Membership.history.values_list("id", flat=True)) == sorted(
        [first.pk, second.pk])
    first.role = Role.VC
    first._history_user = ib
    first.save()
    assert list(first.history.order_by("history_id").values_list(
        "role", "history_type", "history_user")) == [(Role.IB, "+", None), (Role.VC, "~", ib.pk)]
    assert first.history.latest().instance.role == Role.VC

"""The notified role holders kept per school in the fragment cache (``role_holders``), under
the school's ``school_directory`` token and today's date: every change of a role, a user or a
mail preference reaches the next notification at once, and one school's holders never serve
another school.

Transactional tests: the tokens change when a transaction commits, as in production.
"""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Kind, MailFrequency, Notification
from notifications.services import mail_preference_set, notify_role_holders, role_holders
from schools.models import Membership
from schools.roles import Role
from schools.services import membership_end
from tests.factories import MembershipFactory, SchoolFactory, UserFactory, staff

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [Role.IB, Role.VC]


@pytest.fixture(autouse=True)
def _cache_on(fragment_cache_on):
    pass


def _holders(school, roles=ROLES, **kwargs):
    return [(u.pk, digest) for u, digest in role_holders(school, roles, with_digest=True,
                                                         **kwargs)]


def _membership_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, sum('"schools_membership"' in q["sql"] for q in ctx.captured_queries)


def test_holders_are_read_once_then_from_the_cache(school):
    ib, vc = staff(Role.IB, school), staff(Role.VC, school)
    first, queries = _membership_queries(lambda: _holders(school))
    assert first == [(ib.pk, False), (vc.pk, False)] and queries == 1
    second, queries = _membership_queries(lambda: _holders(school))
    assert second == first and queries == 0
    # The recorder is left out of the cached list, not of the cache.
    third, queries = _membership_queries(lambda: _holders(school, exclude_user_id=ib.pk))
    assert third == [(vc.pk, False)] and queries == 0


def test_ended_role_is_not_notified_at_once(school):
    ib, vc = staff(Role.IB, school), staff(Role.VC, school)
    assert _holders(school) == [(ib.pk, False), (vc.pk, False)]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    membership = vc.memberships.get()
    Membership.objects.filter(pk=membership.pk).update(starts_on=yesterday)
    membership_end(actor=None, membership=Membership.objects.get(pk=membership.pk),
                   ends_on=yesterday)
    assert _holders(school) == [(ib.pk, False)]
    # A bulk update (no model signals) ends it just as well.
    ib.memberships.update(starts_on=yesterday - datetime.timedelta(days=1), ends_on=yesterday)
    assert _holders(school) == []


def test_removed_role_deactivated_user_and_new_holder_at_once(school):
    ib, vc = staff(Role.IB, school), staff(Role.VC, school)
    assert _holders(school) == [(ib.pk, False), (vc.pk, False)]
    vc.memberships.get().delete()
    assert _holders(school) == [(ib.pk, False)]
    ib.is_active = False
    ib.save()
    assert _holders(school) == []
    newcomer = staff(Role.VC, school)
    assert _holders(school) == [(newcomer.pk, False)]
    ib.is_active = True
    ib.save(update_fields=["is_active"])
    assert _holders(school) == [(ib.pk, False), (newcomer.pk, False)]
    # A bulk create (no model signals) gives the role at once too.
    late = UserFactory()
    Membership.objects.bulk_create([Membership(user=late, school=school, board=school.board,
                                               role=Role.VC)])
    assert _holders(school) == [(ib.pk, False), (newcomer.pk, False), (late.pk, False)]


def test_role_ending_today_is_not_served_tomorrow(school):
    ib = staff(Role.IB, school)
    today = timezone.localdate()
    ib.memberships.update(starts_on=today - datetime.timedelta(days=10), ends_on=today)
    assert _holders(school) == [(ib.pk, False)]
    with mock.patch("django.utils.timezone.localdate",
                    return_value=today + datetime.timedelta(days=1)):
        assert _holders(school) == []


def test_mail_preference_change_is_read_at_once(school):
    ib = staff(Role.IB, school)
    assert _holders(school) == [(ib.pk, False)]
    mail_preference_set(user=ib, frequency=MailFrequency.DAILY)
    assert _holders(school) == [(ib.pk, True)]
    mail_preference_set(user=ib, frequency=MailFrequency.IMMEDIATE)
    assert _holders(school) == [(ib.pk, False)]
    ib.mail_preference.delete()
    assert _holders(school) == [(ib.pk, False)]


def test_board_roles_follow_the_board(school):
    """A suspected staff member's signal goes to the board: its roles are cached under every
    school's token of that board, and a change at the board reaches them all."""
    sister = SchoolFactory(board=school.board)
    bestuur = staff(Role.BESTUUR, board=school.board)
    assert _holders(school, [Role.BESTUUR]) == [(bestuur.pk, False)]
    assert _holders(sister, [Role.BESTUUR]) == [(bestuur.pk, False)]
    second = staff(Role.BESTUUR, board=school.board)
    bestuur.memberships.get().delete()
    assert _holders(school, [Role.BESTUUR]) == [(second.pk, False)]
    assert _holders(sister, [Role.BESTUUR]) == [(second.pk, False)]


def test_a_change_at_another_school_neither_leaks_nor_ends_this_schools_holders(school,
                                                                              other_school):
    ib, other_ib = staff(Role.IB, school), staff(Role.IB, other_school)
    assert _holders(school) == [(ib.pk, False)]
    assert _holders(other_school) == [(other_ib.pk, False)]
    newcomer = staff(Role.VC, other_school)  # a role change at the other school only
    mail_preference_set(user=other_ib, frequency=MailFrequency.DAILY)
    here, queries = _membership_queries(lambda: _holders(school))
    assert here == [(ib.pk, False)] and queries == 0  # still cached, and still right
    there, queries = _membership_queries(lambda: _holders(other_school))
    assert there == [(other_ib.pk, True), (newcomer.pk, False)] and queries == 1
    # The same user moved to this school: both schools change.
    MembershipFactory(user=newcomer, school=school, role=Role.VC)
    assert _holders(school) == [(ib.pk, False), (newcomer.pk, False)]


def test_notifications_and_mails_follow_a_role_change_at_once(school, mailoutbox):
    ib, vc = staff(Role.IB, school), staff(Role.VC, school)

    def told():
        Notification.objects.all().delete()
        mailoutbox.clear()
        notify_role_holders(school=school, roles=ROLES, kind=Kind.NEW_SIGNAL, url="/signalen/1/")
        return (sorted(Notification.objects.values_list("user_id", "digest_pending")),
                sorted(m.to[0] for m in mailoutbox))

    assert told() == (sorted([(ib.pk, False), (vc.pk, False)]), sorted([ib.email, vc.email]))
    vc.memberships.get().delete()
    assert told() == ([(ib.pk, False)], [ib.email])
    mail_preference_set(user=ib, frequency=MailFrequency.DAILY)
    assert told() == ([(ib.pk, True)], [])

"""Per-user facts cached across requests in the shared cache (``core.sharedcache``): sessions
(cached_db), the session's 2FA device, roles. Every change must end the cached value at the
next request. Only the cache is shared between "processes" here: each request gets fresh
user objects, so what a request sees after a change comes from the database or the cache."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import sharedcache
from schools.access import active_roles
from schools.models import Membership
from schools.roles import Role
from tests.factories import staff

ROOT = Path(__file__).resolve().parent.parent.parent
DASHBOARD = reverse("core:dashboard")
SIGNAL_CREATE = reverse("signals:create")


@pytest.fixture
def shared_cache(settings, db):
    """Production with Redis: one cache for every process (the memory cache, in one process)."""
    settings.MELDCODE_SHARED_CACHE = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


def _tables(queries) -> list[str]:
    return [q["sql"] for q in queries]


def _queries_on(ctx, table: str) -> int:
    return sum(f'"{table}"' in sql for sql in _tables(ctx.captured_queries))


# --- settings -----------------------------------------------------------------------------------

def _setting_in_subprocess(extra_env, expr):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_CACHE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "meldcode.settings.test", **extra_env})
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sessions_go_through_the_cache_only_when_it_is_shared():
    expr = "(settings.SESSION_ENGINE, settings.MELDCODE_SHARED_CACHE)"
    assert _setting_in_subprocess({}, expr) == (
        "('django.contrib.sessions.backends.db', False)")
    assert _setting_in_subprocess({"REDIS_CACHE_URL": "redis://127.0.0.1:6379/1"}, expr) == (
        "('django.contrib.sessions.backends.cached_db', True)")
    assert _setting_in_subprocess({"REDIS_CACHE_URL": "locmemcache://x"}, expr) == (
        "('django.contrib.sessions.backends.db', False)")


def test_nothing_is_cached_without_a_shared_cache(db, settings):
    settings.MELDCODE_SHARED_CACHE = False
    calls = []
    for _ in range(2):
        sharedcache.get_or_compute("t", 1, lambda: calls.append(1) or len(calls), 60)
    assert len(calls) == 2


# --- the token: no stale value after a concurrent change ----------------------------------------

def test_value_computed_before_an_invalidation_is_not_served_after_it(shared_cache):
    def compute_while_changed():
        # Another process changes the rows (and invalidates) after we read them.
        sharedcache.invalidate("t", 1)
        return "old"

    assert sharedcache.get_or_compute("t", 1, compute_while_changed, 60) == "old"
    assert sharedcache.get_or_compute("t", 1, lambda: "new", 60) == "new"
    assert sharedcache.get_or_compute("t", 1, lambda: "unused", 60) == "new"


def test_invalidation_is_repeated_after_commit(shared_cache, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sharedcache.invalidate("t", 1)
        # A request reads the rows not yet committed: the old ones. It caches them.
        assert sharedcache.get_or_compute("t", 1, lambda: "old", 60) == "old"
    for callback in callbacks:  # the commit
        callback()
    assert sharedcache.get_or_compute("t", 1, lambda: "new", 60) == "new"


def test_invalidating_several_is_one_round_trip_now_and_one_after_commit(
        shared_cache, django_capture_on_commit_callbacks):
    for ident in (1, 2, 3):
        assert sharedcache.get_or_compute("t", ident, lambda: "old", 60) == "old"
    with mock.patch.object(sharedcache.cache, "set_many",
                           wraps=sharedcache.cache.set_many) as set_many:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            sharedcache.invalidate_many("t", [1, 2, 2])
            assert set_many.call_count == 1
            # A request reads the rows not yet committed: the old ones. It caches them.
            assert sharedcache.get_or_compute("t", 1, lambda: "old", 60) == "old"
        for callback in callbacks:  # the commit
            callback()
        assert set_many.call_count == 2
    assert sharedcache.get_or_compute("t", 1, lambda: "new", 60) == "new"
    assert sharedcache.get_or_compute("t", 2, lambda: "new", 60) == "new"
    assert sharedcache.get_or_compute("t", 3, lambda: "unused", 60) == "old"  # not named


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_one_round_trip_ends_them(settings):
    """The rows are committed already: renewing once, now, is what the commit would do."""
    settings.MELDCODE_SHARED_CACHE = True
    for ident in (1, 2):
        sharedcache.get_or_compute("t", ident, lambda: "old", 60)
    with mock.patch.object(sharedcache.cache, "set_many",
                           wraps=sharedcache.cache.set_many) as set_many:
        sharedcache.invalidate_many("t", [1, 2])
        sharedcache.invalidate("t", 1)
    assert set_many.call_count == 2
    assert sharedcache.get_or_compute("t", 1, lambda: "new", 60) == "new"
    assert sharedcache.get_or_compute("t", 2, lambda: "new", 60) == "new"


# --- sessions with cached_db --------------------------------------------------------------------

def test_logout_ends_the_session_in_every_process(shared_cache, verified_client, school):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(DASHBOARD).status_code == 200
    cookie = verified_client.cookies["sessionid"].value
    verified_client.post(reverse("logout"))
    verified_client.cookies["sessionid"] = cookie  # the old cookie, replayed
    response = verified_client.get(DASHBOARD)
    assert response.status_code == 302


def test_password_change_ends_other_sessions(shared_cache, verified_client, school):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(DASHBOARD).status_code == 200
    user.set_password("een-heel-nieuw-wachtwoord-123")
    user.save()
    assert verified_client.get(DASHBOARD).status_code == 302


def test_cached_session_ends_with_its_database_row(shared_cache, verified_client, school,
                                                  settings):
    """The cache keeps a session only as long as its idle timeout, like the row's expiry."""
    from django.contrib.sessions.models import Session

    settings.SESSION_COOKIE_AGE = 1800
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(DASHBOARD).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    real_time = __import__("time").time
    with mock.patch("time.time", return_value=real_time() + 31 * 60):
        assert verified_client.get(DASHBOARD).status_code == 302


def test_session_is_read_from_the_cache(shared_cache, verified_client, school):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    verified_client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as ctx:
        assert verified_client.get(DASHBOARD).status_code == 200
    assert _queries_on(ctx, "django_session") == 0


def test_step_up_and_sliding_refresh_are_kept(shared_cache, verified_client, school):
    """Both write the session: the next request (from the cache) sees the write."""
    from django.contrib.sessions.models import Session

    from core.stepup import SESSION_KEY

    user = staff(Role.IB, school)
    verified_client.force_login(user, stepped_up=True)
    assert verified_client.get(DASHBOARD).status_code == 200
    assert SESSION_KEY in verified_client.session
    real_time = __import__("time").time
    with mock.patch("time.time", return_value=real_time() + 25 * 60):
        assert verified_client.get(DASHBOARD).status_code == 200
    # Saved (to the database and the cache) with a new 30 minutes.
    remaining = Session.objects.get().expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    assert verified_client.session["_refreshed"] >= int(real_time() + 25 * 60) - 1


# --- the 2FA device -----------------------------------------------------------------------------

def _verified(client, user):
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 200


def test_device_is_not_read_on_every_request(shared_cache, verified_client, school):
    _verified(verified_client, staff(Role.IB, school))
    with CaptureQueriesContext(connection) as ctx:
        assert verified_client.get(DASHBOARD).status_code == 200
    assert _queries_on(ctx, "otp_totp_totpdevice") == 0


def test_deleted_device_ends_verification_at_the_next_request(shared_cache, verified_client,
                                                               school):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = staff(Role.IB, school)
    _verified(verified_client, user)
    TOTPDevice.objects.filter(user=user).delete()  # a bulk delete, as "disable 2FA" does
    response = verified_client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == reverse("two_factor:setup")


def test_unconfirmed_device_ends_verification_at_the_next_request(shared_cache, verified_client,
                                                                  school):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = staff(Role.IB, school)
    _verified(verified_client, user)
    device = TOTPDevice.objects.get(user=user)
    device.confirmed = False
    device.save()
    response = verified_client.get(DASHBOARD)
    assert response.status_code == 302


def test_device_of_another_user_does_not_verify(shared_cache, verified_client, school):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, other = staff(Role.IB, school), staff(Role.IB, school)
    _verified(verified_client, user)
    theirs = TOTPDevice.objects.create(user=other, name="default", confirmed=True)
    session = verified_client.session
    session["otp_device_id"] = theirs.persistent_id
    session.save()
    assert verified_client.get(DASHBOARD).status_code == 302


def test_cached_device_loads_in_full_when_used(shared_cache, verified_client, school, rf):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.middleware import CachedOTPMiddleware

    user = staff(Role.IB, school)
    _verified(verified_client, user)
    device = TOTPDevice.objects.get(user=user)
    request = rf.get("/")
    request.user = user
    request.session = {"otp_device_id": device.persistent_id}
    CachedOTPMiddleware(lambda r: None)(request)
    assert request.user.is_verified()
    assert isinstance(request.user.otp_device, TOTPDevice)
    assert request.user.otp_device.key == device.key


# --- roles --------------------------------------------------------------------------------------

def _fresh(user):
    """The user as the next request (in any process) loads it."""
    return type(user).objects.get(pk=user.pk)


def test_roles_are_read_from_the_cache(shared_cache, role_groups, verified_client, school):
    _verified(verified_client, staff(Role.LEERKRACHT, school))
    with CaptureQueriesContext(connection) as ctx:
        assert verified_client.get(DASHBOARD).status_code == 200
    assert _queries_on(ctx, "schools_membership") == 0


def test_removed_role_stops_working_at_the_next_request(shared_cache, role_groups,
                                                        verified_client, school):
    user = staff(Role.LEERKRACHT, school)
    _verified(verified_client, user)
    assert verified_client.get(SIGNAL_CREATE).status_code == 200
    Membership.objects.get(user=user).delete()
    assert verified_client.get(SIGNAL_CREATE).status_code == 403


def test_ended_role_stops_working_at_the_next_request(shared_cache, role_groups,
                                                      verified_client, school):
    user = staff(Role.LEERKRACHT, school)
    _verified(verified_client, user)
    assert verified_client.get(SIGNAL_CREATE).status_code == 200
    membership = Membership.objects.get(user=user)
    membership.starts_on = timezone.localdate() - timedelta(days=30)
    membership.ends_on = timezone.localdate() - timedelta(days=1)
    membership.save()
    assert verified_client.get(SIGNAL_CREATE).status_code == 403


def test_role_ended_by_a_bulk_update_stops_working(shared_cache, role_groups, verified_client,
                                                   school):
    user = staff(Role.LEERKRACHT, school)
    _verified(verified_client, user)
    assert verified_client.get(SIGNAL_CREATE).status_code == 200
    Membership.objects.filter(user=user).update(
        starts_on=timezone.localdate() - timedelta(days=30),
        ends_on=timezone.localdate() - timedelta(days=1))
    assert verified_client.get(SIGNAL_CREATE).status_code == 403


def test_role_given_by_a_bulk_create_works_at_once(shared_cache, role_groups, school):
    from tests.factories import UserFactory

    user = UserFactory()
    assert active_roles(_fresh(user)) == []
    Membership.objects.bulk_create([Membership(user=user, board=school.board, school=school,
                                               role=Role.IB)])
    assert [r.role for r in active_roles(_fresh(user))] == [Role.IB]


def test_role_ending_today_is_not_served_tomorrow(shared_cache, school):
    user = staff(Role.IB, school)
    today = timezone.localdate()
    Membership.objects.filter(user=user).update(starts_on=today - timedelta(days=10),
                                                ends_on=today)
    assert [r.role for r in active_roles(_fresh(user))] == [Role.IB]
    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=1)):
        assert active_roles(_fresh(user)) == []


def test_deleting_the_school_ends_its_roles(shared_cache, school, other_school):
    user = staff(Role.IB, school)
    Membership.objects.create(user=user, board=other_school.board, school=other_school,
                              role=Role.IB)
    assert len(active_roles(_fresh(user))) == 2
    other_school.delete()
    assert [r.school_id for r in active_roles(_fresh(user))] == [school.pk]


def test_deactivated_user_has_no_roles(shared_cache, school):
    user = staff(Role.IB, school)
    assert active_roles(_fresh(user))
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert active_roles(_fresh(user)) == []


# --- one round trip ------------------------------------------------------------------------------

def test_signed_in_request_reads_the_cache_twice(shared_cache, role_groups, verified_client,
                                                 school):
    """The session, then the user's roles, device, unread count and the role permissions in
    one ``get_many`` (``sharedcache.prefetch_for_user``)."""
    from django.core.cache import caches

    from notifications.models import Notification

    user = staff(Role.IB, school)
    Notification.objects.create(user=user, kind="nieuw_signaal", url="/")
    _verified(verified_client, user)
    backend = caches["default"]
    reads, depth = [], [0]

    def counted(method):
        def read(*args, **kwargs):
            if not depth[0]:  # the memory cache's get_many calls get: count round trips
                reads.append((method.__name__, args[0]))
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1
        return read

    with mock.patch.object(backend, "get", counted(backend.get)), \
            mock.patch.object(backend, "get_many", counted(backend.get_many)):
        response = verified_client.get(SIGNAL_CREATE)
    assert response.status_code == 200
    assert b"notif-count" in response.content
    assert [name for name, _key in reads] == ["get", "get_many"], reads

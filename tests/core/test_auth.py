"""Login with two factors, lockout, session expiry, password reset, the admin site."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools.roles import Role
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db
PASSWORD = "meldcode-test-wachtwoord"


def _login_step(client, username, password=PASSWORD):
    return client.post(reverse("two_factor:login"), {
        "login_view-current_step": "auth", "auth-username": username, "auth-password": password})


def _token_step(client, token):
    return client.post(reverse("two_factor:login"), {
        "login_view-current_step": "token", "token-otp_token": token})


def _device(user):
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def test_login_page_is_dutch(client):
    response = client.get(reverse("two_factor:login"))
    assert response.status_code == 200
    assert "Inloggen" in response.content.decode()
    assert 'lang="nl"' in response.content.decode()


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor:login"))


def test_login_with_password_and_totp_reaches_dashboard(client, school):
    user = staff(Role.IB, school)
    device = _device(user)
    response = _login_step(client, user.username)
    assert response.status_code == 200 and SESSION_KEY not in client.session
    response = _token_step(client, str(totp(device.bin_key)).zfill(6))
    assert response.status_code == 302
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert response.context["user"].is_verified()


def test_wrong_totp_code_does_not_log_in(client, school):
    user = staff(Role.IB, school)
    _device(user)
    _login_step(client, user.username)
    response = _token_step(client, "000000")
    assert SESSION_KEY not in client.session
    assert response.status_code == 200


def test_recovery_code_logs_in_once(client, school):
    user = staff(Role.VC, school)
    _device(user)
    static = StaticDevice.objects.create(user=user, name="backup")
    StaticToken.objects.create(device=static, token="abcd1234")
    _login_step(client, user.username)
    client.post(reverse("two_factor:login"), {"login_view-current_step": "token",
                                              "wizard_goto_step": "backup"})
    response = client.post(reverse("two_factor:login"), {
        "login_view-current_step": "backup", "backup-otp_token": "abcd1234"})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(token="abcd1234").exists()  # used up


def test_user_without_device_must_set_up_two_factor(client, school):
    user = staff(Role.LEERKRACHT, school)
    response = _login_step(client, user.username)
    assert response.status_code == 302  # password ok, no device yet: logged in unverified
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("two_factor:setup")
    # Case pages are out of reach too, not just the dashboard.
    response = client.get(reverse("schools:people"))
    assert response.url == reverse("two_factor:setup")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_needs_two_factor(client, school, role):
    if role in Role.board_level():
        user = staff(role, board=school.board)
    else:
        user = staff(role, school)
    client.force_login(user)
    assert client.get(reverse("core:dashboard")).url == reverse("two_factor:setup")


def test_lockout_after_repeated_failures(client, school):
    user = staff(Role.IB, school)
    _device(user)
    for _ in range(5):
        _login_step(client, user.username, "fout-wachtwoord")
    response = _login_step(client, user.username)  # even the right password is refused now
    assert response.status_code == 429
    assert "geblokkeerd" in response.content.decode()


@override_settings(SESSION_COOKIE_AGE=1800)
def test_session_ends_after_inactivity(verified_client, school):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.utils import timezone

    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(reverse("core:dashboard")).status_code == 200
    session = Session.objects.get()
    assert session.expire_date - timezone.now() <= timedelta(minutes=30)
    # Thirty-one minutes of inactivity later the session is gone (and, with cached_db
    # sessions, its cache entry too: see tests/core/test_shared_cache.py).
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    cache.clear()
    response = verified_client.get(reverse("core:dashboard"))
    assert response.status_code == 302


def test_session_idle_time_is_configurable(settings):
    from django.conf import settings as dj

    assert dj.SESSION_COOKIE_AGE == dj.SESSION_IDLE_MINUTES * 60
    # The sliding window is kept by SlidingSessionMiddleware, at most one save a minute.
    assert dj.SESSION_SAVE_EVERY_REQUEST is False
    assert "core.middleware.SlidingSessionMiddleware" in dj.MIDDLEWARE
    assert dj.MIDDLEWARE.index("core.middleware.SlidingSessionMiddleware") == \
        dj.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]


@override_settings(SESSION_COOKIE_AGE=1800)
def test_session_is_not_written_on_every_request(verified_client, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = staff(Role.IB, school)
    verified_client.force_login(user)
    # The login saved the session and counts as its refresh: no request writes it again
    # within the minute, the first one included.
    for _ in range(4):
        with CaptureQueriesContext(connection) as later:
            assert verified_client.get(reverse("core:dashboard")).status_code == 200
        assert _session_writes(later.captured_queries) == []


@override_settings(SESSION_COOKIE_AGE=1800)
def test_activity_moves_the_idle_timeout_once_a_minute(verified_client, school):
    from datetime import timedelta
    from unittest import mock

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(reverse("core:dashboard")).status_code == 200
    # 25 minutes without a request: the session is still there, five minutes to go.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    real_time = __import__("time").time
    with mock.patch("time.time", return_value=real_time() + 25 * 60):
        assert verified_client.get(reverse("core:dashboard")).status_code == 200
    # That request was more than a minute after the last save: the 30 minutes start again.
    remaining = Session.objects.get().expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    # A request within the minute does not move it.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=20))
    with mock.patch("time.time", return_value=real_time() + 25 * 60 + 30):
        assert verified_client.get(reverse("core:dashboard")).status_code == 200
    remaining = Session.objects.get().expire_date - timezone.now()
    assert remaining <= timedelta(minutes=20)


def test_password_reset_mail_is_queued_and_has_no_case_content(client, school,
                                                               django_capture_on_commit_callbacks):
    user = staff(Role.IB, school, email="ib@school.invalid")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "ib@school.invalid"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ib@school.invalid"]
    assert "/account/wachtwoord-herstellen/" in message.body
    assert user.last_name not in message.subject


def test_password_reset_for_unknown_address_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "onbekend@school.invalid"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_password_validators_refuse_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("welkom123")


def test_logout_is_post_only(verified_client, school):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert verified_client.get(reverse("logout")).status_code == 405
    assert verified_client.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in verified_client.session


def test_admin_is_at_a_non_default_path_for_verified_superusers_only(verified_client, school):
    from django.conf import settings as dj
    from django.test import Client

    client = Client()

    assert dj.ADMIN_URL != "admin/"
    admin_index = "/" + dj.ADMIN_URL
    assert client.get("/admin/").status_code == 404
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)  # password only, no second factor
    assert client.get(admin_index).status_code == 302
    staff_user = staff(Role.DIRECTEUR, school, is_staff=True)
    verified_client.force_login(staff_user)
    response = verified_client.get(admin_index)
    assert response.status_code == 302  # staff, but not a superuser
    verified_client.force_login(superuser)
    assert verified_client.get(admin_index).status_code == 200


def test_security_headers(verified_client, school):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    response = verified_client.get(reverse("core:dashboard"))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_demo_banner_only_in_demo_mode(verified_client, school, settings):
    user = staff(Role.IB, school)
    verified_client.force_login(user)
    assert "Demonstratieomgeving" not in verified_client.get(reverse("core:dashboard")).content.decode()
    settings.DEMO_MODE = True
    assert "Demonstratieomgeving" in verified_client.get(reverse("core:dashboard")).content.decode()


def test_demo_mode_skips_two_factor(client, school, settings):
    settings.DEMO_MODE = True
    user = staff(Role.IB, school)
    client.force_login(user)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_health_endpoint(client):
    response = client.get("/gezond/")
    assert response.status_code == 200 and response.content == b"ok"

"""Rate limits (core.ratelimit): login, password reset and exports, per address and per
account, counted in Django's cache; over the limit a calm Dutch 429 page."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from core import ratelimit
from exports import pdf as pdf_module
from exports.models import ExportJob
from schools.roles import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent
CALM = "Even geduld"


@pytest.fixture
def limits(settings):
    """``limits(scope=(n, seconds), ...)``: tighter limits for a test."""
    def set_limits(**scopes):
        settings.MELDCODE_RATELIMITS = {**settings.MELDCODE_RATELIMITS,
                                        **{k.replace("_", "-"): v for k, v in scopes.items()}}
    return set_limits


def login_post(client, username, ip, password="fout-wachtwoord", **extra):
    return client.post(reverse("two_factor:login"), {
        "login_view-current_step": "auth", "auth-username": username,
        "auth-password": password}, REMOTE_ADDR=ip, **extra)


# --- login --------------------------------------------------------------------------------------

def test_login_limited_per_address(client, limits):
    limits(login_ip=(3, 600), login_user=(100, 600))
    for n in range(3):
        assert login_post(client, f"gebruiker{n}", "10.0.0.1").status_code == 200
    response = login_post(client, "gebruiker9", "10.0.0.1")
    assert response.status_code == 429
    body = response.content.decode()
    assert CALM in body and "Probeer het over een kwartier opnieuw" in body
    assert login_post(client, "gebruiker9", "10.0.0.2").status_code == 200  # another address


def test_login_limited_per_username_across_addresses(client, limits):
    limits(login_ip=(100, 600), login_user=(3, 600))
    for n in range(3):
        assert login_post(client, "ib.a", f"10.0.1.{n}").status_code == 200
    assert login_post(client, "IB.A ", "10.0.1.9").status_code == 429  # same name, other case
    assert login_post(client, "vc.a", "10.0.1.9").status_code == 200


def test_right_password_is_refused_too_when_over_the_limit(client, school, limits):
    limits(login_ip=(2, 600))
    user = staff(Role.IB, school, username="ib.limiet")
    for _ in range(2):
        login_post(client, "iemand", "10.0.2.1")
    response = login_post(client, user.username, "10.0.2.1", password="meldcode-test-wachtwoord")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_get_of_the_login_page_is_not_counted(client, limits):
    limits(login_ip=(1, 600))
    for _ in range(5):
        assert client.get(reverse("two_factor:login"), REMOTE_ADDR="10.0.3.1").status_code == 200
    assert login_post(client, "x", "10.0.3.1").status_code == 200


def test_address_comes_from_the_proxy_header(client, limits, settings):
    limits(login_ip=(1, 600), login_user=(100, 600))
    proxy = "10.9.9.9"
    assert login_post(client, "a", proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    # Another client behind the same proxy has its own count...
    assert login_post(client, "b", proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    # ...and a spoofed first entry does not hide the address the proxy saw (the last one).
    response = login_post(client, "c", proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.1")
    assert response.status_code == 429
    settings.MELDCODE_TRUST_X_FORWARDED_FOR = False
    assert login_post(client, "d", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert login_post(client, "e", proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 429


def test_cache_keys_hold_no_address_or_name(client, limits):
    login_post(client, "geheime.naam", "192.0.2.77")
    client.post(reverse("password_reset"), {"email": "ouder@voorbeeld.invalid"},
                REMOTE_ADDR="192.0.2.77")
    keys = " ".join(str(k) for k in cache._cache.keys())  # locmem in tests
    assert "rl:login-ip:" in keys and "rl:password-reset-email:" in keys
    for secret in ("192.0.2.77", "geheime", "ouder@"):
        assert secret not in keys


# --- password reset -----------------------------------------------------------------------------

def test_password_reset_limited_per_email(client, school, limits,
                                          django_capture_on_commit_callbacks):
    limits(password_reset_email=(2, 3600), password_reset_ip=(100, 3600))
    staff(Role.IB, school, email="ib@school.invalid")
    url = reverse("password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(2):
            assert client.post(url, {"email": "ib@school.invalid"},
                               REMOTE_ADDR=f"10.1.0.{n}").status_code == 302
        response = client.post(url, {"email": "ib@school.invalid"}, REMOTE_ADDR="10.1.0.9")
    assert response.status_code == 429 and CALM in response.content.decode()
    assert len(mail.outbox) == 2  # no third mail to the mailbox being flooded


def test_password_reset_limited_per_address(client, limits):
    limits(password_reset_ip=(2, 3600), password_reset_email=(100, 3600))
    url = reverse("password_reset")
    for n in range(2):
        assert client.post(url, {"email": f"x{n}@school.invalid"},
                           REMOTE_ADDR="10.2.0.1").status_code == 302
    assert client.post(url, {"email": "y@school.invalid"}, REMOTE_ADDR="10.2.0.1").status_code == 429
    assert client.post(url, {"email": "y@school.invalid"}, REMOTE_ADDR="10.2.0.2").status_code == 302


# --- exports ------------------------------------------------------------------------------------

@pytest.fixture
def fake_pdf(monkeypatch):
    monkeypatch.setattr(pdf_module, "html_to_pdf",
                        lambda html: pdf_module.RenderedPdf(b"%PDF-1.7\n%%EOF\n", 2, ""))


def test_export_start_limited_per_user(verified_client, director, school, case, limits, fake_pdf,
                                       django_capture_on_commit_callbacks):
    limits(export_user=(2, 3600))
    url = reverse("exports:case_export", args=[case.pk])
    verified_client.force_login(director, stepped_up=True)
    for _ in range(3):  # looking at the page does not count
        assert verified_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert verified_client.post(url).status_code == 302
        response = verified_client.post(url)
    assert response.status_code == 429
    body = response.content.decode()
    assert CALM in body and "veel exports gestart" in body
    assert ExportJob.objects.count() == 2
    # Another director of the school has a count of their own.
    other = staff(Role.DIRECTEUR, school, username="directeur2")
    verified_client.force_login(other, stepped_up=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert verified_client.post(url).status_code == 302
    assert ExportJob.objects.count() == 3


def test_refused_export_attempts_do_not_count(verified_client, ib, director, case, limits,
                                              fake_pdf, django_capture_on_commit_callbacks):
    limits(export_user=(1, 3600))
    url = reverse("exports:case_export", args=[case.pk])
    verified_client.force_login(ib, stepped_up=True)
    for _ in range(3):
        assert verified_client.post(url).status_code == 403  # permission first, no count
    verified_client.force_login(director)
    for _ in range(3):
        assert verified_client.post(url).status_code == 302  # to the step-up page, no count
    verified_client.step_up()
    with django_capture_on_commit_callbacks(execute=True):
        assert verified_client.post(url).status_code == 302
    assert ExportJob.objects.count() == 1


def test_limit_window_resets(limits, settings):
    limits(export_user=(1, 3600))
    assert not ratelimit.exceeded("export-user", "7")
    assert ratelimit.exceeded("export-user", "7")
    ratelimit.reset("export-user", "7")
    assert not ratelimit.exceeded("export-user", "7")


# --- the cache ----------------------------------------------------------------------------------

def _settings_in_subprocess(extra_env):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_CACHE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "meldcode.settings.test", **extra_env})
    code = ("import django; django.setup(); from django.conf import settings; "
            "c = settings.CACHES['default']; print(c['BACKEND']); print(c.get('LOCATION'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_cache_is_redis_when_configured_and_memory_otherwise():
    backend, location = _settings_in_subprocess(
        {"REDIS_CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert backend == "core.cache.RedisCache"  # Django's, with one Redis client per process
    assert location == "redis://127.0.0.1:6379/1"
    backend, _ = _settings_in_subprocess({})
    assert backend == "django.core.cache.backends.locmem.LocMemCache"


def test_counting_works_on_redis(settings):
    """The production backend counts across processes: two cache connections, one count."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from django.core.cache import caches

    prefix = f"meldcode-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/1",
                                   "KEY_PREFIX": prefix}}
    settings.MELDCODE_RATELIMITS = {**settings.MELDCODE_RATELIMITS, "export-user": (2, 60)}
    try:
        assert not ratelimit.exceeded("export-user", "42")
        assert not ratelimit.exceeded("export-user", "42")
        assert ratelimit.exceeded("export-user", "42")
        client = redis.Redis(host="127.0.0.1", port=6379, db=1)
        keys = client.keys(f"{prefix}:*")
        assert len(keys) == 1 and int(client.get(keys[0])) == 3
        assert 0 < client.ttl(keys[0]) <= 60
    finally:
        ratelimit.reset("export-user", "42")
        caches["default"].close()

import os

import pytest
from django.test import Client

from schools.roles import Role

from .factories import SchoolFactory, staff

# Sync Playwright runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["fragments"].clear()  # ids repeat across rolled-back tests; fragments must not
    yield
    cache.clear()
    caches["fragments"].clear()


def step_up(client) -> None:
    """Give a signed-in client a fresh step-up (2FA re-entry) timestamp (``core.stepup``)."""
    from django.utils import timezone

    from core.stepup import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()


@pytest.fixture(autouse=True)
def _role_permissions_cache():
    """Role permissions are cached across requests; a rolled-back test must not leave its own."""
    from schools.access import clear_role_permissions_cache

    clear_role_permissions_cache()
    yield
    clear_role_permissions_cache()


@pytest.fixture
def school(db):
    return SchoolFactory()


@pytest.fixture
def other_school(db):
    """A school of another board: nothing of it may ever show up for our users."""
    return SchoolFactory()


@pytest.fixture
def teacher(school):
    return staff(Role.LEERKRACHT, school, username="leerkracht")


@pytest.fixture
def ib(school):
    return staff(Role.IB, school, username="ib")


@pytest.fixture
def vc(school):
    return staff(Role.VC, school, username="vc")


@pytest.fixture
def director(school):
    return staff(Role.DIRECTEUR, school, username="directeur")


@pytest.fixture
def sot_member(school):
    return staff(Role.SOT, school, username="sot")


@pytest.fixture
def beheerder(school):
    return staff(Role.BEHEERDER, board=school.board, username="beheerder")


@pytest.fixture
def colleague(school):
    """Another teacher at the same school: sees nothing of the teacher's signals."""
    return staff(Role.LEERKRACHT, school, username="collega")


@pytest.fixture
def bestuur(school):
    return staff(Role.BESTUUR, board=school.board, username="bestuurder",
                 first_name="Anna", last_name="Aalders")


def login_verified(client, user, backend="core.auth.ModelBackend"):
    """Log ``user`` in on ``client`` as after a real two-factor login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    Client.force_login(client, user, backend=backend)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def verified_client(client):
    """A test client whose logins count as two-factor verified."""

    def force_login(user, backend="core.auth.ModelBackend", *,
                    stepped_up=False):
        login_verified(client, user, backend)
        if stepped_up:
            step_up(client)

    client.force_login = force_login
    client.step_up = lambda: step_up(client)
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture
def csrf_client():
    """``csrf_client(user)``: a two-factor-verified client that checks CSRF tokens, as a
    browser meets them (for forms whose token is filled into a cached page)."""
    return lambda user: login_verified(Client(enforce_csrf_checks=True), user)


@pytest.fixture
def fragment_cache_on(settings):
    settings.MELDCODE_FRAGMENT_CACHE = True


@pytest.fixture
def fragment_builds(monkeypatch):
    """How often each fragment (by name) was built, a miss, rather than served from the
    fragment cache (``core.fragments.cached``)."""
    from core import fragments

    counts: dict[str, int] = {}
    original = fragments.cached

    def counting(name, scope, build):
        def counted():
            counts[name] = counts.get(name, 0) + 1
            return build()
        return original(name, scope, counted)

    monkeypatch.setattr(fragments, "cached", counting)
    return counts

"""The site header (``{% site_header %}``) served from the fragment cache: the same HTML as a
fresh render, a logout form whose CSRF token works, and every change it shows at once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from schools.models import Membership
from schools.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(fragment_cache_on):
    pass


def _header(client, url) -> str:
    body = client.get(url).content.decode()
    return body[body.index('<header class="site-header">'):body.index("</header>")]


def test_the_header_comes_from_the_cache_and_its_logout_form_works(ib, fragment_builds,
                                                                   csrf_client):
    client = csrf_client(ib)
    url = reverse("core:dashboard")
    first, second = _header(client, url), _header(client, url)
    assert fragment_builds["site-header"] == 1
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", first) == csrf.sub("", second) and "meldcode-slot-" not in second
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second).group(1)
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(url).status_code == 302  # logged out


def test_the_current_page_is_marked_per_view(ib, csrf_client):
    client = csrf_client(ib)
    dashboard = _header(client, reverse("core:dashboard"))
    cases = _header(client, reverse("cases:list"))
    assert re.search(r'href="/"\s+aria-current="page"', dashboard)
    assert re.search(r'href="/dossiers/"\s+aria-current="page"', cases)
    assert not re.search(r'href="/dossiers/"\s+aria-current="page"', dashboard)


def test_a_new_notification_and_a_lost_role_show_at_once(ib, school, csrf_client):
    client = csrf_client(ib)
    url = reverse("core:dashboard")
    assert "notif-count" not in _header(client, url)
    Notification.objects.create(user=ib, kind="nieuw_signaal", school=school, url="/")
    assert '<span class="notif-count">1</span>' in _header(client, url)
    assert "Nieuwe signalen" in _header(client, url)
    Membership.objects.filter(user=ib, role=Role.IB).delete()
    assert "Nieuwe signalen" not in _header(client, url)


def test_two_users_never_share_a_header(ib, vc, csrf_client):
    assert ib.get_full_name() in _header(csrf_client(ib), reverse("core:dashboard"))
    header = _header(csrf_client(vc), reverse("core:dashboard"))
    assert vc.get_full_name() in header and ib.get_full_name() not in header

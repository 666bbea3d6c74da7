import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.context_processors import unread_notifications
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")


def _note(user, *, kind=Kind.NEW_SIGNAL, url="/signalen/7/", read=False):
    return Notification.objects.create(user=user, kind=kind, url=url, object_type="signals.signal",
                                       object_id=7, read_at=timezone.now() if read else None)


def test_anonymous_is_sent_to_login(client):
    assert client.get(LIST).status_code == 302


def test_list_shows_own_notifications_only(verified_client, teacher, ib):
    _note(ib, kind=Kind.ACUTE)
    _note(teacher, kind=Kind.NEW_SIGNAL)
    verified_client.force_login(ib)

    html = verified_client.get(LIST).content.decode()

    assert "Er is een melding van acuut gevaar vastgelegd." in html
    assert "Er staat een nieuw signaal voor u klaar." not in html
    assert "Alles als gelezen markeren" in html


def test_empty_list(verified_client, beheerder):
    verified_client.force_login(beheerder)
    html = verified_client.get(LIST).content.decode()
    assert "U heeft geen meldingen." in html
    assert "Alles als gelezen markeren" not in html


def test_open_marks_read_and_follows_the_link(verified_client, ib):
    note = _note(ib)
    verified_client.force_login(ib)
    response = verified_client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == "/signalen/7/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_read_without_opening_returns_to_list(verified_client, ib):
    note = _note(ib)
    verified_client.force_login(ib)
    response = verified_client.post(reverse("notifications:read", args=[note.pk]))
    assert response.url == LIST
    note.refresh_from_db()
    assert note.read_at is not None


def test_never_redirects_off_site(verified_client, ib):
    note = _note(ib, url="//evil.example/x")
    verified_client.force_login(ib)
    response = verified_client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})
    assert response.url == LIST


def test_others_notifications_are_404(verified_client, teacher, ib):
    note = _note(teacher)
    verified_client.force_login(ib)
    assert verified_client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_marking_needs_post(verified_client, ib):
    note = _note(ib)
    verified_client.force_login(ib)
    assert verified_client.get(reverse("notifications:read", args=[note.pk])).status_code == 405
    assert verified_client.get(reverse("notifications:read_all")).status_code == 405


def test_mark_all_read_touches_only_own(verified_client, teacher, ib):
    mine = [_note(ib), _note(ib, kind=Kind.ACUTE)]
    theirs = _note(teacher)
    verified_client.force_login(ib)
    response = verified_client.post(reverse("notifications:read_all"))
    assert response.url == LIST
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("n", [1, 25])
def test_list_query_count(verified_client, ib, n, bell, django_assert_max_num_queries):
    for _ in range(n):
        _note(ib)
    verified_client.force_login(ib)
    with django_assert_max_num_queries(12):
        response = verified_client.get(LIST)
    assert response.content.decode().count("Er staat een nieuw signaal voor u klaar.") == n


def test_bell_shows_unread_count(verified_client, ib, bell):
    _note(ib)
    _note(ib)
    _note(ib, read=True)
    verified_client.force_login(ib)
    html = verified_client.get(reverse("core:dashboard")).content.decode()
    assert '<span class="notif-count">2</span>' in html
    assert reverse("notifications:list") in html


def test_bell_without_unread_shows_no_count(verified_client, ib, bell):
    verified_client.force_login(ib)
    html = verified_client.get(reverse("core:dashboard")).content.decode()
    assert "notif-count" not in html


def test_context_processor_costs_nothing_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as ctx:
        context = unread_notifications(request)
    assert context["notifications_unread"] == 0
    assert len(ctx) == 0


def test_context_processor_costs_one_query_once(ib):
    _note(ib)
    request = RequestFactory().get("/")
    request.user = ib
    with CaptureQueriesContext(connection) as ctx:
        context = unread_notifications(request)
        assert len(ctx) == 0  # lazy: nothing until a template asks
        count = context["notifications_unread"]
        assert count() == 1 and count() == 1
    assert len(ctx) == 1

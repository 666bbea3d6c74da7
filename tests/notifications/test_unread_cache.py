"""The bell's unread count, kept in the shared cache across requests: every way notifications
are created, read or deleted ends it (``notifications.models.invalidate_unread``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
DASHBOARD = reverse("core:dashboard")


@pytest.fixture
def shared_cache(settings, bell):
    settings.MELDCODE_SHARED_CACHE = True


@pytest.fixture
def signed_in(shared_cache, verified_client, teacher):
    verified_client.force_login(teacher)
    return verified_client


def _note(user, **kwargs):
    return Notification(user=user, kind=Kind.NEW_SIGNAL, url="/signalen/7/",
                        object_type="signals.signal", object_id=7, **kwargs)


def _bell(client) -> int:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.context["notifications_unread"]()


def test_count_is_cached_across_requests(signed_in, teacher):
    _note(teacher).save()
    assert _bell(signed_in) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert _bell(signed_in) == 1
    assert not any('"notifications_notification"' in q["sql"] for q in ctx.captured_queries)


def test_created_one_by_one_or_in_bulk(signed_in, teacher, ib):
    from notifications.services import notify

    assert _bell(signed_in) == 0
    _note(teacher).save()
    assert _bell(signed_in) == 1
    Notification.objects.bulk_create([_note(teacher), _note(teacher)])
    assert _bell(signed_in) == 3
    notify(users=[teacher, ib], kind=Kind.ACUTE, url="/", email=False)
    assert _bell(signed_in) == 4


def test_read_one_or_all(signed_in, teacher):
    one, _two, _three = Notification.objects.bulk_create([_note(teacher) for _ in range(3)])
    assert _bell(signed_in) == 3
    signed_in.post(reverse("notifications:read", args=[one.pk]))
    assert _bell(signed_in) == 2
    signed_in.post(reverse("notifications:read_all"))
    assert _bell(signed_in) == 0


def test_marked_unread_again_by_update(signed_in, teacher):
    Notification.objects.bulk_create([_note(teacher, read_at=timezone.now())])
    assert _bell(signed_in) == 0
    Notification.objects.filter(user=teacher).update(read_at=None)
    assert _bell(signed_in) == 1


def test_deleted_in_every_way(signed_in, teacher):
    Notification.objects.bulk_create([_note(teacher) for _ in range(4)])
    assert _bell(signed_in) == 4
    Notification.objects.filter(user=teacher).first().delete()
    assert _bell(signed_in) == 3
    Notification.objects.filter(pk=Notification.objects.first().pk).delete()
    assert _bell(signed_in) == 2
    # Retention's purge deletes raw (no signals).
    qs = Notification.objects.filter(pk=Notification.objects.first().pk)
    qs._raw_delete(qs.db)
    assert _bell(signed_in) == 1
    # A cascade: a deleted school's notifications go with it.
    from tests.factories import SchoolFactory

    closed = SchoolFactory()
    Notification.objects.update(school=closed)
    closed.delete()
    assert _bell(signed_in) == 0


def test_other_users_writes_leave_the_count_alone(signed_in, teacher, ib):
    _note(teacher).save()
    assert _bell(signed_in) == 1
    Notification.objects.bulk_create([_note(ib)])
    with CaptureQueriesContext(connection) as ctx:
        assert _bell(signed_in) == 1
    assert not any('"notifications_notification"' in q["sql"] for q in ctx.captured_queries)

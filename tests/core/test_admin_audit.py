"""The admin site (technical administration): no case data in it, and every change audited
in Django's LogEntry, bulk actions included."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.urls import reverse

from schools.models import Board
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Apps whose models hold case data (signals, dossiers, records, exports, reminders about cases).
CASE_DATA_APPS = ["signals", "cases", "afwegingskader", "specialroutes", "exports",
                  "notifications", "reminders"]


@pytest.fixture
def admin_client(verified_client):
    superuser = UserFactory(is_superuser=True, is_staff=True, username="systeembeheer")
    verified_client.force_login(superuser)
    verified_client.user = superuser
    return verified_client


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def test_no_case_data_model_is_in_the_admin():
    registered = {model._meta.app_label for model in admin.site._registry}
    assert not registered & set(CASE_DATA_APPS), registered & set(CASE_DATA_APPS)
    # The apps do have models; they are simply not there.
    for label in CASE_DATA_APPS:
        assert list(apps.get_app_config(label).get_models())


@pytest.mark.parametrize("path", ["cases/case/", "signals/signal/", "signals/signalversion/",
                                  "cases/accesslog/", "exports/exportjob/"])
def test_case_data_admin_urls_do_not_exist(admin_client, path):
    assert admin_client.get(f"/{settings.ADMIN_URL}{path}").status_code == 404


def test_add_change_and_delete_are_logged(admin_client):
    response = admin_client.post(admin_url("schools_board_add"), {
        "name": "Stichting Proef", "meldcode_version": "Meldcode 2019"})
    assert response.status_code == 302
    board = Board.objects.get(name="Stichting Proef")
    response = admin_client.post(admin_url("schools_board_change", board.pk), {
        "name": "Stichting Proef en Co", "meldcode_version": "Meldcode 2019"})
    assert response.status_code == 302
    response = admin_client.post(admin_url("schools_board_delete", board.pk), {"post": "yes"})
    assert response.status_code == 302
    entries = list(LogEntry.objects.filter(object_id=str(board.pk)).order_by("action_time",
                                                                            "pk"))
    assert [e.action_flag for e in entries] == [ADDITION, CHANGE, DELETION]
    assert {e.user for e in entries} == {admin_client.user}
    assert all(e.content_type.model_class() is Board for e in entries)


def test_bulk_delete_is_logged_per_object(admin_client):
    boards = [Board.objects.create(name=f"Bestuur {n}") for n in range(3)]
    response = admin_client.post(admin_url("schools_board_changelist"), {
        "action": "delete_selected", "_selected_action": [b.pk for b in boards],
        "post": "yes"})
    assert response.status_code == 302
    assert not Board.objects.filter(pk__in=[b.pk for b in boards]).exists()
    logged = set(LogEntry.objects.filter(action_flag=DELETION).values_list("object_id",
                                                                            flat=True))
    assert logged == {str(b.pk) for b in boards}


def test_other_bulk_actions_are_logged_too(admin_client):
    """django-celery-beat's actions update rows with a queryset, bypassing LogEntry."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    tasks = [PeriodicTask.objects.create(name=f"taak {n}", task="core.tasks.x", interval=every)
             for n in range(2)]
    response = admin_client.post(admin_url("django_celery_beat_periodictask_changelist"), {
        "action": "disable_tasks", "_selected_action": [t.pk for t in tasks]})
    assert response.status_code == 302
    assert not PeriodicTask.objects.filter(enabled=True, name__startswith="taak").exists()
    entries = LogEntry.objects.filter(action_flag=CHANGE,
                                      change_message__contains="disable_tasks")
    assert {e.object_id for e in entries} == {str(t.pk) for t in tasks}
    assert {e.user for e in entries} == {admin_client.user}


def test_refused_admin_requests_log_nothing(verified_client, school):
    """A signed-in non-superuser posting an action is sent away and nothing is logged."""
    from tests.factories import staff
    from schools.roles import Role

    board = Board.objects.create(name="Blijft")
    verified_client.force_login(staff(Role.DIRECTEUR, school, is_staff=True))
    response = verified_client.post(admin_url("schools_board_changelist"), {
        "action": "delete_selected", "_selected_action": [board.pk], "post": "yes"})
    assert response.status_code == 302
    assert Board.objects.filter(pk=board.pk).exists()
    assert not LogEntry.objects.exists()


def test_security_events_are_read_only_in_the_admin(admin_client, school):
    from core.models import SecurityEvent, SecurityEventKind

    event = SecurityEvent.objects.create(user=admin_client.user,
                                         kind=SecurityEventKind.STEPUP_FAILED, target="/x/")
    assert admin_client.get(admin_url("core_securityevent_changelist")).status_code == 200
    assert admin_client.get(admin_url("core_securityevent_add")).status_code == 403
    assert admin_client.post(admin_url("core_securityevent_delete", event.pk),
                             {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()

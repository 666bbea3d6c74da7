"""Real worker processes against Redis and PostgreSQL: each reminder is delivered once when two
workers scan at the same moment, and when a worker is killed mid-batch and another takes over.

Runs when CELERY_BROKER_URL is a Redis URL and the database is PostgreSQL (CI); SKIP LOCKED
and concurrent writers need a real database server. The send step is slowed down through
MELDCODE_REMINDER_TEST_SEND_DELAY (seconds per reminder, read only by reminders.services) so
that the scans overlap and the kill lands inside a batch.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from cases.models import Case
from meldcode.celery import app as celery_app
from notifications.models import Notification
from reminders.models import Reminder
from reminders.tasks import scan_due_reminders
from schools.roles import Role
from tests.factories import staff

from .conftest import open_case

BROKER = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BROKER.startswith("redis://"), reason="needs a Redis broker"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("reminder-workers"),
]
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED)")


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Start and stop worker processes on one private queue."""

    def __init__(self, tmp_path: Path, queue: str):
        self.tmp_path, self.queue = tmp_path, queue
        self.outbox = tmp_path / "mail"
        self.outbox.mkdir()
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *, batch: int, delay: float) -> subprocess.Popen:
        log = self.tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
            "MELDCODE_TEST_QUEUE": self.queue,
            "DJANGO_SECRET_KEY": "integration-test-secret",
            "DATABASE_URL": _database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": BROKER,
            "EMAIL_URL": f"filemail:///{self.outbox}",  # django-environ drops one leading slash
            "MELDCODE_REMINDER_BATCH_SIZE": str(batch),
            "MELDCODE_REMINDER_TEST_SEND_DELAY": str(delay),
        }
        env.pop("MELDCODE_DEMO", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "meldcode", "worker", "-Q", self.queue,
             "-n", f"{name}-{self.queue}@%h", "--concurrency=1", "--pool=solo",
             "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def wait_ready(self, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        for proc, log in self.procs:
            while " ready." not in log.read_text():
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "worker did not start"
                time.sleep(0.1)

    def logs(self) -> str:
        return "\n".join(log.read_text() for _p, log in self.procs)

    def stop(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc, _log in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(tmp_path):
    queue = f"test-rem-{uuid.uuid4().hex[:8]}"
    pool = Workers(tmp_path, queue)
    old_eager, old_routes = celery_app.conf.task_always_eager, celery_app.conf.task_routes
    celery_app.conf.update(task_always_eager=False, task_routes={"*": {"queue": queue}})
    try:
        yield pool
    finally:
        celery_app.conf.update(task_always_eager=old_eager, task_routes=old_routes)
        pool.stop()
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def _due_cases(school, n: int) -> int:
    """``n`` cases three terms overdue: owner, VC and directeur each get one reminder."""
    ib = staff(Role.IB, school)
    staff(Role.VC, school)
    staff(Role.DIRECTEUR, school)
    cases = [open_case(school, ib) for _ in range(n)]
    # Test setup only: move the step start into the past instead of waiting 43 days.
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        step_entered_at=timezone.now() - datetime.timedelta(days=50))
    return 3 * n


def _wait(condition, timeout: float, what: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{workers.logs()[-4000:]}")


def _sent() -> int:
    return Reminder.objects.filter(sent_at__isnull=False).count()


def _assert_each_reminder_once(expected: int) -> None:
    assert Reminder.objects.count() == expected
    assert _sent() == expected
    assert Notification.objects.count() == expected
    dupes = (Notification.objects.values("user_id", "kind", "object_id")
             .annotate(n=Count("id")).filter(n__gt=1))
    assert not dupes.exists(), list(dupes)


def test_two_workers_scanning_at_once_send_each_reminder_once(workers, school):
    expected = _due_cases(school, 20)
    workers.start("w1", batch=6, delay=0.05)
    workers.start("w2", batch=6, delay=0.05)
    workers.wait_ready()

    scan_due_reminders.delay()
    scan_due_reminders.delay()
    _wait(lambda: _sent() == expected and workers.logs().count("reminders: scan") >= 2,
          60, "both scans", workers)

    _assert_each_reminder_once(expected)
    # both workers delivered part of the reminders: the scans really overlapped
    sent_per_scan = [int(line.split("'sent': ")[1].split(",")[0])
                     for line in workers.logs().splitlines() if "reminders: scan" in line]
    assert sum(sent_per_scan) == expected, sent_per_scan
    print("sent per scan:", sent_per_scan)
    # A mail file exists as soon as the backend opens it; wait until every one is written.
    _wait(lambda: (files := list(workers.outbox.iterdir()))
          and all(f.stat().st_size > 0 for f in files), 30, "the e-mails", workers)
    time.sleep(0.5)  # the backend writes a message in more than one call
    mails = list(workers.outbox.iterdir())
    for mail in mails:
        text = mail.read_text()
        assert "geen inhoud" in text
        for case in Case.objects.select_related("pupil"):
            assert case.pupil.last_name not in text and case.number not in text


def test_worker_killed_mid_batch_and_restarted_sends_the_rest_once(workers, school):
    expected = _due_cases(school, 10)  # 30 reminders, batches of 5
    first = workers.start("w1", batch=5, delay=0.25)
    workers.wait_ready()

    scan_due_reminders.delay()
    _wait(lambda: _sent() >= 5, 45, "the first batch", workers)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    sent_before = _sent()
    assert 5 <= sent_before < expected, sent_before
    # a batch commits as a whole: the killed batch left no half-delivered rows behind
    assert sent_before % 5 == 0
    assert Notification.objects.count() == sent_before
    assert Reminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True).exists()

    workers.procs.clear()
    workers.start("w2", batch=5, delay=0.0)
    workers.wait_ready()
    scan_due_reminders.delay()
    _wait(lambda: _sent() == expected, 45, "the rest", workers)
    _assert_each_reminder_once(expected)

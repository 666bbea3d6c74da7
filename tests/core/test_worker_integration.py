"""A real Celery worker process executes a task that a web request enqueued.

Runs whenever a Redis broker is configured (always in CI); the fast suite runs tasks eagerly.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from meldcode.celery import app as celery_app
from schools.roles import Role
from tests.factories import staff

BROKER = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BROKER.startswith("redis://"), reason="needs a Redis broker"),
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """A worker on its own queue, with production settings and a file e-mail backend."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meldcode.settings.base",
        "DJANGO_SECRET_KEY": "integration-test-secret",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_URL": f"filemail:///{outbox}",  # django-environ drops one leading slash
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "meldcode", "worker", "-Q", queue,
         "--concurrency=1", "--pool=solo", "--loglevel=INFO", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    old_eager, old_routes = celery_app.conf.task_always_eager, celery_app.conf.task_routes
    # conf.update() makes Celery rebuild its router, so the request's task goes to our queue.
    celery_app.conf.update(task_always_eager=False, task_routes={"*": {"queue": queue}})
    try:
        yield outbox
    finally:
        celery_app.conf.update(task_always_eager=old_eager, task_routes=old_routes)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_worker_sends_the_mail_a_request_queued(client, worker, school):
    staff(Role.IB, school, email="ib.integratie@school.invalid")
    response = client.post(reverse("password_reset"), {"email": "ib.integratie@school.invalid"})
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(worker.iterdir())
        if files:
            break
        time.sleep(0.25)
    assert files, "the worker did not send the queued e-mail within 60 s"
    text = files[0].read_text()
    assert "ib.integratie@school.invalid" in text
    assert "/account/wachtwoord-herstellen/" in text

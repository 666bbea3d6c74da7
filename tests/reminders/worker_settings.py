"""Production settings for the integration tests' workers, plus one thing: tasks the worker
itself enqueues (the content-free e-mails) go to the test's private queue, not to the shared
default queue that some other worker on the same Redis might consume."""

import os

from meldcode.settings.base import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["MELDCODE_TEST_QUEUE"]

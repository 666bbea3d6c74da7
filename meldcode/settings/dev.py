"""The embedded default for ``make run``: SQLite and Celery's filesystem broker, no servers."""

import os
from pathlib import Path

_root = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret")
os.environ.setdefault("MELDCODE_PSEUDONYM_KEY", "dev-only-pseudonym-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_root / 'var' / 'meldcode.sqlite3'}")
os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ["_MELDCODE_DEV_SETTINGS"] = "1"
(_root / "var").mkdir(exist_ok=True)

from .base import *  # noqa: E402,F403
from .base import STORAGES, env  # noqa: E402

DEMO_MODE = env.bool("MELDCODE_DEMO", default=False)
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"

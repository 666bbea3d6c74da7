"""Test settings: SQLite and eager Celery by default; CI exports PostgreSQL and Redis URLs."""

import os
from pathlib import Path

_root = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("MELDCODE_PSEUDONYM_KEY", "test-only-pseudonym-key")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_root / 'var' / 'test.sqlite3'}")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
(_root / "var" / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns otherwise

from .base import *  # noqa: E402,F403
from .base import STORAGES  # noqa: E402

DEBUG = False
DEMO_MODE = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Fast tests run tasks in-process; the integration tests start real workers instead.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
MEDIA_ROOT = _root / "var" / "test-media"
AXES_ENABLED = True

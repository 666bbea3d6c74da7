"""Benchmark settings: production (``base``) plus the bench floor page, served over plain HTTP.

Used only by ``bench/region.py`` and ``bench/seed_region.py``. Everything else is as in
production: DEBUG off, persistent database connections, the same middleware.
"""

import os
from pathlib import Path

_root = Path(__file__).resolve().parent.parent.parent

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
# The shared cache production has (docker-compose): sessions, roles and devices read through it.
os.environ.setdefault("REDIS_CACHE_URL", "redis://127.0.0.1:6379/3")
# bench/region.py runs collectstatic here (the manifest storage of production needs it).
os.environ.setdefault("DJANGO_STATIC_ROOT", str(_root / "var" / "bench-static"))

from .base import *  # noqa: E402,F403
from .base import INSTALLED_APPS  # noqa: E402

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# The load generator speaks plain HTTP to 127.0.0.1; TLS is the proxy's job in production.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Load from one address must not trip the login lockout (no logins are made anyway).
AXES_ENABLED = False

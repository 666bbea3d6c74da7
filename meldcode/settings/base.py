"""Production-safe settings, read from environment variables only.

This module *is* the production configuration: ``dev.py`` and ``test.py`` only fill in
environment defaults (SQLite, the ``filesystem://`` broker) before importing it.
Every variable is documented in ``.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()


def env_secret(name: str) -> str:
    """A required secret from NAME or from the file named by NAME_FILE (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it (or {name}_FILE) in the environment; see .env.example."
        )
    return value


# Demo mode may only be switched on by the development settings (``make run``).
DEMO_MODE = False
if env.bool("MELDCODE_DEMO", default=False) and not env.bool("_MELDCODE_DEV_SETTINGS", False):
    raise ImproperlyConfigured("MELDCODE_DEMO cannot be used with production settings.")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.apps.MeldcodeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "axes",
    "guardian",
    "simple_history",
    "django_celery_beat",
    "csp",
    "core",
    "schools",
    "signals",
    "cases",
    "afwegingskader",
    "notifications",
    "reminders",
    "specialroutes",
    "exports",
    "retention",
    "worknotes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django_otp.middleware.OTPMiddleware, its device read from the shared cache when there is one.
    "core.middleware.CachedOTPMiddleware",
    "core.middleware.RequireTwoFactorMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "core.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meldcode.urls"
WSGI_APPLICATION = "meldcode.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.meldcode",
                "notifications.context_processors.unread_notifications",
            ],
        },
    }
]

# Database: postgres://user:pass@host:5432/name (psycopg 3) or sqlite:///path.
DATABASES = {"default": env.db("DATABASE_URL")}
# Persistent connections: more than triple the throughput on this kind of machine.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the signed-in user with one hand-written query.
    "core.auth.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "two_factor:login"

# Sessions live in the database, so any number of web nodes can serve a user. With a cache
# every process shares (Redis, ``REDIS_CACHE_URL``) they are read through it too (cached_db:
# written to both, deleted from both at logout), which saves a query per request. Never with
# the per-process memory cache: another worker would still find a session ended elsewhere.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_MINUTES = env.int("MELDCODE_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Sliding window: the session ends after inactivity. Saved at most once a minute
# (core.middleware.SlidingSessionMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout after repeated failed logins (django-axes), by username and address together.
AXES_FAILURE_LIMIT = env.int("MELDCODE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("MELDCODE_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor authentication.
TWO_FACTOR_PATCH_ADMIN = False
OTP_TOTP_ISSUER = "Meldcode"
TWO_FACTOR_REMEMBER_COOKIE_AGE = None
ADMIN_URL = env.str("MELDCODE_ADMIN_URL", default="systeembeheer-x7/").strip("/") + "/"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files sit outside the web root and are served only through permission-checked
# views; the storage backend can be swapped for an S3-compatible one.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# No route serves this prefix: files are reachable only through permission-checked views.
MEDIA_URL = "/geen-publieke-bestanden/"
STORAGES = {
    "default": {"BACKEND": env.str("MELDCODE_FILE_STORAGE",
                                   default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# A whole request: five attachments of at most 10 MB plus the form (core.middleware).
MELDCODE_MAX_REQUEST_BYTES = 52 * 1024 * 1024

# Cache: rate-limit counters (``core.ratelimit``). Redis in production so every web process
# counts together (redis://host:6379/1); without it a per-process memory cache.
CACHES = {
    "default": env.cache("REDIS_CACHE_URL", default="locmemcache://meldcode"),
    # Rendered page fragments (core.fragments): this process's memory only, so case content
    # is never copied to a shared cache; bounded, and dropped after ten minutes at most.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "meldcode-fragments",
        "TIMEOUT": 600,
        # A case page is 20-60 kB: about 50 MB per worker at most.
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache.RedisCache"  # one Redis client per process
# Serve fragments from that cache, keyed on content tokens (core.versions); off = always render.
MELDCODE_FRAGMENT_CACHE = env.bool("MELDCODE_FRAGMENT_CACHE", default=True)
# Whether every process sees the same cache: only then may it hold what a change made in
# another process must end at once (sessions, roles, 2FA devices, unread counts; see
# ``core.sharedcache``). Tests switch it on with the memory cache (one process).
MELDCODE_SHARED_CACHE = CACHES["default"]["BACKEND"] not in (
    "django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
if MELDCODE_SHARED_CACHE:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Rate limits (``core.ratelimit``): scope -> (requests, seconds). Counted per IP address
# and/or per account; over the limit the user gets a calm 429 page.
MELDCODE_RATELIMITS = {
    "login-ip": (100, 10 * 60),         # every login POST from one address (a school shares one)
    "login-user": (20, 15 * 60),        # login POSTs naming one username, from anywhere
    "password-reset-ip": (10, 60 * 60),
    "password-reset-email": (3, 60 * 60),
    "stepup-user": (5, 15 * 60),        # codes entered on the step-up page, per account
    "export-user": (10, 60 * 60),       # dossier and inzage exports started per account
}
# The TLS proxy (see SECURE_PROXY_SSL_HEADER) appends the client's address to
# X-Forwarded-For; without trusting it every user would share the proxy's address.
MELDCODE_TRUST_X_FORWARDED_FOR = True
# Step-up re-authentication (``core.stepup``): minutes a fresh 2FA code stays valid for
# exporting a dossier or opening the change history.
MELDCODE_STEPUP_MINUTES = 10

# E-mail: never with case content; only "something awaits you" and a link.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Meldcode <noreply@meldcode.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MELDCODE_BASE_URL = env.str("MELDCODE_BASE_URL", default="http://127.0.0.1:8000")

# Celery.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks. django-celery-beat's DatabaseScheduler copies these entries into its
# PeriodicTask table when beat starts (also under `make run`'s `worker -B`); the beheerder sees
# them on the terms screen. Run exactly one beat per deployment. `expire_seconds` drops scans
# queued up while no worker ran: the next one catches up anyway.
CELERY_BEAT_SCHEDULE: dict = {
    "herinneringen-scannen": {
        "task": "reminders.tasks.scan_due_reminders",
        "schedule": 300.0,  # every five minutes
        "options": {"expire_seconds": 240},
    },
    "herinneringen-dagelijks-overzicht": {
        "task": "reminders.tasks.send_daily_digest",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expire_seconds": 3 * 3600},
    },
    # Rendered dossiers are kept only briefly (issue 6): remove expired files.
    "exports-opruimen": {
        "task": "exports.tasks.cleanup_expired_exports",
        "schedule": 60.0,
        "options": {"expire_seconds": 50},
    },
    # R32: private working notes are temporary; delete the expired ones (worknotes.selectors).
    "werkaantekeningen-opruimen": {
        "task": "worknotes.tasks.expire_work_notes",
        "schedule": crontab(minute=15),  # hourly
        "options": {"expire_seconds": 3000},
    },
}
# Minutes a rendered PDF dossier is kept before it is deleted (also after a download).
MELDCODE_EXPORT_TTL_MINUTES = env.int("MELDCODE_EXPORT_TTL_MINUTES", default=15)
# Secret of the pseudonymous pupil reference in the deletion log (retention.Tombstone):
# HMAC-SHA256 of the pupil id. Required before anything can be destroyed; never change it
# once in use (references of earlier destructions would no longer match).
MELDCODE_PSEUDONYM_KEY = env.str("MELDCODE_PSEUDONYM_KEY", default="")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast/pidbox exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# Security headers. Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
                      "bluetooth=(), midi=(), display-capture=(), accelerometer=(), "
                      "gyroscope=(), magnetometer=(), browsing-topics=()")

# django-guardian: no anonymous user row; object permissions only through direct FK models.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# No case content in logs or error reports (core.safe_logging): POST values, frame
# variables, query strings and exception messages are left out of every report.
DEFAULT_EXCEPTION_REPORTER = "core.safe_logging.CaseSafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.safe_logging.CaseSafeExceptionReporterFilter"
# Server errors by e-mail (the scrubbed report): addresses, comma-separated; empty = none.
ADMINS = [("Meldcode", address) for address in env.list("MELDCODE_ERROR_EMAILS", default=[])]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "core.safe_logging.ScrubExceptionMessages"},
                "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["scrub"]},
                 "mail_admins": {"class": "django.utils.log.AdminEmailHandler",
                                 "level": "ERROR", "include_html": False,
                                 "filters": ["scrub", "require_debug_false"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Request bodies and URLs may carry personal data: log errors without the request repr.
    "loggers": {"django.request": {"handlers": ["console", "mail_admins"], "level": "ERROR",
                                   "propagate": False},
                "axes": {"level": "WARNING"}},
}

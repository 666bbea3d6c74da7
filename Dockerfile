# Meldcode: one image for every process (web, worker, beat, migrate).
# The process is chosen by the command; see docker-compose.yml and docs/deployment.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# WeasyPrint (PDF export) needs Pango, HarfBuzz's subsetter and at least one font at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user that runs every process; it owns only the upload directory.
RUN groupadd --system --gid 10001 meldcode \
    && useradd --system --uid 10001 --gid meldcode --create-home --home-dir /home/meldcode \
        --shell /usr/sbin/nologin meldcode

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock /app/requirements.lock
RUN pip install -r /app/requirements.lock

COPY . /app

# Paths inside the container. docker-compose.yml pins the same values, and the uploads
# directory is the mount point of the shared "media" volume (it inherits this ownership).
ENV DJANGO_SETTINGS_MODULE=meldcode.settings.base \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/data/media

# Static files are collected (and hashed/compressed by WhiteNoise) at build time. The values
# below exist only for this RUN step: no secret, database or broker is baked into the image.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret \
    DATABASE_URL=sqlite:////tmp/x.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/x.sqlite3 \
    && mkdir -p /data/media \
    && chown meldcode:meldcode /data/media

USER meldcode

EXPOSE 8000

# gthread workers: 3 processes x 4 threads per container; scale out with more containers.
# Every thread keeps its own database connection (CONN_MAX_AGE), so mind PostgreSQL's
# max_connections: (containers x workers x threads) + Celery + a margin.
# A worker is replaced after about 10,000 requests (a guard against slow leaks); each
# replacement empties that worker's fragment cache (core.fragments), so not much sooner.
CMD ["gunicorn", "meldcode.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--workers", "3", "--threads", "4", \
     "--timeout", "60", "--graceful-timeout", "30", \
     "--max-requests", "10000", "--max-requests-jitter", "1000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket"]

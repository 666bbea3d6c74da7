# Two commands on a fresh machine with Python 3.11+ and make:
#   make run   the app with demo data on SQLite and Celery's filesystem broker
#   make test  the whole suite (SQLite by default; PostgreSQL/Redis when DATABASE_URL /
#              CELERY_BROKER_URL point there)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | cksum | cut -d' ' -f1)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.lock requirements-test.lock | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate demo clean lint

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 of nieuwer is nodig"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-[0-9]*
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-test.lock
	rm -f $(VENV)/.installed-test-*
	touch $(TEST_STAMP)

venv: $(STAMP)

migrate: venv
	MELDCODE_DEMO=1 $(PY) manage.py migrate --noinput

demo: migrate
	MELDCODE_DEMO=1 $(PY) manage.py seed_demo

run: demo
	@echo ""
	@echo "  Meldcode draait op http://$(HOST):$(PORT)/"
	@echo "  Demo-accounts (wachtwoord: meldcode-demo):"
	@echo "    school A: leerkracht.a  ib.a  vc.a  sot.a  directeur.a"
	@echo "    school B: leerkracht.b  ib.b  vc.b  sot.b  directeur.b"
	@echo "    bestuur:  beheerder  bestuurder"
	@echo "    verder:   jeugdverpleegkundige  schoolmaatschappelijkwerker (SOT)"
	@echo "  Stoppen: Ctrl-C"
	@echo ""
	@set -m; export MELDCODE_DEMO=1; \
	$(PY) -m celery -A meldcode worker -B --loglevel=WARNING --concurrency=2 \
	  --schedule=var/celerybeat-schedule & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null; exit 0' INT TERM EXIT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(TEST_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(PY) -m ruff check . || true

clean:
	rm -rf var/ .pytest_cache

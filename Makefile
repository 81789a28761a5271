# Muster: `make run` serves the demo, `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Django 6.1 needs Python 3.12+. Find a real interpreter (PATH first, then pyenv's
# versions: pyenv shims answer "command not found" unless PYENV_VERSION names them).
PYTHON ?= $(shell for v in 3.13 3.12; do \
	  p=$$(command -v python$$v 2>/dev/null) && $$p -c 'import sys' 2>/dev/null && { echo $$p; exit; }; \
	  for d in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v; do \
	    [ -x "$$d" ] && { echo $$d; exit; }; done; done)
# uv from PATH, else the copy `python3 -m pip install uv` puts beside the machine's python3.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
HOST ?= 127.0.0.1:8000
# Settings read HOST: the base URL of email links and ALLOWED_HOSTS follow it.
export HOST

# The background worker (`manage.py worker`: the configured task backend's; it schedules the
# daily sweep and leaves a heartbeat). The one place that names it (`make run`, `make serve`,
# `make worker`).
WORKER = exec $(MANAGE) worker

.PHONY: install run dev worker serve test test-postgres lint check migrate demo bench clean

$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@[ -n "$(PYTHON)" ] || { echo "Muster needs Python 3.12 or newer (on PATH or in pyenv)." >&2; exit 1; }
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.synced node_modules/.installed ## environment only

migrate: install
	$(MANAGE) migrate --no-input

demo: migrate
	$(MANAGE) load_demo

# The demo signs in with its printed passwords alone: it does not force the second factor
# on the team (MUSTER_MFA_REQUIRED=1 make run does; it is on by default everywhere else).
run: export MUSTER_MFA_REQUIRED ?= 0
run: demo ## migrate, load demo data if empty, serve on $(HOST) with the worker beside it
	@trap 'kill 0' EXIT; \
	( $(WORKER) ) & \
	$(MANAGE) runserver $(HOST)

dev: export DEBUG = 1
dev: run ## `make run` with DEBUG on: Django's debug pages, for developing Muster

# The configured task backend's worker (TASK_BACKEND: database, or rq with REDIS_URL); it
# schedules the daily sweep and leaves a heartbeat. Run as many as the load needs.
worker: install ## the background worker: emails, the daily sweep
	$(WORKER)

# Muster as in production, on this machine (docs/deploy.md): production settings (they
# refuse to start, in one line, without SECRET_KEY, AUDIT_CHECKPOINT_KEY, ALLOWED_HOSTS and
# EMAIL_HOST), no warning from Django's deployment checks, migrations already applied (an
# upgrade's own step: `make migrate` with the same environment), static files collected
# for WhiteNoise, then gunicorn (deploy/gunicorn.conf.py) with the worker beside it.
serve: export MUSTER_ENV = production
serve: install ## production settings, gunicorn and the worker (see docs/deploy.md)
	@$(MANAGE) check --deploy --fail-level WARNING >/dev/null
	@out=$$($(MANAGE) migrate --check 2>&1) || { \
	  if [ -z "$$out" ]; then echo "make serve: the database has migrations not applied: run \`make migrate\` (with the same DATABASE_URL) first." >&2; \
	  else echo "make serve: $$(tail -n 1 <<<"$$out")" >&2; fi; exit 1; }
	@$(MANAGE) collectstatic --no-input --verbosity 0
	@trap 'kill 0' EXIT; \
	( $(WORKER) ) & \
	$(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py

test: install ## whole suite; set DATABASE_URL=postgres://... to run it on PostgreSQL
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

# The load benchmark (docs/benchmarks.md, "Load"): drops and re-creates its own database
# (muster_load, or BENCH_DATABASE_URL), builds 10,000 contracts, then measures every page
# under 16 clients with wrk (Debian's, installed here if missing) and the project's
# gunicorn. BENCH_ARGS: e.g. "--contracts 100 --seconds 1 --warmup 1", "--profile list-cor".
bench: install ## build the load benchmark's data set and measure every page (~15 minutes)
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null 2>&1 || { \
	  echo "make bench: wrk is not installed and apt-get could not install it (apt-get install wrk)." >&2; exit 1; }
	$(VENV)/bin/python -m tests.bench.bench_load all $(BENCH_ARGS)

lint: install ## ruff, the import layers (import-linter) and the types (mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

check: install
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

clean:
	rm -rf $(VENV) node_modules db.sqlite3* var/

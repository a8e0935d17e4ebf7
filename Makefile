# AEO Registry. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python >= 3.12: python3.13/python3.12 on PATH, the pyenv version pinned in .python-version,
# or python3 if it is new enough.
define find_python
for c in python3.13 python3.12 "$$(pyenv prefix 2>/dev/null)/bin/python3" \
         "$$HOME/.pyenv/versions/$$(cat .python-version 2>/dev/null)/bin/python3" python3; do \
  p=$$(command -v "$$c" 2>/dev/null) || continue; \
  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; exit 0; }; \
done; exit 1
endef

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(PY):
	@PYTHON=$$($(find_python)) || { echo "error: Python 3.12 or newer is needed (Django 6). Install it (e.g. 'pyenv install 3.12') and re-run." >&2; exit 1; }; \
	echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV)

$(VENV)/.installed: $(PY) requirements/base.txt requirements/dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $@

.PHONY: install
install: $(VENV)/.installed ## Create the virtualenv and install the pinned requirements

.PHONY: migrate
migrate: install ## Apply database migrations
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

.PHONY: demo
demo: migrate ## Load the demo world (idempotent) and print the demo logins
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo

.PHONY: run
run: install ## Migrate, load demo data and serve on http://127.0.0.1:8000/ (SQLite, eager Celery unless configured)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

.PHONY: test
test: install ## Run the whole test suite (integration tests run when PostgreSQL/Redis are configured)
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: worker
worker: install ## Run a Celery worker (needs REDIS_URL)
	@test -n "$$REDIS_URL$$CELERY_BROKER_URL" || { echo "error: set REDIS_URL (see README) to run a worker" >&2; exit 1; }
	$(BIN)/celery -A aeo_registry worker --loglevel=INFO --concurrency=$${CONCURRENCY:-2}

.PHONY: beat
beat: install ## Run Celery beat, the scheduler of the periodic sweeps (needs REDIS_URL)
	@test -n "$$REDIS_URL$$CELERY_BROKER_URL" || { echo "error: set REDIS_URL (see README) to run beat" >&2; exit 1; }
	$(BIN)/celery -A aeo_registry beat --loglevel=INFO --schedule=$${TMPDIR:-/tmp}/aeo-celerybeat-schedule

.PHONY: bench
bench: install ## Benchmark trust lookups: gunicorn + PostgreSQL + Redis + wrk (BENCH_* variables, see tests/benchmarks/run.py)
	@command -v wrk >/dev/null || { echo "error: wrk is needed: apt-get install wrk" >&2; exit 1; }
	$(PY) -m tests.benchmarks.run

.PHONY: ci
ci: ## Run what CI runs (.ci/run)
	bash .ci/run

.PHONY: clean
clean: ## Remove the virtualenv, the SQLite database and caches
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache

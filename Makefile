# Titanic Survival Predictor — every target a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn worker processes for `make serve`.
WORKERS ?= 2
# Extra options for the first model `make serve` trains when none is active.
TRAIN_ARGS ?=
# Options for `make bench` (`.venv/bin/python bench/run.py --help` lists them), e.g. "--runs 5".
BENCH_ARGS ?=
# uv uses this machine's Python; it never downloads one.
export UV_PYTHON_DOWNLOADS := never
# Installs exactly what uv.lock pins (--frozen: never re-resolves; after changing
# pyproject.toml, run `make lock` and commit uv.lock). --inexact keeps the other extras' packages, so `make run` after
# `make test` does not uninstall the test tools.
SYNC := $(BIN)/uv sync --frozen --inexact --quiet --python $(BIN)/python
# Hashed, compressed static files, served by whitenoise with far-future cache headers.
SERVE_STATIC := whitenoise.storage.CompressedManifestStaticFilesStorage

.PHONY: run serve worker cluster bench test install lint format chromium clean help lock screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# Runs the web server and a job worker side by side (Procfile.dev, Procfile); Ctrl-C stops both.
# (--env /dev/null: the settings read .env themselves; honcho need not.)
HONCHO := $(BIN)/honcho --no-colour --env /dev/null

run: $(VENV)/.installed-app ## set up everything, train a first model if none is active, serve on HOST:PORT with a job worker
	@# A secret key in .env, so the README's manage.py commands work as written afterwards.
	@./scripts/ensure_env_file.sh $(BIN)/python
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py train --activate --skip-if-active
	@./scripts/ensure_superuser.sh $(BIN)/python
	@# DEBUG for tracebacks in this console; visitors still get the site's own error pages.
	DJANGO_DEBUG=1 HOST=$(HOST) WEB_PORT=$(PORT) exec $(HONCHO) --procfile Procfile.dev start

serve: $(VENV)/.installed-app ## serve as in production: DEBUG off, whitenoise, gunicorn with WORKERS on HOST:PORT and a job worker (needs DJANGO_SECRET_KEY, from the environment or .env)
	@test -n "$$DJANGO_SECRET_KEY" || grep -qs '^DJANGO_SECRET_KEY=' .env || { echo "make serve needs DJANGO_SECRET_KEY, in the environment or in .env (and optionally DATABASE_URL)." >&2; exit 1; }
	$(BIN)/python manage.py migrate --noinput
	DJANGO_STATICFILES_BACKEND=$(SERVE_STATIC) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py train --activate --skip-if-active $(TRAIN_ARGS)
	@# One thread of maths per worker: the workers already fill the cores.
	DJANGO_STATICFILES_BACKEND=$(SERVE_STATIC) OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} \
		HOST=$(HOST) WEB_PORT=$(PORT) WORKERS=$(WORKERS) exec $(HONCHO) --procfile Procfile start

worker: $(VENV)/.installed-app ## run only a job worker (training and batch jobs), e.g. on a host of its own
	exec $(BIN)/python manage.py db_worker --no-reload

# CLUSTER_PORTS (8001,8002), CLUSTER_REDIS_PORT (26379), CLUSTER_DB (titanic_cluster) and
# CLUSTER_DIR (.cluster/) choose where; scripts/cluster.sh says how.
cluster: $(VENV)/.installed-app ## two hosts on this machine (ports 8001, 8002) sharing PostgreSQL and a Redis, each with its own ARTIFACTS_DIR, and a job worker; Ctrl-C stops all
	HOST=$(HOST) WORKERS=$(WORKERS) exec ./scripts/cluster.sh

bench: $(VENV)/.installed-bench chromium ## benchmark the app under `make serve` settings against the reference apps in bench/, 3 runs, with browser timings and a two-host round (BENCH_ARGS: more options); writes bench/RESULTS.md
	@./scripts/ensure_wrk.sh
	@./scripts/ensure_redis.sh
	$(BIN)/python bench/run.py $(BENCH_ARGS)

test: $(VENV)/.installed-test chromium ## install test needs (with a Chromium, wrk and redis-server) and run every test, unit and end-to-end, on every core
	@./scripts/ensure_wrk.sh
	@./scripts/ensure_redis.sh
	$(BIN)/pytest -n auto --dist worksteal

screenshots: $(VENV)/.installed-test chromium ## photograph the visitor's page in its main states into docs/screenshots/ (the README shows them)
	SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -n 0 e2e/test_screenshots.py

install: $(VENV)/.installed-app ## create .venv and install the app's dependencies

lint: $(VENV)/.installed-test ## check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test ## rewrite the code in the project's style
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

chromium: ## make sure a Chromium for Playwright exists (CHROMIUM_PATH overrides /usr/bin/chromium)
	@./scripts/ensure_chromium.sh

clean: ## remove the virtual environment, the database (and with it every model), the caches: cache/ and artifacts/ (model files and plots), the cluster demo's folder
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm cache .cluster artifacts/*.joblib artifacts/*.svg artifacts/.model-*

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed-app: pyproject.toml uv.lock | $(BIN)/python
	$(SYNC)
	@touch $@

$(VENV)/.installed-bench: pyproject.toml uv.lock | $(BIN)/python
	$(SYNC) --extra bench
	@./scripts/ensure_wrk.sh
	@touch $@ $(VENV)/.installed-app

$(VENV)/.installed-test: pyproject.toml uv.lock | $(BIN)/python
	$(SYNC) --extra test
	@touch $@ $(VENV)/.installed-app

lock: | $(BIN)/python ## re-resolve the dependencies of pyproject.toml into uv.lock (after changing them)
	$(BIN)/uv lock

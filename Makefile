# ccgtrack: `make run` to try it, `make test` to check it. Only Python 3.11 is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test serve seed lint bench clean-db help

help:
	@echo "make run    set everything up and serve the app at http://$(HOST):$(PORT)/"
	@echo "make test   set up and run the whole test suite"
	@echo "make serve  production-style: gunicorn + whitenoise (needs SECRET_KEY, ALLOWED_HOSTS)"

$(VENV)/.run-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(PY) -m ccgtrack.devserver $(HOST):$(PORT)

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

seed: $(VENV)/.run-installed
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_seed

serve: $(VENV)/.run-installed
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(VENV)/bin/gunicorn -c ccgtrack/gunicorn.conf.py --bind $(HOST):$(PORT)

# mypy (django-stubs) loads the settings but never connects: a placeholder URL keeps it from
# starting the embedded PostgreSQL.
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=postgres://mypy@127.0.0.1:5432/unused $(VENV)/bin/mypy

SCALE ?= seed
bench: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=ccgtrack.settings_test $(PY) manage.py bench --scale $(SCALE) $(BENCH_ARGS)

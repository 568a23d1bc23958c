# ccgtrack: `make run` to try it, `make test` to check it. Only Python 3.11 is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test serve seed lint mutation bench bench-import clean-db help

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

# The suite in TEST_WORKERS processes (pytest-xdist; each has its own test database), a test
# file's tests kept together so that a module's servers start once, handed out in the order
# collected (the longest files first: tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(VENV)/.dev-installed
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(PYTEST_ARGS)

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

# Mutants of the permission rules, the edit path, the services and the dashboard figures
# ([tool.mutmut] in pyproject.toml says which tests run). The first pytest builds and seeds the
# test database that every mutant's run then reuses as it is. Survivors: `mutmut results`,
# one in detail: `mutmut show NAME`. Slow (an hour or more on 2 cores): MUTANTS='apps.core.edits.*' runs a part.
MUTANTS ?= 'apps.organisations.permissions.*' 'apps.core.edits.*' 'apps.*.services.*' \
	'apps.dashboards.figures.*' 'apps.dashboards.selectors.x_scope*' \
	'apps.dashboards.selectors.x_theme_progress*' 'apps.dashboards.selectors.x_domain_summary*' \
	'apps.dashboards.selectors.x_delivered_per_month*' 'apps.dashboards.selectors.x_ccg_summary*'
mutation: $(VENV)/.dev-installed
	$(PY) -m pytest -q --reuse-db tests/core/test_permissions.py
	CCGTRACK_REUSE_TEST_DB=1 $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results

# The benchmark (bench/, outside the application): SCALE=seed or national; BENCH_ARGS=--help.
SCALE ?= seed
bench: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=ccgtrack.settings_test $(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)

# Importing 1,000 changed rows through the import's one service (bench/imports.py).
bench-import: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=ccgtrack.settings_test $(PY) -m bench.imports $(BENCH_ARGS)

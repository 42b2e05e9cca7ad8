# The README's two commands: `make demo` (the main job) and `make test` (the whole suite, as CI runs it).
# Both build their own virtualenv with pinned versions, so a fresh machine needs only python3 (3.10+).

PYTHON ?= python3
AIRFLOW_VERSION ?= 3.3.2
FLOOR_AIRFLOW_VERSION ?= 3.2.2
VENV ?= .venv
FLOOR_VENV ?= .venv-airflow-$(FLOOR_AIRFLOW_VERSION)
PYTEST_ARGS ?=

CONSTRAINTS = constraints/airflow-$(AIRFLOW_VERSION).txt
FLOOR_CONSTRAINTS = constraints/airflow-$(FLOOR_AIRFLOW_VERSION).txt
PIP_QUIET = --quiet --disable-pip-version-check

.PHONY: demo test lint typecheck pytest test-floor bench emulator venv clean docs docs-strict

# Build a virtualenv for one Airflow version: $(1) venv dir, $(2) Airflow version, $(3) constraints file.
define make_venv
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install $(PIP_QUIET) -c $(3) "apache-airflow==$(2)" -e '.[test]'
	touch $(1)/.installed
endef

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(call make_venv,$(VENV),$(AIRFLOW_VERSION),$(CONSTRAINTS))

$(FLOOR_VENV)/.installed: pyproject.toml $(FLOOR_CONSTRAINTS)
	$(call make_venv,$(FLOOR_VENV),$(FLOOR_AIRFLOW_VERSION),$(FLOOR_CONSTRAINTS))

venv: $(VENV)/.installed

## The main job: the Focus emulator, Airflow on SQLite and the example DAGs, end to end.
demo: $(VENV)/.installed
	$(VENV)/bin/python scripts/demo.py

## The whole suite: lint, type checks, tests on the newest Airflow, then tests on the supported floor.
test: lint typecheck docs-strict pytest test-floor

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# On the floor, every test runs except those that run a DAG through `dag.test()`: Airflow 3.2.2's in-process
# Execution API starts its lifespan without waiting for it, so any DAG, even one with a single no-op task, fails
# there with "'State' object has no attribute 'svcs_registry'" (Airflow 3.3 waits; see CHANGELOG).
test-floor: $(FLOOR_VENV)/.installed
	$(FLOOR_VENV)/bin/pytest -m "not dag_test" $(PYTEST_ARGS)

## The documentation site (Sphinx, MyST Markdown pages, autodoc reference) in docs/_build/html.
# The docs extra goes into the newest Airflow's venv only (it needs Python 3.11+); the floor venvs never get it.
$(VENV)/.docs-installed: $(VENV)/.installed
	$(VENV)/bin/pip install $(PIP_QUIET) -c $(CONSTRAINTS) -e '.[docs]'
	touch $@

docs: $(VENV)/.docs-installed
	$(VENV)/bin/sphinx-build -q -b html $(SPHINX_OPTS) docs docs/_build/html

# `make test` builds from scratch with warnings as errors: a broken link, reference or docstring fails CI.
docs-strict:
	$(MAKE) docs SPHINX_OPTS="-E -W --keep-going"

## Benchmarks run on demand and print ratios against a baseline measured in the same run.
bench: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks

## A Focus emulator on port 8765 with the demo seed, until Ctrl-C.
emulator: $(VENV)/.installed
	$(VENV)/bin/focus-emulator --port 8765 --seed demo

clean:
	rm -rf $(VENV) $(FLOOR_VENV) .demo .pytest_cache .mypy_cache .ruff_cache docs/_build

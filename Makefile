# The README's two commands: `make demo` (the main job) and `make test` (the whole suite, as CI runs it).
# Both build their own virtualenv with pinned versions, so a fresh machine needs only python3 (3.10+).

PYTHON ?= python3
AIRFLOW_VERSION ?= 3.3.2
VENV ?= .venv
PYTEST_ARGS ?=

CONSTRAINTS = constraints/airflow-$(AIRFLOW_VERSION).txt
PIP_QUIET = --quiet --disable-pip-version-check
# The development venv: the source tree, editable, with the test and dist extras (a variable: $(call) splits on commas).
DEV_INSTALL = -e '.[test,dist]'

# The release the package builds, read from the package itself.
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' airflow_provider_focus/__init__.py)
DIST = dist
WHEEL = $(DIST)/airflow_provider_focus-$(VERSION)-py3-none-any.whl
SDIST = $(DIST)/airflow_provider_focus-$(VERSION).tar.gz
PACKAGE_SOURCES := pyproject.toml README.md Makefile \
	$(shell find airflow_provider_focus tests example_dags scripts constraints docs -type f -not -path '*/__pycache__/*' -not -path 'docs/_build/*')

# The matrix: the whole suite runs on AIRFLOW_VERSION; the integration-level suite (example DAGs through
# dag.test(), the real deployments: the deferrable sensor and the connection form through the API server, the
# hook against the emulator, `airflow providers list`) runs on the newest patch of every older minor release,
# each in a venv where the built wheel is installed (not the source tree), from its pinned constraints file.
MATRIX_VERSIONS ?= 3.0.6 3.1.8 3.2.2
MATRIX_PYTEST = -m integration
# Per-version exceptions, each for a bug of that Airflow release (the CHANGELOG's known limitations):
# - 3.2.2: `dag.test()` fails for every DAG (the in-process Execution API serves requests before its lifespan has
#   run: "'State' object has no attribute 'svcs_registry'"; fixed in 3.3), so the tests that run DAGs through
#   dag.test() (marker dag_test) are left out there; the real deployments still run.
# - 3.0.6: dag.test()'s console shows a failed task's traceback with its local variables (rich, show_locals), a
#   request's Authorization header among them, unredacted; so the failed-run secret-leak test is left out there
#   (3.1+ and a worker's task log show no locals). The successful-run secret-leak test runs on 3.0.6: the provider
#   sends its own secrets to no in-process supervisor there (see _compat.mask_secret), and the test forgives only
#   the one line Airflow 3.0 itself writes with the connection's password ("Sending request
#   msg=MaskSecret(value=...)", from Airflow's connection look-up). The other dag.test() runs and the real
#   deployments still run there.
# - 3.0.6: the connection list's Test button cannot test a stored connection that has a password, of any type: the
#   API returns the password redacted ("***") and POST /api/v2/connections/test tests what it is sent, without
#   merging the stored connection (3.1 merges it). The Test button test of a new connection still runs there.
MATRIX_PYTEST_3.2.2 = -m "integration and not dag_test"
MATRIX_PYTEST_3.0.6 = -m integration \
	--deselect tests/integration/test_secrets_never_leak.py::test_failed_run_explains_the_credential_without_quoting_it \
	--deselect tests/integration/test_real_airflow.py::test_the_test_button_works_for_a_focus_connection_that_stores_its_port

# Python may write bytecode here, whatever the shell says: with PYTHONDONTWRITEBYTECODE set (this machine and CI set
# it), every pytest worker rewrote the asserts of every test module (about 5 s of CPU each) and every Airflow process
# of the tests compiled the provider from source. The caches land in __pycache__/ folders that git, the sdist and
# the wheel ignore. The venvs' packages are compiled the same way, the first time a process imports them (below).
unexport PYTHONDONTWRITEBYTECODE

# test-airflow-X and check-wheel-X are not .PHONY (make looks no pattern rule up for those); they name no file.
.PHONY: demo test static-checks suite-stream-1 suite-stream-2 suite-stream-3 check unit-tests lint typecheck pytest matrix wheel-venvs dist check-dist bench emulator venv clean docs docs-strict
# The matrix venvs are made by pattern rules: keep them (make would delete them as intermediate files).
.PRECIOUS: .venv-airflow-%/.installed .venv-airflow-%/.wheel

# The installer: uv (pinned, in a venv of its own), which resolves and installs in parallel and caches wheels; pip
# stays as the fallback when uv cannot be installed. uv installs no bytecode: Python writes it for the modules a
# process imports, the first time (see unexport above). Compiling every module of five venvs at install time cost
# about 20 s of CPU a venv, most of it for modules no test imports.
UV_VERSION = 0.13.9
UV_VENV = .venv-uv
UV = $(UV_VENV)/bin/uv
$(UV_VENV)/.installed:
	rm -rf $(UV_VENV)
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install $(PIP_QUIET) "uv==$(UV_VERSION)" || echo "uv could not be installed: pip builds the venvs"
	touch $@

# Build a virtualenv for one Airflow version: $(1) venv dir, $(2) Airflow version, $(3) constraints file,
# $(4) what to install besides Airflow.
define make_venv
	rm -rf $(1)
	if [ -x $(UV) ]; then \
		$(UV) venv --quiet --python $(PYTHON) --seed $(1) && \
		$(UV) pip install --quiet --python $(1)/bin/python -c $(3) "apache-airflow==$(2)" $(4); \
	else \
		$(PYTHON) -m venv $(1) && \
		$(1)/bin/pip install $(PIP_QUIET) -c $(3) "apache-airflow==$(2)" $(4); \
	fi
	touch $(1)/.installed
endef

# Install into an existing venv: $(1) venv dir, $(2) pip arguments (uv accepts the same spelling for these).
define venv_install
	if [ -x $(UV) ]; then \
		$(UV) pip install --quiet --python $(1)/bin/python $(2); \
	else \
		$(1)/bin/pip install $(PIP_QUIET) $(2); \
	fi
endef

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(UV_VENV)/.installed
	$(call make_venv,$(VENV),$(AIRFLOW_VERSION),$(CONSTRAINTS),$(DEV_INSTALL))

venv: $(VENV)/.installed

## The main job: the Focus emulator, Airflow on SQLite and the example DAGs, end to end.
demo: $(VENV)/.installed
	$(VENV)/bin/python scripts/demo.py

## The whole suite: lint, type checks, the docs (warnings are errors), the package's checks, every test on the newest Airflow, then the matrix.
# First the venv the tests run from (with the docs extra), the wheel and the sdist, and lint (seconds: a style error
# fails at once). Then four streams side by side (`make -j`, each stream's output printed whole when it ends): the
# other static checks; the newest Airflow's whole suite; 3.0.6's, the longest of the matrix; and 3.2.2's (it mostly
# waits on its real deployment) then 3.1.8's. (With 3.1.8 after 3.0.6, that stream ended last, a minute after the
# others.) Each suite runs under pytest-xdist and builds its venv when it needs it, so the type check,
# the docs and the matrix venvs' downloads overlap the first suite instead of holding every suite back (the static
# steps first made a minute and 20 s of set-up, its tail one process on one core). All four suites at once (no
# streams) loaded 2 cores to a load average of 11 and Airflow 3.0.6's LocalExecutor once lost a task between
# scheduler and worker ("Cannot start Task Instance in invalid state"); one after another took 22 minutes. The real
# Airflow deployments (one per suite) take a machine-wide slot while they start (tests/slots.py), one at a time by
# default (FOCUS_TEST_DEPLOYMENT_SLOTS), so that no two start at once.
STATIC_CHECKS = typecheck docs-strict check-dist
SUITE_STREAM_1 = pytest check-wheel-$(AIRFLOW_VERSION)
SUITE_STREAM_2 = $(addprefix test-airflow-,$(firstword $(MATRIX_VERSIONS)))
SUITE_STREAM_3 = $(addprefix test-airflow-,$(lastword $(MATRIX_VERSIONS)) \
	$(filter-out $(firstword $(MATRIX_VERSIONS)) $(lastword $(MATRIX_VERSIONS)),$(MATRIX_VERSIONS)))
# xdist workers of the newest Airflow's suite while the other streams run beside it (alone, `make pytest`: XDIST).
SUITE_XDIST ?= -n 3 --dist loadgroup
test:
	$(MAKE) --no-print-directory $(VENV)/.docs-installed $(WHEEL) lint
	$(MAKE) --no-print-directory -j4 --output-sync=recurse static-checks suite-stream-1 suite-stream-2 suite-stream-3

static-checks:
	$(MAKE) --no-print-directory -j3 --output-sync=target $(STATIC_CHECKS)

suite-stream-1 suite-stream-2 suite-stream-3:
	$(MAKE) --no-print-directory -j1 XDIST="$(SUITE_XDIST)" $(SUITE_STREAM_$(subst suite-stream-,,$@))

## The inner loop: lint, types and every test that needs no emulator or Airflow DB, on the newest Airflow, side by
## side; no venv rebuild when nothing changed. It leaves the scale tests (marker scale) to `make test`.
check: $(VENV)/.installed
	$(MAKE) --no-print-directory -j3 --output-sync=target lint typecheck unit-tests

unit-tests: $(VENV)/.installed
	$(VENV)/bin/pytest $(XDIST) -m "not integration and not scale" $(PYTEST_ARGS)

# lint-imports checks the layer contracts of pyproject.toml ([tool.importlinter]).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# pytest-xdist workers per suite: the tests mostly wait (on sockets, subprocesses, deadlines), so more workers than
# cores pays. The matrix suites take 2: with 3, one 3.1.8 run of three found a worker's SQLite metadata DB
# "malformed" (not understood yet; 2 workers passed in every run).
XDIST ?= -n 4 --dist loadgroup
MATRIX_XDIST ?= -n 2 --dist loadgroup

pytest: $(VENV)/.installed
	$(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

## The sdist and the wheel, in dist/ (built without build isolation, by the pinned hatchling of the venv).
dist: $(WHEEL) $(SDIST)

$(WHEEL) $(SDIST) &: $(VENV)/.installed $(PACKAGE_SOURCES)
	rm -rf $(DIST)
	$(VENV)/bin/python -m build --no-isolation --outdir $(DIST) . > /dev/null

# twine's check (the README renders on the package index), then what the wheel and the sdist hold.
check-dist: $(WHEEL) $(SDIST)
	$(VENV)/bin/twine check --strict $(WHEEL) $(SDIST)
	$(VENV)/bin/python scripts/check_dist.py $(WHEEL) $(SDIST)

# A venv per matrix version: Airflow and the test extra from the version's constraints, then the built wheel.
.venv-airflow-%/.installed: constraints/airflow-%.txt pyproject.toml | $(WHEEL) $(UV_VENV)/.installed
	$(call make_venv,.venv-airflow-$*,$*,constraints/airflow-$*.txt,'$(WHEEL)[test]')

.venv-airflow-%/.wheel: .venv-airflow-%/.installed $(WHEEL)
	$(call venv_install,.venv-airflow-$*,--no-deps --force-reinstall $(WHEEL))
	touch $@

# The wheel in a clean venv of the version: the module comes from site-packages, `airflow providers list` and
# `airflow providers hooks` show it, and the connection form has its fields.
check-wheel-%: .venv-airflow-%/.wheel
	.venv-airflow-$*/bin/python scripts/check_installed.py $(VERSION)

test-airflow-%: .venv-airflow-%/.wheel
	.venv-airflow-$*/bin/python scripts/check_installed.py $(VERSION)
	.venv-airflow-$*/bin/pytest $(MATRIX_XDIST) $(or $(MATRIX_PYTEST_$*),$(MATRIX_PYTEST)) $(PYTEST_ARGS)

matrix: $(addprefix test-airflow-,$(MATRIX_VERSIONS))

# The wheel's venvs (the newest release's and the matrix's), all at once; `make test` builds each when its suite needs it.
WHEEL_VENVS = $(addprefix .venv-airflow-,$(addsuffix /.wheel,$(AIRFLOW_VERSION) $(MATRIX_VERSIONS)))
wheel-venvs: $(WHEEL)
	$(MAKE) -j4 $(WHEEL_VENVS)

## The documentation site (Sphinx, MyST Markdown pages, autodoc reference) in docs/_build/html.
# The docs extra goes into the newest Airflow's venv only (it needs Python 3.11+); the matrix venvs never get it.
$(VENV)/.docs-installed: $(VENV)/.installed
	$(call venv_install,$(VENV),-c $(CONSTRAINTS) -e '.[docs]')
	touch $@

docs: $(VENV)/.docs-installed
	$(VENV)/bin/sphinx-build -q -b html $(SPHINX_OPTS) docs docs/_build/html

# `make test` checks the docs from scratch with warnings as errors: a broken link, reference or docstring fails CI.
# It reads and resolves every page and docstring as `make docs` does, with Sphinx's dummy builder, which writes no
# HTML: the theme's navigation and the highlighted source pages were 13 of the HTML build's 35 s of CPU.
docs-strict: $(VENV)/.docs-installed
	$(VENV)/bin/sphinx-build -q -b dummy -E -W --keep-going docs docs/_build/dummy

## Benchmarks run on demand and print ratios against a baseline measured in the same run.
bench: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks

## A Focus emulator on port 8765 with the demo seed, until Ctrl-C.
emulator: $(VENV)/.installed
	$(VENV)/bin/focus-emulator --port 8765 --seed demo

clean:
	rm -rf $(VENV) .venv-airflow-* $(DIST) .demo .pytest_cache .mypy_cache .ruff_cache docs/_build

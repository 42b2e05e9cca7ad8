"""
Test-session setup: Airflow runs against a temporary AIRFLOW_HOME with a SQLite metadata DB.

This root conftest is loaded before any test module is imported, so Airflow reads this configuration the first
time it is imported and never touches ``~/airflow``. The home is removed when pytest exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings
from collections import deque
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "example_dags"
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="focus-tests-airflow-home-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    # The OpenLineage provider (in the test extra) delays the start of every task under dag.test() by about 40 s
    # on Airflow 3.3.2 when no transport is configured; the OpenLineage tests turn it on themselves.
    "AIRFLOW__OPENLINEAGE__DISABLED": "True",
}
os.environ.update(AIRFLOW_ENV)


#: Tests that take tens of seconds run first, so that under pytest-xdist (``make test`` runs ``-n``) they start on
#: separate workers while the short tests fill the gaps, instead of forming the run's tail. Longest first.
SLOW_FIRST = ("airflow_processes", "scale", "dag_test", "slow")


def slowness(item: pytest.Item) -> int:
    """Return the rank of a test in the run: 0 for the slowest kind, len(SLOW_FIRST) for the rest."""
    for rank, marker in enumerate(SLOW_FIRST):
        if item.get_closest_marker(marker) is not None:
            return rank
    return len(SLOW_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=slowness)  # stable: the order within a rank is the collection order


#: A test of each ``xdist_group`` of the suite (tests that share one real Airflow deployment, in order).
GROUPED = ("tests/integration/test_real_airflow.py::",)


def pytest_xdist_node_collection_finished(node: Any, ids: Sequence[str]) -> None:
    """
    Stop a ``--dist loadgroup`` run in which pytest-xdist would not keep an ``xdist_group`` on one worker.

    pytest-xdist marks a group by adding ``@group`` to the ids of the tests a worker collected; on pytest 9.2 that
    no longer takes effect (pytest-xdist#1386) and nothing fails: the tests of ``test_real_airflow.py`` were spread
    over the workers, and each started a real Airflow deployment of its own (two per suite, about 100 s of CPU
    each), running the module's tests out of their order. The constraints files pin pytest 9.1.1.
    """
    if node.config.getvalue("dist") != "loadgroup":
        return
    ungrouped = [test_id for test_id in ids if test_id.startswith(GROUPED) and "@" not in test_id]
    if ungrouped:
        raise pytest.UsageError(
            f"pytest-xdist's --dist loadgroup would spread the tests of an xdist_group over the workers with pytest "
            f"{pytest.__version__} (pytest-xdist#1386), {ungrouped[0]} among them: install the pytest of the "
            f"constraints files (make test does)."
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    """
    In the controlling process, build Hypothesis's Unicode tables once, before pytest-xdist starts its workers (its
    own ``pytest_sessionstart`` runs last; in ``pytest_configure`` Hypothesis warns of slow plugin code).

    ``st.text()`` needs the table of what UTF-8 encodes; Hypothesis computes it (about 3.5 s of CPU) and caches it
    in ``.hypothesis/``. In a fresh clone every xdist worker found no cache and computed it at once.
    """
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has built the tables
        return
    try:
        from hypothesis.errors import HypothesisSideeffectWarning
        from hypothesis.internal import charmap

        build_tables = (charmap.charmap, lambda: charmap.intervals_from_codec("utf-8"))
    except (ImportError, AttributeError):  # no Hypothesis, or its internals moved: each worker builds its own
        return
    with warnings.catch_warnings():  # Hypothesis warns of slow work before collection: here it is the point
        warnings.simplefilter("ignore", HypothesisSideeffectWarning)
        for build in build_tables:
            build()


#: The tests this process ran last, newest last. A test that fails only after another one ran in the same process
#: (state it left behind) is found from this list: a failure's report shows it (with pytest-xdist, per worker).
RECENT_TESTS: deque[str] = deque(maxlen=25)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.sections.append(("tests this process ran before, oldest first", "\n".join(RECENT_TESTS) or "none"))
    if report.when == "teardown":
        RECENT_TESTS.append(item.nodeid)

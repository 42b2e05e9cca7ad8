"""The snippet tests of the docs pages; this conftest is itself a snippet of ``docs/testing.md``."""

# [START override_dags_folder]
# conftest.py
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def focus_dags_folder():
    return Path(__file__).parent / "airflow" / "dags"


# [END override_dags_folder]

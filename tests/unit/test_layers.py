"""The layer rules are checked, not just written: import-linter's contracts (pyproject.toml) and no old aliases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    contracts = (ROOT / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert contracts >= 5
    assert f"Contracts: {contracts} kept, 0 broken." in done.stdout
    assert "Triggers reach the wire only through the hook" in done.stdout


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("airflow_provider_focus.operators.base", "FocusPartialFailure"),
        ("airflow_provider_focus.operators.base", "require_text"),
        ("airflow_provider_focus.api.async_client", "_ssl_verify"),
        ("airflow_provider_focus.api.async_client", "ssl_verify"),  # one TLS context builder: api/tls.py
        ("airflow_provider_focus.api.pool", "ssl_context"),  # api/tls.py
        ("airflow_provider_focus.api.config", "read_connection"),  # api/config.py split: api/connection.py
        ("airflow_provider_focus.api.config", "warn_once"),
        ("airflow_provider_focus.api.config", "parse_site"),  # api/urls.py
        ("airflow_provider_focus.api.config", "is_loopback"),
        ("airflow_provider_focus.api.config", "parse_verify"),  # api/tls.py
        ("airflow_provider_focus.services._concurrency", "widen_pool"),  # the client's allow_concurrent_calls()
        ("airflow_provider_focus.hooks.focus", "_auth_advice"),  # hooks/connection_check.py
        ("airflow_provider_focus.triggers.changes", "_HAS_EVENT_TRIGGER"),
    ],
)
def test_a_release_that_never_shipped_keeps_no_alias_for_an_old_home(module: str, name: str) -> None:
    imported = __import__(module, fromlist=[name])
    assert not hasattr(imported, name)


def test_no_dead_retry_helper() -> None:
    from airflow_provider_focus.api.retry import RetryPolicy

    assert not hasattr(RetryPolicy, "tenacity_kwargs")  # the core builds its own tenacity.Retrying

"""
Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Airflow imports this module while it discovers providers, so it imports nothing but the package version and the
connection's field table (:mod:`airflow_provider_focus.api.conn_fields`, which imports nothing).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_focus import __version__
from airflow_provider_focus.api.conn_fields import CONN_TYPE, FORM_BEHAVIOUR, conn_fields


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata: its connection type, hook, operators, transfers, sensors and extra links."""
    return {
        "package-name": "airflow-provider-focus",
        "name": "Atlassian Focus",
        "description": "`Atlassian Focus <https://www.atlassian.com/software/focus>`__: focus areas, "
        "organizations and funds through the Focus REST API v1.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Atlassian Focus",
                "external-doc-url": "https://developer.atlassian.com/cloud/focus/rest/intro/",
                "tags": ["software"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Atlassian Focus",
                "python-modules": ["airflow_provider_focus.hooks.focus"],
            }
        ],
        "operators": [
            {
                "integration-name": "Atlassian Focus",
                "python-modules": [
                    "airflow_provider_focus.operators.focus",
                    "airflow_provider_focus.operators.focus_areas",
                    "airflow_provider_focus.operators.upsert",
                    "airflow_provider_focus.operators.organizations",
                    "airflow_provider_focus.operators.funds",
                ],
            }
        ],
        "transfers": [
            {
                "source-integration-name": "Common SQL",
                "target-integration-name": "Atlassian Focus",
                "python-module": "airflow_provider_focus.transfers.sql_to_focus",
            },
            {
                "source-integration-name": "Atlassian Focus",
                "target-integration-name": "Common SQL",
                "python-module": "airflow_provider_focus.transfers.focus_to_sql",
            },
        ],
        "sensors": [
            {
                "integration-name": "Atlassian Focus",
                "python-modules": ["airflow_provider_focus.sensors.focus"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Atlassian Focus",
                "python-modules": ["airflow_provider_focus.triggers.focus", "airflow_provider_focus.triggers.changes"],
            }
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_focus.hooks.focus.FocusHook",
                "hook-name": "Atlassian Focus",
                "conn-fields": conn_fields(),
                "ui-field-behaviour": FORM_BEHAVIOUR.provider_info(),
            }
        ],
        "extra-links": ["airflow_provider_focus.links.FocusAreaLink"],
        # focus://<cloudId or site host>/<resource>, validated when a DAG file is parsed (see assets.py).
        "asset-uris": [
            {
                "schemes": ["focus"],
                "handler": "airflow_provider_focus.assets.sanitize_uri",
                "factory": "airflow_provider_focus.assets.create_asset",
                "to_openlineage_converter": "airflow_provider_focus.assets.convert_asset_to_openlineage",
            }
        ],
    }

"""
Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Airflow imports this module while it discovers providers, so it imports nothing but the package version.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_focus import __version__


def _string_field(label: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["string", "null"], **schema}}


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata: its connection type, hook, operators, sensors and extra links."""
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
                "connection-type": "atlassian_focus",
                "hook-class-name": "airflow_provider_focus.hooks.focus.FocusHook",
                "hook-name": "Atlassian Focus",
                "conn-fields": {
                    "auth_type": _string_field(
                        "Auth type",
                        "api_token (email + API token), oauth2_client_credentials (service account client "
                        "id + secret, needs a cloud id) or oauth2_token (a bearer token kept fresh by a "
                        "secrets backend, needs a cloud id).",
                        default="api_token",
                        enum=["api_token", "oauth2_client_credentials", "oauth2_token"],
                    ),
                    "cloud_id": _string_field(
                        "Cloud ID",
                        "The site's cloudId (a UUID). When set, calls go through "
                        "https://api.atlassian.com/focus/cloud/{cloudId}/v1 even if a site is also given.",
                    ),
                    "base_url": _string_field(
                        "API base URL",
                        "An explicit API root ending in /v1, for the Focus emulator or a proxy. "
                        "Plain http:// is accepted only for loopback hosts.",
                    ),
                    "token_url": _string_field(
                        "OAuth token URL",
                        "Where client credentials are exchanged for an access token. "
                        "Defaults to https://auth.atlassian.com/oauth/token.",
                    ),
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "description": "Seconds to wait for the API to connect and to answer.",
                        "schema": {"type": ["number", "null"], "default": 30, "minimum": 0},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries after the first attempt on 429, 5xx and network errors.",
                        "schema": {"type": ["integer", "null"], "default": 5, "minimum": 0},
                    },
                    "verify": _string_field(
                        "Verify TLS",
                        "true (default), false, or the path of a CA bundle.",
                    ),
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "host": "Site",
                        "login": "Email or client ID",
                        "password": "API token, client secret or access token",
                    },
                    "placeholders": {
                        "host": "acme.atlassian.net",
                        "login": "you@example.com (api_token) or the client ID (oauth2_client_credentials)",
                        "password": "the API token, client secret or access token",
                        "cloud_id": "00000000-0000-0000-0000-000000000000",
                        "base_url": "http://127.0.0.1:8765/gateway/api/focus/v1",
                    },
                },
            }
        ],
        "extra-links": ["airflow_provider_focus.links.FocusAreaLink"],
    }

"""
The Focus connection's fields as one table: the extras parser reads it, and every connection form is made from it.

Airflow 3.2+ reads the declarative form (``conn-fields`` and ``ui-field-behaviour`` in the provider info), Airflow
3.0/3.1 the hook's ``get_connection_form_widgets``/``get_ui_field_behaviour``; both come from :data:`EXTRA_FIELDS`
and :data:`FORM_BEHAVIOUR`, and :mod:`airflow_provider_focus.api.config` reads the extras and their bounds from
the same rows, so the form cannot offer what the parser refuses. This module imports nothing: Airflow reads it
while it discovers providers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

#: Connection type of the provider; also the infix of legacy ``extra__<conn_type>__<field>`` keys.
CONN_TYPE: Final = "atlassian_focus"
#: The connection id hooks, operators, sensors and triggers use unless told otherwise.
DEFAULT_CONN_ID: Final = "focus_default"

EXAMPLE_SITE: Final = "acme.atlassian.net"
EXAMPLE_CLOUD_ID: Final = "a436116f-02ce-4520-8fbb-7301462a1674"
EXAMPLE_EMULATOR_API: Final = "http://127.0.0.1:8765/gateway/api/focus/v1"

#: The values of the ``auth_type`` extra, in the order the form lists them (the first is the default).
AUTH_TYPES: Final = ("api_token", "oauth2_client_credentials", "oauth2_token")


@dataclass(frozen=True)
class ExtraField:
    """
    One extra of the connection: its form field and the bounds the parser enforces.

    :param name: the key in the connection's extras (also read as ``extra__atlassian_focus__<name>``).
    :param label: the form's label.
    :param description: the form's help text.
    :param type: ``string``, ``number`` or ``integer`` (JSON Schema).
    :param default: the value when the extra is absent (``None``: no default in the form).
    :param minimum: the smallest accepted number.
    :param maximum: the largest accepted number.
    :param choices: the accepted values of a dropdown.
    :param placeholder: a sample value, where the form shows placeholders.
    """

    name: str
    label: str
    description: str
    type: str = "string"
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    placeholder: str | None = None

    def json_schema(self) -> dict[str, Any]:
        """Return the field's JSON Schema, as Airflow's declarative form reads it."""
        schema: dict[str, Any] = {"type": [self.type, "null"]}
        if self.default is not None:
            schema["default"] = self.default
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def conn_field(self) -> dict[str, Any]:
        """Return the field as one entry of ``conn-fields`` in the provider info."""
        return {"label": self.label, "description": self.description, "schema": self.json_schema()}


#: Every extra the parser reads, with its bounds; nothing else is read.
EXTRA_FIELDS: Final = (
    ExtraField(
        "auth_type",
        "Auth type",
        "api_token (email + API token), oauth2_client_credentials (service account client id + secret, needs a "
        "cloud id) or oauth2_token (a bearer token kept fresh by a secrets backend, needs a cloud id).",
        default=AUTH_TYPES[0],
        choices=AUTH_TYPES,
    ),
    ExtraField(
        "cloud_id",
        "Cloud ID",
        f"The site's cloudId, a UUID such as {EXAMPLE_CLOUD_ID} (read it at https://<your-site>/_edge/tenant_info). "
        "When set, calls go through https://api.atlassian.com/focus/cloud/{cloudId}/v1 even if a site is given.",
        placeholder=EXAMPLE_CLOUD_ID,
    ),
    ExtraField(
        "base_url",
        "API base URL",
        f"An explicit API root ending in /v1, for the Focus emulator (e.g. {EXAMPLE_EMULATOR_API}) or a proxy. "
        "Plain http:// is accepted only for loopback hosts.",
        placeholder=EXAMPLE_EMULATOR_API,
    ),
    ExtraField(
        "token_url",
        "OAuth token URL",
        "Where client credentials are exchanged for an access token. Defaults to https://auth.atlassian.com/oauth/token.",
        placeholder="https://auth.atlassian.com/oauth/token",
    ),
    ExtraField(
        "timeout",
        "Timeout (seconds)",
        "Seconds one attempt may take in all: connect, answer and body, the token request included (0.1 to 3600).",
        type="number",
        default=30,
        minimum=0.1,
        maximum=3600,
    ),
    ExtraField(
        "max_retries",
        "Max retries",
        "Retries after the first attempt on 429, 5xx and network errors (0 to 20).",
        type="integer",
        default=5,
        minimum=0,
        maximum=20,
    ),
    ExtraField(
        "max_retry_wait",
        "Max wait between retries (seconds)",
        "The longest single wait between two attempts, whatever Retry-After asks (0.1 to 3600).",
        type="number",
        default=60,
        minimum=0.1,
        maximum=3600,
    ),
    ExtraField(
        "rate_limit_budget",
        "Rate-limit budget (seconds)",
        "How long one call keeps waiting out 429 answers, each wait as Retry-After asks; within it a 429 does "
        "not count against max_retries (0 to 86400; default 300).",
        type="integer",
        default=300,
        minimum=0,
        maximum=86400,
    ),
    ExtraField(
        "max_response_bytes",
        "Max response size (bytes)",
        "The largest answer body read, in bytes; a larger one is an error and is never read into memory "
        "(65536 to 1073741824; default 33554432, 32 MiB).",
        type="integer",
        default=32 * 1024 * 1024,
        minimum=64 * 1024,
        maximum=1024 * 1024 * 1024,
    ),
    ExtraField(
        "verify",
        "Verify TLS",
        "true (default), false, or the path of a CA bundle (a PEM file).",
        placeholder="true",
    ),
)

#: The rows of :data:`EXTRA_FIELDS` by name.
EXTRA_FIELDS_BY_NAME: Final = {extra.name: extra for extra in EXTRA_FIELDS}


@dataclass(frozen=True)
class FormBehaviour:
    """
    How the form shows Airflow's standard fields (host, port, login, password, schema, extra).

    :param hidden_fields: standard fields the form hides.
    :param relabeling: new labels of standard fields.
    :param placeholders: sample values of standard fields.
    """

    hidden_fields: tuple[str, ...]
    relabeling: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)

    def all_placeholders(self) -> dict[str, str]:
        """Return the placeholders of the standard fields and of every extra that has one."""
        extras = {extra.name: extra.placeholder for extra in EXTRA_FIELDS if extra.placeholder}
        return {**self.placeholders, **extras}

    def provider_info(self) -> dict[str, Any]:
        """Return ``ui-field-behaviour`` as the provider info spells it (Airflow 3.2+)."""
        return {
            "hidden-fields": list(self.hidden_fields),
            "relabeling": dict(self.relabeling),
            "placeholders": self.all_placeholders(),
        }

    def hook_behaviour(self) -> dict[str, Any]:
        """Return the same as ``get_ui_field_behaviour()`` spells it (Airflow 3.0/3.1)."""
        return {
            "hidden_fields": list(self.hidden_fields),
            "relabeling": dict(self.relabeling),
            "placeholders": self.all_placeholders(),
        }


#: The port stays visible: the URI form and the emulator use it, and a stored port (443) is what lets Airflow
#: 3.3's connection-list Test button work (it sends ``port: 0`` for a stored empty port and gets a 400).
FORM_BEHAVIOUR: Final = FormBehaviour(
    hidden_fields=("schema", "extra"),
    relabeling={
        "host": "Site",
        "login": "Email or client ID",
        "password": "API token, client secret or access token",
    },
    placeholders={
        "host": EXAMPLE_SITE,
        "port": "443 (empty: the scheme's default)",
        "login": "you@example.com (api_token) or the client ID (oauth2_client_credentials)",
        "password": "the API token, client secret or access token",
    },
)


def conn_fields() -> dict[str, Any]:
    """Return ``conn-fields`` for the provider info: one entry per row of :data:`EXTRA_FIELDS`."""
    return {extra.name: extra.conn_field() for extra in EXTRA_FIELDS}

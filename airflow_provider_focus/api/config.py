"""
The validated configuration of a Focus client: what the wire needs to talk to one API root.

Reading it from an Airflow connection's fields is :mod:`~airflow_provider_focus.api.connection`'s work (with
:mod:`~airflow_provider_focus.api.urls` for the site and URLs and :mod:`~airflow_provider_focus.api.tls` for
``verify``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.conn_fields import CONN_TYPE, EXTRA_FIELDS_BY_NAME
from airflow_provider_focus.api.secret import Secret, as_secret

__all__ = ["CONN_TYPE", "AuthType", "FocusClientConfig"]

DEFAULT_TIMEOUT_SECONDS = float(EXTRA_FIELDS_BY_NAME["timeout"].default)
DEFAULT_MAX_RETRIES = int(EXTRA_FIELDS_BY_NAME["max_retries"].default)
DEFAULT_MAX_RETRY_WAIT_SECONDS = float(EXTRA_FIELDS_BY_NAME["max_retry_wait"].default)
DEFAULT_RATE_LIMIT_BUDGET_SECONDS = float(EXTRA_FIELDS_BY_NAME["rate_limit_budget"].default)
#: The largest response body read (32 MiB): a page of 100 focus areas is well under 1 MiB.
DEFAULT_MAX_RESPONSE_BYTES = int(EXTRA_FIELDS_BY_NAME["max_response_bytes"].default)


class AuthType(str, Enum):
    """How the provider authenticates to Focus (the ``auth_type`` extra)."""

    API_TOKEN = "api_token"
    OAUTH2_CLIENT_CREDENTIALS = "oauth2_client_credentials"
    OAUTH2_TOKEN = "oauth2_token"


@dataclass(frozen=True)
class FocusClientConfig:
    """
    Everything the wire needs to talk to one Focus API root.

    :param api_root: the ``.../v1`` URL that resource paths are appended to.
    :param site_url: the site's origin (``https://acme.atlassian.net``) when known; used for web links.
    :param cloud_id: the site's cloudId when the connection gives one.
    :param auth_type: how to authenticate.
    :param login: email (api_token) or client id (oauth2_client_credentials).
    :param password: API token, client secret or access token.
    :param token_url: where client credentials are exchanged for an access token.
    :param timeout: seconds to wait for a connection and for each response.
    :param verify: TLS verification: ``True``, ``False`` or the path of a CA bundle.
    :param max_retries: retries after the first attempt.
    :param max_retry_wait: the longest single wait between attempts, in seconds, whatever the server asks.
    :param max_response_bytes: the largest response body the clients read; a larger one is an error.
    :param rate_limit_budget: seconds one call keeps retrying 429 answers without spending ``max_retries``.
    """

    api_root: str
    site_url: str | None
    cloud_id: str | None
    auth_type: AuthType
    login: str | None
    password: str | None
    token_url: str = model.OAUTH_TOKEN_URL
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    verify: bool | str = True
    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT_SECONDS
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    rate_limit_budget: float = DEFAULT_RATE_LIMIT_BUDGET_SECONDS

    def __repr__(self) -> str:
        # The password never appears in a repr, a log line or a traceback.
        return (
            f"FocusClientConfig(api_root={self.api_root!r}, site_url={self.site_url!r}, "
            f"cloud_id={self.cloud_id!r}, auth_type={self.auth_type.value!r}, login={self.login!r}, "
            f"password={'***' if self.password else None}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r})"
        )

    def url_for(self, path: str) -> str:
        """Return the absolute URL of ``path`` (relative to the API root); both clients build URLs here."""
        return f"{self.api_root}/{path.lstrip('/')}"

    @property
    def mode(self) -> str:
        """``cloud`` when calls go through api.atlassian.com with a cloudId, else ``site``."""
        return "cloud" if self.cloud_id else "site"

    @classmethod
    def from_connection_fields(
        cls,
        *,
        host: str | None,
        login: str | None,
        password: str | Secret | None,
        extra: Mapping[str, Any] | str | None,
        port: int | None = None,
    ) -> FocusClientConfig:
        """
        Validate the fields of an Airflow connection and build the configuration; log its warnings once.

        :param host: the site: ``acme.atlassian.net``, ``https://acme.atlassian.net`` or, for the emulator,
            ``127.0.0.1:8765`` (a loopback host without a scheme means ``http://``).
        :param login: email (api_token) or client id (oauth2_client_credentials).
        :param password: API token, client secret or access token (best as a
            :class:`~airflow_provider_focus.api.secret.Secret`: a traceback then never shows it).
        :param extra: the connection's extras, as a mapping or as the JSON text Airflow stores; plain keys and
            legacy ``extra__atlassian_focus__*`` keys.
        :param port: the connection's port, used with the host (empty: the scheme's default).
        :raises FocusConfigError: naming the field that is wrong and showing a correct example.
        """
        password = as_secret(password)  # from here on, a traceback's locals show it as ***
        from airflow_provider_focus.api.connection import read_connection, warn_once
        from airflow_provider_focus.api.urls import without_userinfo

        host = without_userinfo(host)  # and no credential written into the host (user:token@site)

        reading = read_connection(host=host, port=port, login=login, password=password, extra=extra)
        for warning in reading.warnings:
            warn_once(warning)
        return reading.config

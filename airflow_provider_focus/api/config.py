"""Turn the fields of a Focus connection into a validated client configuration, without any I/O."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError

#: Connection type of the provider; also the infix of legacy ``extra__<conn_type>__<field>`` keys.
CONN_TYPE = "atlassian_focus"

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_RETRY_WAIT_SECONDS = 60.0
#: The largest response body read (32 MiB): a page of 100 focus areas is well under 1 MiB.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_EXAMPLE_SITE = "acme.atlassian.net"
_EXAMPLE_CLOUD_ID = "a436116f-02ce-4520-8fbb-7301462a1674"


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
        password: str | None,
        extra: Mapping[str, Any] | None,
    ) -> FocusClientConfig:
        """
        Validate the fields of an Airflow connection and build the configuration.

        :param host: the site: ``acme.atlassian.net`` or ``https://acme.atlassian.net``.
        :param login: email (api_token) or client id (oauth2_client_credentials).
        :param password: API token, client secret or access token.
        :param extra: the connection's extras; plain keys and legacy ``extra__atlassian_focus__*`` keys.
        :raises FocusConfigError: naming the field that is wrong and showing a correct example.
        """
        extras = _Extras(extra or {})
        site_url = parse_site(host) if host and host.strip() else None
        cloud_id = parse_cloud_id(extras.get("cloud_id"))
        base_url = parse_base_url(extras.get("base_url"))
        auth_type = parse_auth_type(extras.get("auth_type"))

        if base_url:
            api_root = base_url
        elif cloud_id:
            api_root = model.CLOUD_API_ROOT.format(cloud_id=cloud_id)
        elif site_url:
            api_root = site_url + model.SITE_API_PATH
        else:
            raise FocusConfigError(
                "The Focus connection names no site: set its host to your site "
                f"(e.g. {_EXAMPLE_SITE!r}) or the extra 'cloud_id' (e.g. {_EXAMPLE_CLOUD_ID!r})."
            )

        login = _credential(login, "login")
        password = _credential(password, "password")
        _check_credentials(auth_type, login=login, password=password, cloud_mode=bool(cloud_id))

        return cls(
            api_root=api_root,
            site_url=site_url,
            cloud_id=cloud_id,
            auth_type=auth_type,
            login=login,
            password=password,
            token_url=parse_base_url(extras.get("token_url"), field="token_url") or model.OAUTH_TOKEN_URL,
            timeout=_positive_float(extras.get("timeout"), "timeout", DEFAULT_TIMEOUT_SECONDS),
            verify=parse_verify(extras.get("verify")),
            max_retries=_non_negative_int(extras.get("max_retries"), "max_retries", DEFAULT_MAX_RETRIES),
            max_retry_wait=_positive_float(
                extras.get("max_retry_wait"), "max_retry_wait", DEFAULT_MAX_RETRY_WAIT_SECONDS
            ),
        )


class _Extras:
    """Read an extra under its plain key or the legacy ``extra__atlassian_focus__<field>`` key."""

    def __init__(self, extra: Mapping[str, Any]) -> None:
        self._extra = extra

    def get(self, field: str) -> Any:
        value = self._extra.get(field)
        if value in (None, ""):
            value = self._extra.get(f"extra__{CONN_TYPE}__{field}")
        return None if value == "" else value


def is_loopback(hostname: str) -> bool:
    """Return whether ``hostname`` is ``localhost`` or a loopback address."""
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_site(host: str) -> str:
    """
    Validate a site given as ``acme.atlassian.net`` or ``https://acme.atlassian.net`` and return its origin.

    :param host: the connection's host field.
    :raises FocusConfigError: when it is not a plain host name (path, query, credentials, spaces).
    """
    raw = host.strip()
    example = f"Use the site's host name only, e.g. {_EXAMPLE_SITE!r} or 'https://{_EXAMPLE_SITE}'."
    if any(ch.isspace() for ch in raw):
        raise FocusConfigError(f"The Focus connection's host {raw!r} contains spaces. {example}")
    return _parse_origin(raw if "://" in raw else f"https://{raw}", field="host", example=example)


def parse_base_url(value: Any, *, field: str = "base_url") -> str | None:
    """
    Validate an explicit URL extra (``base_url`` or ``token_url``) and return it without a trailing slash.

    :param value: the extra's value.
    :param field: the extra's name, for the error message.
    """
    if value is None:
        return None
    example = f"Use e.g. 'https://api.atlassian.com/focus/cloud/{_EXAMPLE_CLOUD_ID}/v1' or, for the emulator, "
    example += f"'http://127.0.0.1:8765{model.SITE_API_PATH}'."
    if not isinstance(value, str) or "://" not in value or any(ch.isspace() for ch in value.strip()):
        raise FocusConfigError(f"The Focus connection's extra {field!r} must be an absolute URL. {example}")
    origin = _parse_origin(value.strip(), field=field, example=example, allow_path=True)
    path = urlsplit(value.strip()).path.rstrip("/")
    return origin + path


def _parse_origin(url: str, *, field: str, example: str, allow_path: bool = False) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise FocusConfigError(
            f"The Focus connection's {field} {_redact(url)!r} is not a valid URL ({err}). {example}"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise FocusConfigError(f"The Focus connection's {field} must use https, not {parts.scheme!r}. {example}")
    if parts.username is not None or parts.password is not None:
        raise FocusConfigError(
            f"The Focus connection's {field} must not carry credentials: put the email or client id in "
            f"login and the token or secret in password. {example}"
        )
    extras = [
        what
        for what, present in (
            (f"a path ({parts.path!r})", parts.path not in ("", "/") and not allow_path),
            ("a query", bool(parts.query)),
            ("a fragment", bool(parts.fragment)),
        )
        if present
    ]
    if extras:
        raise FocusConfigError(f"The Focus connection's {field} has {' and '.join(extras)}; remove it. {example}")
    hostname = parts.hostname or ""
    if not (_HOSTNAME.match(hostname) or _is_ip(hostname)):
        raise FocusConfigError(f"The Focus connection's {field} has no valid host name: {_redact(url)!r}. {example}")
    if parts.scheme == "http" and not is_loopback(hostname):
        raise FocusConfigError(
            f"The Focus connection's {field} uses plain http:// for {hostname!r}; only loopback hosts "
            f"(the emulator) may. Use https://. {example}"
        )
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc.lower()}"


def _redact(url: str) -> str:
    """Drop credentials, query and fragment from a URL before it goes into a message."""
    without_query = url.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = without_query.rpartition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}"


def _is_ip(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def parse_cloud_id(value: Any) -> str | None:
    """
    Validate a cloudId (a UUID) and return it in canonical form.

    :param value: the ``cloud_id`` extra.
    :raises FocusConfigError: when it is not a UUID.
    """
    if value is None:
        return None
    text = str(value).strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 36:
        raise FocusConfigError(
            f"The Focus connection's extra 'cloud_id' must be a UUID such as {_EXAMPLE_CLOUD_ID!r}, "
            f"got {text[:60]!r}. Read it from https://<your-site>{model.TENANT_INFO_PATH}."
        )
    return str(parsed)


def parse_auth_type(value: Any) -> AuthType:
    """
    Validate the ``auth_type`` extra (default ``api_token``).

    :raises FocusConfigError: for an unknown value.
    """
    if value is None:
        return AuthType.API_TOKEN
    try:
        return AuthType(str(value).strip().lower())
    except ValueError:
        known = ", ".join(repr(a.value) for a in AuthType)
        raise FocusConfigError(
            f"The Focus connection's extra 'auth_type' {value!r} is unknown; use one of {known} "
            f'(e.g. {{"auth_type": "api_token"}}).'
        ) from None


def parse_verify(value: Any) -> bool | str:
    """Read the ``verify`` extra: a boolean (also as text) or the path of a CA bundle."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    if not os.path.exists(text):
        raise FocusConfigError(
            f"The Focus connection's extra 'verify' names the CA bundle {text!r}, which does not exist. "
            "Use true, false or the path of a PEM file, e.g. '/etc/ssl/certs/ca-certificates.crt'."
        )
    return text


def _credential(value: str | None, field: str) -> str | None:
    """
    Strip a credential and refuse one with spaces or control characters inside; the value is never quoted.

    A token copied from a file or a secrets backend often ends in a line break: that is stripped, not refused.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise FocusConfigError(
            f"The Focus connection's {field} contains a space, a line break or another control character inside "
            "it; paste the value again (its first and last characters may be anything but whitespace)."
        )
    return text


def _check_credentials(auth_type: AuthType, *, login: str | None, password: str | None, cloud_mode: bool) -> None:
    if auth_type is AuthType.API_TOKEN:
        if not login or not password:
            raise FocusConfigError(
                "auth_type 'api_token' needs the Atlassian account email in the connection's login "
                "(e.g. 'you@example.com') and the API token in its password."
            )
        return
    if not cloud_mode:
        raise FocusConfigError(
            f"auth_type {auth_type.value!r} works only through api.atlassian.com: set the connection's extra "
            f"'cloud_id' (e.g. {_EXAMPLE_CLOUD_ID!r}; read it from https://<your-site>{model.TENANT_INFO_PATH})."
        )
    if auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS and (not login or not password):
        raise FocusConfigError(
            "auth_type 'oauth2_client_credentials' needs the service account's client id in the connection's "
            "login and its client secret in the password."
        )
    if auth_type is AuthType.OAUTH2_TOKEN and not password:
        raise FocusConfigError("auth_type 'oauth2_token' needs the access token in the connection's password.")


def _positive_float(value: Any, field: str, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not math.isfinite(number) or number <= 0:
        raise FocusConfigError(f"The Focus connection's extra {field!r} must be a positive number of seconds, e.g. 30.")
    return number


def _non_negative_int(value: Any, field: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise FocusConfigError(f"The Focus connection's extra {field!r} must be a whole number >= 0, e.g. 5.")
    return number

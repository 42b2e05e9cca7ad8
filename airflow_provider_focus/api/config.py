"""Turn the fields of a Focus connection into a validated client configuration, without any I/O but a CA bundle's."""

from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import logging
import math
import os
import re
import stat
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_focus.api import model
from airflow_provider_focus.api.conn_fields import (
    CONN_TYPE,
    EXAMPLE_CLOUD_ID,
    EXAMPLE_SITE,
    EXTRA_FIELDS,
    EXTRA_FIELDS_BY_NAME,
    ExtraField,
)
from airflow_provider_focus.api.secret import Secret, as_secret
from airflow_provider_focus.exceptions import FocusConfigError

__all__ = ["CONN_TYPE", "AuthType", "ConnectionReading", "FocusClientConfig", "read_connection"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = float(EXTRA_FIELDS_BY_NAME["timeout"].default)
DEFAULT_MAX_RETRIES = int(EXTRA_FIELDS_BY_NAME["max_retries"].default)
DEFAULT_MAX_RETRY_WAIT_SECONDS = float(EXTRA_FIELDS_BY_NAME["max_retry_wait"].default)
DEFAULT_RATE_LIMIT_BUDGET_SECONDS = float(EXTRA_FIELDS_BY_NAME["rate_limit_budget"].default)
#: The largest response body read (32 MiB): a page of 100 focus areas is well under 1 MiB.
DEFAULT_MAX_RESPONSE_BYTES = int(EXTRA_FIELDS_BY_NAME["max_response_bytes"].default)

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_EXAMPLE_SITE = EXAMPLE_SITE
_EXAMPLE_CLOUD_ID = EXAMPLE_CLOUD_ID
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: A CA bundle larger than this is not read whole to look for a certificate.
_MAX_CA_BUNDLE_BYTES = 16 * 1024 * 1024
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----")


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
        reading = read_connection(host=host, port=port, login=login, password=password, extra=extra)
        for warning in reading.warnings:
            warn_once(warning)
        return reading.config


@dataclass(frozen=True)
class ConnectionReading:
    """
    A validated configuration and what about the connection deserves a warning.

    :param config: the configuration.
    :param warnings: unknown extras (with the closest known name) and credentials sent outside Atlassian.
    """

    config: FocusClientConfig
    warnings: tuple[str, ...]


def read_connection(
    *,
    host: str | None,
    port: int | None,
    login: str | None,
    password: str | Secret | None,
    extra: Mapping[str, Any] | str | None,
) -> ConnectionReading:
    """
    Validate the fields of an Airflow connection; return the configuration and its warnings (not logged).

    The parameters are those of :meth:`FocusClientConfig.from_connection_fields`.

    :raises FocusConfigError: naming the field that is wrong and showing a correct example.
    """
    password = as_secret(password)  # from here on, a traceback's locals show it as ***
    extras = _Extras(parse_extra(extra))
    has_host = bool(host and host.strip())
    site_url = parse_site(host or "", port=port) if has_host else None
    if not has_host and _port_given(port):
        raise FocusConfigError(
            "The Focus connection has a port but no host; the port belongs to the host "
            "(e.g. host '127.0.0.1', port 8765), or put it in the extra 'base_url'."
        )
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
    password = _secret_credential(password)
    _check_credentials(auth_type, login=login, has_password=password is not None, cloud_mode=bool(cloud_id))

    config = FocusClientConfig(
        api_root=api_root,
        site_url=site_url,
        cloud_id=cloud_id,
        auth_type=auth_type,
        login=login,
        password=password.reveal() if password is not None else None,
        token_url=parse_base_url(extras.get("token_url"), field="token_url") or model.OAUTH_TOKEN_URL,
        timeout=float(parse_number(extras.get("timeout"), EXTRA_FIELDS_BY_NAME["timeout"])),
        verify=parse_verify(extras.get("verify")),
        max_retries=int(parse_number(extras.get("max_retries"), EXTRA_FIELDS_BY_NAME["max_retries"])),
        max_retry_wait=float(parse_number(extras.get("max_retry_wait"), EXTRA_FIELDS_BY_NAME["max_retry_wait"])),
        max_response_bytes=int(
            parse_number(extras.get("max_response_bytes"), EXTRA_FIELDS_BY_NAME["max_response_bytes"])
        ),
        rate_limit_budget=float(
            parse_number(extras.get("rate_limit_budget"), EXTRA_FIELDS_BY_NAME["rate_limit_budget"])
        ),
    )
    api_field = "base_url" if base_url else ("cloud_id" if cloud_id else "host")
    warnings = extras.unknown_key_warnings() + _destination_warnings(config, api_field=api_field)
    return ConnectionReading(config=config, warnings=tuple(warnings))


class _Extras:
    """Read an extra of :data:`EXTRA_FIELDS` under its plain key or the legacy ``extra__atlassian_focus__`` key."""

    _LEGACY_PREFIX = f"extra__{CONN_TYPE}__"

    def __init__(self, extra: Mapping[str, Any]) -> None:
        self._extra = extra

    def get(self, field: str) -> Any:
        if field not in EXTRA_FIELDS_BY_NAME:
            raise KeyError(f"{field!r} is not a row of EXTRA_FIELDS")  # a programming error, not a user's
        value = self._extra.get(field)
        if value in (None, ""):
            value = self._extra.get(f"{self._LEGACY_PREFIX}{field}")
        return None if value == "" else value

    def unknown_key_warnings(self) -> list[str]:
        """Return a warning for every key that is no extra of the table, naming the closest known one."""
        warnings = []
        for key in self._extra:
            name = str(key)
            name = name[len(self._LEGACY_PREFIX) :] if name.startswith(self._LEGACY_PREFIX) else name
            if name in EXTRA_FIELDS_BY_NAME:
                continue
            closest = closest_extra(name)
            advice = (
                f"did you mean {closest!r}?"
                if closest
                else "the known extras are " + ", ".join(extra.name for extra in EXTRA_FIELDS) + "."
            )
            warnings.append(f"The Focus connection's extra {str(key)[:80]!r} is unknown and ignored; {advice}")
        return warnings


def closest_extra(name: str) -> str | None:
    """
    Return the known extra that ``name`` most likely meant (``cloudId`` → ``cloud_id``), or ``None``.

    :param name: an unknown extra's key.
    """

    def squash(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    by_squashed = {squash(extra.name): extra.name for extra in EXTRA_FIELDS}
    squashed = squash(name[:200])
    if squashed in by_squashed:
        return by_squashed[squashed]
    matches = difflib.get_close_matches(squashed, list(by_squashed), n=1, cutoff=0.75)
    return by_squashed[matches[0]] if matches else None


def parse_extra(extra: Mapping[str, Any] | str | None) -> Mapping[str, Any]:
    """
    Read the connection's extras: a mapping, or the JSON text of an object.

    :param extra: what the connection holds.
    :raises FocusConfigError: for text that is not JSON, or JSON that is not an object; the text is not quoted.
    """
    if extra is None:
        return {}
    value: Any = extra
    example = f'such as {{"cloud_id": "{_EXAMPLE_CLOUD_ID}"}}'
    if isinstance(extra, str):
        if not extra.strip():
            return {}
        try:
            value = json.loads(extra)
        except json.JSONDecodeError as err:
            raise FocusConfigError(
                f"The Focus connection's extra is not valid JSON ({err.msg} at line {err.lineno}, column "
                f"{err.colno}); it must be a JSON object {example}."
            ) from None
        except (ValueError, RecursionError):
            raise FocusConfigError(
                f"The Focus connection's extra is not valid JSON; it must be a JSON object {example}."
            ) from None
    if not isinstance(value, Mapping):
        raise FocusConfigError(
            f"The Focus connection's extra must be a JSON object {example}, not {_json_kind(value)}."
        )
    return value


def _json_kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), f"a {type(value).__name__}")


@functools.lru_cache(maxsize=256)
def is_loopback(hostname: str) -> bool:
    """Return whether ``hostname`` is ``localhost`` or a loopback address."""
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=256)
def is_atlassian(hostname: str) -> bool:
    """Return whether ``hostname`` is one of Atlassian's domains or below one."""
    name = hostname.lower().rstrip(".")
    return any(name == domain or name.endswith("." + domain) for domain in model.ATLASSIAN_DOMAINS)


def parse_site(host: str, *, port: int | None = None) -> str:
    """
    Validate a site given as ``acme.atlassian.net`` or ``https://acme.atlassian.net`` and return its origin.

    A host without a scheme means ``https://``, except a loopback host (the emulator: ``127.0.0.1:8765``),
    which means ``http://``.

    :param host: the connection's host field.
    :param port: the connection's port field; it must agree with a port written in the host.
    :raises FocusConfigError: when it is not a plain host name (path, query, credentials, spaces) or the port is
        not one; a credential in it is never quoted.
    """
    raw = host.strip()
    example = f"Use the site's host name only, e.g. {_EXAMPLE_SITE!r} or 'https://{_EXAMPLE_SITE}'."
    if any(ch.isspace() for ch in raw):
        raise FocusConfigError(f"The Focus connection's host {_display(raw)!r} contains spaces. {example}")
    if "://" not in raw:
        if ":" in raw and _is_ip(raw):
            raw = f"[{raw}]"  # a bare IPv6 address such as ::1
        bare = _bare_hostname(raw)
        raw = f"{'http' if bare is not None and is_loopback(bare) else 'https'}://{raw}"
    return _parse_origin(raw, field="host", example=example, port=port)


def _bare_hostname(authority: str) -> str | None:
    if "@" in authority:
        return None
    try:
        return urlsplit(f"//{authority}").hostname
    except ValueError:
        return None


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


def _port_given(port: Any) -> bool:
    return port is not None and port != ""


def _parse_origin(
    url: str, *, field: str, example: str, allow_path: bool = False, port: int | str | None = None
) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FocusConfigError(
            f"The Focus connection's {field} {_display(url)!r} is not a valid URL. {example}"
        ) from None
    if "@" in parts.netloc:
        raise FocusConfigError(
            f"The Focus connection's {field} must not carry credentials (user:password@): put the email or client "
            f"id in login and the token or secret in password. {example}"
        )
    try:
        url_port = parts.port
    except ValueError:
        raise FocusConfigError(
            f"The Focus connection's {field} {_display(url)!r} is not a valid URL: its port must be a whole number "
            f"from 1 to 65535. {example}"
        ) from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise FocusConfigError(f"The Focus connection's {field} must use https, not {parts.scheme[:20]!r}. {example}")
    extras = [
        what
        for what, present in (
            (f"a path ({parts.path[:80]!r})", parts.path not in ("", "/") and not allow_path),
            ("a query", bool(parts.query)),
            ("a fragment", bool(parts.fragment)),
        )
        if present
    ]
    if extras:
        raise FocusConfigError(f"The Focus connection's {field} has {' and '.join(extras)}; remove it. {example}")
    hostname = parts.hostname or ""
    if not (_HOSTNAME.match(hostname) or _is_ip(hostname)):
        raise FocusConfigError(f"The Focus connection's {field} has no valid host name: {_display(url)!r}. {example}")
    if parts.scheme == "http" and not is_loopback(hostname):
        raise FocusConfigError(
            f"The Focus connection's {field} uses plain http:// for {hostname!r}; only loopback hosts "
            f"(the emulator) may. Use https://. {example}"
        )
    effective = _effective_port(url_port, port, field=field)
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if effective is not None and effective != _DEFAULT_PORTS[parts.scheme]:
        netloc += f":{effective}"
    return f"{parts.scheme}://{netloc.lower()}"


def _effective_port(url_port: int | None, port: int | str | None, *, field: str) -> int | None:
    """Merge the port written in the URL with the connection's port field; refuse a conflict or a non-port."""
    if not _port_given(port):
        return url_port
    try:
        number = int(str(port).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise FocusConfigError(
            "The Focus connection's port must be a whole number from 1 to 65535 (e.g. 443, or the emulator's "
            "8765); leave it empty for the scheme's default."
        )
    if url_port is not None and url_port != number:
        raise FocusConfigError(
            f"The Focus connection's {field} names port {url_port} but its port field says {number}; "
            "keep one of them (or make them equal)."
        )
    return number


def _display(url: str) -> str:
    """Return the scheme and host name of a URL for a message: never its user, password, port, path or query."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = authority.split("]", 1)[0] + "]" if authority.startswith("[") else authority.split(":", 1)[0]
    return f"{scheme[:20]}{sep}{host}"[:120]


def _is_ip(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def _destination_warnings(config: FocusClientConfig, *, api_field: str) -> list[str]:
    """Warn about every place outside Atlassian and loopback that will receive this connection's credentials."""
    destinations = [(config.api_root, api_field)]
    if config.auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS:
        destinations.append((config.token_url, "token_url"))
    warnings = []
    for url, field in destinations:
        hostname = urlsplit(url).hostname or ""
        if not (is_atlassian(hostname) or is_loopback(hostname)):
            origin = url.split("/", 3)
            warnings.append(
                f"The Focus connection sends its credentials to {'/'.join(origin[:3])} (from its {field}), which is "
                f"outside Atlassian's domains ({', '.join(model.ATLASSIAN_DOMAINS)}) and loopback: right for a "
                "proxy you run, otherwise check the connection."
            )
    return warnings


_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(message: str) -> None:
    """Log ``message`` as a warning the first time this process sees it (1,000 triggers share a connection)."""
    with _warned_lock:
        if message in _warned:
            return
        if len(_warned) < 10_000:
            _warned.add(message)
    log.warning("%s", message)


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
    Validate the ``auth_type`` extra (default ``api_token``); case, ``-`` and spaces do not matter.

    :raises FocusConfigError: for an unknown value.
    """
    if value is None:
        return AuthType.API_TOKEN
    try:
        return AuthType(re.sub(r"[\s\-.]+", "_", str(value).strip().lower()))
    except ValueError:
        known = ", ".join(repr(a.value) for a in AuthType)
        raise FocusConfigError(
            f"The Focus connection's extra 'auth_type' {str(value)[:60]!r} is unknown; use one of {known} "
            f'(e.g. {{"auth_type": "api_token"}}).'
        ) from None


def parse_verify(value: Any) -> bool | str:
    """
    Read the ``verify`` extra: a boolean (also as text) or the path of a CA bundle in PEM format.

    :raises FocusConfigError: for a path that does not exist, is a directory, cannot be read or holds no PEM
        certificate.
    """
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    advice = "Use true, false or the path of a PEM file, e.g. '/etc/ssl/certs/ca-certificates.crt'."
    shown = text[:200]
    try:
        status = os.stat(text)
    except FileNotFoundError:
        raise FocusConfigError(
            f"The Focus connection's extra 'verify' names the CA bundle {shown!r}, which does not exist. {advice}"
        ) from None
    except OSError as err:
        problem: str | None = f"which cannot be read ({err.strerror})"
    else:
        if stat.S_ISDIR(status.st_mode):
            raise FocusConfigError(f"The Focus connection's extra 'verify' names {shown!r}, a directory. {advice}")
        problem = _ca_bundle_problem(text, status.st_mtime_ns, status.st_size)
    if problem:
        raise FocusConfigError(f"The Focus connection's extra 'verify' names {shown!r}, {problem}. {advice}")
    return text


@functools.lru_cache(maxsize=64)
def _ca_bundle_problem(path: str, mtime_ns: int, size: int) -> str | None:
    """
    Say what makes a file no PEM CA bundle, or ``None``; read once per version of the file.

    A thousand triggers on one connection parse it a thousand times on the triggerer's event loop.
    """
    try:
        with open(path, "rb") as bundle:
            head = bundle.read(_MAX_CA_BUNDLE_BYTES)
    except OSError as err:
        return f"which cannot be read ({err.strerror})"
    if not _PEM_CERTIFICATE.search(head):
        return "which is not a PEM CA bundle (it has no '-----BEGIN CERTIFICATE-----' block)"
    return None


def parse_number(value: Any, extra: ExtraField) -> float | int:
    """
    Read a numeric extra within the bounds of its row in :data:`EXTRA_FIELDS` (the form shows the same bounds).

    :param value: the extra's value (a number or its text); ``None`` gives the row's default.
    :param extra: the row.
    :raises FocusConfigError: naming the extra and its bounds.
    """
    if value is None:
        return extra.default
    integral = extra.type == "integer"
    number = math.nan
    if not isinstance(value, bool):
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
    low = -math.inf if extra.minimum is None else extra.minimum
    high = math.inf if extra.maximum is None else extra.maximum
    if not (math.isfinite(number) and low <= number <= high and (number.is_integer() or not integral)):
        what = "a whole number" if integral else "a positive number of seconds"
        raise FocusConfigError(
            f"The Focus connection's extra {extra.name!r} must be {what} from {_bound(low)} to {_bound(high)}, "
            f"e.g. {extra.default}."
        )
    return int(number) if integral else number


def _bound(number: float) -> str:
    """Spell a bound as the form shows it: ``65536``, ``0.1``, never ``6.5536e+04``."""
    return str(int(number)) if math.isfinite(number) and float(number).is_integer() else f"{number:g}"


def _credential(value: str | None, field: str) -> str | None:
    """
    Strip a credential and refuse one with spaces or control characters inside; the value is never quoted.

    A token copied from a file or a secrets backend often ends in a line break: that is stripped, not refused.
    """
    if value is None or not value.strip():
        return None
    if _garbled(value.strip()):
        raise _garbled_error(field)
    return value.strip()


def _secret_credential(value: Secret | None) -> Secret | None:
    """Do what :func:`_credential` does for the password, without ever holding it in a plain local."""
    if value is None or not value.reveal().strip():
        return None
    if _garbled(value.reveal().strip()):
        raise _garbled_error("password")
    return Secret(value.reveal().strip())


def _garbled(text: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _garbled_error(field: str) -> FocusConfigError:
    return FocusConfigError(
        f"The Focus connection's {field} contains a space, a line break or another control character inside "
        "it; paste the value again (its first and last characters may be anything but whitespace)."
    )


def _check_credentials(auth_type: AuthType, *, login: str | None, has_password: bool, cloud_mode: bool) -> None:
    if auth_type is AuthType.API_TOKEN:
        if not login or not has_password:
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
    if auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS and (not login or not has_password):
        raise FocusConfigError(
            "auth_type 'oauth2_client_credentials' needs the service account's client id in the connection's "
            "login and its client secret in the password."
        )
    if auth_type is AuthType.OAUTH2_TOKEN and not has_password:
        raise FocusConfigError("auth_type 'oauth2_token' needs the access token in the connection's password.")

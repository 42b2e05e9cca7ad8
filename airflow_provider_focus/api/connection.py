"""
Read the fields of an Airflow connection into a validated
:class:`~airflow_provider_focus.api.config.FocusClientConfig`, naming the field that is wrong and showing a correct
example; without any I/O but a CA bundle's.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.conn_fields import (
    CONN_TYPE,
    EXAMPLE_CLOUD_ID,
    EXAMPLE_SITE,
    EXTRA_FIELDS,
    EXTRA_FIELDS_BY_NAME,
    ExtraField,
)
from airflow_provider_focus.api.secret import Secret, as_secret
from airflow_provider_focus.api.tls import parse_verify
from airflow_provider_focus.api.urls import (
    destination_warnings,
    parse_base_url,
    parse_site,
    port_given,
    without_userinfo,
)
from airflow_provider_focus.exceptions import FocusConfigError

log = logging.getLogger(__name__)


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

    The parameters are those of :meth:`~airflow_provider_focus.api.config.FocusClientConfig.from_connection_fields`.

    :raises FocusConfigError: naming the field that is wrong and showing a correct example.
    """
    password = as_secret(password)  # from here on, a traceback's locals show it as ***
    host = without_userinfo(host)  # and no credential written into the host (user:token@site)
    extras = _Extras(parse_extra(extra))
    has_host = bool(host and host.strip())
    site_url = parse_site(host or "", port=port) if has_host else None
    if not has_host and port_given(port):
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
            f"(e.g. {EXAMPLE_SITE!r}) or the extra 'cloud_id' (e.g. {EXAMPLE_CLOUD_ID!r})."
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
    warnings = extras.unknown_key_warnings() + destination_warnings(config, api_field=api_field)
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
    example = f'such as {{"cloud_id": "{EXAMPLE_CLOUD_ID}"}}'
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
            f"The Focus connection's extra 'cloud_id' must be a UUID such as {EXAMPLE_CLOUD_ID!r}, "
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
            f"'cloud_id' (e.g. {EXAMPLE_CLOUD_ID!r}; read it from https://<your-site>{model.TENANT_INFO_PATH})."
        )
    if auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS and (not login or not has_password):
        raise FocusConfigError(
            "auth_type 'oauth2_client_credentials' needs the service account's client id in the connection's "
            "login and its client secret in the password."
        )
    if auth_type is AuthType.OAUTH2_TOKEN and not has_password:
        raise FocusConfigError("auth_type 'oauth2_token' needs the access token in the connection's password.")

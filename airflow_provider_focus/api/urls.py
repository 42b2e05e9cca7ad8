"""Validate where a Focus connection points -- its site, an explicit URL, a port -- and check the hosts it names."""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_focus.api import model
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.conn_fields import EXAMPLE_CLOUD_ID, EXAMPLE_SITE
from airflow_provider_focus.exceptions import FocusConfigError

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
    host = without_userinfo(host)  # from here on, a traceback's locals show no credential written into the host
    raw = host.strip()
    example = f"Use the site's host name only, e.g. {EXAMPLE_SITE!r} or 'https://{EXAMPLE_SITE}'."
    if any(ch.isspace() for ch in raw):
        raise FocusConfigError(f"The Focus connection's host {_display(raw)!r} contains spaces. {example}")
    if "://" not in raw:
        if ":" in raw and _is_ip(raw):
            raw = f"[{raw}]"  # a bare IPv6 address such as ::1
        bare = _bare_hostname(raw)
        raw = f"{'http' if bare is not None and is_loopback(bare) else 'https'}://{raw}"
    return _parse_origin(raw, field="host", example=example, port=port)


def without_userinfo(host: Any) -> Any:
    """
    Return a host field with any ``user:password@`` in its authority replaced by ``***@`` (anything else unchanged).

    The host is still refused for carrying credentials (the ``@`` stays), but the credential itself is gone from
    every later frame's local variables (a traceback with locals, as Airflow 3.0 prints it, shows each frame's).

    :param host: the connection's host field (or a site), as given.
    """
    if not isinstance(host, str) or "@" not in host:
        return host
    scheme, sep, rest = host.partition("://")
    if not sep:
        scheme, rest = "", host
    authority, tail = re.split(r"(?=[/?#])", rest, maxsplit=1) if re.search(r"[/?#]", rest) else (rest, "")
    if "@" not in authority:
        return host
    return f"{scheme}{sep}***@{authority.rsplit('@', 1)[1]}{tail}"


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
    example = f"Use e.g. 'https://api.atlassian.com/focus/cloud/{EXAMPLE_CLOUD_ID}/v1' or, for the emulator, "
    example += f"'http://127.0.0.1:8765{model.SITE_API_PATH}'."
    if not isinstance(value, str) or "://" not in value or any(ch.isspace() for ch in value.strip()):
        raise FocusConfigError(f"The Focus connection's extra {field!r} must be an absolute URL. {example}")
    origin = _parse_origin(value.strip(), field=field, example=example, allow_path=True)
    path = urlsplit(value.strip()).path.rstrip("/")
    return origin + path


def port_given(port: Any) -> bool:
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
    if not port_given(port):
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


def destination_warnings(config: FocusClientConfig, *, api_field: str) -> list[str]:
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

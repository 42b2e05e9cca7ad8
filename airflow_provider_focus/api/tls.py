"""
TLS, written once: the ``verify`` extra (a boolean or a CA bundle, checked without building anything) and the
process-wide SSL contexts built from it.

Building an SSL context loads a whole CA bundle (about 25 ms and 830 KB): each ``verify`` setting gets one context
per process, built on first use and, from an event loop, in a thread.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import stat
import threading
from typing import Any

from airflow_provider_focus._lazy import in_thread_once
from airflow_provider_focus.exceptions import FocusConfigError

#: A CA bundle larger than this is not read whole to look for a certificate.
_MAX_CA_BUNDLE_BYTES = 16 * 1024 * 1024
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----")


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


_ssl_contexts: dict[bool | str, ssl.SSLContext] = {}
_ssl_lock = threading.Lock()


def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """
    Return the process-wide SSL context for a ``verify`` setting, building it on first use (blocking, thread-safe).

    :param verify: ``True`` (the CA bundle httpx uses), ``False`` (no verification) or the path of a CA bundle.
    """
    with _ssl_lock:
        context = _ssl_contexts.get(verify)
        if context is None:
            if isinstance(verify, str):
                context = ssl.create_default_context(cafile=verify)
            else:
                import httpx  # its CA bundle (certifi), loaded only when a context is built

                context = httpx.create_ssl_context(verify=verify)
            _ssl_contexts[verify] = context
        return context


async def assl_context(verify: bool | str) -> ssl.SSLContext:
    """
    Return the process-wide SSL context for a ``verify`` setting; the first build runs in a thread, off the loop.

    Callers that ask while the first build runs wait for that build (``_lazy.in_thread_once``), not in a thread job
    each.

    :param verify: as for :func:`ssl_context`.
    """
    context = _ssl_contexts.get(verify)
    if context is not None:
        return context
    return await in_thread_once(("ssl_context", verify), ssl_context, verify)

"""
What a transport exception means, decided once for both HTTP libraries.

A transport says only what its own exception classes tell (was a connection made, did a timeout fire); the rest --
an unknown host, a TLS failure, the short reason quoted in the message -- is read here from the exception chain
(``socket.gaierror``, ``ssl.SSLError``, ``OSError.strerror``), the same way for ``requests`` and ``httpx``.
"""

from __future__ import annotations

import os
import socket
import ssl
from typing import Any

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.steps import TransportFailure


def causes(err: BaseException) -> list[BaseException]:
    """Walk an exception's args, ``reason``, cause and context to find the underlying errors (outermost first)."""
    found: list[BaseException] = []
    pending: list[Any] = [err]
    while pending and len(found) < 30:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            linked
            for linked in (getattr(current, "reason", None), current.__cause__, current.__context__)
            if linked is not None
        )
    return found


def classify(err: BaseException, *, connected: bool, timed_out: bool) -> TransportFailure:
    """
    Turn a transport library's exception into a :class:`TransportFailure` that holds only words.

    Call it inside the ``except`` block, but raise its result outside it, so that no ``__context__`` keeps the
    library's exception (whose request carries the ``Authorization`` header or the client secret).

    :param err: the library's exception.
    :param connected: ``False`` when the library says no connection was made (the request was not sent).
    :param timed_out: ``True`` when the library says a timeout fired.
    """
    chain = causes(err)
    if any(isinstance(cause, socket.gaierror) for cause in chain):
        kind = errors.NOT_RESOLVED
    elif not connected and any(isinstance(cause, ssl.SSLError) for cause in chain):
        kind = errors.TLS_FAILED
    elif not connected:
        kind = errors.NOT_CONNECTED
    else:
        kind = errors.TIMED_OUT if timed_out else errors.BROKEN
    return TransportFailure(kind, describe(chain))


def describe(chain: list[BaseException]) -> str:
    """
    Name the reason of a failure in a few words that keep their meaning when cut.

    The operating system's words win (``[Errno 111] Connection refused``, ``[Errno -2] Name or service not
    known``), then a TLS library's, then the innermost error's first line, then the outermost class name.

    :param chain: the exceptions, outermost first.
    """
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return errors.cut(_first_line(cause), errors.DETAIL_CHARS)
    for cause in chain:
        if isinstance(cause, OSError) and (cause.strerror or cause.errno):
            # the system's own words for the number: asyncio says "Connect call failed", the OS "Connection refused"
            words = os.strerror(cause.errno) if isinstance(cause.errno, int) and cause.errno > 0 else cause.strerror
            number = f"[Errno {cause.errno}] " if cause.errno is not None else ""
            return errors.cut(f"{number}{words}", errors.DETAIL_CHARS)
    for cause in chain:
        if isinstance(cause, TimeoutError):
            return "timed out"
    for cause in reversed(chain):
        line = _first_line(cause)
        if line:
            return errors.cut(f"{type(cause).__name__}: {line}", errors.DETAIL_CHARS)
    return type(chain[0]).__name__ if chain else "unknown error"


def _first_line(err: BaseException) -> str:
    try:
        text = str(err)
    except Exception:  # a broken __str__ must not hide the failure
        return ""
    return text.strip().splitlines()[0] if text.strip() else ""

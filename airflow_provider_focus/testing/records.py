"""The emulator's request log: one :class:`RecordedRequest` per request it received, secrets redacted, bounded."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

#: How many requests the log keeps unless told otherwise; older ones are dropped first.
DEFAULT_REQUEST_LOG_SIZE = 10_000
#: Keys whose values are replaced by :data:`REDACTED` wherever they appear in a recorded body or query (any case).
SECRET_KEYS = frozenset({"client_secret", "password", "access_token", "refresh_token", "authorization"})
#: What a secret's value is recorded as.
REDACTED = "***"


def redact(value: Any) -> Any:
    """
    Return a copy of ``value`` with the values of :data:`SECRET_KEYS` replaced by :data:`REDACTED`, at any depth.

    :param value: a parsed JSON value (dicts, lists, scalars).
    """
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and key.lower() in SECRET_KEYS else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


@dataclass(frozen=True)
class RecordedRequest:
    """
    One request as the emulator saw it.

    :param method: HTTP method.
    :param path: path relative to the API root (``focus-areas/fa-0001``) on the site and cloud roots, else the
        full path (``/oauth/token``).
    :param query: query parameters (first value of each).
    :param status: HTTP status sent, or ``None`` when the connection was dropped without an answer.
    :param auth_mode: ``"basic"``, ``"bearer"`` or ``"none"`` (what the client sent, valid or not).
    :param root: ``"site"``, ``"cloud"``, ``"token"``, ``"tenant_info"``, ``"web"`` or ``"other"``.
    :param fault: the injected fault applied to the request (``"rate_limit"``, ``"drop_after"``, ...) or ``None``.
    :param body: the parsed JSON body of the request, if it had one.
    :param trace_id: the trace id sent back in the response headers.
    :param full_path: the path as sent, without the query string.
    :param client_port: the client's source port (the same for every request of one keep-alive connection).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int | None
    auth_mode: str
    root: str
    fault: str | None = None
    body: Any = None
    trace_id: str | None = None
    full_path: str = ""
    client_port: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-able dict."""
        return asdict(self)


class RequestLog:
    """
    A thread-safe log of the last ``maxlen`` :class:`RecordedRequest`, with secrets in bodies and queries redacted.

    Headers are never recorded (an ``Authorization`` value cannot leak through the log), only the auth mode.

    :param maxlen: the most records kept; the oldest are dropped first.
    """

    def __init__(self, maxlen: int = DEFAULT_REQUEST_LOG_SIZE) -> None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 1:
            raise ValueError(f"request_log_size must be a positive integer, got {maxlen!r}")
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=maxlen)

    @property
    def maxlen(self) -> int:
        """The most records kept."""
        return self._records.maxlen or 0

    def append(self, record: RecordedRequest) -> None:
        """Add one record, its body and query redacted (dropping the oldest when full)."""
        record = replace(record, body=redact(record.body), query=redact(record.query))
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RecordedRequest]:
        """Return a copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

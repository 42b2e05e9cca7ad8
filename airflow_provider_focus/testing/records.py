"""The emulator's request log: one :class:`RecordedRequest` per request it received."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


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
    """A thread-safe, append-only list of :class:`RecordedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []

    def append(self, record: RecordedRequest) -> None:
        """Add one record."""
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

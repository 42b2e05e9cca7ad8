"""
Fault injection: 429s, 5xx with HTML bodies, latency, dropped connections and truncated JSON.

Each fault matches requests by method and path (a prefix, or a compiled regular expression searched in the path
relative to the API root) and applies to the next ``count`` matching requests (``None``: until cleared).
Decisions are taken under one lock, so counts are exact under concurrency.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

RATE_LIMIT = "rate_limit"
TOKEN_BUCKET = "token_bucket"
SERVER_ERROR = "server_error"
LATENCY = "latency"
DROP_BEFORE = "drop_before"
DROP_AFTER = "drop_after"
MALFORMED_JSON = "malformed_json"
KINDS = (RATE_LIMIT, TOKEN_BUCKET, SERVER_ERROR, LATENCY, DROP_BEFORE, DROP_AFTER, MALFORMED_JSON)

#: Roots a fault applies to when no ``root`` is given: the two API roots.
API_ROOTS = frozenset({"site", "cloud"})
#: Pass as ``root`` to match every request except the control API.
ANY_ROOT = "any"

PathFilter = str | re.Pattern[str] | None


@dataclass
class Fault:
    """
    One injected fault. ``applied`` counts the requests it hit; ``remaining`` is ``None`` for unlimited.

    :param id: id of the fault (for ``DELETE /_emulator/faults/{id}``).
    :param kind: one of :data:`KINDS`.
    :param remaining: how many more matching requests it applies to.
    :param path: a path prefix (relative to the API root) or a compiled regex searched in that path.
    :param method: an HTTP method, or ``None`` for any.
    :param root: ``"site"``, ``"cloud"``, ``"token"``, ... or ``"any"``; ``None`` means both API roots.
    :param status: HTTP status sent (429 or 5xx).
    :param retry_after: ``Retry-After`` seconds sent with it.
    :param seconds: delay of a latency fault.
    :param rate: tokens per second of a token bucket.
    :param burst: capacity of a token bucket.
    """

    id: int
    kind: str
    remaining: int | None
    path: PathFilter = None
    method: str | None = None
    root: str | None = None
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    rate: float = 0.0
    burst: float = 0.0
    applied: int = 0
    _tokens: float = field(default=0.0, repr=False)
    _stamp: float = field(default=0.0, repr=False)

    def matches(self, method: str, path: str, root: str) -> bool:
        """Tell whether the fault applies to a request."""
        if self.root is None:
            if root not in API_ROOTS:
                return False
        elif self.root != ANY_ROOT and self.root != root:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.search(path) is not None
        return path.lstrip("/").startswith(self.path.lstrip("/"))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able description of the fault."""
        path = self.path.pattern if isinstance(self.path, re.Pattern) else self.path
        return {
            "id": self.id,
            "kind": self.kind,
            "remaining": self.remaining,
            "applied": self.applied,
            "path": path,
            "path_is_regex": isinstance(self.path, re.Pattern),
            "method": self.method,
            "root": self.root,
            "status": self.status or None,
            "retry_after": self.retry_after,
            "seconds": self.seconds or None,
            "rate": self.rate or None,
            "burst": self.burst or None,
        }


@dataclass(frozen=True)
class Decision:
    """
    What to do to one request.

    :param latency: seconds to wait before handling it.
    :param kind: the fault to apply, or ``None``.
    :param status: status of a 429/5xx fault.
    :param retry_after: ``Retry-After`` of a 429/5xx fault.
    """

    latency: float = 0.0
    kind: str | None = None
    status: int = 0
    retry_after: float | None = None


NO_FAULT = Decision()


class FaultInjector:
    """The set of active faults of one emulator (``fe.faults``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def _add(
        self, kind: str, count: int | None, path: PathFilter, method: str | None, root: str | None, **params: Any
    ) -> Fault:
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or None for every matching request")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            remaining=count,
            path=path,
            method=method.upper() if method else None,
            root=root,
            **params,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def rate_limit(
        self,
        count: int | None = 1,
        retry_after: float = 1,
        path: PathFilter = None,
        method: str | None = None,
        *,
        root: str | None = None,
    ) -> Fault:
        """
        Answer the next ``count`` matching requests with 429 and ``Retry-After``.

        :param count: how many requests; ``None`` for every one until cleared.
        :param retry_after: the ``Retry-After`` value in seconds.
        :param path: a path prefix relative to the API root (``"focus-areas"``) or a compiled regex.
        :param method: only this HTTP method.
        :param root: only this root (``"site"``, ``"cloud"``, ``"token"``, ``"any"``); default both API roots.
        """
        return self._add(RATE_LIMIT, count, path, method, root, status=429, retry_after=retry_after)

    def token_bucket(
        self,
        rate: float,
        burst: float,
        path: PathFilter = None,
        method: str | None = None,
        *,
        root: str | None = None,
    ) -> Fault:
        """
        Rate-limit matching requests with a token bucket (starts full) until cleared; an empty bucket gets 429
        with ``Retry-After`` set to the seconds until the next token.

        :param rate: tokens added per second.
        :param burst: bucket capacity.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        fault = self._add(TOKEN_BUCKET, None, path, method, root, status=429, rate=rate, burst=burst)
        fault._tokens = burst
        fault._stamp = time.monotonic()
        return fault

    def server_error(
        self,
        count: int | None = 1,
        status: int = 503,
        retry_after: float | None = None,
        path: PathFilter = None,
        method: str | None = None,
        *,
        root: str | None = None,
    ) -> Fault:
        """
        Answer the next ``count`` matching requests with a 5xx and an HTML body, like the edge does.

        :param count: how many requests; ``None`` for every one until cleared.
        :param status: the status (500-599).
        :param retry_after: add ``Retry-After`` with this many seconds.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx status")
        return self._add(SERVER_ERROR, count, path, method, root, status=status, retry_after=retry_after)

    def latency(
        self,
        seconds: float,
        count: int | None = None,
        path: PathFilter = None,
        method: str | None = None,
        *,
        root: str | None = None,
    ) -> Fault:
        """
        Delay matching requests by ``seconds`` before handling them (combines with other faults).

        :param seconds: the delay.
        :param count: how many requests; ``None`` (default) for every one until cleared.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return self._add(LATENCY, count, path, method, root, seconds=seconds)

    def drop_before(
        self, count: int | None = 1, path: PathFilter = None, method: str | None = None, *, root: str | None = None
    ) -> Fault:
        """
        Close the connection of matching requests without handling them and without an answer.

        :param count: how many requests.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        return self._add(DROP_BEFORE, count, path, method, root)

    def drop_after(
        self, count: int | None = 1, path: PathFilter = None, method: str | None = None, *, root: str | None = None
    ) -> Fault:
        """
        Handle matching requests (a write takes effect), then close the connection without an answer.

        :param count: how many requests.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        return self._add(DROP_AFTER, count, path, method, root)

    def malformed_json(
        self, count: int | None = 1, path: PathFilter = None, method: str | None = None, *, root: str | None = None
    ) -> Fault:
        """
        Handle matching requests, then answer 200 with the JSON body cut in half.

        :param count: how many requests.
        :param path: see :meth:`rate_limit`.
        :param method: see :meth:`rate_limit`.
        :param root: see :meth:`rate_limit`.
        """
        return self._add(MALFORMED_JSON, count, path, method, root)

    def add(self, spec: dict[str, Any]) -> Fault:
        """
        Add a fault from a JSON description (the control API's ``POST /_emulator/faults``).

        :param spec: ``{"kind": "rate_limit", "count": 2, "retry_after": 1, "path": "focus-areas"}``; a
            ``path_regex`` key gives a regular expression instead of a prefix.
        :raises ValueError: for an unknown kind or bad parameters.
        """
        params = dict(spec)
        kind = params.pop("kind", None)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        regex = params.pop("path_regex", None)
        if regex is not None:
            if params.get("path") is not None:
                raise ValueError("give path or path_regex, not both")
            params["path"] = re.compile(regex)
        method = getattr(self, kind)
        try:
            fault: Fault = method(**params)
        except TypeError as error:
            raise ValueError(f"bad parameters for {kind}: {error}") from None
        return fault

    def remove(self, fault_id: int) -> bool:
        """Remove one fault by id; tell whether it existed."""
        with self._lock:
            before = len(self._faults)
            self._faults = [fault for fault in self._faults if fault.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        """Return the active faults, oldest first."""
        with self._lock:
            return list(self._faults)

    def decide(self, method: str, path: str, root: str) -> Decision:
        """
        Pick what happens to one request and count it against the matching faults.

        Every matching latency fault adds its delay; then the first matching other fault applies (a token
        bucket with a token left lets the request through to the next one).

        :param method: HTTP method.
        :param path: path relative to the API root (full path for other roots).
        :param root: the root the request went to.
        """
        if not self._faults:
            return NO_FAULT
        latency = 0.0
        chosen: Decision | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, root):
                    continue
                if fault.kind == LATENCY:
                    latency += fault.seconds
                    self._consume(fault)
                elif chosen is not None:
                    continue
                elif fault.kind == TOKEN_BUCKET:
                    now = time.monotonic()
                    fault._tokens = min(fault.burst, fault._tokens + (now - fault._stamp) * fault.rate)
                    fault._stamp = now
                    if fault._tokens >= 1:
                        fault._tokens -= 1
                        continue
                    fault.applied += 1
                    wait = max(1, math.ceil((1 - fault._tokens) / fault.rate))
                    chosen = Decision(kind=TOKEN_BUCKET, status=429, retry_after=wait)
                else:
                    self._consume(fault)
                    chosen = Decision(kind=fault.kind, status=fault.status, retry_after=fault.retry_after)
            self._faults = [fault for fault in self._faults if fault.remaining != 0]
        if chosen is None:
            return Decision(latency=latency) if latency else NO_FAULT
        return Decision(latency=latency, kind=chosen.kind, status=chosen.status, retry_after=chosen.retry_after)

    @staticmethod
    def _consume(fault: Fault) -> None:
        fault.applied += 1
        if fault.remaining is not None:
            fault.remaining -= 1

"""
The steps a call yields to its driver, and what the driver answers: the vocabulary between the sans-I/O core
(:mod:`~airflow_provider_focus.api.core`) and the two transports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.secret import Secret

T = TypeVar("T")


# --- steps: what a call asks its driver to do ---------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """
    Send one HTTP request and answer with an :class:`Answer`, or throw a :class:`TransportFailure`.

    Redirects are never followed; the body is read whole, but never past ``max_bytes`` nor past ``deadline``.

    :param method: HTTP method.
    :param url: the absolute URL, query included.
    :param headers: every header to send (the transport adds none of its own that matter).
    :param body: the encoded body, or ``None``.
    :param deadline: ``time.monotonic()`` value by which the whole exchange, body included, must be over.
    :param max_bytes: the largest body to accept.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes | None = field(repr=False)
    deadline: float
    max_bytes: int

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.deadline - time.monotonic()


@dataclass(frozen=True)
class Wait:
    """Sleep this many seconds, then answer ``None``."""

    seconds: float


@dataclass(frozen=True)
class FetchToken:
    """
    Run ``steps`` (the token source's "current or fetched token") under the client's token lock; answer its value.

    One lock per client makes twenty threads (or tasks) that find the token expired fetch one new token, not twenty.
    """

    steps: Callable[[], Generator[Any, Any, Secret]]


@dataclass(frozen=True)
class Reveal:
    """Hand a secret derived at run time to the secrets masker (sync or async); answer ``None``."""

    secret: str = field(repr=False)


@dataclass(frozen=True)
class LookUp:
    """Call ``find`` (sync or async) with ``budget`` as the current call budget; answer what it returns."""

    find: Callable[[], Any]
    budget: Budget


Step = Send | Wait | FetchToken | Reveal | LookUp
Steps = Generator[Step, Any, T]


class Headers(Mapping[str, str]):
    """Response headers, looked up without regard to case."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items = {key.lower(): value for key, value in (items or {}).items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Answer:
    """
    A response as the core reads it (it fits :class:`~airflow_provider_focus.api.errors.HttpResponse`).

    :param status_code: the HTTP status.
    :param headers: the response headers.
    :param content: the body, whole (empty when it was too large); not in the ``repr``, since a server may echo
        a credential in it.
    :param too_large: ``True`` when the body was larger than the cap and was not read.
    """

    status_code: int
    headers: Headers
    content: bytes = field(default=b"", repr=False)
    too_large: bool = False

    @property
    def text(self) -> str:
        """The body as text, in the charset the server named when it is a known one, else UTF-8; never raises."""
        return errors.text_of(self.content, self.headers.get("content-type"))


class AnswerReader:
    """
    Reads one answer's body within the size cap: the one reader of ``max_bytes`` for both transports.

    Use it as: ``if not reader.full: for chunk in body: if not reader.feed(chunk): break``, then
    ``reader.answer()``; an answer that declares or sends more than the cap is :attr:`Answer.too_large`.

    :param status_code: the answer's status.
    :param headers: its headers.
    :param max_bytes: the largest body to accept.
    """

    def __init__(self, status_code: int, headers: Headers, max_bytes: int) -> None:
        self.status_code = status_code
        self.headers = headers
        self.max_bytes = max_bytes
        self._chunks: list[bytes] = []
        self._size = 0
        #: Whether the body is over the cap (declared so, or read so): read no further.
        self.full = _declared_length(headers) > max_bytes

    def feed(self, chunk: bytes) -> bool:
        """
        Take one chunk of the body; return whether to read on (``False`` once the body is over the cap).

        :param chunk: the bytes read.
        """
        self._size += len(chunk)
        if self._size > self.max_bytes:
            self.full = True
            self._chunks.clear()
            return False
        self._chunks.append(chunk)
        return True

    def answer(self) -> Answer:
        """Return the answer read: the whole body, or none with ``too_large`` set."""
        if self.full:
            return Answer(self.status_code, self.headers, too_large=True)
        return Answer(self.status_code, self.headers, b"".join(self._chunks))


def _declared_length(headers: Headers) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


class TransportFailure(Exception):
    """
    A request got no complete answer. It carries words, never the library's exception (which holds the request).

    Build it with :func:`~airflow_provider_focus.api.failures.classify` *outside* the ``except`` block that
    caught the library's exception, so that no ``__context__`` keeps the request either.

    :param kind: one of the kinds in :mod:`~airflow_provider_focus.api.errors`.
    :param detail: a short reason, e.g. ``[Errno 111] Connection refused``.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(kind, detail)
        self.kind = kind
        self.detail = detail


# --- the budget of one call ----------------------------------------------------------------------------------------


#: The least a 429 retry costs of a call's rate-limit time, in seconds, however short the wait it asks for.
RATE_LIMIT_MIN_COST = 0.1


class Budget:
    """
    The attempts one call may still make; the look-up after an ambiguous create draws from the same budget.

    Rate limiting is budgeted in time instead: an attempt answered 429 is given back while the call's
    rate-limit time lasts (see :meth:`refund_rate_limited`). That time is spent by the clock and by the waits
    themselves (each counted as at least :data:`RATE_LIMIT_MIN_COST`), whichever is further, so a storm of
    ``Retry-After: 0`` answers, or a driver whose sleep is a stand-in, still ends.

    :param attempts: attempts in all (``max_retries + 1``).
    :param rate_limit_seconds: the rate-limit time of the call, in seconds.
    """

    def __init__(self, attempts: int, rate_limit_seconds: float = 0.0) -> None:
        self.left = attempts
        self.rate_limit_seconds = rate_limit_seconds
        self.rate_limit_deadline = time.monotonic() + rate_limit_seconds
        self.rate_limit_waited = 0.0

    def take(self) -> None:
        """Spend one attempt."""
        self.left -= 1

    def refund_rate_limited(self, wait: float) -> bool:
        """
        Give back the attempt a 429 answered, if waiting ``wait`` seconds still ends within the rate-limit time.

        :param wait: the wait before the next attempt.
        :return: whether the attempt was given back.
        """
        cost = max(wait, RATE_LIMIT_MIN_COST)
        if time.monotonic() + wait > self.rate_limit_deadline:
            return False
        if self.rate_limit_waited + cost > self.rate_limit_seconds:
            return False
        self.rate_limit_waited += cost
        self.left += 1
        return True

    def spent(self, _retry_state: tenacity.RetryCallState | None = None) -> bool:
        """Whether no attempt is left (tenacity's ``stop``)."""
        return self.left <= 0


def exchange(request: Send) -> Generator[Step, Any, Answer]:
    """
    Yield ``request`` and return its answer; refuse to send once its deadline has passed.

    :param request: what to send.
    :raises TransportFailure: when the deadline passed before sending, or the transport got no complete answer.
    """
    if request.remaining() <= 0:
        raise TransportFailure(errors.NOT_CONNECTED, "the call's timeout ran out before the request could be sent")
    answer: Answer = yield request
    return answer

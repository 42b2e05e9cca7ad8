"""
The async transport: moves a :class:`~airflow_provider_focus.api.steps.Send` over ``httpx`` and reads the answer.

It follows no redirect (whatever the injected client is set to), reads at most ``max_bytes`` and ends the whole
exchange at its deadline (:func:`~airflow_provider_focus.api.deadline.within`), even when the server trickles
bytes. Everything else is decided in the core.
"""

from __future__ import annotations

import asyncio

import httpx

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.deadline import within
from airflow_provider_focus.api.failures import classify
from airflow_provider_focus.api.steps import Answer, AnswerReader, Headers, Send, TransportFailure

#: httpx errors that say the request never left: no connection was made, or none came free in the pool.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Progress:
    """
    How far one exchange got, from httpcore's ``trace`` events: still connecting (TCP, TLS), or sending.

    It tells a timed-out TLS handshake (nothing sent: safe to send again, even a POST) from a timed-out answer
    (sent: it may have taken effect). Without events (a transport that sends none) nothing is known, and a failure
    counts as sent.
    """

    def __init__(self) -> None:
        self.connecting = False
        self.sending = False

    async def __call__(self, name: str, info: object) -> None:
        if name.endswith(("connect_tcp.started", "start_tls.started")):
            self.connecting = True
        elif name.endswith("send_request_headers.started"):
            self.sending = True

    @property
    def unsent(self) -> bool:
        """Whether the exchange was seen connecting and never sending."""
        return self.connecting and not self.sending


class HttpxTransport:
    """
    Send requests with an ``httpx.AsyncClient``.

    :param http: the client (its pool, TLS settings and proxies are used as they are).
    """

    library = f"python-httpx/{httpx.__version__}"

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, request: Send) -> Answer:
        """
        Send ``request`` and read its whole answer, within its deadline and size cap.

        :param request: what to send.
        :raises TransportFailure: when no complete answer came.
        """
        failure: TransportFailure | None = None
        remaining = max(0.001, request.remaining())
        progress = _Progress()
        try:
            return await within(self._exchange(request, remaining, progress), remaining)
        except asyncio.TimeoutError:
            if progress.unsent:
                failure = TransportFailure(errors.NOT_CONNECTED, "timed out")
            else:
                failure = TransportFailure(errors.TIMED_OUT, "no complete answer before the call's timeout")
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, ValueError):
            # httpx refuses a header value (e.g. a credential with a line break); its message quotes it.
            failure = TransportFailure(errors.INVALID_HEADER, "a header value is invalid")
        except (httpx.TransportError, httpx.DecodingError, httpx.StreamError, OSError) as err:
            connected = not (isinstance(err, _NEVER_SENT) or progress.unsent)
            failure = classify(err, connected=connected, timed_out=isinstance(err, httpx.TimeoutException))
        raise failure

    async def _exchange(self, request: Send, remaining: float, progress: _Progress) -> Answer:
        async with self.http.stream(
            request.method,
            request.url,
            headers=dict(request.headers),
            content=request.body,
            timeout=httpx.Timeout(remaining),
            follow_redirects=False,
            auth=None,  # the core's Authorization header only, never the client's own auth
            extensions={"trace": progress},
        ) as response:
            reader = AnswerReader(response.status_code, Headers(response.headers), request.max_bytes)
            if not reader.full:
                async for chunk in response.aiter_bytes():
                    if not reader.feed(chunk):
                        break
            return reader.answer()

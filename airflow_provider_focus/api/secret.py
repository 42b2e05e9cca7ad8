"""
Secrets that never show themselves: not in a ``repr``, a ``str``, nor a traceback that lists local variables.

Airflow 3.0 prints a failed task's traceback with every frame's local variables (rich and structlog do that with
``show_locals``), and not every value there passes its secrets masker. So the wire keeps each credential -- the API
token, the client secret, an access token, an ``Authorization`` value -- in a :class:`Secret` and each request's
headers in :class:`RequestHeaders`, and reveals the value only inside an expression that hands it to the HTTP
library, never into a plain local variable.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping

#: What a secret shows instead of itself.
HIDDEN = "***"

#: The header that carries the credential.
AUTHORIZATION = "Authorization"


class Secret:
    """
    A secret text whose ``repr`` and ``str`` are ``***``; :meth:`reveal` returns it.

    :param value: the secret.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself (hand it straight to where it is needed; do not keep it in a variable)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({HIDDEN!r})"

    def __str__(self) -> str:
        return HIDDEN

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


def as_secret(value: str | Secret | None) -> Secret | None:
    """
    Return ``value`` as a :class:`Secret` (``None`` stays ``None``).

    :param value: a secret text, or one already wrapped.
    """
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


class RequestHeaders(Mapping[str, str]):
    """
    The headers of one request; its ``repr`` shows every header but the ``Authorization`` value.

    It is no ``dict`` on purpose: rich and structlog print a ``dict`` item by item, but this through its ``repr``.

    :param headers: the headers without the credential.
    :param authorization: the ``Authorization`` value, if the request carries one.
    """

    def __init__(self, headers: Mapping[str, str], *, authorization: Secret | None = None) -> None:
        self._plain = {name: value for name, value in headers.items() if name.lower() != AUTHORIZATION.lower()}
        self._authorization = authorization

    def __getitem__(self, name: str) -> str:
        if name == AUTHORIZATION and self._authorization is not None:
            return self._authorization.reveal()
        return self._plain[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._plain
        if self._authorization is not None:
            yield AUTHORIZATION

    def __len__(self) -> int:
        return len(self._plain) + (self._authorization is not None)

    def __repr__(self) -> str:
        shown = dict(self._plain)
        if self._authorization is not None:
            shown[AUTHORIZATION] = HIDDEN
        return f"RequestHeaders({shown!r})"

"""
Server text is scrubbed of every secret the client knows before it reaches a message, a log line or a report.

A server (or a proxy in front of it) may echo what it was sent -- the ``Authorization`` header, the token, the
client secret of a token request -- in an error body, a header or a redirect. Airflow's secrets masker redacts
log lines, but not an exception's ``str()`` that a report carries into XCom, nor a secret in another spelling
(percent-encoded, JSON-escaped). A :class:`Scrubber` replaces each secret it was given, in each spelling a server
is likely to echo, with :data:`REDACTED`, before the text is cut to a bounded length (so that no cut can keep a
part of a secret).
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

#: What a secret is replaced with.
REDACTED = "***"
#: Shorter secrets are not scrubbed, as Airflow's masker does not mask them: replacing every ``t`` of a message
#: hides nothing. A real API token, client secret or access token is far longer.
MIN_SECRET_LENGTH = 5


def spellings(secret: str) -> set[str]:
    """
    Return the spellings of ``secret`` a server may echo: as it is, percent-encoded (either hex case, ``+`` or
    ``%20`` for a space), JSON-escaped (also with ``\\u`` escapes of non-ASCII), HTML-escaped and in base64.

    :param secret: the secret.
    """
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        base64.b64encode(secret.encode()).decode("ascii").rstrip("="),
    }
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in list(forms)}
    return {form for form in forms if form}


class Scrubber:
    """
    Replaces known secrets in text; thread-safe, and cheap when there is nothing to replace.

    :param secrets: the secrets known from the start (blank and very short ones are ignored).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """
        Learn a secret (a fetched access token, a derived header value).

        :param secret: the secret; ``None``, blank or shorter than :data:`MIN_SECRET_LENGTH` is ignored.
        """
        if not secret or len(secret.strip()) < MIN_SECRET_LENGTH or secret in self._secrets:
            return
        with self._lock:
            self._secrets.add(secret)
            forms = set().union(*(spellings(known) for known in self._secrets))
            # Longest first, so that a secret's longer spelling is replaced whole, not around a shorter one.
            ordered = sorted(forms, key=lambda form: (-len(form), form))
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def __call__(self, text: str) -> str:
        """
        Return ``text`` with every known secret replaced by :data:`REDACTED`.

        :param text: server text (an error body, a header value, a transport's message).
        """
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)


#: A scrubber that knows no secret (for code paths that have no client, e.g. the cloudId discovery).
NO_SECRETS = Scrubber()

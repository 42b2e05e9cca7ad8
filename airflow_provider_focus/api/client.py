"""The Focus REST API client: one keep-alive session, auth, retries, pagination and error mapping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import tenacity

from airflow_provider_focus import __version__
from airflow_provider_focus.api import model
from airflow_provider_focus.api.auth import SecretSink, build_auth
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.errors import error_from_response
from airflow_provider_focus.api.retry import IDEMPOTENT_METHODS, RetryPolicy
from airflow_provider_focus.exceptions import (
    BODY_EXCERPT_CHARS,
    FocusConfigError,
    FocusConnectionError,
    FocusError,
    FocusNotFoundError,
    FocusResponseError,
    FocusServerError,
)

log = logging.getLogger(__name__)

USER_AGENT = f"airflow-provider-focus/{__version__} python-requests/{requests.__version__}"


def resource_path(*segments: str | int) -> str:
    """
    Join path segments, URL-encoding each one, so that an id can never reach another endpoint.

    :param segments: the resource name first (``"focus-areas"``), then ids.
    :raises FocusConfigError: for an empty id or one that is ``.`` or ``..``.
    """
    first, *ids = (str(segment) for segment in segments)
    encoded = [first]
    for segment in ids:
        if segment.strip() in ("", ".", ".."):
            raise FocusConfigError(f"{segment!r} is not a valid Focus id.")
        encoded.append(quote(segment, safe=""))
    return "/".join(encoded)


def _noop_secret(_secret: str) -> None:
    return None


@dataclass
class _CallState:
    """What earlier attempts of one call left behind."""

    token_refreshed: bool = False
    sent_without_answer: bool = False


class FocusClient:
    """
    Talk to one Focus API root.

    :param config: the validated configuration.
    :param session: the session to use; a new one by default. One session per client keeps connections alive
        across pages and calls.
    :param secret_sink: receives secrets derived at run time, for masking in logs.
    :param sleep: how to wait between attempts (for tests).
    """

    def __init__(
        self,
        config: FocusClientConfig,
        *,
        session: requests.Session | None = None,
        secret_sink: SecretSink = _noop_secret,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.auth = build_auth(config, session=self.session, secret_sink=secret_sink)
        self.retry_policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_retry_wait)
        self._sleep = sleep

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()

    def url_for(self, path: str) -> str:
        """Return the absolute URL of ``path`` (relative to the API root)."""
        return f"{self.config.api_root}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """
        Send one API call, with retries, and return its decoded JSON body (``None`` for an empty body).

        :param method: HTTP method.
        :param path: path relative to the API root, e.g. ``focus-areas`` or ``resource_path("focus-areas", id)``.
        :param params: query parameters; ``None`` values are left out.
        :param json: the JSON body.
        :param idempotent: whether repeating the call is harmless after an ambiguous failure; by default true
            for every method but POST.
        :raises FocusApiError: (a subclass of it) for an error status, after retries where they apply.
        :raises FocusConnectionError: when no answer came, after retries where they apply.
        """
        method = method.upper()
        path = _checked_path(path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query = {key: value for key, value in (params or {}).items() if value is not None}
        state = _CallState()
        retrying = tenacity.Retrying(
            sleep=self._sleep,
            before_sleep=lambda retry_state: self._log_retry(method, path, retry_state),
            **self.retry_policy.tenacity_kwargs(idempotent=idempotent),  # type: ignore[arg-type]
        )
        return retrying(self._attempt, method, path, query, json, state)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Iterate over the ``values`` of a paginated collection, fetching each page only when it is needed.

        :param path: the collection, relative to the API root.
        :param params: filters to send with every page.
        :param page_size: the ``limit`` to ask for; the server may return fewer.
        :param max_items: stop after this many items.
        """
        if max_items is not None and max_items <= 0:
            return
        query: dict[str, Any] = dict(params or {})
        limit = page_size
        if max_items is not None and (limit is None or max_items < limit):
            limit = max_items
        if limit is not None:
            query[model.PARAM_LIMIT] = limit
        seen_cursors: set[str] = set()
        count = 0
        while True:
            page = self.request("GET", path, params=query)
            values = page.get(model.PAGE_VALUES) if isinstance(page, dict) else None
            if not isinstance(values, list):
                raise FocusResponseError(
                    status_code=200,
                    method="GET",
                    path=path,
                    body_excerpt=str(page)[:BODY_EXCERPT_CHARS],
                    hint=f"Expected a page with a {model.PAGE_VALUES!r} list.",
                )
            for item in values:
                yield item
                count += 1
                if max_items is not None and count >= max_items:
                    return
            next_cursor = page.get(model.PAGE_NEXT_CURSOR)
            if page.get(model.PAGE_LAST) or not next_cursor:
                return
            if next_cursor in seen_cursors:
                raise FocusError(f"Focus API GET {path} returned the cursor {next_cursor!r} twice; stopping.")
            seen_cursors.add(next_cursor)
            query[model.PARAM_CURSOR] = next_cursor

    def create_reconciled(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        find_existing: Callable[[], dict[str, Any] | None],
    ) -> Any:
        """
        POST a create that carries a caller-chosen key (an external id) without ever creating it twice.

        A plain POST is not repeated after an ambiguous failure (a dropped connection, a timeout after sending,
        a 5xx other than 503, a garbled answer): the object may exist already. Here the client then asks
        ``find_existing``; if the object is there, the create took effect and it is returned; if not, the POST is
        sent again, within the same retry budget and backoff as any other call.

        :param path: the collection to create in.
        :param body: the object to create.
        :param find_existing: looks the object up by its key; ``None`` when it does not exist.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.request("POST", path, json=body)
            except (FocusConnectionError, FocusServerError, FocusResponseError) as error:
                if not _may_have_taken_effect(error) or attempt > self.retry_policy.max_retries:
                    raise
                log.warning(
                    "Focus API POST %s may have taken effect (%s); looking the object up before trying again",
                    path,
                    _summary(error),
                )
                try:
                    existing = find_existing()
                except FocusError as lookup_error:
                    log.error("Focus API POST %s: the look-up after an ambiguous failure failed too", path)
                    raise error from lookup_error
                if existing is not None:
                    log.info("Focus API POST %s had taken effect; using the object it created", path)
                    return existing
                wait = self.retry_policy.wait_seconds(error, attempt)
                log.warning(
                    "Focus API POST %s did not take effect; retry %d of %d in %.1f s",
                    path,
                    attempt,
                    self.retry_policy.max_retries,
                    wait,
                )
                self._sleep(wait)

    # --- one attempt ----------------------------------------------------------------------------------------

    def _attempt(self, method: str, path: str, query: dict[str, Any], body: Any, state: _CallState) -> Any:
        try:
            response = self.session.request(
                method,
                self.url_for(path),
                params=query,
                json=body,
                auth=self.auth,
                timeout=self.config.timeout,
                verify=self.config.verify,
            )
        except requests.RequestException as err:
            failure = self._connection_error(err, method, path)
            state.sent_without_answer |= failure.may_have_taken_effect
            raise failure from None

        if response.status_code == 401 and self.auth.refreshable and not state.token_refreshed:
            log.info("Focus API %s %s answered 401; fetching a new access token and trying once more", method, path)
            state.token_refreshed = True
            self.auth.invalidate()
            return self._attempt(method, path, query, body, state)
        if response.status_code >= 400:
            error = error_from_response(response, method=method, path=path)
            if isinstance(error, FocusNotFoundError) and method == "DELETE" and state.sent_without_answer:
                log.info("Focus API DELETE %s: the earlier attempt took effect (now 404)", path)
                return None
            raise error
        return _decode(response, method, path)

    def _connection_error(self, err: requests.RequestException, method: str, path: str) -> FocusConnectionError:
        host = urlsplit(self.config.api_root).netloc
        causes = _causes(err)
        cause_names = {type(cause).__name__ for cause in causes}
        if "NameResolutionError" in cause_names or any("Name or service not known" in str(c) for c in causes):
            return FocusConnectionError(
                f"Focus API {method} {path}: the host {host!r} could not be resolved. Check the connection's "
                "host (your site, e.g. 'acme.atlassian.net') or extra 'base_url'.",
                method=method,
                path=path,
                may_have_taken_effect=False,
                transient=False,
            )
        if isinstance(err, requests.exceptions.SSLError):
            return FocusConnectionError(
                f"Focus API {method} {path}: the TLS handshake with {host!r} failed ({_first_line(err)}). Check "
                "the connection's extra 'verify' (a CA bundle path) and the host.",
                method=method,
                path=path,
                may_have_taken_effect=False,
                transient=False,
            )
        if isinstance(err, requests.exceptions.ConnectTimeout) or "NewConnectionError" in cause_names:
            return FocusConnectionError(
                f"Focus API {method} {path}: could not connect to {host!r} ({_first_line(err)}). The request "
                "was not sent.",
                method=method,
                path=path,
                may_have_taken_effect=False,
            )
        what = (
            "no answer within the timeout" if isinstance(err, requests.exceptions.Timeout) else "the connection broke"
        )
        return FocusConnectionError(
            f"Focus API {method} {path}: {what} after the request was sent to {host!r}; it may have taken effect. "
            f"({type(err).__name__})",
            method=method,
            path=path,
            may_have_taken_effect=True,
        )

    def _log_retry(self, method: str, path: str, retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.warning(
            "Focus API %s %s failed (%s); retry %d of %d in %.1f s",
            method,
            path,
            _summary(error),
            retry_state.attempt_number,
            self.retry_policy.max_retries,
            wait,
        )


def discover_cloud_id(site_url: str, *, timeout: float = 30.0, session: requests.Session | None = None) -> str:
    """
    Read a site's cloudId from its unauthenticated ``/_edge/tenant_info`` endpoint.

    :param site_url: the site's origin, e.g. ``https://acme.atlassian.net``.
    :param timeout: seconds to wait.
    :param session: the session to use.
    :raises FocusError: when the site does not answer with a cloudId.
    """
    url = site_url.rstrip("/") + model.TENANT_INFO_PATH
    http = session or requests.Session()
    try:
        response = http.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT})
        response.raise_for_status()
        cloud_id = response.json()["cloudId"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as err:
        raise FocusError(
            f"Could not read the cloudId from {url} ({type(err).__name__}); is {site_url!r} an Atlassian site?"
        ) from None
    return str(cloud_id)


def _checked_path(path: str) -> str:
    if "://" in path or path.startswith("//"):
        raise FocusConfigError(f"Focus API paths are relative to the API root, e.g. 'focus-areas'; got {path!r}.")
    stripped = path.strip("/")
    if any(segment in (".", "..") for segment in stripped.split("/")):
        raise FocusConfigError(f"The Focus API path {path!r} contains '.' or '..' segments.")
    return stripped


def _decode(response: requests.Response, method: str, path: str) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        excerpt = " ".join(response.text.split())[:BODY_EXCERPT_CHARS]
        raise FocusResponseError(
            status_code=response.status_code,
            method=method,
            path=path,
            body_excerpt=excerpt,
            hint="The answer was not valid JSON (truncated or from a proxy).",
        ) from None


def _causes(err: BaseException) -> list[BaseException]:
    """Walk an exception's args, ``reason``, cause and context to find the underlying errors."""
    found: list[BaseException] = []
    pending: list[Any] = [err]
    while pending and len(found) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            linked
            for linked in (getattr(current, "reason", None), current.__cause__, current.__context__)
            if linked is not None
        )
    return found


def _may_have_taken_effect(error: FocusError) -> bool:
    if isinstance(error, FocusConnectionError):
        return error.may_have_taken_effect and error.transient
    if isinstance(error, FocusServerError):
        return error.status_code != 503
    return isinstance(error, FocusResponseError)


def _first_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]


def _summary(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__

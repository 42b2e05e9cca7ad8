"""The Focus REST API client: one keep-alive session, auth, retries, pagination and error mapping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import tenacity

from airflow_provider_focus.api import errors, model
from airflow_provider_focus.api.auth import SecretSink, build_auth
from airflow_provider_focus.api.calls import USER_AGENT_PRODUCT, Call, causes, first_line, log_retry, summary
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.api.retry import RetryPolicy
from airflow_provider_focus.exceptions import (
    FocusConfigError,
    FocusConnectionError,
    FocusError,
    FocusResponseError,
    FocusServerError,
    FocusUncertainWriteError,
)

log = logging.getLogger(__name__)

USER_AGENT = f"{USER_AGENT_PRODUCT} python-requests/{requests.__version__}"


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
        call = Call.of(method, path, params, json, idempotent)
        retrying = tenacity.Retrying(
            sleep=self._sleep,
            before_sleep=lambda retry_state: log_retry(call, retry_state, self.retry_policy.max_retries),
            **self.retry_policy.tenacity_kwargs(idempotent=call.idempotent),  # type: ignore[arg-type]
        )
        return retrying(self._attempt, call)

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
        pager = Pager(path, params=params, page_size=page_size, max_items=max_items)
        while (query := pager.next_query()) is not None:
            yield from pager.take(self.request("GET", path, params=query))

    def create_reconciled(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        find_existing: Callable[[], dict[str, Any] | None],
    ) -> Any:
        """
        POST a create that carries a caller-chosen key (an external id) without ever creating it twice.

        A plain POST is not repeated after an ambiguous failure: the object may exist already. Here the client then
        asks ``find_existing``; if the object is there, the create took effect and it is returned.

        If it is not there, what happens depends on the failure. After a dropped connection, a 500 or 502, or a
        garbled answer, the server is done with the request, so the POST is sent again, within the same retry
        budget and backoff as any other call. After a timeout or a 504 the server may still be working on it: the
        client waits one timeout for it to settle and looks again, and if the object is still not there it raises
        :class:`FocusUncertainWriteError` rather than risk a second object.

        :param path: the collection to create in.
        :param body: the object to create.
        :param find_existing: looks the object up by its key; ``None`` when it does not exist.
        :raises FocusUncertainWriteError: when the create may still be in progress on the server.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.request("POST", path, json=body)
            except (FocusConnectionError, FocusServerError, FocusResponseError) as error:
                if not _may_have_taken_effect(error) or attempt > self.retry_policy.max_retries:
                    raise
                in_flight = _may_still_be_running(error)
                if in_flight:
                    settle = min(self.config.timeout, self.retry_policy.max_wait)
                    log.warning(
                        "Focus API POST %s got no answer (%s) and may still be running; looking the object up "
                        "in %.1f s",
                        path,
                        summary(error),
                        settle,
                    )
                    self._sleep(settle)
                else:
                    log.warning(
                        "Focus API POST %s may have taken effect (%s); looking the object up before trying again",
                        path,
                        summary(error),
                    )
                existing = self._look_up_after(error, path, find_existing)
                if existing is not None:
                    log.info("Focus API POST %s had taken effect; using the object it created", path)
                    return existing
                if in_flight:
                    raise FocusUncertainWriteError(
                        f"Focus API POST {path}: no answer ({summary(error)}) and the object is not there yet, but "
                        "the server may still be creating it, so it was not sent again (that could create it twice). "
                        "Look it up by its external id before creating it again; the upsert operator and retries of "
                        "the create operator do that.",
                        method="POST",
                        path=path,
                    ) from error
                wait = self.retry_policy.wait_seconds(error, attempt)
                log.warning(
                    "Focus API POST %s did not take effect; retry %d of %d in %.1f s",
                    path,
                    attempt,
                    self.retry_policy.max_retries,
                    wait,
                )
                self._sleep(wait)

    @staticmethod
    def _look_up_after(
        error: FocusError, path: str, find_existing: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        try:
            return find_existing()
        except FocusError as lookup_error:
            log.error("Focus API POST %s: the look-up after an ambiguous failure failed too", path)
            raise error from lookup_error

    # --- one attempt ----------------------------------------------------------------------------------------

    def _attempt(self, call: Call) -> Any:
        failure: FocusError | None = None
        try:
            response = self.session.request(
                call.method,
                self.config.url_for(call.path),
                params=call.query,
                json=call.body,
                auth=self.auth,
                timeout=self.config.timeout,
                verify=self.config.verify,
            )
        except (requests.exceptions.InvalidHeader, ValueError):
            # requests or http.client refuse a header value (e.g. a credential with a line break); their message
            # quotes it, so it is not passed on.
            failure = errors.invalid_header_error(call.method, call.path)
        except requests.RequestException as err:
            connection_failure = self._connection_error(err, call.method, call.path)
            call.sent_without_answer |= connection_failure.may_have_taken_effect
            failure = connection_failure
        if failure is not None:
            # Raised outside the except block, so that no __context__ keeps the request and its Authorization.
            raise failure
        if call.should_refresh_token(response, refreshable=self.auth.refreshable):
            self.auth.invalidate()
            return self._attempt(call)
        return call.result(response)

    def _connection_error(self, err: requests.RequestException, method: str, path: str) -> FocusConnectionError:
        found = causes(err)
        cause_names = {type(cause).__name__ for cause in found}
        detail = first_line(err)
        if "NameResolutionError" in cause_names or any("Name or service not known" in str(c) for c in found):
            kind = errors.NOT_RESOLVED
        elif isinstance(err, requests.exceptions.SSLError):
            kind = errors.TLS_FAILED
        elif isinstance(err, requests.exceptions.ConnectTimeout) or "NewConnectionError" in cause_names:
            kind = errors.NOT_CONNECTED
        else:
            kind = errors.TIMED_OUT if isinstance(err, requests.exceptions.Timeout) else errors.BROKEN
            detail = type(err).__name__
        host = urlsplit(self.config.api_root).netloc
        return errors.connection_error(kind, method=method, path=path, host=host, detail=detail)


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


def _may_still_be_running(error: FocusError) -> bool:
    """Whether the server may still be processing a request that failed this way (a timeout, a 504)."""
    if isinstance(error, FocusConnectionError):
        return error.timed_out
    return isinstance(error, FocusServerError) and error.status_code == 504


def _may_have_taken_effect(error: FocusError) -> bool:
    if isinstance(error, FocusConnectionError):
        return error.may_have_taken_effect and error.transient
    if isinstance(error, FocusServerError):
        return error.status_code != 503
    return isinstance(error, FocusResponseError)

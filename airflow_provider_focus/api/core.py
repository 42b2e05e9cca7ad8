"""
The wire's decisions, written once, without I/O: a call is a generator of steps.

A call (:meth:`Core.call`) yields what it needs done -- :class:`Send` this request, :class:`Wait` this long,
:class:`FetchToken` under the client's lock, :class:`Reveal` a derived secret to the masker, :class:`LookUp` an
object after an ambiguous create -- and gets back an :class:`Answer` or has a :class:`TransportFailure` thrown in.
Everything else (auth, the one token refresh after a 401, mapping answers and failures to :class:`FocusError`
subclasses, the retry decision and wait through tenacity, reconciliation, the per-attempt deadline) lives here.
The sync client (:mod:`~airflow_provider_focus.api.client`, on ``requests``) and the async one
(:mod:`~airflow_provider_focus.api.async_client`, on ``httpx``) only move bytes and sleep.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from typing import Any

import tenacity

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.auth import SecretSink, TokenSource, static_authorization
from airflow_provider_focus.api.calls import Call, log_retry, summary
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.retry import RetryPolicy
from airflow_provider_focus.api.scrub import Scrubber
from airflow_provider_focus.api.secret import RequestHeaders, Secret
from airflow_provider_focus.api.steps import (
    Answer,
    Budget,
    FetchToken,
    LookUp,
    Send,
    Steps,
    TransportFailure,
    Wait,
    exchange,
)
from airflow_provider_focus.exceptions import (
    FocusConnectionError,
    FocusError,
    FocusRateLimitError,
    FocusResponseError,
    FocusServerError,
    FocusUncertainWriteError,
)

log = logging.getLogger(__name__)

#: The budget of the call a look-up runs inside; a call started while it is set spends from it.
CURRENT_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("focus_call_budget", default=None)


# --- the core --------------------------------------------------------------------------------------------------------


class Core:
    """
    Every decision of the wire, for one configuration; shared by the sync and the async client.

    :param config: the validated configuration.
    :param user_agent: the ``User-Agent`` header (names the HTTP library).
    :param authorization: the static ``Authorization`` value (Basic, static bearer), or ``None``; a plain string
        is wrapped in a :class:`~airflow_provider_focus.api.secret.Secret`.
    :param tokens: the client-credentials token source, or ``None``.
    :param scrub: the scrubber of the client's secrets; by default one that knows the connection's password and
        the ``Authorization`` value (a token source adds each token it fetches to the one it was given).
    """

    def __init__(
        self,
        config: FocusClientConfig,
        *,
        user_agent: str,
        authorization: Secret | str | None = None,
        tokens: TokenSource | None = None,
        scrub: Scrubber | None = None,
    ) -> None:
        self.authorization = Secret(authorization) if isinstance(authorization, str) else authorization
        self.scrub = scrub if scrub is not None else secrets_scrubber(config, self.authorization)
        self.config = config
        self.user_agent = user_agent
        self.tokens = tokens
        self.retry_policy = RetryPolicy(
            max_retries=config.max_retries,
            max_wait=config.max_retry_wait,
            rate_limit_budget=config.rate_limit_budget,
        )
        #: How many answers were 429 so far, over every call of this client (a batch slows down when it grows).
        self.rate_limited = 0

    @classmethod
    def for_config(cls, config: FocusClientConfig, *, user_agent: str, secret_sink: SecretSink) -> Core:
        """
        Build the core of a client: a static ``Authorization`` (Basic, bearer) or a client-credentials token source.

        :param config: the validated configuration.
        :param user_agent: the ``User-Agent`` header (names the HTTP library).
        :param secret_sink: receives the static credential's derived form (the Basic value) for masking.
        """
        authorization = static_authorization(config, secret_sink=secret_sink)
        scrub = secrets_scrubber(config, authorization)
        tokens = (
            None
            if authorization is not None
            else TokenSource(
                config.login or "",
                config.password or "",
                token_url=config.token_url,
                user_agent=user_agent,
                max_bytes=config.max_response_bytes,
                scrub=scrub,
            )
        )
        return cls(config, user_agent=user_agent, authorization=authorization, tokens=tokens, scrub=scrub)

    @property
    def refreshable(self) -> bool:
        """Whether a 401 may be cured by fetching a new credential."""
        return self.tokens is not None

    # --- one call, with retries ----------------------------------------------------------------------------------

    def call(self, call: Call) -> Steps[Any]:
        """
        Make one call: attempts, waits and the ambiguous-create look-up, within one budget.

        :param call: the normalised call.
        :raises FocusError: (a subclass of it) when the call fails for good.
        """
        policy = self.retry_policy
        budget = CURRENT_BUDGET.get() or Budget(policy.max_retries + 1, policy.rate_limit_budget)
        idempotent = call.idempotent or call.find_existing is not None
        retrying = tenacity.Retrying(
            stop=budget.spent,
            retry=tenacity.retry_if_exception(
                lambda err: err is not call.final and self.retry_policy.is_retryable(err, idempotent=idempotent)
            ),
            wait=self.retry_policy.tenacity_wait,
            before_sleep=lambda retry_state: log_retry(call, retry_state, self.retry_policy.max_retries),
            reraise=True,
        )
        retrying.begin()
        state = tenacity.RetryCallState(retrying, fn=None, args=(), kwargs={})
        while True:
            action = retrying.iter(state)
            if isinstance(action, tenacity.DoAttempt):
                budget.take()
                try:
                    result = yield from self._attempt(call, budget)
                except FocusRateLimitError as error:
                    self.rate_limited += 1
                    budget.refund_rate_limited(policy.wait_seconds(error, state.attempt_number))
                    state.set_exception(sys.exc_info())  # type: ignore[arg-type]
                except FocusError:
                    state.set_exception(sys.exc_info())  # type: ignore[arg-type]
                else:
                    state.set_result(result)
            elif isinstance(action, tenacity.DoSleep):
                state.prepare_for_next_attempt()
                yield Wait(float(action))
            else:
                return action

    def _attempt(self, call: Call, budget: Budget) -> Steps[Any]:
        deadline = time.monotonic() + self.config.timeout
        if call.find_existing is None:
            return (yield from self._exchange(call, deadline))
        try:
            return (yield from self._exchange(call, deadline))
        except (FocusConnectionError, FocusServerError, FocusResponseError) as error:
            if not _may_have_taken_effect(error):
                raise
            failure = error
        return (yield from self._reconcile(call, failure, budget))

    def _reconcile(self, call: Call, error: FocusError, budget: Budget) -> Steps[Any]:
        """After an ambiguous create: return the object if it was made; else raise what allows (or not) a resend."""
        in_flight = _may_still_be_running(error)
        if in_flight:
            settle = min(self.config.timeout, self.retry_policy.max_wait)
            log.warning(
                "Focus API POST %s got no answer (%s) and may still be running; looking the object up in %.1f s",
                call.path,
                summary(error),
                settle,
            )
            yield Wait(settle)
        else:
            log.warning(
                "Focus API POST %s may have taken effect (%s); looking the object up before trying again",
                call.path,
                summary(error),
            )
        if call.find_existing is None:  # only reconciled calls get here
            raise error
        try:
            existing = yield LookUp(call.find_existing, budget)
        except FocusError as lookup_error:
            log.error("Focus API POST %s: the look-up after an ambiguous failure failed too", call.path)
            call.final = error
            raise error from lookup_error
        if existing is not None:
            log.info("Focus API POST %s had taken effect; using the object it created", call.path)
            return existing
        if in_flight:
            raise FocusUncertainWriteError(
                f"Focus API POST {call.path}: no answer ({summary(error)}) and the object is not there yet, but "
                "the server may still be creating it, so it was not sent again (that could create it twice). "
                "Look it up by its external id before creating it again; the upsert operator and retries of "
                "the create operator do that.",
                method="POST",
                path=call.path,
            ) from error
        log.warning("Focus API POST %s did not take effect; it will be sent again", call.path)
        raise error

    # --- one attempt: auth, send, one refresh after a 401 --------------------------------------------------------

    def _exchange(self, call: Call, deadline: float) -> Steps[Any]:
        # No credential ever sits in a plain local here: a failed task's traceback may list them (Airflow 3.0).
        while True:
            token: Secret | None = None
            authorization: Secret | None = None
            if call.authenticated and self.tokens is not None:
                token = yield FetchToken(lambda: self.tokens.fresh(deadline))  # type: ignore[union-attr]
                authorization = Secret("Bearer " + token.reveal())
            elif call.authenticated:
                authorization = self.authorization
            headers = RequestHeaders(
                {"User-Agent": self.user_agent, "Accept": "application/json"}
                | ({"Content-Type": "application/json"} if call.body is not None else {}),
                authorization=authorization,
            )
            request = Send(call.method, call.url, headers, call.body, deadline, self.config.max_response_bytes)
            answer = yield from self.send(request, method=call.method, path=call.path, call=call)
            if token is not None and call.should_refresh_token(answer, refreshable=True):
                self.tokens.invalidate(token)  # type: ignore[union-attr]
                continue
            return call.result(answer, self.scrub)

    def send(self, request: Send, *, method: str, path: str, call: Call | None = None) -> Steps[Answer]:
        """
        Yield ``request`` and return its answer, or raise the :class:`FocusError` a transport failure stands for.

        :param request: what to send.
        :param method: the method, for messages.
        :param path: the path relative to the API root (or the URL), for messages.
        :param call: the call to note an answerless send on.
        """
        try:
            answer = yield from exchange(request)
        except TransportFailure as caught:
            failure = caught
        else:
            return answer
        host = errors.origin_of(request.url).split("://", 1)[-1]
        detail = self.scrub(failure.detail)
        error = errors.failure_error(failure.kind, detail, method=method, path=path, host=host)
        if call is not None and isinstance(error, FocusConnectionError):
            call.sent_without_answer |= error.may_have_taken_effect
        raise error


def secrets_scrubber(config: FocusClientConfig, authorization: Secret | None) -> Scrubber:
    """
    Return a scrubber that knows the connection's secrets: the password (API token, client secret or access
    token) and the ``Authorization`` value with its credential part (the Basic value).

    :param config: the configuration.
    :param authorization: the static ``Authorization`` value, if any.
    """
    if authorization is None:
        return Scrubber([config.password])
    return Scrubber([config.password, authorization.reveal(), authorization.reveal().split(" ", 1)[-1]])


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

"""The Focus retry policy (Airflow 3.3+): retry rate limits and server errors, fail fast on what a retry cannot fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_focus._compat import AIRFLOW_VERSION, AirflowVersionError, airflow_at_least
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusNotFoundError,
    FocusPartialFailure,
    FocusRateLimitError,
    FocusServerError,
    FocusUncertainWriteError,
    FocusValidationError,
)
from airflow_provider_focus.retry_policy import focus_retry_policy

pytestmark = pytest.mark.integration

needs_3_3 = pytest.mark.skipif(
    not airflow_at_least("3.3"), reason=f"task retry policies need Airflow 3.3; this is Airflow {AIRFLOW_VERSION}"
)


def api_error(cls: type[Exception], status: int, **kwargs: Any) -> Exception:
    return cls(status_code=status, method="GET", path="focus-areas", **kwargs)


@needs_3_3
@pytest.mark.parametrize(
    ("error", "action", "delay"),
    [
        (api_error(FocusValidationError, 400), "fail", None),
        (api_error(FocusAuthError, 401), "fail", None),
        (api_error(FocusAuthError, 403), "fail", None),
        (api_error(FocusNotFoundError, 404), "fail", None),
        (FocusConfigError("no site"), "fail", None),
        (FocusUncertainWriteError("lost", method="POST", path="focus-areas"), "fail", None),
        (api_error(FocusRateLimitError, 429, retry_after=5.0), "retry", timedelta(minutes=1)),
        (api_error(FocusServerError, 503), "retry", timedelta(minutes=2)),
        (
            FocusConnectionError("refused", method="GET", path="focus-areas", may_have_taken_effect=False),
            "retry",
            timedelta(minutes=2),
        ),
        (FocusPartialFailure("1 of 2 failed", report={}), "default", None),
        (RuntimeError("a bug"), "default", None),
    ],
)
def test_the_policy_retries_what_time_can_fix_and_fails_the_rest_at_once(error, action, delay):
    decision = focus_retry_policy().evaluate(error, try_number=1, max_tries=4)
    assert (decision.action.value, decision.retry_delay) == (action, delay)


@needs_3_3
def test_the_delays_can_be_chosen_and_the_policy_serializes_with_the_dag():
    from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy

    policy = focus_retry_policy(rate_limit_delay=timedelta(seconds=90), server_error_delay=timedelta(seconds=30))
    again = ExceptionRetryPolicy.deserialize(policy.serialize())
    limited = again.evaluate(api_error(FocusRateLimitError, 429), try_number=1, max_tries=2)
    assert limited.retry_delay == timedelta(seconds=90)
    assert again.evaluate(api_error(FocusNotFoundError, 404), try_number=1, max_tries=2).action.value == "fail"


@needs_3_3
def test_an_operator_accepts_the_policy():
    from airflow_provider_focus.operators.focus import FocusGetFocusAreaOperator

    policy = focus_retry_policy()
    operator = FocusGetFocusAreaOperator(task_id="get", focus_area_id="1", retries=3, retry_policy=policy)
    assert operator.retry_policy is policy


@pytest.mark.skipif(airflow_at_least("3.3"), reason="Airflow 3.3+ has task retry policies")
def test_before_airflow_3_3_the_policy_is_refused_with_the_version_needed():
    with pytest.raises(AirflowVersionError, match=r"needs Apache Airflow 3\.3 or newer; this is Airflow 3\."):
        focus_retry_policy()


@pytest.mark.skipif(
    not airflow_at_least("3.2"), reason=f"triggerer queues need Airflow 3.2; this is Airflow {AIRFLOW_VERSION}"
)
def test_the_deferrable_sensors_trigger_goes_to_the_triggerer_queue_of_the_sensors_queue():
    from airflow_provider_focus.sensors.focus import FocusAreaStatusSensor
    from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger

    # Airflow 3.2+ sends a deferred task's trigger to the triggerer queue named by the task's queue when
    # [triggerer] queues_enabled is set, for triggers that support it (task_runner: supports_triggerer_queue).
    assert FocusAreaStatusTrigger.supports_triggerer_queue is True
    sensor = FocusAreaStatusSensor(task_id="wait", focus_area_id="1", deferrable=True, queue="focus")
    assert sensor.queue == "focus"

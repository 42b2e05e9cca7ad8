"""Rate limits are budgeted in time, not attempts: a 429 burst is waited out, a storm ends when the time is spent."""

from __future__ import annotations

import time

import pytest

from airflow_provider_focus.api.retry import MIN_RATE_LIMIT_WAIT, RetryPolicy
from airflow_provider_focus.exceptions import FocusRateLimitError
from tests.unit.test_async_client import Harness, ok, status
from tests.unit.test_client import FA, make_client


def test_a_429_burst_longer_than_max_retries_is_waited_out(requests_mock):
    client, waits = make_client(max_retries=3)
    requests_mock.get(FA, [*[{"status_code": 429, "headers": {"Retry-After": "0.1"}}] * 12, {"json": {"values": []}}])
    assert client.request("GET", "focus-areas") == {"values": []}
    assert requests_mock.call_count == 13
    assert waits == [0.1] * 12


def test_a_429_storm_ends_once_the_rate_limit_budget_is_spent(requests_mock):
    client, waits = make_client(max_retries=3, rate_limit_budget=5)
    requests_mock.get(FA, status_code=429, headers={"Retry-After": "1"})
    with pytest.raises(FocusRateLimitError):
        client.request("GET", "focus-areas")
    # five 1 s waits fit in the 5 s budget without spending an attempt; then the 4 attempts are spent as usual
    assert requests_mock.call_count == 5 + 4
    assert sum(waits) == 8.0


def test_a_retry_after_zero_storm_still_ends(requests_mock):
    client, waits = make_client(max_retries=0, rate_limit_budget=1)
    requests_mock.get(FA, status_code=429, headers={"Retry-After": "0"})
    started = time.monotonic()
    with pytest.raises(FocusRateLimitError):
        client.request("GET", "focus-areas")
    assert time.monotonic() - started < 5
    assert requests_mock.call_count == 11  # each 429 waits (and costs) at least 0.1 s
    assert waits == [0.1] * 10


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_retry_after_zero_storm_backs_off_instead_of_hammering_for_the_whole_budget(requests_mock, flavour):
    # Before: a request every 0.1 s for the whole 5-minute budget (about 3,000); now the floor grows up to 30 s.
    if flavour == "sync":
        client, waits = make_client(max_retries=0)
        requests_mock.get(FA, status_code=429, headers={"Retry-After": "0"})
        with pytest.raises(FocusRateLimitError):
            client.request("GET", "focus-areas")
        sent = requests_mock.call_count
    else:
        storm = Harness([status(429, **{"Retry-After": "0"})] * 80, extra={"max_retries": 0})
        with pytest.raises(FocusRateLimitError):
            storm.run()
        sent, waits = len(storm.sent), storm.waits
    assert waits[:10] == [0.1] * 10  # a short burst is waited out as before
    assert waits[10:13] == pytest.approx([0.125, 0.15625, 0.1953125])  # then the wait grows by a quarter
    assert waits == sorted(waits)
    assert max(waits) == 30.0
    assert 240 <= sum(waits) <= 300  # the budget is still used: the server is given its five minutes
    assert sent == len(waits) + 1 < 50


def test_the_async_client_budgets_429s_the_same_way():
    h = Harness([*[status(429, **{"Retry-After": "0.1"})] * 12, ok()])
    assert h.run() == {"id": "fa-1"}
    assert h.waits == [0.1] * 12
    storm = Harness([status(429, **{"Retry-After": "1"})] * 9, extra={"rate_limit_budget": 5})
    with pytest.raises(FocusRateLimitError):
        storm.run()
    assert len(storm.sent) == 9


def test_the_backoff_of_the_thousandth_attempt_is_still_a_number():
    # A 429 storm without Retry-After may run to thousands of attempts within its time budget.
    policy = RetryPolicy()
    assert 0 <= policy.wait_seconds(None, 5_000) <= policy.backoff_max


def test_a_retry_after_of_zero_still_waits_a_little():
    policy = RetryPolicy()
    error = FocusRateLimitError(status_code=429, method="GET", path="focus-areas", retry_after=0.0)
    assert policy.wait_seconds(error, 1) == MIN_RATE_LIMIT_WAIT

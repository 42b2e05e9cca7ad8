"""
A triggerer's load: N ``FocusAreaStatusTrigger`` waits polling every few seconds in one event loop.

The real trigger class runs, connection from an ``AIRFLOW_CONN_*`` variable, against the Focus emulator in its own
process on loopback (so the emulator's threads share no GIL with the loop being measured). Each way runs in a fresh
process so that its memory is its own:

- baseline, "one client per trigger": what the hook did before the shared pool: every trigger builds its own
  ``httpx.AsyncClient`` (CA bundle loaded on the loop, httpx's default pool with a 5 s keep-alive);
- "shared pool": the hook borrows from :mod:`airflow_provider_focus.api.pool`.

Triggers are started as Airflow's triggerer starts them (one task, then two yields to the loop). Figures: polls
on time (a poll starts within 10 % of the interval of when it is due: the trigger's start for the first one, the
previous answer plus the interval after that), event-loop lag (a 10 ms ticker, starting all triggers included), RSS
growth per trigger, TCP connections the emulator accepted (distinct client ports).

Environment: ``BENCH_TRIGGERS`` (1000), ``BENCH_POLLS`` per trigger (4), ``BENCH_POLL_INTERVAL`` seconds (5).
A shorter run: ``BENCH_TRIGGERS=200 BENCH_POLLS=2 python -m benchmarks triggerer``.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

TRIGGERS = int(os.environ.get("BENCH_TRIGGERS", "1000"))
POLLS = int(os.environ.get("BENCH_POLLS", "4"))
INTERVAL = float(os.environ.get("BENCH_POLL_INTERVAL", "5"))
ON_TIME_SHARE = 0.10
LAG_TICK = 0.010
CONN_ID = "focus_bench"
FOCUS_AREA_ID = "fa-0001"  # ON_TRACK in the demo seed; the triggers wait for a status it never reaches
BASELINE, SHARED = "one client per trigger", "shared pool"
MODES = {"baseline": BASELINE, "shared": SHARED}
GOALS = "goals: >= 99 % on time, lag p99 < 50 ms, max < 250 ms, <= 100 KB per trigger, connections <= 2x pool"


# --- the emulator process ---------------------------------------------------------------------------------------


def _serve_emulator() -> None:
    """Run an emulator until stdin closes; print its connection and control URL as one JSON line."""
    from airflow_provider_focus.testing import FocusEmulator

    with FocusEmulator(seed="demo", request_log_size=1_000_000) as emulator:
        # The stdlib server listens with a backlog of 5: a thousand clients connecting at once would wait for the
        # kernel's SYN retries (1, 3, 7 s). A triggerer's real peer is a load balancer with a deep backlog.
        httpd = emulator._server._httpd
        if httpd is not None:
            httpd.request_queue_size = 4096
            httpd.socket.listen(4096)
        env = emulator.conn_env(CONN_ID)
        print(json.dumps({"env": env, "control": f"{emulator.url}/_emulator"}), flush=True)
        sys.stdin.read()


# --- one way, in its own process ----------------------------------------------------------------------------------


@dataclass
class _Polls:
    due: float
    sending: float | None = None
    late: list[float] = field(default_factory=list)
    done: int = 0


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PerTriggerClients:
    """The baseline: a new ``httpx.AsyncClient`` per trigger, as the hook built before the pool."""

    async def acquire(self, config: Any) -> Any:
        import ssl

        import httpx

        verify = ssl.create_default_context(cafile=config.verify) if isinstance(config.verify, str) else config.verify
        return httpx.AsyncClient(timeout=config.timeout, verify=verify)

    async def release(self, client: Any) -> None:
        await client.aclose()

    def attached(self, client: Any, build: Callable[[], Any]) -> Any:
        return build()  # nothing shared: each trigger its own API client, as before the pool


async def _measure(mode: str) -> dict[str, Any]:
    import httpx

    import airflow_provider_focus.api.async_client  # noqa: F401  (one-off imports are not a trigger's cost)
    from airflow_provider_focus.api import pool
    from airflow_provider_focus.hooks.focus import FocusHook
    from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger

    if mode == BASELINE:
        pool.shared_clients = _PerTriggerClients()  # type: ignore[assignment]
    loop = asyncio.get_running_loop()
    polls: dict[asyncio.Task[Any], _Polls] = {}
    # Each trigger's record travels in a context variable: the wire runs each attempt in a task of its own (a
    # deadline that lets cancellations through), which inherits the trigger task's context.
    current: contextvars.ContextVar[_Polls | None] = contextvars.ContextVar("bench_polls", default=None)

    real_send = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        record = current.get()
        if record is not None and record.sending is None:
            record.sending = loop.time()
            record.late.append(record.sending - record.due)
        return await real_send(self, request, **kwargs)

    real_read = FocusHook.aget_focus_area

    async def read(self: FocusHook, focus_area_id: str) -> dict[str, Any]:
        try:
            return await real_read(self, focus_area_id)
        finally:
            record = current.get()
            if record is not None:
                record.sending, record.due = None, loop.time() + INTERVAL
                record.done += 1

    httpx.AsyncClient.send = send  # type: ignore[method-assign]
    FocusHook.aget_focus_area = read  # type: ignore[method-assign]

    lags: list[float] = []
    lag_times: list[float] = []
    ticking = True

    async def ticker() -> None:
        while ticking:
            expected = loop.time() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            lags.append(max(0.0, loop.time() - expected))
            lag_times.append(loop.time())

    events: Counter[str] = Counter()

    async def drive(trigger: FocusAreaStatusTrigger, record: _Polls) -> None:
        current.set(record)
        async for event in trigger.run():
            events[event.payload["status"]] += 1

    triggers = [
        FocusAreaStatusTrigger(
            focus_conn_id=CONN_ID,
            focus_area_id=FOCUS_AREA_ID,
            target_statuses=["COMPLETED"],
            failure_statuses=["CANCELLED"],
            poll_interval=INTERVAL,
        )
        for _ in range(TRIGGERS)
    ]
    # A triggerer has Airflow's connection machinery loaded long before a trigger starts: its first look-up imports
    # the secrets backends (~300 ms here), which is nobody's per-trigger cost.
    await FocusHook(focus_conn_id=CONN_ID).aget_config()
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.2)
    rss_before = _rss_bytes()
    cpu_before = time.process_time()
    started = loop.time()
    for trigger in triggers:
        # As Airflow's TriggerRunner.create_triggers starts triggers: one task, then two yields to the loop (it
        # awaits asyncio.sleep(0) before and after loading each trigger's class). Each trigger's first poll is due
        # when its task is created.
        record = _Polls(due=loop.time())
        polls[asyncio.create_task(drive(trigger, record))] = record
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    deadline = started + POLLS * INTERVAL * 4 + 120
    while loop.time() < deadline and not all(p.done >= POLLS or t.done() for t, p in polls.items()):
        await asyncio.sleep(0.1)
    first_round = max((p.late[0] for p in polls.values() if p.late), default=0.0)
    rss_after = _rss_bytes()
    cpu_seconds = time.process_time() - cpu_before
    measured_until = loop.time()  # starting the triggers counts, stopping them does not
    for task in polls:
        task.cancel()
    _, stuck = await asyncio.wait(polls, timeout=60)  # a trigger that ignores its cancellation is a finding
    ticking = False
    await tick

    late = [value for p in polls.values() for value in p.late[:POLLS]]
    on_time = sum(1 for value in late if abs(value) <= ON_TIME_SHARE * INTERVAL)
    later = [value for p in polls.values() for value in p.late[1:POLLS]]
    later_on_time = sum(1 for value in later if abs(value) <= ON_TIME_SHARE * INTERVAL)
    later_sorted = sorted(later)
    window = [(lag, at) for lag, at in zip(lags, lag_times, strict=True) if at <= measured_until]
    ordered = sorted(lag for lag, _ in window)
    worst_lag, worst_at = max(window, default=(0.0, started))
    after_start = [lag for lag, at in window if at > started + INTERVAL]
    return {
        "polls": len(late),
        "on_time": on_time / len(late) if late else 0.0,
        "later_on_time": later_on_time / len(later) if later else 0.0,
        "later_late_p99": later_sorted[int(0.99 * (len(later_sorted) - 1))] if later_sorted else 0.0,
        "lag_p99": ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0,
        "lag_max": worst_lag,
        "lag_median": statistics.median(ordered) if ordered else 0.0,
        "lag_max_at": worst_at - started,
        "lag_max_after_first_interval": max(after_start, default=0.0),
        "cpu_per_poll": cpu_seconds / max(1, sum(p.done for p in polls.values())),
        "cpu_share": cpu_seconds / (measured_until - started),
        "rss_per_trigger": (rss_after - rss_before) / TRIGGERS,
        "last_first_poll": first_round,
        "seconds": loop.time() - started,
        "events": dict(events),
        "pool_size": pool.MAX_CONNECTIONS,
        "not_cancelled": len(stuck),
    }


def _worker(mode: str, out_path: str) -> None:
    result = asyncio.run(_measure(MODES[mode]))
    with open(out_path, "w") as out:
        json.dump(result, out)
    os._exit(0)  # a trigger that ignored its cancellation must not keep the process alive


# --- the driver ---------------------------------------------------------------------------------------------------


def _control(control: str, method: str, path: str) -> Any:
    import requests

    response = requests.request(method, f"{control}/{path}", timeout=60)
    response.raise_for_status()
    return response.json() if response.content else None


def _connections(control: str) -> tuple[int, int]:
    records = _control(control, "GET", "requests")["requests"]
    reads = [r for r in records if r["path"] == f"focus-areas/{FOCUS_AREA_ID}"]
    return len({r["client_port"] for r in reads}), len(reads)


def _run_mode(mode: str, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out, tempfile.TemporaryFile("w+") as log:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_triggerer", "--worker", mode, out.name],
            env=env,
            stdout=log,  # the triggers' own log lines, as a triggerer writes them
            stderr=subprocess.STDOUT,
            timeout=POLLS * INTERVAL * 4 + 600,
            check=False,
        )
        if done.returncode:
            log.seek(0)
            raise RuntimeError(f"the {mode} run failed:\n{log.read()[-3000:]}")
        with open(out.name) as result:
            return dict(json.load(result))


@contextmanager
def emulator_process() -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """
    Run this module's emulator in a process of its own, with a throwaway AIRFLOW_HOME, for the block.

    :return: the environment for a trigger process (the emulator's connection in it), and what the emulator sent
        when it started (``env``, ``control``).
    """
    with tempfile.TemporaryDirectory(prefix="focus-bench-airflow-home-") as home:
        env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        emulator = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_triggerer", "--emulator"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a client dropping its connection at the end is not news
            text=True,
        )
        try:
            assert emulator.stdout is not None
            started = json.loads(emulator.stdout.readline())
            env.update(started["env"])
            yield env, started
        finally:
            if emulator.stdin is not None:
                emulator.stdin.close()
            emulator.wait(timeout=30)


def main() -> None:
    """Run the baseline and the shared pool against one emulator process and print the figures."""
    print(f"{TRIGGERS} FocusAreaStatusTriggers, poll every {INTERVAL:g} s, {POLLS} polls each, one event loop")
    with emulator_process() as (env, started):
        results = {}
        for mode, label in MODES.items():
            _control(started["control"], "DELETE", "requests")
            began = time.perf_counter()
            results[label] = _run_mode(mode, env)
            results[label]["wall"] = time.perf_counter() - began
            results[label]["connections"], results[label]["reads"] = _connections(started["control"])
    _report(results)


def _report(results: dict[str, dict[str, Any]]) -> None:
    base, shared = results[BASELINE], results[SHARED]
    rows = (
        ("polls on time (+-10 %)", "on_time", lambda v: f"{100 * v:6.1f} %"),
        ("  polls after the first, on time", "later_on_time", lambda v: f"{100 * v:6.1f} %"),
        ("  their lateness p99", "later_late_p99", lambda v: f"{1000 * v:7.1f} ms"),
        ("event-loop lag p99", "lag_p99", lambda v: f"{1000 * v:7.1f} ms"),
        ("event-loop lag max", "lag_max", lambda v: f"{1000 * v:7.1f} ms"),
        ("  when the max was (after start)", "lag_max_at", lambda v: f"{v:7.2f} s"),
        ("  max after the first interval", "lag_max_after_first_interval", lambda v: f"{1000 * v:7.1f} ms"),
        ("last trigger's first poll after start", "last_first_poll", lambda v: f"{v:7.2f} s"),
        ("CPU per poll (whole process)", "cpu_per_poll", lambda v: f"{1000 * v:7.2f} ms"),
        ("CPU used / wall time", "cpu_share", lambda v: f"{100 * v:6.1f} %"),
        ("RSS per trigger", "rss_per_trigger", lambda v: f"{v / 1024:7.1f} KB"),
        ("TCP connections opened", "connections", lambda v: f"{v:7d}"),
        ("polls answered", "reads", lambda v: f"{v:7d}"),
    )
    print(f"{'':40} {BASELINE:>22} {SHARED:>16}")
    for label, key, shown in rows:
        print(f"{label:40} {shown(base[key]):>22} {shown(shared[key]):>16}")
    for label, result in results.items():
        per_poll = result["connections"] / result["reads"] if result["reads"] else 0.0
        print(
            f"{label}: {per_poll:.2f} new connections per poll, trigger events {result['events'] or 'none'}, "
            f"{result['not_cancelled']} triggers ignored their cancellation"
        )
    if base["rss_per_trigger"] > 0:
        print(f"ratio RSS per trigger: {shared['rss_per_trigger'] / base['rss_per_trigger']:.3f} of baseline")
    pool_size = shared["pool_size"]
    verdicts = (
        shared["on_time"] >= 0.99,
        shared["lag_p99"] < 0.050,
        shared["lag_max"] < 0.250,
        shared["rss_per_trigger"] <= 100 * 1024,
        shared["connections"] <= 2 * pool_size,
        not shared["events"],
        not shared["not_cancelled"],
    )
    print(f"shared pool: {shared['connections']} connections for a pool of {pool_size}")
    print(f"{GOALS}: {'PASS' if all(verdicts) else 'FAIL'} {verdicts}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--emulator"]:
        _serve_emulator()
    elif sys.argv[1:2] == ["--worker"]:
        _worker(sys.argv[2], sys.argv[3])
    else:
        main()

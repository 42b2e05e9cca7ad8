"""
A triggerer's restart: 1,000 ``FocusAreaStatusTrigger`` waits started at once; the longest event-loop stall.

After a restart Airflow's triggerer starts every trigger it is assigned in one go (``TriggerRunner.create_triggers``:
a task per trigger, yielding to the loop twice per trigger), and it warns about any step that holds the loop for
more than 0.2 s. This measures the longest time the loop was held in one piece while the triggers start and send
their first read, with a 1 ms ticker (wall time, and the loop thread's CPU time, which load on the machine cannot
inflate), and the loop thread's CPU time per trigger from the first start to the last first answer; the goal is
under 100 ms for 1,000 triggers. It runs twice: as a triggerer runs, where one full collection of Python's garbage
collector (over the whole process) is usually the longest stall, and with the collector off, which leaves the
triggers' own work.

The emulator runs in a process of its own (``benchmarks.bench_triggerer --emulator``), the triggers in a fresh
process with the connection in an ``AIRFLOW_CONN_*`` variable, as in ``bench_triggerer``. The watcher's API
requests per poll are counted by ``bench_feed``.

Environment: ``BENCH_START_TRIGGERS`` (1000); ``BENCH_PROFILE=1`` samples the loop thread's stack during each
stall and prints the longest stalls' stacks.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.bench_triggerer import emulator_process

TRIGGERS = int(os.environ.get("BENCH_START_TRIGGERS", "1000"))
TICK = 0.001
GOAL = 0.100
CONN_ID = "focus_bench"  # the connection bench_triggerer's emulator process announces
FOCUS_AREA_ID = "fa-0001"  # ON_TRACK in the demo seed: the waits never end by themselves


class _StallWatch:
    """With ``BENCH_PROFILE``: a thread that samples the loop thread's stack every 2 ms while the loop is held."""

    def __init__(self, ticks: list[Any]) -> None:
        import threading

        self.ticks = ticks
        self.stalls: dict[int, list[str]] = {}
        self.loop_thread = threading.get_ident()
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        import traceback

        last, since = len(self.ticks), time.perf_counter()
        while self.running:
            time.sleep(0.002)
            count = len(self.ticks)
            if count != last:
                last, since = count, time.perf_counter()
            elif time.perf_counter() - since > 0.005:  # held for 5 ms or more: sample where
                frame = sys._current_frames().get(self.loop_thread)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-14:]
                    where = "\n".join(f"  {f.filename.split('site-packages/')[-1]}:{f.lineno} {f.name}" for f in stack)
                    self.stalls.setdefault(count, []).append(where)

    def stop(self) -> None:
        self.running = False
        self.thread.join()

    def report(self) -> None:
        from collections import Counter

        longest = sorted(self.stalls.values(), key=len, reverse=True)[:5]
        for samples in longest:
            print(f"a stall of ~{2 * len(samples) + 5} ms; its most sampled stacks:", file=sys.stderr)
            for stack, count in Counter(samples).most_common(3):
                print(f" {count} x\n{stack}", file=sys.stderr)


async def _measure(freeze: bool) -> dict[str, Any]:
    import airflow_provider_focus.api.async_client  # noqa: F401  (one-off imports are not a trigger's cost)
    from airflow_provider_focus.hooks.focus import FocusHook
    from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger

    loop = asyncio.get_running_loop()
    answered = 0
    real_read = FocusHook.aget_focus_area

    async def read(self: FocusHook, focus_area_id: str) -> dict[str, Any]:
        nonlocal answered
        try:
            return await real_read(self, focus_area_id)
        finally:
            answered += 1

    FocusHook.aget_focus_area = read  # type: ignore[method-assign]
    await FocusHook(focus_conn_id=CONN_ID).aget_config()  # a triggerer has its secrets backends loaded already
    if freeze:
        gc.collect()
        gc.disable()  # the collector aside (its full collections are the process's, not a trigger's): their own work

    stalls: list[tuple[float, float]] = []
    held: list[float] = []
    ticking = True

    async def ticker() -> None:
        while ticking:
            before, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(TICK)
            stalls.append((loop.time() - before - TICK, before))
            held.append(time.thread_time() - cpu)  # the loop thread's CPU time: what load on the machine cannot inflate

    async def drive(trigger: FocusAreaStatusTrigger) -> None:
        async for _ in trigger.run():
            pass

    gc_pauses: list[tuple[float, int, float]] = []  # (seconds, generation, when): the collector holds the loop too
    gc_began: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_began.append(time.perf_counter())
        elif gc_began:
            gc_pauses.append((time.perf_counter() - gc_began.pop(), info["generation"], loop.time()))

    gc.callbacks.append(on_gc)
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.2)
    watchdog = _StallWatch(stalls) if os.environ.get("BENCH_PROFILE") else None
    started, started_cpu = loop.time(), time.thread_time()
    tasks = []
    for _ in range(TRIGGERS):  # as TriggerRunner.create_triggers does it
        await asyncio.sleep(0)
        trigger = FocusAreaStatusTrigger(
            focus_conn_id=CONN_ID,
            focus_area_id=FOCUS_AREA_ID,
            target_statuses=["COMPLETED"],
            failure_statuses=["CANCELLED"],
            poll_interval=600.0,
        )
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(drive(trigger)))
    created = loop.time() - started
    deadline = started + 120
    while answered < TRIGGERS and loop.time() < deadline:
        await asyncio.sleep(0.05)
    all_read, loop_cpu = loop.time() - started, time.thread_time() - started_cpu
    if watchdog is not None:
        watchdog.stop()
    ticking = False
    await tick
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=30)
    gc.callbacks.remove(on_gc)
    gc.enable()
    inside = [index for index, (_, at) in enumerate(stalls) if started <= at <= started + all_read]
    window = [(stalls[index][0], stalls[index][1] - started) for index in inside]
    cpu_held = max((held[index] for index in inside), default=0.0)
    collections = [(pause, generation) for pause, generation, at in gc_pauses if started <= at <= started + all_read]
    worst, worst_at = max(window, default=(0.0, 0.0))
    ordered = sorted(lag for lag, _ in window)
    if watchdog is not None:
        watchdog.report()
    return {
        "worst": worst,
        "worst_at": worst_at,
        "p99": ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0,
        "over_goal": sum(1 for lag in ordered if lag > GOAL),
        "created": created,
        "all_read": all_read,
        "answered": answered,
        "cpu": time.process_time(),
        "cpu_held": cpu_held,
        "loop_cpu_per_trigger": loop_cpu / max(1, TRIGGERS),
        "gc_longest": max((pause for pause, _ in collections), default=0.0),
        "gc_full": sum(1 for _, generation in collections if generation == 2),
        "gc_total": sum(pause for pause, _ in collections),
    }


def _worker(out_path: str, freeze: bool) -> None:
    result = asyncio.run(_measure(freeze))
    with open(out_path, "w") as out:
        json.dump(result, out)
    os._exit(0)


def _run(env: dict[str, str], freeze: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_trigger_start", "--worker", out.name, "freeze" if freeze else "-"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("BENCH_PROFILE") else subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"the trigger process failed ({done.returncode})")
        with open(out.name) as result_file:
            return dict(json.load(result_file))


def main() -> None:
    """Start the emulator process, run the triggers in a fresh process (twice), print the longest stalls."""
    load = os.getloadavg()
    results = {}
    with emulator_process() as (env, _started):
        for freeze in (False, True):
            results[freeze] = _run(env, freeze)
    loads = " ".join(f"{value:.2f}" for value in load)
    print(f"{TRIGGERS} FocusAreaStatusTriggers started at once (as a triggerer restarts), 1 ms ticker")
    print(f"  machine load (1/5/15 min) before the run: {loads}, {os.cpu_count()} CPUs")
    for freeze, result in results.items():
        how = "the collector off (the triggers' own work)" if freeze else "as a triggerer runs (the collector on)"
        print(f"  {how}:")
        worst, at, p99, over = result["worst"], result["worst_at"], result["p99"], result["over_goal"]
        print(f"    longest event-loop stall: {1000 * worst:7.1f} ms wall, {at:.2f} s after the start")
        print(f"      most CPU time the loop thread spent between two ticks: {1000 * result['cpu_held']:7.1f} ms")
        print(f"    stall p99 (1 ms ticks):   {1000 * p99:7.1f} ms; {over} stall(s) over 100 ms")
        print(
            f"    all triggers created in {result['created']:.2f} s; all {result['answered']} first reads answered "
            f"after {result['all_read']:.2f} s"
        )
        print(
            f"    the loop thread's CPU time per trigger (its start and first read, the ticker included): "
            f"{1e6 * result['loop_cpu_per_trigger']:.0f} us"
        )
        print(
            f"    garbage collector: longest pause {1000 * result['gc_longest']:.1f} ms, {result['gc_full']} full "
            f"collection(s), {1000 * result['gc_total']:.0f} ms in all (inside the stalls)"
        )
    own = results[True]
    verdict = "PASS" if own["worst"] < GOAL and own["cpu_held"] < GOAL else "FAIL"
    print(f"goal: the triggers' own work holds the loop < {1000 * GOAL:.0f} ms in one piece (wall and CPU): {verdict}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker(sys.argv[2], sys.argv[3:4] == ["freeze"])
    else:
        main()

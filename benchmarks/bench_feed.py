"""
Watching 10,000 focus areas: what one ``FocusAreaChangesTrigger`` costs the triggerer per poll.

The emulator (10,000 focus areas) runs in this process; the trigger runs in a child process that measures only its
own CPU time and memory: the start (one full sweep recording every status), then polls with no change and polls
with 10 status changes each (the changes are made through the emulator's control API between two polls, outside
the measurement). The baseline, measured in the same run, is the full sweep: what a poll would cost if the watch
listed every focus area each time (or what 10,000 sensors would read). ``BENCH_FEED_SIZE`` sets the size.

It also counts the API requests of each poll (from the emulator's request log, outside the measurement): what a
watch costs in rate limit. A quiet poll should send one request; the check that the server honours ``sort`` goes
once per watch, with its first poll.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

from airflow_provider_focus.testing import FocusEmulator
from benchmarks.bench_emulator_scale import generated_focus_areas

SIZE = int(os.environ.get("BENCH_FEED_SIZE", "10000"))
POLLS = 10
CHANGES_PER_POLL = 10

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, resource, sys, time, urllib.request

    from airflow_provider_focus.triggers.changes import FocusAreaChangesTrigger

    url, size, polls, changes_per_poll = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

    def rss_mb():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def control(method, path):
        request = urllib.request.Request(f"{url}/_emulator/{path}", method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def api_requests():
        return [r for r in control("GET", "requests")["requests"] if r["path"] == "focus-areas"]

    def set_status(number, status):
        request = urllib.request.Request(
            f"{url}/_emulator/focus-areas/fa-{number:06d}/status",
            data=json.dumps({"status": status}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).read()

    async def main():
        from airflow_provider_focus.hooks.focus import FocusHook

        trigger = FocusAreaChangesTrigger(fields=["status"], poll_interval=1)
        hook = FocusHook()
        streak = trigger._streak()
        before_rss = rss_mb()
        cpu = time.process_time()
        tracker, feed, _ = await trigger._resume(hook, streak)
        start_cpu = time.process_time() - cpu
        start_rss = rss_mb()
        results = {"start_cpu": start_cpu, "rss_before": before_rss, "rss_after_start": start_rss}
        for label, changes in (("quiet", 0), ("busy", changes_per_poll)):
            cpus, events, pages, calls = [], 0, [], []
            for poll in range(polls):
                for offset in range(changes):
                    number = 1 + (poll * changes + offset) * 37 % size
                    set_status(number, "AT_RISK" if poll % 2 == 0 else "ON_TRACK")
                control("DELETE", "requests")
                cpu = time.process_time()
                swept = await trigger._sweep(hook, feed, streak)
                events += len(tracker.observe(swept))
                cpus.append(time.process_time() - cpu)
                pages.append(feed.last_walk_pages)
                calls.append(len(api_requests()))
            results[label] = {
                "cpu": sorted(cpus)[len(cpus) // 2],
                "events": events,
                "pages": max(pages),
                "requests_first": calls[0],
                "requests_after": max(calls[1:]),
            }
        results["rss_end"] = rss_mb()
        results["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results["state_bytes"] = len(json.dumps(tracker.dump()))
        await hook.aclose()
        print(json.dumps(results))

    asyncio.run(main())
    """
)


def main() -> None:
    """Run the child against an emulator with ``SIZE`` focus areas and print the figures."""
    with FocusEmulator(seed="empty", request_log_size=1000) as emulator:
        # Updated 5 s apart, ending an hour ago: a tenant where changes are spread out, as real ones are (10,000
        # updates inside one 60 s overlap window would be re-read by every poll until a newer change came).
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1, seconds=5 * SIZE)
        records = generated_focus_areas(SIZE)
        for number, record in enumerate(records):
            stamp = (start + dt.timedelta(seconds=5 * number)).isoformat(timespec="milliseconds")
            record["createdAt"] = record["updatedAt"] = stamp.replace("+00:00", "Z")
        emulator.store.add_focus_areas(records)
        env = {**os.environ, **emulator.conn_env("focus_default")}
        done = subprocess.run(
            [sys.executable, "-c", CHILD, emulator.url, str(SIZE), str(POLLS), str(CHANGES_PER_POLL)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    full = figures["start_cpu"]
    print(f"watching {SIZE:,} focus areas (fields=['status']), CPU and memory of the trigger's process:")
    print(f"  start (full sweep recording every status; the baseline): {full * 1000:8.1f} ms CPU")
    for label in ("quiet", "busy"):
        poll = figures[label]
        changes = 0 if label == "quiet" else CHANGES_PER_POLL
        print(
            f"  poll, {label:5s} ({changes:>2} changes): {poll['cpu'] * 1000:8.1f} ms CPU median, "
            f"{poll['pages']} page(s), {poll['events']} event(s) in {POLLS} polls  "
            f"ratio {poll['cpu'] / full:.3f} of a full sweep"
        )
        print(
            f"    API requests per poll ({label}): {poll['requests_first']} in the first, at most "
            f"{poll['requests_after']} in each later one (its pages, plus the sort check once per watch)"
        )
    print(
        f"  memory: RSS {figures['rss_before']:.0f} MB before the start, {figures['rss_after_start']:.0f} MB after it, "
        f"{figures['rss_end']:.0f} MB after {2 * POLLS} polls (peak {figures['peak_rss']:.0f} MB); saved state "
        f"{figures['state_bytes'] / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()

"""
The emulator at tenant scale: list walks, concurrent keep-alive clients, persisted writes.

* List walks: every page of ``focus-areas`` (limit 100) over HTTP at 10,000 and at 100,000 focus areas, plain, with
  ``sort=-updatedAt``, with ``parentId`` and with ``nameContains``. The baseline is the 10,000 walk of the same
  run; the goal is at most 12x the time for 10x the data (linear in what is served, not quadratic).
* 1,000 concurrent keep-alive clients: each opens a connection at the same moment and sends two GETs on it; the
  figure is how many were refused or timed out (goal: none) and the slowest connect.
* ``--persist`` writes: the time of one create with 0, 8,000 and 100,000 focus areas in the store (goal: flat).

``BENCH_SCALE_LARGE`` (default 100000) sets the large size.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from airflow_provider_focus.testing.store import FocusStore

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_SCALE_LARGE", "100000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
GOAL_RATIO = 12.0


def generated_focus_areas(count: int) -> list[dict[str, Any]]:
    """
    Return ``count`` focus areas: 10 strategies, the rest programs under them in turn.

    :param count: how many.
    """
    records = []
    for number in range(1, count + 1):
        parent = None if number <= 10 else f"fa-{(number % 10) + 1:06d}"
        records.append(
            {
                "id": f"fa-{number:06d}",
                "name": f"{'Strategy' if parent is None else 'Program'} {number} {'north' if number % 7 else 'south'}",
                "focusAreaTypeId": "fat-strategy" if parent is None else "fat-program",
                "externalId": f"EXT-{number}",
                "parentId": parent,
            }
        )
    return records


def _walk(session: requests.Session, url: str, params: dict[str, str]) -> int:
    params = {**params, "limit": "100"}
    seen = 0
    while True:
        response = session.get(url, params=params, timeout=60)
        response.raise_for_status()
        page = response.json()
        seen += len(page["values"])
        if page["last"]:
            return seen
        params["cursor"] = page["nextPageCursor"]


LISTINGS: dict[str, dict[str, str]] = {
    "plain": {},
    "sort=-updatedAt": {"sort": "-updatedAt"},
    "parentId": {"parentId": "fa-000003"},
    "nameContains": {"nameContains": "south"},
}


def list_walks(size: int) -> dict[str, tuple[float, int]]:
    """
    Walk each listing once at ``size`` focus areas; return seconds and items seen per listing.

    :param size: how many focus areas.
    """
    results: dict[str, tuple[float, int]] = {}
    with FocusEmulator(seed="empty") as emulator:
        emulator.store.add_focus_areas(generated_focus_areas(size))
        session = requests.Session()
        session.auth = (EMULATOR_EMAIL, EMULATOR_API_TOKEN)
        url = emulator.site_api_root + "/focus-areas"
        for label, params in LISTINGS.items():
            started = time.perf_counter()
            seen = _walk(session, url, params)
            results[label] = (time.perf_counter() - started, seen)
            emulator.clear_requests()
        session.close()
    return results


def concurrent_clients(clients: int = CLIENTS) -> tuple[int, int, float, float]:
    """
    Open ``clients`` keep-alive connections at once, two GETs each; return (served, failed, slowest connect, wall).

    :param clients: how many connections.
    """
    with FocusEmulator(seed="demo") as emulator:
        import base64

        token = base64.b64encode(f"{EMULATOR_EMAIL}:{EMULATOR_API_TOKEN}".encode()).decode()
        path = "/gateway/api/focus/v1/focus-areas/fa-0001"
        request = (f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {token}\r\n\r\n").encode()
        start = threading.Event()
        served = 0
        failures = 0
        connects: list[float] = []
        lock = threading.Lock()

        def client() -> None:
            nonlocal served, failures
            start.wait()
            began = time.perf_counter()
            try:
                with socket.create_connection((emulator.host, emulator.port), timeout=20) as sock:
                    took = time.perf_counter() - began
                    reader = sock.makefile("rb")
                    for _ in range(2):
                        sock.sendall(request)
                        status = reader.readline()
                        length = 0
                        while (line := reader.readline()) not in (b"\r\n", b""):
                            if line.lower().startswith(b"content-length:"):
                                length = int(line.split(b":")[1])
                        reader.read(length)
                        if b" 200 " not in status:
                            raise RuntimeError(status)
                with lock:
                    served += 1
                    connects.append(took)
            except Exception:
                with lock:
                    failures += 1

        previous = threading.stack_size(256 * 1024)
        threads = [threading.Thread(target=client) for _ in range(clients)]
        threading.stack_size(previous)
        for thread in threads:
            thread.start()
        began = time.perf_counter()
        start.set()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    return served, failures, max(connects, default=0.0), wall


def persisted_write_cost(sizes: tuple[int, ...] = (0, 8_000, LARGE), writes: int = 200) -> dict[int, float]:
    """
    Return the median seconds of one create with ``--persist`` at each store size.

    :param sizes: focus areas in the store before the creates.
    :param writes: creates measured per size.
    """
    costs: dict[int, float] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as directory:
            store = FocusStore(seed="empty", persist_path=Path(directory) / "focus.json")
            store.add_focus_areas(generated_focus_areas(size))
            store.compact()
            timings = []
            for number in range(writes):
                began = time.perf_counter()
                store.create_focus_area({"name": f"New {number}", "focusAreaTypeId": "fat-project"}, "acct")
                timings.append(time.perf_counter() - began)
            store.close()
            costs[size] = statistics.median(timings)
    return costs


def _report(label: str, measure: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    result = measure()
    print(f"  ({label} measured in {time.perf_counter() - began:.1f} s)")
    return result


def main() -> None:
    """Measure and print the figures and ratios."""
    small = _report(f"walks at {SMALL:,}", lambda: list_walks(SMALL))
    large = _report(f"walks at {LARGE:,}", lambda: list_walks(LARGE))
    factor = LARGE / SMALL
    for label in LISTINGS:
        (small_s, small_n), (large_s, large_n) = small[label], large[label]
        ratio = large_s / small_s if small_s else float("inf")
        verdict = "PASS" if ratio <= GOAL_RATIO * factor / 10 else "FAIL"
        print(
            f"list walk {label:16s} {SMALL:>7,}: {small_s:6.2f} s ({small_n:,} items)  {LARGE:>7,}: {large_s:6.2f} s "
            f"({large_n:,} items)  ratio {ratio:5.1f}x for {factor:.0f}x the data  {verdict} (goal <= "
            f"{GOAL_RATIO * factor / 10:.0f}x)"
        )
    served, failed, slowest, wall = concurrent_clients()
    verdict = "PASS" if failed == 0 else "FAIL"
    print(
        f"{CLIENTS:,} concurrent keep-alive clients, 2 GETs each: {served:,} served, {failed} refused or timed out, "
        f"slowest connect {slowest * 1000:.0f} ms, all done in {wall:.2f} s  {verdict}"
    )
    costs = persisted_write_cost()
    baseline = costs[0] or 1e-9
    for size, cost in costs.items():
        ratio = cost / baseline
        print(f"--persist create at {size:>7,} focus areas: {cost * 1000:6.3f} ms  ratio {ratio:4.1f}x of empty")


if __name__ == "__main__":
    main()

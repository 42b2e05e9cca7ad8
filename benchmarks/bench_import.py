"""
What a DAG file pays to import the provider: time and memory on top of ``import airflow.sdk``.

Each figure is the median of several fresh interpreters (``BENCH_IMPORT_RUNS``, default 5). In each, ``airflow.sdk``
is imported first (the baseline every DAG file pays), then the module under test; the cost is the time of that
second import and the RSS it adds. For comparison: the HTTP provider's operator (when installed), and ``requests``
alone (what the hook imported eagerly before it imported its clients lazily). On a loaded machine every import is
slower; the share of ``airflow.sdk``'s own import time is the steadier figure.

The goal is judged as a user's deployment runs: with the package's bytecode compiled, as ``pip install`` compiles
it (and as Airflow's own modules, the baseline, are). An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (this
project's venv, many Docker images) compiles every module from source in every interpreter instead; the benchmark
prints that figure too, from a copy of the package without bytecode.
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import airflow_provider_focus

RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "5"))
GOAL_MS, GOAL_MB = 20.0, 2.0
OURS = (
    "airflow_provider_focus.operators.focus",
    "airflow_provider_focus.sensors.focus",
    "airflow_provider_focus.triggers.focus",
    "airflow_provider_focus.triggers.changes",
)
ALL = "all four together"
COMPARISONS = (
    ("airflow.triggers.base", "airflow.triggers.base (any trigger's base)"),
    ("airflow.providers.http.operators.http", "apache-airflow-providers-http"),
    ("requests", "requests alone"),
)

_PROBE = """
import importlib, json, os, sys, time

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

started = time.perf_counter()
import airflow.sdk
sdk_seconds = time.perf_counter() - started
before, started = rss(), time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"sdk": sdk_seconds, "seconds": time.perf_counter() - started, "rss": rss() - before}))
"""


def _once(modules: tuple[str, ...], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules],
        env=env,
        cwd=env["AIRFLOW_HOME"],  # not the checkout: ``-c`` puts the working directory first on sys.path
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(modules: tuple[str, ...], env: dict[str, str], runs: int = RUNS) -> tuple[float, float, float]:
    """
    Return the median seconds and RSS bytes that importing ``modules`` adds to ``airflow.sdk``, and sdk's own time.

    :param modules: what to import after ``airflow.sdk``.
    :param env: the interpreters' environment.
    :param runs: how many fresh interpreters.
    """
    results = [_once(modules, env) for _ in range(runs)]
    return (
        statistics.median(r["seconds"] for r in results),
        statistics.median(r["rss"] for r in results),
        statistics.median(r["sdk"] for r in results),
    )


def main() -> None:
    """Measure the baseline, our modules and the comparisons, and print them."""
    package = Path(airflow_provider_focus.__file__).parent
    compileall.compile_dir(package, quiet=1)  # what pip does when it installs the wheel
    with tempfile.TemporaryDirectory(prefix="focus-bench-airflow-home-") as home:
        env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        _once((), env)  # the first interpreter writes airflow.cfg and warms the page cache
        _, _, sdk_seconds = measure((), env)
        print(f"baseline: import airflow.sdk alone {1000 * sdk_seconds:7.0f} ms (median of {RUNS})")
        print("as installed (bytecode compiled):")
        rows = [(name, (name,)) for name in OURS] + [(ALL, OURS)]
        verdicts = []
        for label, modules in rows:
            seconds, rss, _ = measure(modules, env)
            if label == ALL:  # the goal is per module; together they share Airflow's trigger base
                print(f"  {_row(label, seconds, rss, sdk_seconds)}")
                continue
            ok = seconds * 1000 <= GOAL_MS and rss / 2**20 <= GOAL_MB
            verdicts.append(ok)
            print(f"  {_row(label, seconds, rss, sdk_seconds)}  {'ok' if ok else 'over'}")
        print("from source (no bytecode: an editable install under PYTHONDONTWRITEBYTECODE=1):")
        with tempfile.TemporaryDirectory(prefix="focus-bench-source-") as copy:
            shutil.copytree(package, Path(copy) / package.name, ignore=shutil.ignore_patterns("__pycache__"))
            source_env = {**env, "PYTHONPATH": copy, "PYTHONDONTWRITEBYTECODE": "1"}
            for label, modules in rows:
                seconds, rss, _ = measure(modules, source_env)
                print(f"  {_row(label, seconds, rss, sdk_seconds)}")
        print("for comparison:")
        for module, label in COMPARISONS:
            if importlib.util.find_spec(module.partition(".")[0]) is None or ("." in module and _missing(module, env)):
                print(f"  {label:42s} not installed here: not measured")
                continue
            seconds, rss, _ = measure((module,), env)
            print(f"  {_row(label, seconds, rss, sdk_seconds)}")
    verdict = "PASS" if all(verdicts) else "FAIL"
    print(f"goal <= +{GOAL_MS:g} ms and <= +{GOAL_MB:g} MB over airflow.sdk for each module, as installed: {verdict}")


def _row(label: str, seconds: float, rss: float, sdk_seconds: float) -> str:
    share = 100 * seconds / sdk_seconds
    return f"{label:42s} +{1000 * seconds:6.1f} ms  +{rss / 2**20:5.2f} MB  ({share:4.1f} % of airflow.sdk)"


def _missing(module: str, env: dict[str, str]) -> bool:
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, check=False).returncode != 0


if __name__ == "__main__":
    main()

"""
Check what the built distributions hold (run by ``make check-dist`` after ``twine check``).

* The wheel holds the package (every module of the source tree), ``py.typed``, the provider info behind the
  ``apache_airflow_provider`` entry point, the ``pytest11`` plugin, and nothing else: no tests, no constraints.
* The sdist holds what runs the tests: every file git tracks (tests, example DAGs, constraints, Makefile, docs ...)
  except the CI entry and git's own files, so ``make test`` works from an unpacked sdist.
* The metadata's Python classifiers are the versions from ``requires-python`` up to the newest that ruff and mypy
  check (their targets are the lowest), and the floor of Airflow is 3.0.4.

Usage: ``python scripts/check_dist.py dist/<wheel> dist/<sdist>``; exits non-zero with a list of problems.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_provider_focus"
#: Tracked files that are no part of the sdist on purpose.
NOT_IN_SDIST: set[str] = set()


def source_modules() -> set[str]:
    """Return the package's files as the wheel must hold them (sources, ``py.typed``), relative to the root."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def check_wheel(wheel: Path, problems: list[str]) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = {name.split("/")[0] for name in names if ".dist-info/" in name}
        if len(dist_info) != 1:
            problems.append(f"wheel: expected one .dist-info directory, found {sorted(dist_info)}")
            return
        (info,) = dist_info
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read(f"{info}/entry_points.txt").decode())
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    package_files = {name for name in names if not name.startswith(f"{info}/")}
    expected = source_modules()
    if missing := expected - package_files:
        problems.append(f"wheel: missing package files {sorted(missing)}")
    if extra := package_files - expected:
        problems.append(f"wheel: holds files outside the package {sorted(extra)}")
    for required in (f"{PACKAGE}/py.typed", f"{PACKAGE}/get_provider_info.py"):
        if required not in names:
            problems.append(f"wheel: no {required}")
    provider = entry_points.get("apache_airflow_provider", "provider_info", fallback=None)
    if provider != f"{PACKAGE}.get_provider_info:get_provider_info":
        problems.append(f"wheel: apache_airflow_provider entry point is {provider!r}")
    if entry_points.get("pytest11", "focus_emulator", fallback=None) != f"{PACKAGE}.testing.pytest_plugin":
        problems.append("wheel: no pytest11 entry point for the emulator's plugin")
    check_metadata(metadata, problems)


def check_metadata(metadata: Message, problems: list[str]) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    ruff_target = re.search(r'^target-version = "py3(\d+)"', pyproject, re.M)
    mypy_target = re.search(r'^python_version = "3\.(\d+)"', pyproject, re.M)
    minors = sorted(
        int(classifier.rsplit(".", 1)[1])
        for classifier in metadata.get_all("Classifier") or []
        if classifier.startswith("Programming Language :: Python :: 3.")
    )
    floor = metadata.get("Requires-Python")
    lowest = minors[0] if minors else None
    targets = {int(m.group(1)) if m else None for m in (ruff_target, mypy_target)}
    if floor != f">=3.{lowest}" or targets != {lowest}:
        problems.append(
            f"metadata: the lowest Python classifier (3.{lowest}), Requires-Python ({floor}) and the ruff/mypy "
            f"targets (3.{sorted(map(str, targets))}) disagree"
        )
    if minors != list(range(minors[0], minors[-1] + 1)):
        problems.append(f"metadata: the Python classifiers skip a version: {minors}")
    requires = metadata.get_all("Requires-Dist") or []
    if "apache-airflow>=3.0.4" not in requires:
        problems.append(f"metadata: the Airflow floor is not 3.0.4: {[r for r in requires if 'airflow' in r]}")


def check_sdist(sdist: Path, problems: list[str]) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.splitlines()
    if missing := sorted(path for path in tracked if path not in NOT_IN_SDIST and path not in names):
        problems.append(f"sdist: missing {missing}")
    for needed in ("Makefile", "pyproject.toml", "tests/conftest.py", "constraints/airflow-3.3.2.txt", "PKG-INFO"):
        if needed not in names:
            problems.append(f"sdist: no {needed}")


def main(argv: list[str]) -> int:
    wheel, sdist = (Path(arg) for arg in argv)
    problems: list[str] = []
    check_wheel(wheel, problems)
    check_sdist(sdist, problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{wheel.name}: package, py.typed, provider info and nothing else; {sdist.name}: the whole source tree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

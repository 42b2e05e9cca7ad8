"""Run every ``benchmarks/bench_*.py`` module's ``main()`` in turn: ``python -m benchmarks [name-filter]``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """
    Run the benchmarks whose module name contains the optional filter.

    :param argv: command-line arguments; the first, if any, filters module names.
    :return: exit status.
    """
    args = sys.argv[1:] if argv is None else argv
    wanted = args[0] if args else ""
    names = sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py") if wanted in path.stem)
    if not names:
        print(f"No benchmark matches {wanted!r}")
        return 1
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""
``focus-emulator``: run the Focus emulator in the foreground until Ctrl-C or SIGTERM.

Example::

    focus-emulator --port 8765 --seed demo --persist .demo/focus.json
"""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.constants import (
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_EMAIL,
    SEEDS,
)
from airflow_provider_focus.testing.records import DEFAULT_REQUEST_LOG_SIZE


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog="focus-emulator",
        description="Run an emulator of the Atlassian Focus REST API v1 on a loopback port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind, 0 for a free one (default: %(default)s)")
    parser.add_argument("--seed", choices=SEEDS, default="demo", help="initial data (default: %(default)s)")
    parser.add_argument("--persist", metavar="FILE", help="load the state from FILE and save it there after changes")
    parser.add_argument(
        "--token-expires-in",
        type=int,
        default=model.ACCESS_TOKEN_LIFETIME_SECONDS,
        metavar="N",
        help="lifetime in seconds of issued OAuth tokens (default: %(default)s)",
    )
    parser.add_argument(
        "--page-cap", type=int, default=model.MAX_PAGE_SIZE, metavar="N", help="largest page (default: %(default)s)"
    )
    parser.add_argument(
        "--request-log-size",
        type=int,
        default=DEFAULT_REQUEST_LOG_SIZE,
        metavar="N",
        help="requests kept in the request log, oldest dropped first (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the emulator until interrupted.

    :param argv: the arguments (default: ``sys.argv[1:]``).
    :return: the exit status: 0 after a clean shutdown, 1 when the server cannot start.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(message)s"
    )
    from airflow_provider_focus.testing.emulator import FocusEmulator

    try:
        emulator = FocusEmulator(
            host=args.host,
            port=args.port,
            seed=args.seed,
            persist_path=args.persist,
            token_expires_in=args.token_expires_in,
            page_cap=args.page_cap,
            request_log_size=args.request_log_size,
        ).start()
    except OSError as error:
        print(f"focus-emulator: cannot listen on {args.host}:{args.port}: {error}", flush=True)
        return 1
    except ValueError as error:
        print(f"focus-emulator: {error}", flush=True)
        return 1

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        env = emulator.conn_env("focus_default")["AIRFLOW_CONN_FOCUS_DEFAULT"]
        print(
            f"Focus emulator listening on {emulator.url} (seed {emulator.store.seed!r})\n"
            f"  site API root:  {emulator.site_api_root}\n"
            f"  cloud API root: {emulator.cloud_api_root}\n"
            f"  token URL:      {emulator.token_url}\n"
            f"  API token user: {EMULATOR_EMAIL} / {EMULATOR_API_TOKEN}\n"
            f"  OAuth client:   {EMULATOR_CLIENT_ID} / {EMULATOR_CLIENT_SECRET}\n"
            f"  control API:    {emulator.url}/_emulator (faults, requests, reset, tokens)\n"
            f"export AIRFLOW_CONN_FOCUS_DEFAULT={shlex.quote(env)}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Focus emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""`tickpath top`: refreshing view of a feed handler's live statistics."""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.live import Live

from tickpath.commands.status import render
from tickpath.shm.cliutil import (
    EXIT_HELP,
    EXIT_OK,
    add_target,
    non_negative_int,
    open_target,
    positive_float,
)
from tickpath.shm.live import status_doc, take


def _run(args: argparse.Namespace) -> int:
    shm = open_target(args, "tickpath top")
    if isinstance(shm, int):
        return shm
    console = Console()
    with shm:
        prev = take(shm)
        time.sleep(min(args.interval, 0.5))
        done = 0
        cur = take(shm)
        with Live(
            render(status_doc(shm, prev, cur)), console=console, auto_refresh=False, transient=False
        ) as live:
            try:
                while True:
                    done += 1
                    if args.iterations and done >= args.iterations:
                        break
                    time.sleep(args.interval)
                    prev, cur = cur, take(shm)
                    live.update(render(status_doc(shm, prev, cur)), refresh=True)
            except KeyboardInterrupt:
                pass
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "top",
        help="refreshing view of a feed handler's live statistics",
        description="The tables of `tickpath status`, refreshed every --interval seconds with "
        "rates over the last interval, until Ctrl-C or --iterations refreshes. " + EXIT_HELP,
    )
    add_target(parser)
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=1.0,
        metavar="S",
        help="seconds between refreshes (default 1)",
    )
    parser.add_argument(
        "--iterations",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="stop after N views (default 0 = until Ctrl-C)",
    )
    parser.set_defaults(func=_run)

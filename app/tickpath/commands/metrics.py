"""`tickpath metrics`: Prometheus textfile (node_exporter textfile collector) of a handler."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tickpath.shm import prom
from tickpath.shm.cliutil import (
    EXIT_LAYOUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    add_target,
    non_negative_int,
    positive_float,
)
from tickpath.shm.discover import DEFAULT_NAME, resolve
from tickpath.shm.live import take
from tickpath.shm.reader import FeedShm, ShmError, ShmLayoutError


def _handler_name(args: argparse.Namespace, path: Path | None) -> str:
    if args.name:
        return str(args.name)
    if path is not None and path.name.startswith("tickpath-"):
        return path.name[len("tickpath-") :]
    return DEFAULT_NAME


def _once(args: argparse.Namespace) -> int:
    path: Path | None = args.shm
    status = EXIT_OK
    try:
        if path is None:
            path = resolve(args.name)
        with FeedShm(path) as shm:
            text = prom.render(_handler_name(args, path), take(shm), shm.alive(), time.time_ns())
    except ShmError as exc:
        print(f"tickpath metrics: {exc} (writing {prom.PREFIX}up 0)", file=sys.stderr)
        status = EXIT_LAYOUT if isinstance(exc, ShmLayoutError) else EXIT_NOT_FOUND
        text = prom.render(_handler_name(args, path), None, False, time.time_ns())
    prom.write_textfile(args.textfile, text)
    return status


def _run(args: argparse.Namespace) -> int:
    if not args.textfile.name.endswith(".prom"):
        print(
            f"tickpath metrics: {args.textfile}: the textfile collector reads only *.prom files",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not args.textfile.parent.is_dir():
        print(f"tickpath metrics: directory {args.textfile.parent} does not exist", file=sys.stderr)
        return EXIT_USAGE
    done = 0
    status = EXIT_OK
    try:
        while True:
            status = _once(args)
            done += 1
            if args.iterations and done >= args.iterations:
                break
            time.sleep(args.interval)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"tickpath metrics: cannot write {args.textfile}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return status


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "metrics",
        help="write a Prometheus textfile of a feed handler's live statistics",
        description="Write the handler's counters (as *_total counters), levels (gauges) and "
        "latency histograms (summaries with quantiles) in Prometheus text format for the "
        "node_exporter textfile collector, atomically (temp file + rename), every --interval "
        "seconds. Without a readable shm it writes tickpath_fh_up 0. Exit status (of the "
        "last write): 0 ok, 1 no handler shm, 2 bad usage / unwritable file, 3 layout "
        "mismatch.",
    )
    add_target(parser)
    parser.add_argument(
        "--textfile",
        type=Path,
        required=True,
        metavar="FILE",
        help="output, e.g. /var/lib/node_exporter/textfile/tickpath.prom",
    )
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=15.0,
        metavar="S",
        help="seconds between writes (default 15)",
    )
    parser.add_argument(
        "--iterations",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="stop after N writes (default 0 = until Ctrl-C)",
    )
    parser.set_defaults(func=_run)

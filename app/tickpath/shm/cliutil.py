"""Shared command-line plumbing of the live-stats commands (status, top, metrics, book)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tickpath.shm.discover import resolve
from tickpath.shm.reader import FeedShm, ShmError, ShmLayoutError, ShmNotFoundError

EXIT_OK = 0
EXIT_NOT_FOUND = 1  # no handler shared memory (or no such symbol)
EXIT_USAGE = 2
EXIT_LAYOUT = 3  # a file exists but is not a version-1 tickpath-fh shm file

EXIT_HELP = (
    "Exit status: 0 ok, 1 no feed handler shared memory (or unknown symbol), "
    "2 bad usage, 3 the file is not a tickpath-fh layout-version-1 file."
)


def add_target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--name",
        help="handler shm.name (file /dev/hugepages|/dev/shm/tickpath-NAME); default: fh, "
        "or the only handler present",
    )
    group.add_argument("--shm", type=Path, metavar="FILE", help="open this shm file directly")


def open_target(args: argparse.Namespace, prog: str) -> FeedShm | int:
    """The opened FeedShm, or the exit status after printing why it cannot be opened."""
    try:
        path = args.shm if args.shm is not None else resolve(args.name)
        return FeedShm(path)
    except ShmNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except ShmLayoutError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_LAYOUT
    except ShmError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value > 86400:
        raise argparse.ArgumentTypeError(f"{text} must be in (0, 86400] seconds")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value

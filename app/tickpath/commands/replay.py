"""`tickpath replay FILE`: replay an ITCH 5.0 BinaryFILE through the C order book.

Thin wrapper around tickpath-replay; prints its report (messages, seconds, msgs/s, ns/msg,
anomaly counters) and optionally writes the final book as JSON.
"""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

from tickpath import binaries


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("replay", help="replay an ITCH BinaryFILE through the book")
    parser.add_argument("file", help="NASDAQ BinaryFILE (2-byte length + message records)")
    parser.add_argument("--book-json", metavar="OUT", help="write the final book as JSON")
    parser.add_argument("--symbols", metavar="A,B", help="limit --book-json to these symbols")
    parser.add_argument("--decode-only", action="store_true", help="decode, no book")
    parser.add_argument("--json", action="store_true", help="one machine-readable stats line")
    parser.set_defaults(func=run)


def build_command(args: argparse.Namespace) -> list[str]:
    cmd = [str(binaries.find("tickpath-replay")), str(args.file)]
    if args.book_json:
        cmd += ["--book-json", str(args.book_json)]
    if args.symbols:
        cmd += ["--symbols", str(args.symbols)]
    if args.decode_only:
        cmd.append("--decode-only")
    if args.json:
        cmd.append("--json")
    return cmd


def run(args: argparse.Namespace) -> int:
    try:
        cmd = build_command(args)
    except binaries.BinaryNotFoundError as exc:
        print(f"tickpath replay: {exc}")
        return 127
    return subprocess.run(cmd, check=False).returncode

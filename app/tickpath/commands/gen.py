"""`tickpath gen itch`: write a deterministic synthetic ITCH 5.0 day (BinaryFILE).

Thin wrapper: the C program tickpath-gen does the work.
"""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

from tickpath import binaries


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("gen", help="generate synthetic market data")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    itch = kinds.add_parser("itch", help="an ITCH 5.0 day in NASDAQ BinaryFILE framing")
    itch.add_argument("--messages", type=int, required=True, help="total messages")
    itch.add_argument("--symbols", type=int, default=100, help="stock directory size")
    itch.add_argument("--seed", type=int, default=1, help="same seed = same bytes")
    itch.add_argument("--preload", type=int, default=None,
                      help="resting orders added before the open (default: 5%% of messages)")
    itch.add_argument("-o", "--out", required=True, help="output file ('-' = stdout)")
    itch.set_defaults(func=run)


def build_command(args: argparse.Namespace) -> list[str]:
    cmd = [
        str(binaries.find("tickpath-gen")),
        "--messages", str(args.messages),
        "--symbols", str(args.symbols),
        "--seed", str(args.seed),
        "--out", str(args.out),
    ]
    if args.preload is not None:
        cmd += ["--preload", str(args.preload)]
    return cmd


def run(args: argparse.Namespace) -> int:
    try:
        cmd = build_command(args)
    except binaries.BinaryNotFoundError as exc:
        print(f"tickpath gen: {exc}")
        return 127
    return subprocess.run(cmd, check=False).returncode

"""`tickpath book SYMBOL`: live depth of one symbol from the feed handler's shared memory."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from tickpath.shm.book import Depth, bbo_depth
from tickpath.shm.cliutil import (
    EXIT_HELP,
    EXIT_NOT_FOUND,
    EXIT_OK,
    add_target,
    non_negative_int,
    open_target,
)
from tickpath.shm.reader import FeedShm, ShmError, ShmLayoutError


def lookup(shm: FeedShm, symbol: str, depth: int | None) -> Depth | str:
    """The depth of `symbol` (a name, or a stock locate number), or why it is unavailable."""
    locate = int(symbol) if symbol.isdigit() else None
    if locate is not None and not 0 <= locate < shm.header.bbo_count:
        return f"stock locate {locate} outside 0..{shm.header.bbo_count - 1}"
    try:
        view = shm.book_view()
    except ShmLayoutError as exc:
        print(f"tickpath book: {exc}; using the BBO table (top of book only)", file=sys.stderr)
        view = None
    if view is None:
        if locate is None:
            return (
                f"{shm.path} has no book region, and the BBO table has no symbol names: "
                f"give the stock locate number instead of {symbol!r}"
            )
        return bbo_depth(shm, locate)
    if locate is None:
        locate = view.find(symbol)
        if locate is None:
            return f"no symbol {symbol!r} in the book of {shm.path}"
    return view.depth(locate, depth or None)


def render(d: Depth, console: Console) -> None:
    title = f"{d.symbol} (locate {d.locate}, {'full depth' if d.source == 'book' else 'BBO'})"
    if d.stale:
        title += " [red]STALE[/]"
    table = Table(title=title)
    for col in ("bid orders", "bid shares", "bid $", "ask $", "ask shares", "ask orders"):
        table.add_column(col, justify="right")
    for i in range(max(len(d.bids), len(d.asks))):
        row: list[str] = []
        if i < len(d.bids):
            b = d.bids[i]
            row += ["-" if b.orders is None else str(b.orders), f"{b.shares:,}", f"{b.dollars:.4f}"]
        else:
            row += ["", "", ""]
        if i < len(d.asks):
            a = d.asks[i]
            row += [f"{a.dollars:.4f}", f"{a.shares:,}", "-" if a.orders is None else str(a.orders)]
        else:
            row += ["", "", ""]
        table.add_row(*row)
    console.print(table)


def _run(args: argparse.Namespace) -> int:
    shm = open_target(args, "tickpath book")
    if isinstance(shm, int):
        return shm
    with shm:
        try:
            got = lookup(shm, args.symbol, args.depth)
        except ShmError as exc:
            print(f"tickpath book: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
    if isinstance(got, str):
        print(f"tickpath book: {got}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.json:
        json.dump(got.as_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        render(got, Console())
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "book",
        help="live depth of one symbol from the feed handler's shared memory",
        description="Print the bid and ask levels (price in dollars, shares, orders) of "
        "SYMBOL from the handler's full-depth book in shared memory (read twice until two "
        "reads agree while the handler runs), or only the top of book from the BBO table "
        "when the handler publishes no book. SYMBOL may also be a stock locate number. "
        "--json prints prices in 1/10000 USD as [price, shares, orders]. " + EXIT_HELP,
    )
    parser.add_argument("symbol", metavar="SYMBOL")
    add_target(parser)
    parser.add_argument(
        "--depth",
        type=non_negative_int,
        default=10,
        metavar="N",
        help="levels per side (default 10, 0 = all)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_run)

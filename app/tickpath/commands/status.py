"""`tickpath status`: live statistics of a feed handler, read from its shared memory."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from tickpath.shm.cliutil import EXIT_HELP, EXIT_OK, add_target, open_target, positive_float
from tickpath.shm.live import sample_pair, status_doc


def _n(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def render(doc: dict[str, Any]) -> Group:
    """Rich tables of a status document (shared with `tickpath top`)."""
    head = Table(title=f"tickpath-fh {doc['path']}", show_header=False, title_justify="left")
    head.add_column("item", style="bold")
    head.add_column("value")
    state = doc["state"]
    if doc["state_reason"]:
        state = f"[red]{state.upper()}[/] ({doc['state_reason']})"
    head.add_row("state", state)
    head.add_row("pid / transport", f"{doc['pid']} / {doc['transport']}")
    head.add_row("session", doc["session"] or "-")
    head.add_row(
        "heartbeat age",
        "-" if doc["heartbeat_age_s"] is None else f"{doc['heartbeat_age_s']:.3f} s",
    )
    stale = "[red]STALE[/]" if doc["stale"] else "[green]fresh[/]"
    head.add_row("books", f"{stale} (stale {doc['stale_books']} times, {doc['stale_s']:.3f} s)")

    rates = Table(title=f"rates (over {doc['sample_interval_s']:.2f} s)", title_justify="left")
    for col in ("stage", "metric", "per second", "total"):
        rates.add_column(col, justify="right" if col in ("per second", "total") else "left")
    r, p = doc["rates"], doc["packets"]
    rates.add_row("rx", "packets", _n(r["rx"]["packets_per_s"]), _n(sum(p.values())))
    rates.add_row("rx", "  line A", _n(r["rx"]["packets_a_per_s"]), _n(p["a"]))
    rates.add_row("rx", "  line B", _n(r["rx"]["packets_b_per_s"]), _n(p["b"]))
    rates.add_row("rx", "bytes", _n(r["rx"]["bytes_per_s"]), _n(doc["counters"]["bytes"]))
    rates.add_row("book", "messages", _n(r["book"]["messages_per_s"]), _n(doc["messages"]))
    rates.add_row(
        "publish", "events", _n(r["publish"]["events_per_s"]), _n(doc["event_ring"]["write_idx"])
    )

    seq = Table(title="sequencing", title_justify="left")
    seq.add_column("counter")
    seq.add_column("value", justify="right")
    for key in (
        "next_seq",
        "high_seq",
        "unrecovered",
        "gaps",
        "gaps_closed",
        "recovered",
        "duplicates",
        "drops",
        "rerequests",
        "snapshots",
        "book_errors",
        "wrong_session",
        "ring_full",
    ):
        seq.add_row(key, _n(doc[key]))
    ring = doc["event_ring"]
    seq.add_row("event ring fill", f"{ring['fill'] * 100:.1f}% of {ring['cap']:,}")
    seq.add_row("events suppressed (stale)", _n(ring["events_suppressed"]))

    bad = Table(title="malformed", title_justify="left")
    bad.add_column("reason")
    bad.add_column("count", justify="right")
    for group in ("malformed", "frame_malformed"):
        for reason, count in doc[group].items():
            bad.add_row(f"{group}.{reason}", f"[red]{count:,}[/]" if count else "0")

    # one column per histogram (rarely more than two carry samples): fits 80 columns
    lat = Table(title="latency (ns)", title_justify="left")
    lat.add_column("")
    for name in doc["latency_ns"]:
        lat.add_column(name, justify="right")
    for label, key in (
        ("count", "count"),
        ("p50", "p50"),
        ("p90", "p90"),
        ("p99", "p99"),
        ("p99.9", "p999"),
        ("max", "max"),
    ):
        lat.add_row(label, *(_n(h[key]) for h in doc["latency_ns"].values()))
    if not doc["latency_ns"]:
        lat.add_column("(no samples yet)")
    return Group(head, rates, seq, bad, lat)


def _run(args: argparse.Namespace) -> int:
    shm = open_target(args, "tickpath status")
    if isinstance(shm, int):
        return shm
    with shm:
        a, b = sample_pair(shm, args.sample)
        doc = status_doc(shm, a, b)
    if args.json:
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        Console().print(render(doc))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="live statistics of a feed handler (shared memory)",
        description="Read the feed handler's shared memory twice, --sample seconds apart, and "
        "print its state, per-stage rates, sequencing counters (gaps, recovered, duplicates, "
        "drops, stale books), malformed packets per reason, event-ring fill and latency "
        "percentiles. The state is not taken from the header alone: a handler whose pid is "
        "gone is 'dead' (a SIGKILL leaves the header saying running), one whose heartbeat is "
        "older than 2 s is 'stale'. " + EXIT_HELP,
    )
    add_target(parser)
    parser.add_argument("--json", action="store_true", help="print the document as JSON")
    parser.add_argument(
        "--sample",
        type=positive_float,
        default=0.5,
        metavar="S",
        help="seconds between the two samples the rates come from (default 0.5)",
    )
    parser.set_defaults(func=_run)

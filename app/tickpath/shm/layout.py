"""The tickpath-fh shared-memory layout, version 1 (app/src/shm/LAYOUT.md, app/src/shm/layout.h).

Only the header's own fields are at fixed offsets; every region is located through the
header. The tables here are what this reader was written against; `check_print_layout()`
compares them with `tickpath-fh --print-layout` (the JSON the C side prints from its compiled
structs), which the unit tests run, so a C-side change that is not mirrored here fails loudly.

The full-depth book region (`book_off`) is `struct tp_book` of app/src/book/book_internal.h.
Its internal layout is not part of --print-layout; the offsets below mirror the C structs
(x86-64 / LP64) and `BookView` re-derives every array offset from the book's own config the
way `compute_layout()` in app/src/book/book.c does, refusing the region on any difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAGIC = 0x314D485348465054  # "TPFHSHM1" as a little-endian u64
VERSION = 1
HEADER_SIZE = 192
COUNTERS_SIZE = 520
HIST_COUNT = 10
HIST_SIZE = 8256
HIST_BUCKETS_OFFSET = 64
EVENT_RING_HEADER_SIZE = 64
EVENT_SIZE = 64
BBO_COUNT = 65536
BBO_SIZE = 64
REGION_ALIGN = 4096

STATES = {0: "init", 1: "running", 2: "stopped"}
TRANSPORTS = ("kernel", "kernel-blocking", "afxdp", "dpdk", "onload")
HIST_KINDS = ("rx_to_book", "wire_to_book")

# name -> (offset, struct format); little-endian host order
HEADER: dict[str, tuple[int, str]] = {
    "magic": (0, "Q"),
    "version": (8, "I"),
    "header_size": (12, "I"),
    "total_size": (16, "Q"),
    "counters_off": (24, "Q"),
    "counters_size": (32, "Q"),
    "hist_off": (40, "Q"),
    "hist_count": (48, "Q"),
    "hist_size": (56, "Q"),
    "events_off": (64, "Q"),
    "events_cap": (72, "Q"),
    "event_size": (80, "Q"),
    "bbo_off": (88, "Q"),
    "bbo_count": (96, "Q"),
    "bbo_size": (104, "Q"),
    "book_off": (112, "Q"),
    "book_size": (120, "Q"),
    "transport": (128, "I"),
    "state": (132, "I"),
    "pid": (136, "Q"),
    "start_realtime_ns": (144, "Q"),
    "session": (152, "16s"),
    "transport_name": (168, "16s"),
    "heartbeat_ns": (184, "Q"),
}

# counter name -> byte offset in the counters region (u64 each)
COUNTERS: dict[str, int] = {
    name: i * 8
    for i, name in enumerate(
        (
            "packets.a",
            "packets.b",
            "packets.retrans",
            "packets.snapshot",
            "bytes",
            "messages",
            "live",
            "recovered",
            "duplicates",
            "buffered",
            "drops",
            "gaps",
            "gaps_closed",
            "rerequests",
            "rerequested_msgs",
            "snapshots",
            "snapshot_msgs",
            "stale_books",
            "stale_ns",
            "stale",
            "heartbeats",
            "end_of_session",
            "wrong_session",
        )
    )
}
COUNTERS |= {
    "malformed.short_header": 208,
    "malformed.count_past_end": 216,
    "malformed.bad_length": 224,
    "frame_malformed.short": 240,
    "frame_malformed.not_ipv4": 248,
    "frame_malformed.bad_ihl": 256,
    "frame_malformed.bad_ip_len": 264,
    "frame_malformed.fragment": 272,
    "frame_malformed.not_udp": 280,
    "frame_malformed.bad_udp_len": 288,
}
COUNTERS |= {
    name: 296 + i * 8
    for i, name in enumerate(
        (
            "not_feed_port",
            "book_errors",
            "bbo_events",
            "trade_events",
            "events_suppressed",
            "ring_full",
            "next_seq",
            "high_seq",
            "last_rx_ns.a",
            "last_rx_ns.b",
            "rx_polls",
            "rx_empty_polls",
            "session_changes",
            "seq_resets",
            "seq_jumps",
            "seq_jumps_confirmed",
            "backward_packets",
            "resyncs",
            "snapshot_failures",
            "old_stream_packets",
        )
    )
}

BBO: dict[str, tuple[int, str]] = {
    "seq": (0, "I"),
    "stale": (4, "I"),
    "mold_seq": (8, "Q"),
    "bid_price": (16, "I"),
    "ask_price": (20, "I"),
    "bid_shares": (24, "Q"),
    "ask_shares": (32, "Q"),
    "bid_orders": (40, "I"),
    "ask_orders": (44, "I"),
    "updates": (48, "Q"),
}

EVENT: dict[str, tuple[int, str]] = {
    "idx": (0, "Q"),
    "mold_seq": (8, "Q"),
    "ts_ns": (16, "Q"),
    "locate": (24, "H"),
    "type": (26, "B"),
    "side": (27, "B"),
    "bid_price": (28, "I"),
    "ask_price": (32, "I"),
    "bid_orders": (36, "I"),
    "bid_shares": (40, "Q"),
    "ask_shares": (48, "Q"),
    "ask_orders": (56, "I"),
}

# struct tp_book (app/src/book/book_internal.h), LP64
BOOK_SLOT_MASK = 40  # u64
BOOK_NLOCATES = 48  # u32
BOOK_ARENA_CAP = 72  # u32
BOOK_CFG = 192  # tp_book_cfg: u32 max_orders, max_levels, level_slots, locates
BOOK_REGION_LEN = 224  # u64
BOOK_OFFSETS = 240  # u64 off_symbols, off_slots, off_orders, off_levels, off_arena
BOOK_STRUCT_MIN = 320  # the counters block starts here; the arrays come after it
SYMBOL_SIZE = 64  # tp_symbol: char name[8]; u8 named; pad[3]; tp_side side[2] (u32 off,n,cap)
SYMBOL_SIDE = 12  # side[0] at 12, side[1] at 24
SLOT_SIZE = 16
ORDER_SIZE = 32
LEVEL_SIZE = 24  # u64 shares; u32 price, count, head, tail
LVL_ENTRY_SIZE = 8  # u32 key, level
CACHELINE = 64


def _sizes(fmt: str) -> int:
    return {"Q": 8, "I": 4, "H": 2, "B": 1}.get(fmt) or int(fmt.rstrip("s"))


def check_print_layout(doc: Mapping[str, Any]) -> list[str]:
    """Differences between this module and `tickpath-fh --print-layout` (empty = identical)."""
    problems: list[str] = []

    def same(what: str, got: Any, want: Any) -> None:
        if got != want:
            problems.append(f"{what}: tickpath-fh says {got!r}, this reader has {want!r}")

    same("magic", int(str(doc.get("magic")), 16), MAGIC)
    same("version", doc.get("version"), VERSION)
    same("counters_size", doc.get("counters_size"), COUNTERS_SIZE)
    same("hist_size", doc.get("hist_size"), HIST_SIZE)
    same("hist_buckets_offset", doc.get("hist_buckets_offset"), HIST_BUCKETS_OFFSET)
    same("event_ring_header_size", doc.get("event_ring_header_size"), EVENT_RING_HEADER_SIZE)
    same("transports", tuple(doc.get("transports", ())), TRANSPORTS)
    same("hist_kinds", tuple(doc.get("hist_kinds", ())), HIST_KINDS)
    same("hist_count", len(TRANSPORTS) * len(HIST_KINDS), HIST_COUNT)
    header = {f["name"]: (f["offset"], f["size"]) for f in doc.get("header", ())}
    same("header end", header.pop("end", (None, 0))[0], HEADER_SIZE)
    same(
        "header fields",
        header,
        {name: (off, _sizes(fmt)) for name, (off, fmt) in HEADER.items()},
    )
    same(
        "counters",
        {f["name"]: (f["offset"], f["size"]) for f in doc.get("counters", ())},
        {name: (off, 8) for name, off in COUNTERS.items()},
    )
    for table, mine in (("bbo", BBO), ("event", EVENT)):
        same(
            table,
            {f["name"]: (f["offset"], f["size"]) for f in doc.get(table, ())},
            {name: (off, _sizes(fmt)) for name, (off, fmt) in mine.items()},
        )
    return problems

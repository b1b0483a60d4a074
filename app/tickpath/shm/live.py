"""Samples of a feed handler's shared memory and the derived live statistics.

`take()` reads one sample (header, counters, event-ring fill, non-empty histograms);
`status_doc()` turns two samples into the document `tickpath status --json` prints (its
``state`` is the handler's liveness: "dead" / "stale" when the header's ``state``, kept as
``header_state``, cannot be trusted; ``state_reason`` says why) and
`tickpath top` / `tickpath metrics` render: per-stage rates from the counter deltas, the
sequencing counters, malformed packets per reason, ring fill and latency percentiles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tickpath.histogram import Histogram
from tickpath.shm.reader import FeedShm, Header, RingInfo, liveness

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p99", 99.0),
    ("p999", 99.9),
)
RX_PACKETS = ("packets.a", "packets.b", "packets.retrans", "packets.snapshot")


@dataclass(frozen=True)
class Snapshot:
    mono: float
    header: Header
    counters: dict[str, int]
    ring: RingInfo
    hists: dict[str, Histogram]


def take(shm: FeedShm) -> Snapshot:
    return Snapshot(
        mono=time.monotonic(),
        header=shm.read_header(),
        counters=shm.counters(),
        ring=shm.ring(),
        hists=shm.histograms(),
    )


def sample_pair(shm: FeedShm, interval: float) -> tuple[Snapshot, Snapshot]:
    first = take(shm)
    time.sleep(max(0.0, interval))
    return first, take(shm)


def hist_summary(h: Histogram) -> dict[str, Any]:
    doc: dict[str, Any] = {"count": h.count, "min": h.min}
    for key, p in PERCENTILES:
        doc[key] = h.percentile(p)
    doc["max"] = h.max
    mean = h.mean()
    doc["mean"] = None if mean is None else round(mean, 1)
    return doc


def _by_prefix(counters: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix)}


def status_doc(shm: FeedShm, a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """Everything `tickpath status --json` prints, from two samples `a` (older) and `b`."""
    dt = b.mono - a.mono
    c, ca = b.counters, a.counters

    def rate(*names: str) -> float:
        if dt <= 0:
            return 0.0
        return round(sum(c[n] - ca[n] for n in names) / dt, 1)

    h = b.header
    now_ns = time.time_ns()
    # the header's state is what the handler last wrote: a killed one left "running" behind
    live = liveness(h, now_ns)
    unrecovered = max(0, c["high_seq"] - c["next_seq"]) if live.state == "running" else 0
    hb = h.heartbeat_ns
    return {
        "path": str(shm.path),
        "state": live.state,
        "state_reason": live.reason,
        "header_state": h.state_name,
        "alive": live.alive,
        "pid": h.pid,
        "transport": h.transport_name,
        "session": h.session,
        "start_realtime_ns": h.start_realtime_ns,
        "heartbeat_age_s": round((now_ns - hb) / 1e9, 3) if hb else None,
        "sample_interval_s": round(dt, 3),
        "rates": {
            "rx": {
                "packets_per_s": rate(*RX_PACKETS),
                "packets_a_per_s": rate("packets.a"),
                "packets_b_per_s": rate("packets.b"),
                "bytes_per_s": rate("bytes"),
            },
            "book": {"messages_per_s": rate("messages")},
            "publish": {"events_per_s": rate("bbo_events", "trade_events")},
        },
        "messages": c["messages"],
        "packets": {k.split(".", 1)[1]: c[k] for k in RX_PACKETS},
        "next_seq": c["next_seq"],
        "high_seq": c["high_seq"],
        "unrecovered": unrecovered,
        "gaps": c["gaps"],
        "gaps_closed": c["gaps_closed"],
        "recovered": c["recovered"],
        "duplicates": c["duplicates"],
        "drops": c["drops"],
        "rerequests": c["rerequests"],
        "snapshots": c["snapshots"],
        "stale": bool(c["stale"]),
        "stale_books": c["stale_books"],
        "stale_s": round(c["stale_ns"] / 1e9, 6),
        "book_errors": c["book_errors"],
        "wrong_session": c["wrong_session"],
        "malformed": _by_prefix(c, "malformed."),
        "frame_malformed": _by_prefix(c, "frame_malformed."),
        "event_ring": {
            "write_idx": b.ring.write_idx,
            "cap": b.ring.cap,
            "fill": round(b.ring.fill, 4),
            "events_suppressed": c["events_suppressed"],
        },
        "ring_full": c["ring_full"],
        "latency_ns": {name: hist_summary(hist) for name, hist in b.hists.items()},
        # the same histograms over the sample interval alone (what a smoke test gates on)
        "latency_window_ns": {
            name: {**hist_summary(window), "hist": window.results_hist()}
            for name, hist in b.hists.items()
            if (window := hist.since(a.hists.get(name, Histogram()))).count
        },
        "counters": c,
    }

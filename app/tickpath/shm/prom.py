"""Prometheus text exposition (node_exporter textfile collector) of a feed handler's shm.

Counters become ``tickpath_fh_<name>_total`` counters, levels become gauges, and every
latency histogram with samples becomes a ``summary`` (quantiles 0.5/0.9/0.99/0.999 in
seconds, with ``_sum`` and ``_count``) plus a ``tickpath_fh_latency_max_seconds`` gauge.
Quantiles rather than ``le`` buckets: the 1024 log-linear buckets would be 1024 series per
histogram. `write_textfile()` writes atomically (temporary file in the same directory,
fsync, rename), the way the textfile collector requires.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tickpath.histogram import Histogram
from tickpath.shm import layout as L
from tickpath.shm.live import PERCENTILES, Snapshot

PREFIX = "tickpath_fh_"

COUNTER_HELP: dict[str, str] = {
    "bytes": "UDP payload bytes received.",
    "messages": "ITCH messages applied to the book (live + recovered).",
    "live": "Messages applied straight from a packet.",
    "recovered": "Messages applied after a gap closed.",
    "duplicates": "Messages already applied or buffered (the other line's copy).",
    "buffered": "Messages stored in the reorder window.",
    "drops": "Messages dropped beyond the reorder window.",
    "gaps": "Sequence gaps opened.",
    "gaps_closed": "Sequence gaps closed.",
    "rerequests": "MoldUDP64 re-request packets sent.",
    "rerequested_msgs": "Messages asked for by re-requests.",
    "snapshots": "Snapshot recoveries completed.",
    "snapshot_msgs": "Messages applied from snapshots.",
    "stale_books": "Times the books went stale (a gap opened).",
    "heartbeats": "MoldUDP64 heartbeats received.",
    "end_of_session": "MoldUDP64 end-of-session packets received.",
    "wrong_session": "Packets of another MoldUDP64 session dropped (not confirmed as new).",
    "not_feed_port": "Frames for other UDP ports (afxdp/dpdk).",
    "book_errors": "Messages the book rejected.",
    "bbo_events": "BBO events published to the event ring.",
    "trade_events": "Trade events published to the event ring.",
    "events_suppressed": "BBO changes not published because the books were stale.",
    "ring_full": "Pipeline: times a stage waited on a full ring.",
    "rx_polls": "Transport polls.",
    "rx_empty_polls": "Transport polls that returned nothing.",
    "session_changes": "New MoldUDP64 sessions confirmed (books rebuilt).",
    "seq_resets": "Restarts of the session's sequence confirmed (books rebuilt).",
    "seq_jumps": "Packets dropped as too far ahead of the known sequence.",
    "seq_jumps_confirmed": "Runs of far-ahead packets taken as the stream's position.",
    "backward_packets": "Packets behind their own line's furthest sequence.",
    "resyncs": "Mid-session snapshot resynchronisations started.",
    "snapshot_failures": "Snapshots that failed (retried after a backoff).",
    "old_stream_packets": "Packets of a restarted stream read after the restart (dropped).",
}


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items()) + "}"


def _num(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self, name: str, kind: str, help_text: str, samples: Iterable[tuple[str, str, float | int]]
    ) -> None:
        """samples: (suffix, label text, value)."""
        self.lines.append(f"# HELP {PREFIX}{name} {help_text}")
        self.lines.append(f"# TYPE {PREFIX}{name} {kind}")
        for suffix, labels, value in samples:
            self.lines.append(f"{PREFIX}{name}{suffix}{labels} {_num(value)}")


def render(handler: str, snap: Snapshot | None, alive: bool, now_ns: int) -> str:
    """The textfile for handler `handler`; `snap` None = no readable shm (up 0 only)."""
    out = _Out()
    lab = _labels(name=handler)
    out.family(
        "up",
        "gauge",
        "1 when the feed handler is running (pid present, heartbeat fresh) and its shm is "
        "readable.",
        [("", lab, 1 if snap is not None and alive and snap.header.state == 1 else 0)],
    )
    if snap is None:
        return "\n".join(out.lines) + "\n"
    h, c = snap.header, snap.counters
    out.family(
        "info",
        "gauge",
        "Feed handler identity (value always 1).",
        [
            (
                "",
                _labels(
                    name=handler, transport=h.transport_name, session=h.session, pid=str(h.pid)
                ),
                1,
            )
        ],
    )
    out.family(
        "state", "gauge", "Handler state: 0 init, 1 running, 2 stopped.", [("", lab, h.state)]
    )
    out.family(
        "start_time_seconds",
        "gauge",
        "CLOCK_REALTIME at handler start.",
        [("", lab, h.start_realtime_ns / 1e9)],
    )
    if h.heartbeat_ns:
        out.family(
            "heartbeat_age_seconds",
            "gauge",
            "Seconds since the handler's last housekeeping pass.",
            [("", lab, max(0.0, (now_ns - h.heartbeat_ns) / 1e9))],
        )
    out.family(
        "packets_total",
        "counter",
        "MoldUDP64 packets accepted, by source.",
        [
            ("", _labels(name=handler, source=s), c[f"packets.{s}"])
            for s in ("a", "b", "retrans", "snapshot")
        ],
    )
    for key, text in COUNTER_HELP.items():
        out.family(f"{key}_total", "counter", text, [("", lab, c[key])])
    out.family(
        "stale_seconds_total",
        "counter",
        "Total time the books were stale.",
        [("", lab, c["stale_ns"] / 1e9)],
    )
    out.family(
        "malformed_total",
        "counter",
        "Malformed packets/frames, by layer and reason.",
        [
            (
                "",
                _labels(
                    name=handler,
                    layer=k.split(".")[0].replace("_malformed", ""),
                    reason=k.split(".", 1)[1],
                ),
                v,
            )
            for k, v in c.items()
            if k.startswith(("malformed.", "frame_malformed."))
        ],
    )
    out.family(
        "stale",
        "gauge",
        "1 while the books are stale (gap open or snapshot running).",
        [("", lab, c["stale"])],
    )
    out.family("next_seq", "gauge", "Next MoldUDP64 sequence to apply.", [("", lab, c["next_seq"])])
    out.family(
        "high_seq",
        "gauge",
        "One past the highest sequence known to exist.",
        [("", lab, c["high_seq"])],
    )
    out.family(
        "unrecovered_messages",
        "gauge",
        "Messages known to exist but not applied yet.",
        [("", lab, max(0, c["high_seq"] - c["next_seq"]) if h.state == 1 else 0)],
    )
    out.family(
        "last_rx_timestamp_seconds",
        "gauge",
        "CLOCK_REALTIME of the last packet, by line.",
        [("", _labels(name=handler, line=ln), c[f"last_rx_ns.{ln}"] / 1e9) for ln in ("a", "b")],
    )
    out.family(
        "event_ring_fill_ratio",
        "gauge",
        "Filled share of the shm event ring.",
        [("", lab, round(snap.ring.fill, 6))],
    )
    out.family(
        "events_written_total",
        "counter",
        "Events written to the shm event ring.",
        [("", lab, snap.ring.write_idx)],
    )
    _latency(out, handler, snap.hists)
    return "\n".join(out.lines) + "\n"


def _latency(out: _Out, handler: str, hists: dict[str, Histogram]) -> None:
    if not hists:
        return
    samples: list[tuple[str, str, float | int]] = []
    maxima: list[tuple[str, str, float | int]] = []
    for name, hist in hists.items():
        transport, kind = name.split(".", 1)
        base = {"name": handler, "transport": transport, "kind": kind}
        for _, p in PERCENTILES:
            samples.append(("", _labels(**base, quantile=f"{p / 100:g}"), hist.percentile(p) / 1e9))
        samples.append(("_sum", _labels(**base), (hist.total or 0) / 1e9))
        samples.append(("_count", _labels(**base), hist.count))
        maxima.append(("", _labels(**base), (hist.max or 0) / 1e9))
    kinds = ", ".join(L.HIST_KINDS)
    out.family(
        "latency_seconds",
        "summary",
        f"Per-message latency ({kinds}), from the handler's log-linear histograms.",
        samples,
    )
    out.family("latency_max_seconds", "gauge", "Largest latency recorded.", maxima)


def write_textfile(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (same-directory temp file, fsync, rename, 0644)."""
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {directory} does not exist")
    # the collector reads only *.prom: the temporary name must not end in .prom
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Read the feed handler's shared memory (app/src/shm/LAYOUT.md) from Python.

`FeedShm` maps the file read-only and exposes the header, counters, latency histograms
(`tickpath.histogram.Histogram`), the event-ring fill, the BBO table (seqlock) and, when the
handler publishes it, the full-depth book (`BookView`). See README.md for the consistency
rules of each region.
"""

from tickpath.shm.book import BookView, Depth, Level, bbo_depth
from tickpath.shm.discover import DEFAULT_NAME, handlers, resolve
from tickpath.shm.reader import (
    HEARTBEAT_MAX_S,
    Bbo,
    FeedShm,
    Header,
    Liveness,
    RingInfo,
    ShmBusyError,
    ShmError,
    ShmLayoutError,
    ShmNotFoundError,
    liveness,
)

__all__ = [
    "DEFAULT_NAME",
    "HEARTBEAT_MAX_S",
    "Bbo",
    "BookView",
    "Depth",
    "FeedShm",
    "Header",
    "Level",
    "Liveness",
    "RingInfo",
    "ShmBusyError",
    "ShmError",
    "ShmLayoutError",
    "ShmNotFoundError",
    "bbo_depth",
    "handlers",
    "liveness",
    "resolve",
]

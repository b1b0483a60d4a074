"""Typed, read-only view of a running (or stopped) tickpath-fh shared-memory file.

The file is mapped once (``mmap(PROT_READ, MAP_SHARED)``) and read through ``memoryview``
casts of that mapping (u64 / u32 views), so reading a counter, a histogram bucket or a BBO
field copies nothing but the integer itself. Every offset past the header comes from the
header, which is checked against the version-1 layout (`tickpath.shm.layout`) when the file is
opened: a wrong magic, version or size is refused with a `ShmLayoutError` naming the field.

Consistency (what the C side provides, and what this reader does with it):

* Counters: one writer thread, relaxed aligned u64 stores. Each read is one aligned 8-byte
  load (never torn on x86-64/aarch64), but there is no seqlock across the counters, so two
  counters read together may be a few packets apart. Rates are computed from two samples.
* Histograms: no seqlock either. The reader reads ``count``, the buckets, then ``count``
  again and retries (bounded) until both reads of ``count`` agree with the sum of the
  buckets; if the writer is too busy it keeps the last read and uses the sum of its buckets
  as the count, so the percentiles are always computed over a self-consistent bucket array.
* BBO table: per-entry seqlock (``seq`` odd while written): read seq, retry while odd, read
  the fields, re-read seq, retry if changed; `ShmBusyError` after `SEQLOCK_TRIES`.
* Event ring: only the header (write_idx, cap) is read here, for the fill level.
* Book: no writer-side protection at all (LAYOUT.md: safe on a stopped handler). While the
  handler runs, `tickpath.shm.book.BookView` reads a symbol twice and accepts the result only
  when both reads are identical and structurally valid (indices in range, prices strictly
  ordered); otherwise it retries, bounded.

Liveness (LAYOUT.md "Liveness"): the header's ``state`` is what the handler last wrote, and a
handler killed with SIGKILL leaves "running" behind. `liveness()` does not trust it alone:
"dead" when the pid does not exist, "stale" when a running handler's heartbeat is older than
`HEARTBEAT_MAX_S`, else the header's state.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from tickpath.histogram import NBUCKETS, Histogram
from tickpath.shm import layout as L

if TYPE_CHECKING:
    from collections.abc import Callable

    from tickpath.shm.book import BookView

SEQLOCK_TRIES = 10_000
HIST_TRIES = 50
_U64_MAX = (1 << 64) - 1
#: A running handler writes heartbeat_ns at least every 50 ms; older than this = stale (the
#: bound tickpath-strategy uses too: MD_SHM_HEARTBEAT_MAX_NS in app/src/strategy/md_shm.h).
HEARTBEAT_MAX_S = 2.0
_STATE_RUNNING, _STATE_STOPPED = 1, 2


class ShmError(RuntimeError):
    """The feed handler's shared memory cannot be read."""


class ShmNotFoundError(ShmError):
    """No shared-memory file of the feed handler exists."""


class ShmLayoutError(ShmError):
    """The file exists but is not a version-1 tickpath-fh shared-memory file."""


class ShmBusyError(ShmError):
    """A consistent read did not succeed within the retry bound."""


@dataclass(frozen=True)
class Header:
    magic: int
    version: int
    header_size: int
    total_size: int
    counters_off: int
    counters_size: int
    hist_off: int
    hist_count: int
    hist_size: int
    events_off: int
    events_cap: int
    event_size: int
    bbo_off: int
    bbo_count: int
    bbo_size: int
    book_off: int
    book_size: int
    transport: int
    state: int
    pid: int
    start_realtime_ns: int
    session: str
    transport_name: str
    heartbeat_ns: int

    @property
    def state_name(self) -> str:
        return L.STATES.get(self.state, f"unknown({self.state})")


@dataclass(frozen=True)
class Bbo:
    """One BBO table entry (prices in 1/10000 USD, 0 = empty side)."""

    locate: int
    stale: bool
    mold_seq: int
    bid_price: int
    ask_price: int
    bid_shares: int
    ask_shares: int
    bid_orders: int
    ask_orders: int
    updates: int


@dataclass(frozen=True)
class RingInfo:
    write_idx: int
    cap: int

    @property
    def filled(self) -> int:
        """Slots holding an event (the ring overwrites once it wrapped)."""
        return min(self.write_idx, self.cap)

    @property
    def fill(self) -> float:
        return self.filled / self.cap if self.cap else 0.0


@dataclass(frozen=True)
class Liveness:
    """What the handler is, judged from the header, its pid and its heartbeat.

    state: "init" / "running" / "stopped" (the header's state, trusted), "dead" (the header
    says init or running but the pid does not exist: killed or crashed), "stale" (running, pid
    present, heartbeat older than the bound: hung, stopped by SIGSTOP, or the pid reused), or
    "unknown(N)" for a state this reader does not know. reason: why the header's state was
    not trusted ("" when it was).
    """

    state: str
    reason: str = ""

    @property
    def alive(self) -> bool:
        return self.state in ("init", "running")


def pid_exists(pid: int) -> bool:
    """kill(pid, 0): ESRCH = no such process; EPERM = it exists (another user's)."""
    if pid <= 0 or pid > 0x7FFFFFFF:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def liveness(
    header: Header,
    now_ns: int,
    *,
    exists: Callable[[int], bool] = pid_exists,
    max_age_s: float = HEARTBEAT_MAX_S,
) -> Liveness:
    """The handler's liveness at `now_ns` (CLOCK_REALTIME, time.time_ns()) from its header."""
    if header.state == _STATE_STOPPED:
        return Liveness("stopped")
    if not exists(header.pid):
        return Liveness(
            "dead",
            f"state says {header.state_name} but pid {header.pid} does not exist: killed or "
            "crashed",
        )
    hb = header.heartbeat_ns
    if header.state == _STATE_RUNNING and hb and (now_ns - hb) / 1e9 > max_age_s:
        return Liveness(
            "stale",
            f"heartbeat {(now_ns - hb) / 1e9:.1f} s old, over {max_age_s:g} s: pid {header.pid} "
            "hung, stopped, or reused by another process",
        )
    return Liveness(header.state_name)


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


class FeedShm:
    """An open tickpath-fh shared-memory file. Use as a context manager or call close()."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise ShmNotFoundError(f"{self.path} does not exist") from None
        except OSError as exc:
            raise ShmError(f"{self.path}: cannot open: {exc.strerror}") from None
        try:
            size = os.fstat(fd).st_size
            if size < L.HEADER_SIZE:
                raise ShmLayoutError(
                    f"{self.path}: {size} bytes, shorter than the {L.HEADER_SIZE}-byte "
                    "tickpath-fh header: not a feed handler shared-memory file"
                )
            self._map = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        self.file_size = size
        self._mv = memoryview(self._map)
        self._u64 = self._mv[: size - size % 8].cast("Q")
        self._u32 = self._mv[: size - size % 4].cast("I")
        try:
            self.header = self.read_header()
            self._validate()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        for view in ("_u64", "_u32", "_mv"):
            mv = getattr(self, view, None)
            if mv is not None:
                mv.release()
                setattr(self, view, None)
        if getattr(self, "_map", None) is not None:
            self._map.close()

    def __enter__(self) -> FeedShm:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ header

    def read_header(self) -> Header:
        """Read the header again (state and heartbeat_ns change while the handler runs)."""
        values: dict[str, int | str] = {}
        for name, (off, fmt) in L.HEADER.items():
            (v,) = struct.unpack_from("<" + fmt, self._mv, off)
            values[name] = _cstr(v) if isinstance(v, bytes) else int(v)
        return Header(**values)  # type: ignore[arg-type]

    def _validate(self) -> None:
        h, p = self.header, self.path
        if h.magic != L.MAGIC:
            hint = " (the handler writes it last: still being created?)" if h.magic == 0 else ""
            raise ShmLayoutError(
                f'{p}: magic 0x{h.magic:016x} is not 0x{L.MAGIC:016x} ("TPFHSHM1"): '
                f"not a tickpath-fh shared-memory file{hint}"
            )
        if h.version != L.VERSION:
            raise ShmLayoutError(
                f"{p}: layout version {h.version}, this reader understands version "
                f"{L.VERSION} only (app/src/shm/LAYOUT.md): upgrade tickpath"
            )
        for field, want in (
            ("header_size", L.HEADER_SIZE),
            ("counters_size", L.COUNTERS_SIZE),
            ("hist_count", L.HIST_COUNT),
            ("hist_size", L.HIST_SIZE),
            ("event_size", L.EVENT_SIZE),
            ("bbo_count", L.BBO_COUNT),
            ("bbo_size", L.BBO_SIZE),
        ):
            got = getattr(h, field)
            if got != want:
                raise ShmLayoutError(
                    f"{p}: header {field} = {got}, layout version {L.VERSION} has {want}"
                )
        if h.total_size > self.file_size:
            raise ShmLayoutError(
                f"{p}: header total_size = {h.total_size} but the file has only "
                f"{self.file_size} bytes (truncated)"
            )
        cap = h.events_cap
        if cap == 0 or cap & (cap - 1):
            raise ShmLayoutError(f"{p}: header events_cap = {cap} is not a power of two")
        regions = [
            ("counters", h.counters_off, h.counters_size),
            ("hist", h.hist_off, h.hist_count * h.hist_size),
            ("events", h.events_off, L.EVENT_RING_HEADER_SIZE + cap * h.event_size),
            ("bbo", h.bbo_off, h.bbo_count * h.bbo_size),
        ]
        if h.book_off:
            regions.append(("book", h.book_off, h.book_size))
        for name, off, size in regions:
            if off % L.REGION_ALIGN or off < h.header_size or off + size > h.total_size:
                raise ShmLayoutError(
                    f"{p}: header {name}_off = {off} (size {size}) is not a "
                    f"{L.REGION_ALIGN}-aligned region inside the {h.total_size}-byte file"
                )
        ring_cap, ring_esize = self._u64[h.events_off // 8 + 1], self._u64[h.events_off // 8 + 2]
        if (ring_cap, ring_esize) != (cap, h.event_size):
            raise ShmLayoutError(
                f"{p}: event ring header says cap={ring_cap} event_size={ring_esize}, "
                f"the file header says {cap} and {h.event_size}"
            )

    # ------------------------------------------------------------------ counters

    def counter(self, name: str) -> int:
        try:
            off = L.COUNTERS[name]
        except KeyError:
            raise KeyError(f"no counter {name!r} in layout version {L.VERSION}") from None
        return int(self._u64[(self.header.counters_off + off) // 8])

    def counters(self) -> dict[str, int]:
        base = self.header.counters_off // 8
        u64 = self._u64
        return {name: int(u64[base + off // 8]) for name, off in L.COUNTERS.items()}

    # ------------------------------------------------------------------ histograms

    @staticmethod
    def hist_name(index: int) -> str:
        kinds = len(L.HIST_KINDS)
        return f"{L.TRANSPORTS[index // kinds]}.{L.HIST_KINDS[index % kinds]}"

    def histogram(self, index: int) -> Histogram:
        """Histogram `index` (= transport * 2 + kind), read consistently (module docstring)."""
        if not 0 <= index < self.header.hist_count:
            raise IndexError(f"histogram {index} outside 0..{self.header.hist_count - 1}")
        base = (self.header.hist_off + index * self.header.hist_size) // 8
        u64 = self._u64
        first = L.HIST_BUCKETS_OFFSET // 8
        counts: list[int] = []
        for _ in range(HIST_TRIES):
            c1 = u64[base]
            counts = u64[base + first : base + first + NBUCKETS].tolist()
            total, lo, hi, overflow = u64[base + 1], u64[base + 2], u64[base + 3], u64[base + 4]
            if c1 == u64[base] == sum(counts):
                break
        n = sum(counts)
        return Histogram(
            counts=counts,
            count=n,
            total=int(total) if n else 0,
            min=int(lo) if n and lo != _U64_MAX else None,
            max=int(hi) if n else None,
            overflow=min(int(overflow), counts[NBUCKETS - 1]),
        )

    def histograms(self, nonempty: bool = True) -> dict[str, Histogram]:
        """Histograms by "transport.kind" name; only those with samples unless nonempty=False."""
        out: dict[str, Histogram] = {}
        for i in range(self.header.hist_count):
            base = (self.header.hist_off + i * self.header.hist_size) // 8
            if nonempty and self._u64[base] == 0:
                continue
            out[self.hist_name(i)] = self.histogram(i)
        return out

    # ------------------------------------------------------------------ BBO table

    def bbo(self, locate: int) -> Bbo:
        """The BBO of stock locate `locate`, read under its seqlock."""
        if not 0 <= locate < self.header.bbo_count:
            raise IndexError(f"stock locate {locate} outside 0..{self.header.bbo_count - 1}")
        off = self.header.bbo_off + locate * self.header.bbo_size
        q, d = off // 8, off // 4
        u64, u32 = self._u64, self._u32
        for _ in range(SEQLOCK_TRIES):
            s1 = u32[d]
            if s1 & 1:
                continue
            entry = Bbo(
                locate=locate,
                stale=bool(u32[d + 1]),
                mold_seq=int(u64[q + 1]),
                bid_price=int(u32[d + 4]),
                ask_price=int(u32[d + 5]),
                bid_shares=int(u64[q + 3]),
                ask_shares=int(u64[q + 4]),
                bid_orders=int(u32[d + 10]),
                ask_orders=int(u32[d + 11]),
                updates=int(u64[q + 6]),
            )
            if u32[d] == s1:
                return entry
        raise ShmBusyError(
            f"{self.path}: BBO entry {locate} changed during {SEQLOCK_TRIES} read attempts"
        )

    def bbo_locates(self) -> list[int]:
        """Stock locates whose BBO entry was ever updated."""
        h = self.header
        step = h.bbo_size // 8
        start = h.bbo_off // 8 + L.BBO["updates"][0] // 8
        updates = self._u64[start : start + h.bbo_count * step : step]
        return [i for i, n in enumerate(updates.tolist()) if n]

    # ------------------------------------------------------------------ event ring

    def ring(self) -> RingInfo:
        base = self.header.events_off // 8
        return RingInfo(write_idx=int(self._u64[base]), cap=int(self._u64[base + 1]))

    # ------------------------------------------------------------------ book

    def book_view(self) -> BookView | None:
        """The full-depth book region, or None when the handler publishes none (book_off 0).

        Raises ShmLayoutError when the region's internal layout is not the one this reader
        knows (callers fall back to the BBO table).
        """
        from tickpath.shm.book import BookView

        if not self.header.book_off:
            return None
        assert self._mv is not None
        return BookView(self, self._mv, self.header.book_off, self.header.book_size)

    # ------------------------------------------------------------------ liveness

    def liveness(self, now_ns: int | None = None) -> Liveness:
        """Liveness of the handler now (module docstring): the header re-read, its pid and
        heartbeat checked."""
        return liveness(self.read_header(), time.time_ns() if now_ns is None else now_ns)

    def alive(self) -> bool:
        """The handler is starting or running: its pid exists, its state is not 'stopped' and
        a running handler's heartbeat is fresh."""
        return self.liveness().alive

    def heartbeat_age_s(self) -> float | None:
        hb = self.read_header().heartbeat_ns
        return (time.time_ns() - hb) / 1e9 if hb else None

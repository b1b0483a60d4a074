"""Full-depth book of one symbol, read from the handler's `tp_book` region in shared memory.

The region is `struct tp_book` (app/src/book/book_internal.h) followed by its arrays; every
cross-reference is a u32 index, so it can be read from another process. Per symbol and side
the levels are a sorted array of ``(key, level)`` entries in the arena, best LAST; a level is
``u64 shares; u32 price, count, head, tail``.

The book has no writer-side seqlock (app/src/shm/LAYOUT.md: "use it on a stopped handler, or
the BBO table while running"). On a running handler this reader reads the symbol twice and
accepts only two identical, structurally valid reads (every index in range, prices strictly
ordered best first, every level with orders and shares); otherwise it retries, up to
`BOOK_TRIES` times, then raises `ShmBusyError`. The result is then a book that existed at
some instant during the read; on a stopped handler (state 2) the first read is final.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tickpath.shm import layout as L
from tickpath.shm.reader import ShmBusyError, ShmLayoutError

if TYPE_CHECKING:
    from tickpath.shm.reader import FeedShm

BOOK_TRIES = 200
NIL = 0xFFFFFFFF


@dataclass(frozen=True)
class Level:
    price: int  # 1/10000 USD
    shares: int
    orders: int | None  # None when the source (BBO table fallback) has no count

    @property
    def dollars(self) -> float:
        return self.price / 10000.0


@dataclass(frozen=True)
class Depth:
    symbol: str
    locate: int
    source: str  # "book" (full depth) or "bbo" (top of book only)
    stale: bool
    bids: list[Level] = field(default_factory=list)
    asks: list[Level] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "locate": self.locate,
            "source": self.source,
            "stale": self.stale,
            "bids": [[lv.price, lv.shares, lv.orders] for lv in self.bids],
            "asks": [[lv.price, lv.shares, lv.orders] for lv in self.asks],
        }


class _Torn(Exception):
    """One read saw an inconsistent state (concurrent writer)."""


def _align(x: int) -> int:
    return (x + L.CACHELINE - 1) & ~(L.CACHELINE - 1)


class BookView:
    """Read access to the tp_book region at `base` (absolute offset in the mapping)."""

    def __init__(self, shm: FeedShm, mv: memoryview, base: int, size: int) -> None:
        self.shm, self._mv, self.base, self.size = shm, mv, base, size
        u = struct.unpack_from
        self.nlocates = u("<I", mv, base + L.BOOK_NLOCATES)[0]
        self.slot_mask = u("<Q", mv, base + L.BOOK_SLOT_MASK)[0]
        self.arena_cap = u("<I", mv, base + L.BOOK_ARENA_CAP)[0]
        max_orders, max_levels, level_slots, locates = u("<4I", mv, base + L.BOOK_CFG)
        self.max_levels = max_levels
        region_len = u("<Q", mv, base + L.BOOK_REGION_LEN)[0]
        offs = u("<5Q", mv, base + L.BOOK_OFFSETS)
        self.off_symbols, _, _, self.off_levels, self.off_arena = offs
        # Re-derive the array offsets from the config the way compute_layout() does.
        nslots = 16
        while nslots < 2 * max_orders:
            nslots <<= 1
        want_symbols = offs[0]
        problems = []
        if want_symbols % L.CACHELINE or want_symbols < L.BOOK_STRUCT_MIN:
            problems.append(f"off_symbols = {want_symbols}")
        want = [want_symbols]
        want.append(_align(want[-1] + L.SYMBOL_SIZE * locates))
        want.append(_align(want[-1] + L.SLOT_SIZE * nslots))
        want.append(_align(want[-1] + L.ORDER_SIZE * max_orders))
        want.append(_align(want[-1] + L.LEVEL_SIZE * max_levels))
        total = _align(want[-1] + L.LVL_ENTRY_SIZE * level_slots)
        for name, got, exp in (
            ("nlocates", self.nlocates, locates),
            ("slot_mask + 1", self.slot_mask + 1, nslots),
            ("arena_cap", self.arena_cap, level_slots),
            ("offsets", tuple(offs), tuple(want)),
            ("region_len", region_len, total),
        ):
            if got != exp:
                problems.append(f"{name} = {got}, expected {exp}")
        if not 0 < locates <= 65536 or region_len > size:
            problems.append(f"locates = {locates}, region_len = {region_len} (size {size})")
        if problems:
            raise ShmLayoutError(
                f"{shm.path}: book region at offset {base} does not have the tp_book layout "
                f"this reader knows ({'; '.join(problems)})"
            )

    # ---------------------------------------------------------------- symbols

    def _symbol_off(self, locate: int) -> int:
        return int(self.base + self.off_symbols + locate * L.SYMBOL_SIZE)

    def symbol_name(self, locate: int) -> str | None:
        raw, named = struct.unpack_from("<8sB", self._mv, self._symbol_off(locate))
        if not named:
            return None
        return str(raw.rstrip(b" \0").decode("ascii", "replace"))

    def symbols(self) -> dict[str, int]:
        """Named symbols -> stock locate (the first locate of a name wins)."""
        out: dict[str, int] = {}
        start = self._symbol_off(0)
        # one u8 "named" flag every 64 bytes: a strided view, no copy of the table
        named = self._mv[start + 8 : start + self.nlocates * L.SYMBOL_SIZE : L.SYMBOL_SIZE]
        for locate, flag in enumerate(named.tolist()):
            if flag:
                name = self.symbol_name(locate)
                if name is not None:
                    out.setdefault(name, locate)
        return out

    def find(self, symbol: str) -> int | None:
        return self.symbols().get(symbol)

    # ---------------------------------------------------------------- depth

    def _side_once(self, locate: int, side: int, limit: int | None) -> list[Level]:
        mv, u = self._mv, struct.unpack_from
        off, n, cap = u("<3I", mv, self._symbol_off(locate) + L.SYMBOL_SIDE * (1 + side))
        if n == 0:
            return []
        if n > cap or off + n > self.arena_cap:
            raise _Torn
        arena = self.base + self.off_arena
        levels = self.base + self.off_levels
        out: list[Level] = []
        count = n if limit is None else min(n, limit)
        for i in range(count):
            key, li = u("<II", mv, arena + (off + n - 1 - i) * L.LVL_ENTRY_SIZE)
            if li >= self.max_levels:
                raise _Torn
            shares, price, orders = u("<QII", mv, levels + li * L.LEVEL_SIZE)
            if price != (key if side == 0 else key ^ NIL) or not orders or not shares:
                raise _Torn
            if out and (price >= out[-1].price if side == 0 else price <= out[-1].price):
                raise _Torn
            out.append(Level(price=price, shares=shares, orders=orders))
        return out

    def depth(self, locate: int, limit: int | None = None) -> Depth:
        """Levels of `locate`, best first, at most `limit` per side (None = all)."""
        if not 0 <= locate < self.nlocates:
            raise IndexError(f"stock locate {locate} outside 0..{self.nlocates - 1}")
        name = self.symbol_name(locate) or f"#{locate}"
        stopped = self.shm.read_header().state == 2
        last: tuple[list[Level], list[Level]] | None = None
        for _ in range(BOOK_TRIES):
            try:
                got = (self._side_once(locate, 0, limit), self._side_once(locate, 1, limit))
            except _Torn:
                last = None
                continue
            if stopped or got == last:
                return Depth(
                    symbol=name,
                    locate=locate,
                    source="book",
                    stale=bool(self.shm.counter("stale")),
                    bids=got[0],
                    asks=got[1],
                )
            last = got
        raise ShmBusyError(
            f"{self.shm.path}: the book of {name} changed during {BOOK_TRIES} read attempts"
        )


def bbo_depth(shm: FeedShm, locate: int, symbol: str | None = None) -> Depth:
    """Top of book of `locate` from the BBO table (the fallback without a book region)."""
    b = shm.bbo(locate)
    bids = [Level(b.bid_price, b.bid_shares, b.bid_orders)] if b.bid_price else []
    asks = [Level(b.ask_price, b.ask_shares, b.ask_orders)] if b.ask_price else []
    stale = b.stale or bool(shm.counter("stale"))
    return Depth(symbol or f"#{locate}", locate, "bbo", stale, bids, asks)

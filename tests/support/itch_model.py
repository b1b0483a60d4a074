"""Independent pure-Python reference model of the ITCH 5.0 full-depth book.

It decodes NASDAQ BinaryFILE bytes itself (with `struct`, straight from the spec's offsets)
and keeps every live order in a dict; levels are computed only when asked, by aggregating the
live orders. It shares no code with the C book: it is the oracle the C replay is checked
against. Rules (the same contract as app/src/book/book.h):

- a record shorter than its type's size is counted `short`, an unknown type `unknown_type`,
  a longer record is applied with the extra bytes ignored (`long`);
- A/F with a side other than B/S or zero shares: `bad_field`; with a live ref: `dup_order`;
- E/C/X/D/U on a ref that is not live: `unknown_order`; E/C/X reduce the order (over-fills are
  clamped, an order at zero leaves); zero shares is a no-op;
- U with zero shares: `bad_field`; to a new ref that is live (and not the old one):
  `dup_order`; otherwise the order keeps side and locate, takes the new ref, price and shares
  and goes to the back of its (new) level;
- 'R' names a locate; an add names an unnamed locate with its stock field;
- invalid messages change nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

SIZES: dict[int, int] = {
    ord(t): n
    for t, n in {
        "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28,
        "J": 35, "h": 21, "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19,
        "U": 35, "P": 44, "Q": 40, "B": 19, "I": 50, "N": 20, "O": 48,
    }.items()
}

_U16 = struct.Struct(">H")
_HEADER = struct.Struct(">cHH6s")  # type, locate, tracking, timestamp(48)
_ADD = struct.Struct(">QcI8sI")  # @11: ref, side, shares, stock, price
_REF_SHARES = struct.Struct(">QI")  # @11: ref, shares (E, C, X)
_REF = struct.Struct(">Q")  # @11
_REPLACE = struct.Struct(">QQII")  # @11: old ref, new ref, shares, price


@dataclass
class Order:
    ref: int
    locate: int
    side: str  # "B" or "S"
    price: int
    shares: int
    seq: int


@dataclass
class Counters:
    messages: int = 0
    unknown_type: int = 0
    short: int = 0
    long: int = 0
    zero_length: int = 0
    truncated_tail: int = 0
    tail_bytes: int = 0
    unknown_order: int = 0
    dup_order: int = 0
    bad_field: int = 0


def frames(data: bytes, counters: Counters | None = None) -> Iterator[bytes]:
    """Yield the records of a BinaryFILE buffer (2-byte big-endian length + message)."""
    c = counters if counters is not None else Counters()
    pos, end = 0, len(data)
    while end - pos >= 2:
        (n,) = _U16.unpack_from(data, pos)
        if n > end - pos - 2:
            break
        msg = data[pos + 2 : pos + 2 + n]
        pos += 2 + n
        if n == 0:
            c.zero_length += 1
            continue
        c.messages += 1
        yield msg
    if pos < end:
        c.truncated_tail = 1
        c.tail_bytes = end - pos


def frame(messages: Iterable[bytes]) -> bytes:
    """BinaryFILE bytes for the given messages."""
    return b"".join(_U16.pack(len(m)) + m for m in messages)


def header(msg: bytes) -> tuple[str, int, int, int]:
    """(type, locate, tracking, timestamp) of a message of at least 11 bytes."""
    t, locate, tracking, ts = _HEADER.unpack_from(msg, 0)
    return t.decode("latin-1"), locate, tracking, int.from_bytes(ts, "big")


@dataclass
class Book:
    orders: dict[int, Order] = field(default_factory=dict)
    names: dict[int, bytes] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    _seq: int = 0

    def apply(self, msg: bytes) -> None:
        c = self.counters
        if not msg:
            c.short += 1
            return
        t = msg[0]
        need = SIZES.get(t)
        if need is None:
            c.unknown_type += 1
            return
        if len(msg) < need:
            c.short += 1
            return
        if len(msg) > need:
            c.long += 1
        (locate,) = _U16.unpack_from(msg, 1)
        kind = chr(t)
        if kind == "R":
            self.names[locate] = msg[11:19]
        elif kind in "AF":
            self._add(locate, msg)
        elif kind in "ECX":
            ref, n = _REF_SHARES.unpack_from(msg, 11)
            self._reduce(ref, n)
        elif kind == "D":
            (ref,) = _REF.unpack_from(msg, 11)
            if ref not in self.orders:
                c.unknown_order += 1
            else:
                del self.orders[ref]
        elif kind == "U":
            self._replace(msg)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _add(self, locate: int, msg: bytes) -> None:
        ref, side, shares, stock, price = _ADD.unpack_from(msg, 11)
        if side not in (b"B", b"S") or shares == 0:
            self.counters.bad_field += 1
            return
        if ref in self.orders:
            self.counters.dup_order += 1
            return
        self.names.setdefault(locate, stock)
        self.orders[ref] = Order(ref, locate, side.decode(), price, shares, self._next_seq())

    def _reduce(self, ref: int, n: int) -> None:
        o = self.orders.get(ref)
        if o is None:
            self.counters.unknown_order += 1
            return
        if n == 0:
            return
        if n >= o.shares:
            del self.orders[ref]
        else:
            o.shares -= n

    def _replace(self, msg: bytes) -> None:
        old, new, shares, price = _REPLACE.unpack_from(msg, 11)
        o = self.orders.get(old)
        if o is None:
            self.counters.unknown_order += 1
            return
        if shares == 0:
            self.counters.bad_field += 1
            return
        if new != old and new in self.orders:
            self.counters.dup_order += 1
            return
        del self.orders[old]
        self.orders[new] = Order(new, o.locate, o.side, price, shares, self._next_seq())

    def levels(self, locate: int, side: str) -> list[list[int]]:
        """[[price, shares], ...] best first."""
        agg: dict[int, int] = {}
        for o in self.orders.values():
            if o.locate == locate and o.side == side:
                agg[o.price] = agg.get(o.price, 0) + o.shares
        return [[p, agg[p]] for p in sorted(agg, reverse=side == "B")]

    def fifo(self, locate: int, side: str, price: int) -> list[int]:
        """Order refs at one level, oldest first."""
        at = [o for o in self.orders.values()
              if o.locate == locate and o.side == side and o.price == price]
        return [o.ref for o in sorted(at, key=lambda o: o.seq)]

    def to_json(self, only: Iterable[str] | None = None) -> dict[str, dict[str, list[list[int]]]]:
        """The same document as `tickpath-replay --book-json` (last locate wins a name)."""
        wanted = set(only) if only is not None else None
        by_loc: dict[int, dict[str, dict[int, int]]] = {}
        for o in self.orders.values():
            sides = by_loc.setdefault(o.locate, {"B": {}, "S": {}})
            sides[o.side][o.price] = sides[o.side].get(o.price, 0) + o.shares
        out: dict[str, dict[str, list[list[int]]]] = {}
        for locate in sorted(self.names):
            name = self.names[locate].rstrip(b" \x00").decode("latin-1")
            if wanted is not None and name not in wanted:
                continue
            sides = by_loc.get(locate, {"B": {}, "S": {}})
            bids, asks = sides["B"], sides["S"]
            out[name] = {
                "bids": [[p, bids[p]] for p in sorted(bids, reverse=True)],
                "asks": [[p, asks[p]] for p in sorted(asks)],
            }
        return out


def replay(data: bytes) -> Book:
    """Apply every record of a BinaryFILE buffer to a fresh Book."""
    book = Book()
    for msg in frames(data, book.counters):
        book.apply(msg)
    return book


# ---- message builders (tests use them to write streams the C replay reads) -------------

def _hdr(t: str, locate: int, ts: int = 0, tracking: int = 0) -> bytes:
    return _HEADER.pack(t.encode(), locate, tracking, ts.to_bytes(6, "big"))


def _alpha(s: str, n: int) -> bytes:
    return s.encode("latin-1")[:n].ljust(n, b" ")


def stock_directory(locate: int, stock: str, ts: int = 0) -> bytes:
    return _hdr("R", locate, ts) + _alpha(stock, 8) + b"QN" + struct.pack(">I", 100) + \
        b"NCZ PNN1N" + struct.pack(">I", 0) + b"N"


def add(locate: int, ref: int, side: str, shares: int, price: int, stock: str = "SYM",
        mpid: str | None = None, ts: int = 0) -> bytes:
    body = struct.pack(">Qc", ref, side.encode("latin-1")) + struct.pack(">I", shares) + \
        _alpha(stock, 8) + struct.pack(">I", price)
    if mpid is None:
        return _hdr("A", locate, ts) + body
    return _hdr("F", locate, ts) + body + _alpha(mpid, 4)


def executed(ref: int, shares: int, match: int = 1, locate: int = 0) -> bytes:
    return _hdr("E", locate) + struct.pack(">QIQ", ref, shares, match)


def executed_price(ref: int, shares: int, price: int, match: int = 1, locate: int = 0) -> bytes:
    return _hdr("C", locate) + struct.pack(">QIQcI", ref, shares, match, b"Y", price)


def cancel(ref: int, shares: int, locate: int = 0) -> bytes:
    return _hdr("X", locate) + struct.pack(">QI", ref, shares)


def delete(ref: int, locate: int = 0) -> bytes:
    return _hdr("D", locate) + struct.pack(">Q", ref)


def replace(old: int, new: int, shares: int, price: int, locate: int = 0) -> bytes:
    return _hdr("U", locate) + struct.pack(">QQII", old, new, shares, price)


def system_event(code: str, ts: int = 0) -> bytes:
    return _hdr("S", 0, ts) + code.encode()

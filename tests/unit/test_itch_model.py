"""Unit tests of the pure-Python reference model (tests/support/itch_model.py), with a
decoding cross-check against the PyPI package itchfeed when it is installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import itch_model as im


def test_sizes_are_the_23_spec_types() -> None:
    assert len(im.SIZES) == 23
    assert im.SIZES[ord("A")] == 36 and im.SIZES[ord("I")] == 50 and im.SIZES[ord("h")] == 21


def test_builders_have_spec_sizes() -> None:
    for msg in (im.stock_directory(1, "A"), im.add(1, 1, "B", 1, 1), im.add(1, 1, "B", 1, 1,
                mpid="X"), im.executed(1, 1), im.executed_price(1, 1, 1), im.cancel(1, 1),
                im.delete(1), im.replace(1, 2, 1, 1), im.system_event("O")):
        assert len(msg) == im.SIZES[msg[0]], chr(msg[0])


def test_book_rules() -> None:
    b = im.Book()
    for m in (im.stock_directory(1, "ABC"), im.add(1, 1, "B", 100, 500), im.add(1, 2, "B", 50, 500),
              im.add(1, 3, "S", 10, 600), im.executed(1, 30), im.cancel(2, 50),
              im.replace(3, 4, 20, 610)):
        b.apply(m)
    assert b.levels(1, "B") == [[500, 70]]
    assert b.levels(1, "S") == [[610, 20]]
    assert b.to_json() == {"ABC": {"bids": [[500, 70]], "asks": [[610, 20]]}}
    b.apply(im.add(1, 5, "B", 5, 500))
    b.apply(im.replace(1, 6, 70, 500))
    assert b.fifo(1, "B", 500) == [5, 6]
    b.apply(im.delete(99))
    b.apply(im.add(1, 5, "B", 1, 1))
    b.apply(im.add(1, 7, "B", 0, 1))
    assert (b.counters.unknown_order, b.counters.dup_order, b.counters.bad_field) == (1, 1, 1)


def test_frames_counts_anomalies() -> None:
    data = im.frame([im.delete(1), b"", b"Zjunk"]) + b"\x00\x09abc"
    c = im.Counters()
    assert len(list(im.frames(data, c))) == 2
    assert (c.zero_length, c.truncated_tail, c.tail_bytes) == (1, 1, 5)
    book = im.replay(data)
    assert book.counters.unknown_type == 1 and book.counters.unknown_order == 1


def test_header() -> None:
    assert im.header(im.add(7, 1, "S", 1, 1)) == ("A", 7, 0, 0)


def test_cross_check_with_itchfeed() -> None:
    messages = pytest.importorskip("itch.messages")
    table = messages.messages
    assert {ord(k) for k in table} == set(im.SIZES)
    for key, cls in table.items():
        assert cls.message_size == im.SIZES[ord(key)], key
    add = table[b"A"](im.add(3, 123456789, "S", 700, 1234500, "MSFT"))
    assert (add.stock_locate, add.order_reference_number, add.shares, add.price) == (
        3, 123456789, 700, 1234500)
    assert add.buy_sell_indicator == b"S" and add.stock == b"MSFT    "
    rep = table[b"U"](im.replace(5, 6, 300, 99))
    assert (rep.order_reference_number, rep.new_order_reference_number, rep.shares,
            rep.price) == (5, 6, 300, 99)
    ex = table[b"C"](im.executed_price(8, 40, 777, match=9))
    assert (ex.order_reference_number, ex.executed_shares, ex.match_number,
            ex.execution_price) == (8, 40, 9, 777)
    assert table[b"X"](im.cancel(9, 11)).cancelled_shares == 11
    assert table[b"D"](im.delete(10)).order_reference_number == 10

"""Property test: random ITCH streams (valid and invalid) replayed by the C book equal the
independent Python model, level by level."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import itch_model as im

refs = st.integers(min_value=0, max_value=40)
prices = st.integers(min_value=1, max_value=8).map(lambda k: 10000 + 100 * k)
shares = st.integers(min_value=0, max_value=6).map(lambda k: 50 * k)
locs = st.integers(min_value=1, max_value=3)

message = st.one_of(
    st.builds(lambda loc, r, s, n, p: im.add(loc, r, s, n, p, f"S{loc}"), locs, refs,
              st.sampled_from("BBSSX"), shares, prices),
    st.builds(lambda loc, r, s, n, p: im.add(loc, r, s, n, p, f"S{loc}", mpid="MPID"), locs,
              refs, st.sampled_from("BS"), shares, prices),
    st.builds(im.delete, refs),
    st.builds(im.executed, refs, shares),
    st.builds(im.executed_price, refs, shares, prices),
    st.builds(im.cancel, refs, shares),
    st.builds(im.replace, refs, refs, shares, prices),
    st.builds(im.stock_directory, locs, st.sampled_from(["AAA", "BBB", "CCC"])),
    st.binary(min_size=0, max_size=12),  # garbage / unknown / short records
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(message, max_size=150), st.binary(max_size=3))
def test_random_streams_match_model(replay_bin: Path, msgs: list[bytes], tail: bytes) -> None:
    data = im.frame(msgs) + tail
    model = im.replay(data)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.itch", Path(d) / "book.json"
        src.write_bytes(data)
        proc = subprocess.run([str(replay_bin), str(src), "--json", "--book-json", str(out)],
                              capture_output=True, text=True, check=False, timeout=30)
        assert proc.returncode == 0, proc.stderr
        stats = json.loads(proc.stdout)
        assert json.loads(out.read_text()) == model.to_json()
    c = model.counters
    for key in ("messages", "unknown_type", "short", "unknown_order", "dup_order", "bad_field",
                "truncated_tail"):
        assert stats[key] == getattr(c, key), key
    assert stats["live_orders"] == len(model.orders)

"""Render a validated Config into the key=value files the C programs read.

The C programs never parse YAML. Each gets one flat file (`fh.conf`, `gw.conf`,
`strategy.conf`); the format and every key are documented in README.md next to this module and
are kept stable: keys are only ever added, never renamed or re-purposed (`format=1` changes only
if that promise has to be broken).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from tickpath.config.models import STAGES, Config

FORMAT_VERSION = 1
PROGRAMS = ("fh", "gw", "strategy")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    text = str(value)
    if "\n" in text or "\r" in text or "\0" in text:
        raise ValueError(f"value {text!r} cannot be rendered on one line")
    return text


def _e4(amount: Decimal) -> int:
    """USD amount -> integer units of 0.0001 USD (the ITCH/OUCH Price(4) scale)."""
    return int(amount.scaleb(4).to_integral_exact())


def _eal_words(args: list[str], hugepages: bool) -> str:
    """tickpath-fh reads its EAL arguments as one space-separated `dpdk.eal` value (the model,
    DpdkOptions, refuses empty arguments and arguments with white space)."""
    return " ".join(args + ([] if hugepages else ["--no-huge"]))


def _shared_memory(cfg: Config) -> list[tuple[str, object]]:
    return [
        ("ring.size", cfg.ring.size),
        ("ring.slot_size", cfg.ring.slot_size),
        ("shm.name", cfg.shm.name),
        ("shm.hugepages", cfg.shm.hugepages),
    ]


def fh_pairs(cfg: Config) -> list[tuple[str, object]]:
    """The keys tickpath-fh reads (app/src/fh/config.c); it rejects any other key."""
    cpus = cfg.stage_cpus()
    t = cfg.transport
    rtc = cfg.cpus.run_to_completion is not None
    pairs: list[tuple[str, object]] = [
        ("format", FORMAT_VERSION),
        ("program", "fh"),
        ("mode", "rtc" if rtc else "pipeline"),
    ]
    pairs += [(f"cpu.{s}", cpus[s]) for s in ("rx", "book", "publish")]
    pairs.append(("transport", t.kind))
    if t.kind == "afxdp":
        o = t.afxdp
        pairs += [
            ("afxdp.queue", o.queue if o else 0),
            ("afxdp.mode", o.mode if o else "native"),
            ("afxdp.zerocopy", o.zerocopy if o else False),
        ]
    elif t.kind == "dpdk":
        eal = list(t.dpdk.eal_args) if t.dpdk else []
        huge = t.dpdk.hugepages if t.dpdk else True
        pairs.append(("dpdk.eal", _eal_words(eal, huge)))
    elif t.kind == "onload":
        pairs.append(("onload.profile", t.onload.profile if t.onload else "latency"))
    pairs.append(("session", cfg.feed.session))
    pairs.append(("latency.wire_stamp", cfg.feed.wire_stamp))
    for line in cfg.feed.lines:
        p = f"line.{line.name}"
        pairs += [
            (f"{p}.iface", line.interface),
            (f"{p}.group", line.group),
            (f"{p}.port", line.port),
        ]
        if line.source is not None:
            pairs.append((f"{p}.source", line.source))
    pairs += [
        ("rerequest.addr", cfg.feed.rerequest.address),
        ("rerequest.port", cfg.feed.rerequest.port),
        ("snapshot.addr", cfg.feed.snapshot.address),
        ("snapshot.port", cfg.feed.snapshot.port),
    ]
    return pairs + _shared_memory(cfg)


def _gateway(cfg: Config, program: str) -> list[tuple[str, object]]:
    """The keys of the order gateway (app/src/gw/gw_config.c), read by tickpath-gw and by the
    gateway thread of tickpath-strategy. The password is never rendered: only where it is
    read from (ouch.password.credential = a systemd credential name, ouch.password.file = a
    path, ouch.password.env = a variable name)."""
    g, r = cfg.gateway, cfg.risk
    pairs: list[tuple[str, object]] = [
        ("format", FORMAT_VERSION),
        ("program", program),
        # one trading instance per shared-memory name: the same kill-switch page
        # (/dev/shm/tickpath-gw-NAME.ctl) and token counter for gw and strategy
        ("name", cfg.shm.name),
        ("ouch.host", g.host),
        ("ouch.port", g.port),
        ("ouch.user", g.username),
    ]
    if g.password.credential is not None:
        pairs.append(("ouch.password.credential", g.password.credential))
    if g.password.env is not None:
        pairs.append(("ouch.password.env", g.password.env))
    if g.password.file is not None:
        pairs.append(("ouch.password.file", g.password.file))
    pairs += [
        ("symbols", ",".join(g.symbols if g.symbols is not None else [cfg.strategy.symbol])),
        # every Enter Order's firm-specific fields, always written: the file says what the
        # gateway claims (firm empty = blank on the wire, the OUCH account's default firm)
        ("firm", g.enter_order.firm),
        ("ouch.display", g.enter_order.display),
        ("ouch.capacity", g.enter_order.capacity),
        ("ouch.iso", g.enter_order.iso),
        ("ouch.cross_type", g.enter_order.cross_type),
        ("ouch.customer_type", g.enter_order.customer_type),
        ("risk.max_order_shares", r.max_order_shares),
        ("risk.max_notional_e4", _e4(r.max_notional)),
        ("risk.min_price_e4", _e4(r.min_price)),
        ("risk.collar_bps", r.price_collar_bps),
        ("risk.max_open_orders", r.max_open_orders),
        ("risk.throttle_per_s", r.orders_per_second),
        ("risk.throttle_burst", r.orders_per_second),
        ("risk.max_position", r.max_position_shares),
        ("cpu", cfg.stage_cpus()["gateway"]),
    ]
    return pairs


def gw_pairs(cfg: Config) -> list[tuple[str, object]]:
    """The keys tickpath-gw reads (the gateway's only); it rejects any other key."""
    return _gateway(cfg, "gw")


def strategy_pairs(cfg: Config) -> list[tuple[str, object]]:
    """The keys tickpath-strategy reads: the gateway's, then the strategy's (strategy.*,
    ring.*, shm.name); it rejects any other key."""
    s = cfg.strategy
    cpus = cfg.stage_cpus()
    pairs = _gateway(cfg, "strategy")
    pairs += [("strategy.mode", s.mode), ("strategy.source", s.source)]
    if s.source == "udp":
        line_a = cfg.feed.lines[0]
        pairs += [("strategy.md_addr", line_a.group), ("strategy.md_port", line_a.port)]
    pairs += [("strategy.symbol", s.symbol), ("strategy.size", s.size)]
    if s.buy_below is not None:
        pairs.append(("strategy.buy_below_e4", _e4(s.buy_below)))
    if s.sell_above is not None:
        pairs.append(("strategy.sell_above_e4", _e4(s.sell_above)))
    if s.every is not None:
        pairs.append(("strategy.every", s.every))
    pairs += [
        ("strategy.max_orders", s.max_orders),
        # one core for both stages (run-to-completion): one thread does everything
        ("strategy.threads", 0 if cpus["strategy"] == cpus["gateway"] else 1),
        ("strategy.cpu", cpus["strategy"]),
        ("ring.size", cfg.ring.size),
        ("ring.slot_size", cfg.ring.slot_size),
        ("shm.name", cfg.shm.name),
    ]
    return pairs


def format_pairs(pairs: Iterable[tuple[str, object]], header: str) -> str:
    lines = [f"# {header}"]
    seen: set[str] = set()
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key} rendered twice")
        seen.add(key)
        lines.append(f"{key}={_value(value)}")
    return "\n".join(lines) + "\n"


def render(cfg: Config, source: str = "config") -> dict[str, str]:
    """File name -> content of each program's key=value file."""
    name = "".join(ch for ch in Path(source).name if ch.isprintable())
    assert set(cfg.stage_cpus()) == set(STAGES)
    out = {}
    for program, pairs in (
        ("fh", fh_pairs(cfg)),
        ("gw", gw_pairs(cfg)),
        ("strategy", strategy_pairs(cfg)),
    ):
        header = f"tickpath {program}.conf, rendered by `tickpath config render` from {name}; "
        out[f"{program}.conf"] = format_pairs(pairs, header + "do not edit")
    return out


def write_rendered(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write each file atomically (temp file + rename) into out_dir (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        target = out_dir / name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written

"""Pydantic v2 models of the tickpath data-path configuration (one YAML file).

The models check each value on its own (types, ranges, formats). Checks that relate several
values (overlapping cores, duplicate lines, contradicting limits) and checks against the host
(CPUs, isolated set, interfaces) live in `tickpath.config.checks`, so that every problem is
reported with its own key path. Field descriptions double as the reference in README.md.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tickpath.config.quote import shown
from tickpath.cpulist import MAX_CPU

STAGES: tuple[str, ...] = ("rx", "book", "publish", "strategy", "gateway")
TRANSPORTS: tuple[str, ...] = ("kernel", "kernel-blocking", "afxdp", "dpdk", "onload")

Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
Cpu = Annotated[int, Field(strict=True, ge=0, le=MAX_CPU)]
PositiveInt = Annotated[int, Field(strict=True, ge=1)]

_IFNAME = re.compile(r"^[^\s/:\x00-\x1f\x7f]{1,15}$")
_SHM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# systemd credential names as tickpath-gw/-strategy accept them (src/gw/secret_file.c)
_CREDENTIAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_SYMBOL = re.compile(r"^[A-Z0-9.]{1,8}$")
#: Highest OUCH 4.2 Price(4): 199999.9999 USD.
MAX_PRICE = Decimal("199999.9999")
#: A value of a rendered key=value line: printable, no newline (see README.md).
_VALUE = re.compile(r"^[^\n\r\x00]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def _ipv4(value: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IPv4 address") from None


def _unicast(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an IPv4 address string, got {type(value).__name__}")
    addr = _ipv4(value)
    if addr.is_multicast or addr.is_unspecified or addr == ipaddress.IPv4Address("255.255.255.255"):
        raise ValueError(f"{value} is not a unicast address")
    return str(addr)


def _ifname(value: Any) -> str:
    if not isinstance(value, str) or not _IFNAME.match(value) or value in (".", ".."):
        raise ValueError(
            f"{shown(value)} is not a Linux interface name (1-15 characters, no '/', ':', "
            "spaces or control characters)"
        )
    return value


class Line(_Model):
    """One multicast feed line (MoldUDP64 packets of the session arrive on it)."""

    name: Literal["a", "b"] = Field(description="line name: a (first/primary) or b")
    interface: str = Field(description="NIC the line arrives on")
    group: str = Field(description="IPv4 multicast group (224.0.0.0/4)")
    port: Port = Field(description="UDP destination port")
    source: str | None = Field(
        default=None, description="optional source address (source-specific multicast filter)"
    )

    _check_interface = field_validator("interface", mode="before")(_ifname)

    @field_validator("group", mode="before")
    @classmethod
    def _multicast(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected an IPv4 multicast group string, got {type(value).__name__}")
        addr = _ipv4(value)
        if not addr.is_multicast:
            raise ValueError(f"{value} is not a multicast group (224.0.0.0/4)")
        if addr in ipaddress.IPv4Network("224.0.0.0/24"):
            raise ValueError(f"{value} is in 224.0.0.0/24, reserved for link-local protocols")
        return str(addr)

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: Any) -> str | None:
        return None if value is None else _unicast(value)


class Endpoint(_Model):
    """A unicast server (IPv4 address and port)."""

    address: str = Field(description="IPv4 unicast address")
    port: Port = Field(description="port")

    _check_address = field_validator("address", mode="before")(_unicast)


class Feed(_Model):
    """The market-data session: lines A (and B), the re-request and snapshot servers."""

    session: str = Field(description="MoldUDP64 session, 1-10 ASCII characters")
    lines: list[Line] = Field(min_length=1, max_length=2, description="line a, then line b")
    rerequest: Endpoint = Field(description="MoldUDP64 re-request server (unicast UDP)")
    snapshot: Endpoint = Field(description="snapshot server (SoupBinTCP)")
    wire_stamp: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="the ITCH timestamps carry the sender's send time (the lab simulator and "
        "publisher do): the handler fills its wire-to-app histogram from them. On an exchange "
        "feed they are the exchange's event time, so the same histogram is exchange-to-app "
        "and means something only on a PTP-synchronised clock",
    )

    @field_validator("session", mode="before")
    @classmethod
    def _session(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        if not 1 <= len(value) <= 10 or not value.isascii() or not value.isprintable():
            raise ValueError(f"{shown(value)} is not 1-10 printable ASCII characters")
        if value != value.strip():
            raise ValueError("leading or trailing spaces (the session is space-padded on the wire)")
        return value


class AfXdpOptions(_Model):
    queue: Annotated[int, Field(strict=True, ge=0, le=1023)] = Field(
        default=0, description="NIC RX queue the XDP socket binds to"
    )
    mode: Literal["native", "generic"] = Field(
        default="native", description="XDP attach mode: native (driver) or generic (skb)"
    )
    zerocopy: Annotated[bool, Field(strict=True)] = Field(
        default=False, description="require zero-copy (native mode and driver support only)"
    )


class DpdkOptions(_Model):
    eal_args: list[Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=list, description="extra EAL arguments (e.g. --vdev=...); no core options"
    )
    hugepages: Annotated[bool, Field(strict=True)] = Field(
        default=True, description="use hugepages; false adds --no-huge"
    )

    @field_validator("eal_args")
    @classmethod
    def _printable(cls, value: list[str]) -> list[str]:
        for arg in value:
            if not _VALUE.match(arg):
                raise ValueError(f"argument {shown(arg)} contains a newline or NUL")
            # tickpath-fh receives the arguments as one space-separated dpdk.eal value.
            if any(ch.isspace() for ch in arg):
                raise ValueError(
                    f"argument {shown(arg)} contains white space (give one word per item)"
                )
        return value


_ONLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ONLOAD_PATH = re.compile(r"^/[A-Za-z0-9._/-]{1,250}\.opf$")


class OnloadOptions(_Model):
    profile: Annotated[str, Field(strict=True)] = Field(
        default="latency",
        description=(
            "onload profile: a name onload looks up in its profile directories (e.g. latency),"
            " or the absolute path of a .opf file (e.g. /etc/tickpath/onload/latency.opf,"
            " installed by roles/onload)"
        ),
    )

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        if _ONLOAD_NAME.match(value):
            return value
        if "/" not in value:
            raise ValueError(
                f"profile {shown(value)} is neither a name (1-64 of A-Z a-z 0-9 _ -) nor an"
                " absolute path to a .opf file"
            )
        if not value.startswith("/"):
            raise ValueError(
                f"profile path {shown(value)} is relative: give an absolute path"
                " (onload resolves a relative one against the service's working directory)"
            )
        if not value.endswith(".opf"):
            raise ValueError(f"profile path {shown(value)} does not end in .opf")
        if not _ONLOAD_PATH.match(value):
            raise ValueError(
                f"profile path {shown(value)} may contain only A-Z a-z 0-9 . _ - / and at most"
                " 255 characters (onload splits --profile on commas and spaces)"
            )
        parts = value.split("/")[1:]
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(
                f"profile path {shown(value)} is not normalised (empty, '.' or '..' component)"
            )
        return value


class Transport(_Model):
    """How packets reach the feed handler. Only the options block of `kind` may be given."""

    kind: Literal["kernel", "kernel-blocking", "afxdp", "dpdk", "onload"] = Field(
        description="kernel | kernel-blocking | afxdp | dpdk | onload"
    )
    afxdp: AfXdpOptions | None = None
    dpdk: DpdkOptions | None = None
    onload: OnloadOptions | None = None


class Cpus(_Model):
    """Cores per pipeline stage, or one core for everything (run_to_completion)."""

    run_to_completion: Cpu | None = Field(
        default=None, description="one core running every stage (instead of the five below)"
    )
    rx: Cpu | None = None
    book: Cpu | None = None
    publish: Cpu | None = None
    strategy: Cpu | None = None
    gateway: Cpu | None = None


def _power_of_two(value: int, what: str) -> int:
    if value & (value - 1):
        lower = 1 << (value.bit_length() - 1)
        raise ValueError(f"{what} {value} is not a power of two (nearest: {lower} or {lower * 2})")
    return value


class Ring(_Model):
    """The single-producer/single-consumer rings between stages."""

    size: Annotated[int, Field(strict=True, ge=2, le=1 << 24)] = Field(
        description="slots per ring, a power of two (2..16777216)"
    )
    slot_size: Annotated[int, Field(strict=True, ge=64, le=65536)] = Field(
        description="bytes per slot: 64, the event record of this version (one cache line)"
    )

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        return _power_of_two(value, "ring size")

    @field_validator("slot_size")
    @classmethod
    def _slot(cls, value: int) -> int:
        if value % 64:
            raise ValueError(f"slot size {value} is not a multiple of 64 (one cache line)")
        # tickpath-fh's event ring carries one 64-byte event record per slot (shm/layout.h).
        if value != 64:
            raise ValueError(f"slot size {value}: this version's event slot is 64 bytes")
        return value


class Shm(_Model):
    name: str = Field(description="shared-memory name (/dev/shm/NAME or hugetlbfs file)")
    hugepages: Annotated[bool, Field(strict=True)] = Field(
        default=False, description="back the shared memory with hugepages"
    )

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        if not isinstance(value, str) or not _SHM.match(value):
            raise ValueError(
                f"{shown(value)} is not a shm name (1-64 of A-Z a-z 0-9 _ . -, no '/')"
            )
        return value


class SecretRef(_Model):
    """Where the C program reads a secret from: a systemd credential, a file or an environment
    variable."""

    env: str | None = Field(default=None, description="environment variable name")
    file: str | None = Field(default=None, description="absolute path of a file")
    credential: str | None = Field(
        default=None,
        description="systemd credential name: the unit's LoadCredential=NAME:/path, read from "
        "$CREDENTIALS_DIRECTORY/NAME",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if [self.credential, self.file, self.env].count(None) != 2:
            raise ValueError("give exactly one of env, file or credential")
        return self

    @field_validator("credential")
    @classmethod
    def _credential(cls, value: str | None) -> str | None:
        if value is not None and not _CREDENTIAL.match(value):
            raise ValueError(
                f"{value!r} is not a credential name (1-64 of A-Z a-z 0-9 _ . -, not starting "
                "with . or -)"
            )
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV.match(value):
            # Not echoed: a password put here by mistake would end up on the terminal.
            raise ValueError(
                "not an environment variable name (A-Z a-z 0-9 _, not starting with a digit); "
                "the value is not shown: it may be the password itself"
            )
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or not _VALUE.match(value)):
            raise ValueError("must be an absolute path")
        if value is not None and "#" in value:
            # tickpath-gw / -strategy read '#' as the start of a comment: the path would be cut
            raise ValueError("must not contain '#' (a comment in gw.conf / strategy.conf)")
        return value


# The values NASDAQ's OUCH 4.2 spec lists for the Enter Order's one-letter firm-specific
# fields, with the spec's names (the same lists as app/src/ouch/fields.c, which names the
# sources: the spec OUCH4.2.pdf as transcribed by Open-Markets-Initiative's OUCH 4.2
# definitions and Wireshark's OUCH dissector).
OUCH_VALUES: dict[str, dict[str, str]] = {
    "display": {
        "A": "Attributable-Price to Display",
        "Y": "Anonymous-Price to Comply",
        "N": "Non-Display",
        "P": "Post-Only",
        "I": "Imbalance-Only (opening and closing cross only)",
        "M": "Mid-Point Peg",
        "W": "Mid-Point Peg Post Only",
        "L": "Post-Only and Attributable-Price to Display",
        "O": "Retail Order Type 1",
        "T": "Retail Order Type 2",
        "Q": "Retail Price Improvement Order",
        "m": "Mid-Point Peg and Mid-Point Trade Now",
        "n": "Non-Display and Mid-Point Trade Now",
    },
    "capacity": {"A": "agency", "P": "principal", "R": "riskless principal", "O": "other"},
    "iso": {"Y": "eligible", "N": "not eligible", "y": "Trade-at Intermarket Sweep Order"},
    "cross_type": {
        "N": "no cross (continuous market)",
        "O": "opening cross",
        "C": "closing cross",
        "H": "halt/IPO cross",
        "S": "supplemental order",
        "R": "retail (BX only)",
        "E": "extended life",
    },
    # The spec's third value, a blank (the port's default), is not offered: the gateway says
    # which rather than leave it to a setting at the exchange that may say retail.
    "customer_type": {"R": "retail designated order", "N": "not a retail designated order"},
}
_OUCH_NAMES = {
    "display": "Display",
    "capacity": "Capacity",
    "iso": "Intermarket Sweep Eligibility",
    "cross_type": "Cross Type",
    "customer_type": "Customer Type",
}
_FIRM = re.compile(r"^[A-Z]{0,4}$")


class EnterOrder(_Model):
    """The firm-specific fields of every OUCH 4.2 Enter Order the gateway sends (a Replace
    Order carries display and iso too). The defaults are a proprietary trading firm's: its
    own account (principal), not retail designated, displayed, no sweep, continuous market."""

    firm: str = Field(
        default="",
        description="OUCH Firm: the MPID, 0-4 capital letters; empty (blank on the wire) = the "
        "OUCH account's default firm",
    )
    display: str = Field(
        default="Y", description="Display: Y Anonymous-Price to Comply (displayed), A "
        "Attributable-Price to Display, N Non-Display, P Post-Only, ... (the spec's 13 values)"
    )
    capacity: str = Field(
        default="P",
        description="Capacity: P principal (the firm's own account), A agency, R riskless "
        "principal, O other",
    )
    iso: str = Field(
        default="N",
        description="Intermarket Sweep Eligibility: N not eligible, Y eligible, y trade-at ISO "
        "(Y claims the firm swept every better-priced protected quote)",
    )
    cross_type: str = Field(
        default="N",
        description="Cross Type: N continuous market, O opening, C closing, H halt/IPO, "
        "S supplemental, R retail (BX), E extended life",
    )
    customer_type: str = Field(
        default="N",
        description="Customer Type: N not a retail designated order, R retail designated "
        "(only for orders of a retail customer)",
    )

    @field_validator("firm", mode="before")
    @classmethod
    def _firm(cls, value: Any) -> str:
        if not isinstance(value, str) or not _FIRM.match(value):
            raise ValueError(
                f"{shown(value)} is not 0-4 capital letters (OUCH Firm, an MPID; empty = the "
                "OUCH account's default firm)"
            )
        return value

    @field_validator("display", "capacity", "iso", "cross_type", "customer_type", mode="before")
    @classmethod
    def _letter(cls, value: Any, info: ValidationInfo) -> str:
        field = str(info.field_name)
        allowed = OUCH_VALUES[field]
        if isinstance(value, str) and value in allowed:
            return value
        listed = ", ".join(f"{k} ({v})" for k, v in allowed.items())
        extra = (
            " (the spec's blank, the port's default, is not offered: say which)"
            if field == "customer_type"
            else ""
        )
        raise ValueError(
            f"{shown(value)} is not an OUCH 4.2 {_OUCH_NAMES[field]}; one of: {listed}{extra}"
        )


class Gateway(_Model):
    """The OUCH 4.2 order-entry session (SoupBinTCP)."""

    host: str = Field(description="OUCH server: IPv4 address or host name")
    port: Port = Field(description="OUCH server TCP port")
    username: str = Field(description="SoupBinTCP username, 1-6 ASCII letters/digits")
    password: SecretRef = Field(
        description="{credential: NAME} (systemd LoadCredential=NAME:/path; the deploy role's "
        "choice), {file: /path} (its first line is the password, mode 0600) or {env: VAR} (the "
        "variable holds the password); never inline"
    )
    symbols: list[Annotated[str, Field(strict=True)]] | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="tradable symbols (1-8 characters each); default: the strategy's symbol",
    )
    enter_order: EnterOrder = Field(
        default_factory=EnterOrder,
        description="the firm-specific fields of every Enter Order (defaults: a proprietary "
        "firm's)",
    )

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        for sym in value:
            if not _SYMBOL.match(sym):
                raise ValueError(f"{shown(sym)} is not a symbol (1-8 of A-Z 0-9 .)")
        if len(set(value)) != len(value):
            raise ValueError("a symbol is listed twice")
        return value

    @field_validator("host", mode="before")
    @classmethod
    def _host(cls, value: Any) -> str:
        if not isinstance(value, str) or not _HOST.match(value):
            raise ValueError(f"{shown(value)} is not an IPv4 address or host name")
        if value.replace(".", "").isdigit():
            return _unicast(value)
        return value

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9]{1,6}$", value):
            raise ValueError("must be 1-6 ASCII letters or digits (SoupBinTCP Username(6))")
        return value

    @field_validator("password", mode="before")
    @classmethod
    def _no_inline(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            # Never echo the value: it may be a real password.
            raise ValueError(
                "inline passwords are not accepted; use {env: VAR}, {file: /path} or "
                "{credential: NAME}"
            )
        return value


def _usd(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a USD amount, got {type(value).__name__}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{shown(value)} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{shown(value)} is not a positive amount")
    # before quantize(), which raises InvalidOperation (not a ValueError) on a huge exponent
    if amount >= Decimal(10) ** 14:
        raise ValueError(f"{shown(value)} is too large")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(
            f"{shown(value)} has more than 4 decimals (prices are in units of 0.0001 USD)"
        )
    return amount


class Risk(_Model):
    """Pre-trade risk limits the gateway enforces on every order."""

    max_order_shares: Annotated[int, Field(strict=True, ge=1, le=999_999)] = Field(
        description="largest order size, shares"
    )
    max_notional: Decimal = Field(description="largest order value, USD (shares x price)")
    min_price: Decimal = Field(
        default=Decimal("0.01"), description="lowest accepted limit price, USD"
    )
    price_collar_bps: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        description="reject prices further than this from the reference price, basis points"
    )
    max_open_orders: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = Field(
        description="live orders at once"
    )
    orders_per_second: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = Field(
        description="order messages per second (token bucket, burst = one second's worth)"
    )
    max_position_shares: Annotated[int, Field(strict=True, ge=1, le=1_000_000_000_000)] = Field(
        description="absolute position per symbol, shares"
    )

    _money = field_validator("max_notional", "min_price", mode="before")(_usd)


def _price(value: Any) -> Decimal:
    amount = _usd(value)
    if amount > MAX_PRICE:
        raise ValueError(f"{shown(value)} is above the highest OUCH price ({MAX_PRICE})")
    return amount


class Strategy(_Model):
    """The sample strategy tickpath-strategy runs (app/src/strategy/strategy.h)."""

    mode: Literal["take", "ping"] = Field(
        description="take: IOC at the ask below buy_below / at the bid above sell_above; "
        "ping: IOC at the bid every `every` BBO changes (a tick-to-trade probe)"
    )
    source: Literal["shm", "udp"] = Field(
        default="shm",
        description="market data: shm (the feed handler's BBO event ring, segment shm.name) or "
        "udp (the strategy's own MoldUDP64 receiver on line a, no gap recovery)",
    )
    symbol: str = Field(description="the symbol traded (1-8 of A-Z 0-9 .)")
    size: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = Field(
        description="shares per order"
    )
    buy_below: Decimal | None = Field(default=None, description="take: USD threshold")
    sell_above: Decimal | None = Field(default=None, description="take: USD threshold")
    every: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] | None = Field(
        default=None, description="ping: one order per this many BBO changes (default 1)"
    )
    max_orders: Annotated[int, Field(strict=True, ge=1)] = Field(
        default=1_000_000, description="stop sending after this many orders"
    )

    @field_validator("buy_below", "sell_above", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Decimal | None:
        return None if value is None else _price(value)

    @field_validator("symbol", mode="before")
    @classmethod
    def _symbol(cls, value: Any) -> str:
        if not isinstance(value, str) or not _SYMBOL.match(value):
            raise ValueError(f"{shown(value)} is not a symbol (1-8 of A-Z 0-9 .)")
        return value

    @model_validator(mode="after")
    def _mode_options(self) -> Strategy:
        if self.mode == "take":
            if self.every is not None:
                raise ValueError("every: only for mode ping")
            if self.buy_below is None and self.sell_above is None:
                raise ValueError("mode take needs buy_below or sell_above (else it never trades)")
        elif self.buy_below is not None or self.sell_above is not None:
            raise ValueError("buy_below / sell_above: only for mode take")
        return self


class Config(_Model):
    """The whole data-path configuration."""

    version: Literal[1] = Field(description="schema version, 1")
    feed: Feed
    transport: Transport
    cpus: Cpus
    ring: Ring
    shm: Shm
    gateway: Gateway
    risk: Risk
    strategy: Strategy

    def stage_cpus(self) -> dict[str, int]:
        """Core of each stage (every stage on one core in run-to-completion mode)."""
        rtc = self.cpus.run_to_completion
        if rtc is not None:
            return dict.fromkeys(STAGES, rtc)
        return {s: c for s in STAGES if (c := getattr(self.cpus, s)) is not None}

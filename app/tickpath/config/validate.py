"""Load and validate a tickpath config file; every problem becomes an `Issue` with a key path.

Three passes, each only when the one before found nothing:

1. YAML: the limits of `safeyaml` (size, characters, no anchors or aliases, depth, node count),
   syntax errors, duplicate keys (PyYAML would silently keep the last), a non-mapping document.
2. Schema (pydantic models in `models.py`): types, ranges, formats, unknown keys -- all at once.
3. Cross checks (`cross_check`): relations between values and, unless host checks are off,
   the host's CPUs, isolated set and interfaces (`HostFacts`).

A key path is written like `feed.lines[1].port`; with a file, issues carry its line number.
Values quoted in messages are cut to `quote.SHOWN` characters, and at most `MAX_LISTED` issues
are rendered into a ConfigError's message.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tickpath.config.host import HostFacts
from tickpath.config.models import STAGES, Config
from tickpath.config.quote import clip, shown
from tickpath.config.safeyaml import ConfigLoader, Loc, Refused, check_text, read_text
from tickpath.cpulist import format_cpulist

#: Issues listed at most (one screen); the count is always the full one.
MAX_LISTED = 20
#: Characters of a rendered key path; a longer one (long keys, deep nesting) loses its middle.
_PATH_CHARS = 200

# EAL options that place threads: cores come from `cpus`, never from eal_args.
_EAL_CORE_OPTIONS = ("-l", "-c", "--lcores", "--main-lcore", "--master-lcore", "-s", "--service")


@dataclass(frozen=True)
class Issue:
    path: str
    message: str
    line: int | None = None

    def render(self, filename: str | None = None) -> str:
        where = filename or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.path}: {self.message}" if self.path else f"{prefix}{self.message}"


class ConfigError(Exception):
    """A config is invalid; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue], filename: str | None = None) -> None:
        self.issues = issues
        self.filename = filename
        listed = [i.render(filename) for i in issues[:MAX_LISTED]]
        if len(issues) > MAX_LISTED:
            listed.append(f"... and {len(issues) - MAX_LISTED} more")
        super().__init__("\n".join(listed))


def format_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # a key from the file: bounded, and quoted when it holds a control character
            name = clip(part) if part.isprintable() else shown(part)
            out += f".{name}" if out else name
    if len(out) > _PATH_CHARS:
        half = _PATH_CHARS // 2
        out = f"{out[:half]} ... {out[-half:]}"
    return out


# --- pass 1: YAML with line numbers -----------------------------------------------------------


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], issues: list[Issue]) -> None:
    # `node` comes from ConfigLoader: a tree (no aliases) of at most MAX_NODES nodes and
    # MAX_DEPTH levels, so this visits each node once and recurses at most MAX_DEPTH deep.
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                message = "a key must be a scalar, not a mapping or list"
                issues.append(Issue(format_path(loc), message, line))
                continue
            key = key_node.value
            if key in seen:
                issues.append(
                    Issue(
                        format_path((*loc, key)),
                        f"duplicate key (first given on line {seen[key]})",
                        line,
                    )
                )
                continue
            seen[key] = line
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines, issues)


def parse_yaml(text: str) -> tuple[Any, dict[Loc, int], list[Issue]]:
    """Parse YAML; return (data, key path -> line, issues)."""
    lines: dict[Loc, int] = {}
    issues: list[Issue] = []
    try:
        check_text(text)
        loader = ConfigLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, lines, [Issue("", "the file is empty")]
            _walk(node, (), lines, issues)
            if issues:
                return None, lines, issues
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except Refused as exc:
        return None, lines, [Issue(format_path(exc.loc), exc.message, exc.line)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        # context + problem: "expected a single document in the stream, but found another
        # document"; the problem alone may be only the second half
        what = ", ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, lines, [Issue("", f"YAML syntax error: {clip(what, 160)}", line)]
    except yaml.YAMLError as exc:
        return None, lines, [Issue("", f"YAML error: {clip(str(exc), 160)}")]
    return data, lines, issues


def _line(lines: dict[Loc, int], loc: Loc) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


# --- pass 2: schema ---------------------------------------------------------------------------


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class whose fields are valid at `loc` (for 'allowed keys' hints)."""
    current: Any = Config
    for part in loc:
        if isinstance(part, int):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if typing.get_origin(current) is not list and len(args) == 1:
            current = args[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _schema_issues(exc: ValidationError, lines: dict[Loc, int]) -> list[Issue]:
    issues = []
    for err in exc.errors(include_input=False, include_url=False):
        loc: Loc = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else ""
            message = "unknown key" + (f" (allowed here: {allowed})" if allowed else "")
        elif kind == "missing":
            message = "required key is missing"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            message = "expected a mapping of keys"
        issues.append(Issue(format_path(loc), message, _line(lines, loc)))
    return issues


# --- pass 3: cross checks ---------------------------------------------------------------------


def _cross(cfg: Config, host: HostFacts | None) -> Iterator[tuple[Loc, str]]:
    yield from _check_lines(cfg)
    yield from _check_transport(cfg)
    yield from _check_cpus(cfg, host)
    yield from _check_risk(cfg)
    yield from _check_strategy(cfg)
    if host is not None:
        for i, line in enumerate(cfg.feed.lines):
            if line.interface not in host.interfaces:
                have = ", ".join(sorted(host.interfaces)) or "none"
                yield (
                    ("feed", "lines", i, "interface"),
                    f"interface {line.interface!r} does not exist on this host (have: {have}); "
                    "use --no-host-checks to check the file for another host",
                )


def _check_lines(cfg: Config) -> Iterator[tuple[Loc, str]]:
    lines = cfg.feed.lines
    if lines[0].name != "a":
        yield ("feed", "lines", 0, "name"), "the first line must be line 'a'"
    for i, line in enumerate(lines[1:], start=1):
        first = lines[0]
        if line.name == first.name:
            yield ("feed", "lines", i, "name"), f"line name {line.name!r} is given twice"
        if (line.group, line.port) == (first.group, first.port):
            yield (
                ("feed", "lines", i),
                f"line {line.name} uses the same group and port as line {first.name} "
                f"({line.group}:{line.port}); lines A and B must be distinct streams",
            )
            continue
        if line.group == first.group:
            yield (
                ("feed", "lines", i, "group"),
                f"group {line.group} is already line {first.name}'s group",
            )
        if line.port == first.port:
            yield (
                ("feed", "lines", i, "port"),
                f"port {line.port} is already line {first.name}'s port",
            )
    rr, snap = cfg.feed.rerequest, cfg.feed.snapshot
    if (rr.address, rr.port) == (snap.address, snap.port):
        yield ("feed", "snapshot"), "same address and port as feed.rerequest"


def _check_transport(cfg: Config) -> Iterator[tuple[Loc, str]]:
    t = cfg.transport
    for block in ("afxdp", "dpdk", "onload"):
        if getattr(t, block) is not None and block != t.kind:
            yield (
                ("transport", block),
                f"options for {block} given but transport.kind is {t.kind}",
            )
    if t.kind == "afxdp" and t.afxdp is not None and t.afxdp.zerocopy and t.afxdp.mode == "generic":
        yield (
            ("transport", "afxdp", "zerocopy"),
            "zero-copy needs native mode; generic (skb) mode always copies",
        )
    if t.kind == "dpdk" and t.dpdk is not None:
        for i, arg in enumerate(t.dpdk.eal_args):
            option = arg.split("=", 1)[0]
            if option in _EAL_CORE_OPTIONS or any(
                arg.startswith(o) and len(o) == 2 and len(arg) > 2 and arg[2].isdigit()
                for o in ("-l", "-c")
            ):
                yield (
                    ("transport", "dpdk", "eal_args", i),
                    f"{option} places DPDK threads; cores come from cpus.*, not eal_args",
                )
            if option == "--no-huge" and t.dpdk.hugepages:
                yield (
                    ("transport", "dpdk", "eal_args", i),
                    "--no-huge contradicts transport.dpdk.hugepages: true",
                )


def _check_cpus(cfg: Config, host: HostFacts | None) -> Iterator[tuple[Loc, str]]:
    c = cfg.cpus
    given = [s for s in STAGES if getattr(c, s) is not None]
    if c.run_to_completion is not None:
        if given:
            yield (
                ("cpus", "run_to_completion"),
                "given together with per-stage cores (" + ", ".join(given) + "); choose one",
            )
        used = {"run_to_completion": c.run_to_completion}
    else:
        for stage in STAGES:
            if getattr(c, stage) is None:
                yield (
                    ("cpus", stage),
                    "missing: a pipeline needs a core for each of "
                    + ", ".join(STAGES)
                    + " (or set cpus.run_to_completion)",
                )
        used = {s: getattr(c, s) for s in given}
        owner: dict[int, str] = {}
        for stage, cpu in used.items():
            if cpu in owner:
                yield (
                    ("cpus", stage),
                    f"core {cpu} is also cpus.{owner[cpu]}'s core; each stage needs its own",
                )
            else:
                owner[cpu] = stage
    if host is None:
        return
    for stage, cpu in used.items():
        if cpu not in host.cpus:
            yield (
                ("cpus", stage),
                f"core {cpu} does not exist on this host (online: {format_cpulist(host.cpus)})",
            )
        elif cpu not in host.isolated:
            have = format_cpulist(host.isolated) or "empty"
            yield (
                ("cpus", stage),
                f"core {cpu} is not isolated (isolated: {have}, from {host.isolated_source}); "
                "data-path stages run only on isolated cores",
            )


def _check_risk(cfg: Config) -> Iterator[tuple[Loc, str]]:
    r = cfg.risk
    if r.max_position_shares < r.max_order_shares:
        yield (
            ("risk", "max_position_shares"),
            f"{r.max_position_shares} is below risk.max_order_shares ({r.max_order_shares}): "
            "a single full-size order would breach the position limit",
        )
    if r.max_notional < r.min_price:
        yield (
            ("risk", "max_notional"),
            f"{r.max_notional} is below risk.min_price ({r.min_price}): no order can pass",
        )
    elif r.max_notional < r.min_price * r.max_order_shares:
        yield (
            ("risk", "max_notional"),
            f"{r.max_notional} is below max_order_shares x min_price "
            f"({r.max_order_shares} x {r.min_price} = {r.min_price * r.max_order_shares}): "
            "risk.max_order_shares can never be reached",
        )
    if r.min_price >= Decimal(200_000):
        yield ("risk", "min_price"), f"{r.min_price} is above the highest OUCH price (199999.9999)"


def _check_strategy(cfg: Config) -> Iterator[tuple[Loc, str]]:
    s, g, r = cfg.strategy, cfg.gateway, cfg.risk
    if g.symbols is not None and s.symbol not in g.symbols:
        yield (
            ("strategy", "symbol"),
            f"{s.symbol} is not in gateway.symbols ({', '.join(g.symbols)})",
        )
    if s.size > r.max_order_shares:
        yield (
            ("strategy", "size"),
            f"{s.size} is above risk.max_order_shares ({r.max_order_shares}): "
            "every order would be rejected",
        )


def cross_check(cfg: Config, host: HostFacts | None) -> list[Issue]:
    """Relations between values, and (with `host`) the host's CPUs and interfaces."""
    return [Issue(format_path(loc), msg) for loc, msg in _cross(cfg, host)]


# --- entry points -----------------------------------------------------------------------------


def validate_text(text: str, host: HostFacts | None) -> tuple[Config | None, list[Issue]]:
    """Validate config text; return (config, []) or (None, issues)."""
    data, lines, issues = parse_yaml(text)
    if issues:
        return None, issues
    if not isinstance(data, dict):
        return None, [Issue("", "the top level must be a mapping of keys", _line(lines, ()))]
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        return None, _schema_issues(exc, lines)
    issues = [
        Issue(i.path, i.message, _line(lines, _parse_path(i.path))) for i in cross_check(cfg, host)
    ]
    return (None, issues) if issues else (cfg, [])


def _parse_path(path: str) -> Loc:
    loc: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(loc)


def load_config(path: Path, host: HostFacts | None) -> Config:
    """Read and validate `path`; raise ConfigError listing every issue."""
    try:
        text = read_text(path)
    except Refused as exc:
        raise ConfigError([Issue("", exc.message, exc.line)], str(path)) from None
    cfg, issues = validate_text(text, host)
    if cfg is None:
        raise ConfigError(issues, str(path))
    return cfg

"""`tickpath config check|render`: validate the data-path config, render the C programs' files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tickpath.config import (
    ConfigError,
    HostFacts,
    HostFactsError,
    load_config,
    render,
    write_rendered,
)
from tickpath.config.models import Config
from tickpath.config.safeyaml import MAX_BYTES, MAX_DEPTH
from tickpath.config.validate import MAX_LISTED

EXIT_OK = 0
EXIT_INVALID = 2


def _host_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="tickpath config (YAML)")
    parser.add_argument(
        "--no-host-checks",
        action="store_true",
        help="skip checks against this host (CPUs, isolated set, interfaces): for a file "
        "meant for another machine",
    )
    parser.add_argument(
        "--sysfs",
        type=Path,
        default=Path("/sys"),
        metavar="ROOT",
        help="sysfs tree the host facts are read from (default: /sys)",
    )
    parser.add_argument(
        "--isolated",
        metavar="CPULIST",
        help="isolated CPUs to check against instead of the running kernel's "
        "(/sys/devices/system/cpu/isolated); e.g. the host profile's cpus.isolated on a "
        "container host, which is not booted with isolcpus=",
    )


def _load(args: argparse.Namespace) -> Config | None:
    try:
        host = (
            None
            if args.no_host_checks
            else HostFacts.from_sysfs(args.sysfs, isolated=args.isolated)
        )
        return load_config(args.file, host)
    except HostFactsError as exc:
        print(f"tickpath config: {exc} (or use --no-host-checks)", file=sys.stderr)
    except ConfigError as exc:
        for issue in exc.issues[:MAX_LISTED]:
            print(issue.render(str(args.file)), file=sys.stderr)
        count = len(exc.issues)
        if count > MAX_LISTED:
            print(f"... and {count - MAX_LISTED} more", file=sys.stderr)
        print(f"{args.file}: {count} error{'s' if count != 1 else ''}", file=sys.stderr)
    return None


def _check(args: argparse.Namespace) -> int:
    if _load(args) is None:
        return EXIT_INVALID
    checks = "without host checks" if args.no_host_checks else f"against this host ({args.sysfs})"
    print(f"{args.file}: OK ({checks})")
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if cfg is None:
        print("nothing rendered", file=sys.stderr)
        return EXIT_INVALID
    try:
        written = write_rendered(render(cfg, str(args.file)), args.out)
    except OSError as exc:
        print(f"tickpath config render: cannot write to {args.out}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config",
        help="validate the data-path config and render the C programs' settings",
        description="Validate the data-path configuration (YAML) and render the key=value "
        "files the C programs read. Exit status: 0 valid, 2 invalid or unreadable (errors are "
        f"listed as FILE:LINE: key.path: reason, at most {MAX_LISTED}, then the count), 1 cannot "
        f"write output. FILE is UTF-8 YAML of at most {MAX_BYTES >> 20} MiB, without anchors "
        f"or aliases, control characters or more than {MAX_DEPTH} levels of nesting.",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="print OK or the errors (exit 2)",
        description="Validate FILE: schema, cross checks and (unless --no-host-checks) this "
        "host's CPUs, isolated set and interfaces. Prints OK, or the errors (at most "
        f"{MAX_LISTED}, then the count) and exits 2.",
    )
    _host_options(check)
    check.set_defaults(func=_check)
    rend = sub.add_parser(
        "render",
        help="write fh.conf, gw.conf, strategy.conf for the C programs",
        description="Validate FILE like `check`, then write fh.conf, gw.conf and "
        "strategy.conf (key=value, see app/tickpath/config/README.md) into DIR. Nothing is "
        "written when FILE is invalid.",
    )
    _host_options(rend)
    rend.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    rend.set_defaults(func=_render)

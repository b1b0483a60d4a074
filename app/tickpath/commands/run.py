"""`tickpath run COMPONENT --config FILE`: render the component's key=value file, start its C
program pinned to its cores, and supervise it (restart on crash with backoff, bounded restarts,
clean stop on SIGTERM/SIGINT). The systemd units of the deploy role run this command.

Signals to the supervisor are forwarded to the C program: SIGTERM/SIGINT stop it (it writes
--stats-json and exits 0; SIGKILL after --stop-timeout) and then the supervisor; SIGUSR2 makes
it write --stats-json now and keep running; SIGHUP and SIGUSR1 are ignored by it (tickpath-sim:
SIGUSR1 drops its OUCH sessions); SIGQUIT kills it with a core dump (then it is restarted).
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from tickpath import binaries
from tickpath.supervisor import (
    COMPONENTS,
    CREDENTIALS_ENV,
    ConfigError,
    LaunchError,
    RestartPolicy,
    Supervisor,
    load_plan,
    password_problem,
    write_conf,
)
from tickpath.supervisor.process import check_launch, child_setup

DEFAULT_CONFIG = "/etc/tickpath/tickpath.yaml"


def _default_run_dir() -> str:
    # systemd's RuntimeDirectory=tickpath sets $RUNTIME_DIRECTORY.
    return os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0] or "/run/tickpath"


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="start and supervise one data-path component",
        description=__doc__,
    )
    p.add_argument("component", choices=sorted(COMPONENTS), help="component to run")
    p.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        type=Path,
        help=f"YAML config (default {DEFAULT_CONFIG})",
    )
    p.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="where the key=value file is written (default $RUNTIME_DIRECTORY or /run/tickpath)",
    )
    p.add_argument(
        "--foreground",
        action="store_true",
        help="no supervision: exec the C program in place (debugging, gdb, perf)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="validate the config, render the key=value file, print the command; start nothing",
    )
    p.add_argument(
        "--program",
        default=None,
        help="C program to run instead of the component's (tests, experiments)",
    )
    p.add_argument(
        "--stats-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="the C program writes its counters and latency histograms (JSON) to FILE each "
        "time it exits, and on SIGUSR2 while it runs; a restart after a crash overwrites it "
        "(default: not written)",
    )
    p.add_argument(
        "--rt-priority",
        type=int,
        default=0,
        metavar="N",
        help="run the C program SCHED_FIFO at priority N (1-99; needs CAP_SYS_NICE); "
        "0 (default): normal scheduling",
    )
    p.add_argument(
        "--max-restarts",
        type=int,
        default=5,
        help="restarts allowed within --restart-window before giving up (default 5)",
    )
    p.add_argument("--restart-window", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument(
        "--backoff",
        type=float,
        default=0.5,
        help="first restart delay in seconds, doubled per crash (default 0.5)",
    )
    p.add_argument("--backoff-max", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument(
        "--stop-timeout",
        type=float,
        default=10.0,
        help="seconds between the forwarded SIGTERM and SIGKILL (default 10)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format=f"tickpath run {args.component}: %(message)s"
    )
    err = logging.getLogger("tickpath.run")
    try:
        policy = RestartPolicy(
            max_restarts=args.max_restarts,
            restart_window=args.restart_window,
            backoff_initial=args.backoff,
            backoff_max=args.backoff_max,
            stop_timeout=args.stop_timeout,
        )
    except ValueError as exc:
        err.error("bad option: %s", exc)
        return 2
    if not 0 <= args.rt_priority <= 99:
        err.error("bad option: --rt-priority %d is not 0..99", args.rt_priority)
        return 2
    prio: int = args.rt_priority
    try:
        plan = load_plan(args.config, args.component, os.environ.get(CREDENTIALS_ENV) or None)
    except ConfigError as exc:
        err.error("invalid config: %s", exc)
        return 2
    if plan.component.interactive and not (args.foreground or args.check):
        err.error(
            "%s is an operator tool driven by commands on stdin: run it in a terminal with "
            "--foreground. On a trading host the order gateway runs inside tickpath-strategy "
            "(`tickpath run strategy`); a second gateway would open a second OUCH session.",
            plan.component.binary,
        )
        return 2
    run_dir: Path = args.run_dir or Path(_default_run_dir())
    try:
        program = Path(args.program) if args.program else binaries.find(plan.component.binary)
    except binaries.BinaryNotFoundError as exc:
        if not args.check:
            err.error("%s", exc)
            return 2
        program = Path(plan.component.binary)
        err.warning("%s", exc)
    try:
        conf = write_conf(plan, run_dir)
    except ConfigError as exc:
        err.error("%s", exc)
        return 2
    stats = ["--stats-json", str(args.stats_json)] if args.stats_json else []
    argv = [str(program), "--config", str(conf), *stats, *plan.extra_args]
    problem = password_problem(plan, os.environ)
    if args.check:
        cpus = ",".join(str(c) for c in sorted(plan.cpus)) or "any"
        print(f"component: {plan.component.name}")
        print(f"conf: {conf}")
        print(f"cpus: {cpus}")
        print(f"rt_priority: {prio}")
        if plan.password is not None:
            kind, where = plan.password
            print(f"password: {kind} {where} ({problem or 'present'})")
        for setting, name in plan.credentials:
            print(f"credential: {name} -> {setting} ({problem or 'present'})")
        print(f"command: {shlex.join(argv)}")
        return 0
    if problem:
        err.error("%s", problem)
        return 2
    try:
        check_launch(plan.cpus, prio)
    except LaunchError as exc:
        err.error("%s", exc)
        return 2
    if args.foreground:
        child_setup(plan.cpus, prio)()
        try:
            os.execv(argv[0], argv)
        except OSError as exc:
            err.error("cannot exec %s: %s", argv[0], exc.strerror)
            return 127
    sup = Supervisor(
        argv, cpus=plan.cpus, rt_priority=prio, policy=policy, name=plan.component.name
    )
    try:
        return sup.run()
    except LaunchError as exc:
        err.error("%s", exc)
        return 2

#!/usr/bin/env python3
"""Measure jitter on each given CPU with rt-tests' oslat; write jitter.json.

Runs on the host under test (system python3, standard library only). For each CPU, one oslat
busy-loop thread pinned to it (-c CPU; its main thread stays on CPU 0) for --duration seconds:
every loop iteration is timed, so the histogram shows how long the OS took the core away from a
polling data-path thread (interrupts, kthreads, hypervisor). 1-us buckets up to --buckets us;
oslat folds longer samples into the last bucket, so a percentile that falls there is reported as
">= buckets" (flagged *_in_overflow); the max is oslat's exact maximum.

Priority: SCHED_FIFO --priority (oslat -f). When that is refused and --fallback-other is given
(a container whose cgroup has no real-time budget, cpu.rt_runtime_us=0), the CPU is measured
under SCHED_OTHER and the result says so. Prints the result JSON and writes it, with oslat's own
JSON per CPU, to --out-dir (created). Exit status 0 when measured, 2 on bad input or failure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import subprocess
import sys
from typing import Any

PERCENTILES = (50.0, 90.0, 99.0, 99.9, 99.99)


def cpulist(text: str) -> list[int]:
    cpus: set[int] = set()
    for item in text.split(","):
        item = item.strip()
        lo, sep, hi = item.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise argparse.ArgumentTypeError(f"bad cpulist item {item!r}")
        cpus.update(range(int(lo), (int(hi) if sep else int(lo)) + 1))
    return sorted(cpus)


def summarise(thread: dict[str, Any], buckets: int) -> dict[str, Any]:
    """One oslat thread record (its --json output) -> summary with percentiles in us."""
    hist = sorted((int(us), int(count)) for us, count in thread["histogram"].items())
    total = sum(count for _, count in hist)
    if total == 0:
        raise ValueError("oslat recorded no samples")
    result: dict[str, Any] = {
        "cpu": int(thread["cpu"]),
        "samples": total,
        "min_us": int(thread["min"]),
        "avg_us": round(float(thread["avg"]), 3),
        "max_us": int(thread["max"]),
        "histogram_limit_us": buckets,
    }
    for pct in PERCENTILES:
        rank = pct / 100.0 * total
        seen = 0
        value = hist[-1][0]
        for us, count in hist:
            seen += count
            if seen >= rank:
                value = us
                break
        key = "p" + f"{pct:g}".replace(".", "_")
        result[f"{key}_us"] = value
        result[f"{key}_in_overflow"] = value >= buckets
    return result


def measure(cpu: int, args: argparse.Namespace, priority: int) -> tuple[str, dict[str, Any]]:
    raw_path = os.path.join(args.out_dir, f"oslat-cpu{cpu}.json")
    cmd = ["oslat", "-q", "-c", str(cpu), "-D", str(args.duration), "-b", str(args.buckets)]
    if priority:
        cmd += ["-f", str(priority)]
    cmd.append(f"--json={raw_path}")
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.duration + 60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cpu {cpu}: cannot run oslat: {exc}") from None
    if proc.returncode != 0:
        output = (proc.stderr + proc.stdout).strip()
        if priority and ("not permitted" in output or "fifo" in output.lower()):
            raise PermissionError(" ".join(output.split())[:200])
        raise RuntimeError(f"cpu {cpu}: oslat exited {proc.returncode}: {output[-500:]}")
    try:
        with open(raw_path, encoding="utf-8") as fh:
            data = json.load(fh)
        threads = list(data["thread"].values())
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"cpu {cpu}: unreadable oslat JSON {raw_path}: {exc}") from None
    if len(threads) != 1:
        raise RuntimeError(f"cpu {cpu}: expected one oslat thread, got {len(threads)}")
    summary = summarise(threads[0], args.buckets)
    summary["command"] = " ".join(cmd)
    summary["policy"] = f"SCHED_FIFO {priority}" if priority else "SCHED_OTHER"
    return raw_path, summary


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--cpus", type=cpulist, required=True)
    p.add_argument("--duration", type=int, default=10, help="seconds per CPU")
    p.add_argument("--priority", type=int, default=95, help="SCHED_FIFO priority, 0: SCHED_OTHER")
    p.add_argument("--buckets", type=int, default=1024, help="1-us histogram buckets (4-1024)")
    p.add_argument("--run-id", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument(
        "--fallback-other",
        action="store_true",
        help="measure under SCHED_OTHER when SCHED_FIFO is refused, and say so",
    )
    args = p.parse_args()
    if not 1 <= args.duration <= 3600 or not 0 <= args.priority <= 99:
        print("latency_jitter: duration 1..3600 s, priority 0..99", file=sys.stderr)
        return 2
    if not 4 <= args.buckets <= 1024:
        print("latency_jitter: buckets 4..1024", file=sys.stderr)
        return 2
    missing = sorted(set(args.cpus) - set(os.sched_getaffinity(0)))
    if missing:
        print(f"latency_jitter: CPU(s) {missing} are not available here", file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, mode=0o750, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    cpus: list[dict[str, Any]] = []
    notes: list[str] = []
    priority = args.priority
    try:
        for cpu in args.cpus:
            try:
                _, summary = measure(cpu, args, priority)
            except PermissionError as exc:
                if not args.fallback_other:
                    raise RuntimeError(f"cpu {cpu}: SCHED_FIFO {priority} refused: {exc}") from None
                notes.append(f"SCHED_FIFO {priority} refused ({exc}); measured under SCHED_OTHER")
                priority = 0
                _, summary = measure(cpu, args, priority)
            cpus.append(summary)
    except (RuntimeError, ValueError) as exc:
        print(f"latency_jitter: {exc}", file=sys.stderr)
        return 2
    result = {
        "measurement": "jitter",
        "tool": "oslat",
        "host": socket.gethostname(),
        "run_id": args.run_id,
        "started": started,
        "duration_s_per_cpu": args.duration,
        "priority": priority,
        "notes": notes,
        "cpus": cpus,
        "worst": {k: max(c[k] for c in cpus) for k in ("max_us", "p99_us", "p99_9_us")},
    }
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    tmp = os.path.join(args.out_dir, ".jitter.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, os.path.join(args.out_dir, "jitter.json"))
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

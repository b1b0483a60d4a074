"""`python -m tickpath.drift RESULTS.json --out DIR` / `tickpath drift-report` (same options)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tickpath.drift import report, state
from tickpath.drift.checks import evaluate
from tickpath.drift.model import SEVERITIES, Record
from tickpath.outfile import make_dir, write_atomic

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_DRIFT = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        type=Path,
        help="results.json written by playbooks/drift.yml (expected + actual per host)",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory of this run's reports")
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="first_seen state file (default: DIR/../state.json)",
    )
    parser.add_argument(
        "--latest",
        type=Path,
        default=None,
        help="also write this pointer file to the run (e.g. REPORT_DIR/latest.json)",
    )
    parser.add_argument(
        "--fail-severity",
        default="major",
        choices=[*SEVERITIES, "none"],
        help="exit 3 when a host drifts at or above this severity (default major)",
    )
    parser.add_argument("--now", default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    try:
        data: Any = json.loads(args.results.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("hosts"), dict):
            raise ValueError("expected an object with a 'hosts' mapping")
        severity = data.get("severity") or {}
        if not isinstance(severity, dict):
            raise ValueError("'severity' must be a mapping check -> severity")
        records: list[Record] = []
        for host in sorted(data["hosts"]):
            entry = data["hosts"][host] or {}
            if not isinstance(entry, dict):
                raise ValueError(f"host {host!r}: entry is not an object")
            records.extend(evaluate(host, entry, severity))
        state_path: Path = args.state or args.out.parent / "state.json"
        previous = state.load(state_path)
    except (OSError, ValueError) as exc:
        print(f"tickpath drift-report: {args.results}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    now = args.now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    run_id = str(data.get("run_id") or args.out.name)
    new_state = state.update(records, previous, now)
    make_dir(args.out)
    meta = {
        "run_id": run_id,
        "generated_at": data.get("generated_at") or now,
        "fail_severity": args.fail_severity,
    }
    report.write_json(records, args.out / "records.json", meta)
    report.write_junit(records, args.out / "junit.xml", run_id)
    html = report.html_report(records, run_id, str(meta["generated_at"]))
    write_atomic(args.out / "index.html", html)
    state.save(state_path, new_state)
    result = report.summary(records, args.fail_severity, args.out, run_id)
    if args.latest:
        write_atomic(
            args.latest,
            json.dumps(
                {
                    "run_id": run_id,
                    "dir": str(args.out.resolve()),
                    "records": str((args.out / "records.json").resolve()),
                },
                indent=1,
            )
            + "\n",
        )
    print(json.dumps(result, sort_keys=True))
    return EXIT_DRIFT if result["failing"] else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tickpath.drift",
        description="Write the fleet drift reports from results.json.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))

"""`tickpath drift-report RESULTS.json --out DIR`: fleet drift reports (tickpath.drift)."""

from __future__ import annotations

import argparse
from typing import Any

from tickpath.drift.cli import add_arguments, run


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "drift-report",
        help="write drift reports (JSON, JUnit, HTML) from a drift playbook's results.json",
        description="Evaluate results.json of playbooks/drift.yml into records.json, junit.xml "
        "and index.html; exit 3 when a host drifts at or above --fail-severity.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)

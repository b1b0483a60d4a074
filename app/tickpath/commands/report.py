"""`tickpath report`: latency results -> terminal table, report.json, PNG plots, HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_BAD_INPUT = 2


def _run(args: argparse.Namespace) -> int:
    # Imported here: tickpath.report pulls in matplotlib (~1-2 s), which every other command of
    # the CLI would otherwise pay at start-up.
    from tickpath.report import ResultsError, build_report, collect, print_tables, write_report

    progress = False if args.no_progress else None
    try:
        data = collect(args.results, progress=progress)
        report = build_report(data, title=args.title)
    except ResultsError as exc:
        print(f"tickpath report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print_tables(report, Console())
    if args.out is None:
        return EXIT_OK
    try:
        written = write_report(report, data, args.out, html=not args.no_html, progress=progress)
    except OSError as exc:
        print(f"tickpath report: cannot write to {args.out}: {exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    for path in written:
        if path.suffix in (".json", ".html"):
            print(path)
    print(f"{len(written)} files in {args.out}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="latency results -> table, report.json, PNG plots, HTML",
        description="Read results files (tickpath.results/1, see app/tickpath/report/SCHEMA.md), "
        "merge series of the same name, print p50/p90/p99/p99.9/max per series and the stage "
        "budget; with --out also write report.json (report.schema.json), PNG plots (CDF per "
        "metric, histogram per series, stage budget) and a self-contained report.html. "
        "Exit status: 0 done, 1 cannot write, 2 bad input.",
    )
    parser.add_argument(
        "results", type=Path, nargs="+", metavar="RESULTS", help="results JSON file(s)"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="directory for the report files")
    parser.add_argument("--title", default="tickpath latency report", help="report title")
    parser.add_argument("--no-html", action="store_true", help="skip report.html")
    parser.add_argument("--no-progress", action="store_true", help="never show progress bars")
    parser.set_defaults(func=_run)

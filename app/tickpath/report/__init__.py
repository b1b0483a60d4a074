"""Latency reports: results files in; terminal tables, report.json, PNG plots and HTML out."""

from tickpath.report.build import (
    REPORT_FORMAT,
    Collected,
    build_report,
    collect,
    print_tables,
    validate_report,
    write_report,
)
from tickpath.report.results import RESULTS_FORMAT, Distribution, ResultsError, load_results

__all__ = [
    "REPORT_FORMAT",
    "RESULTS_FORMAT",
    "Collected",
    "Distribution",
    "ResultsError",
    "build_report",
    "collect",
    "load_results",
    "print_tables",
    "validate_report",
    "write_report",
]

"""`tfnis coverage FAMILIES INDIVIDUALS [--format json|csv|html] [--out FILE]`: a return's coverage, offline.

The same figures the service reports after validation, computed on the council's own machine. The return is
validated first; a rejected return has no coverage (exit 1, the validation summary on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.cli.main import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

if TYPE_CHECKING:
    from tfnis.coverage.report import CoverageReport

FORMATS = ("json", "csv", "html")


class ReturnRejected(Exception):
    """The return did not pass validation; the message is the validator's text report (it never quotes values)."""

    def __init__(self, summary: str, unreadable: bool = False) -> None:
        super().__init__(summary)
        self.unreadable = unreadable  # a file could not be read at all: a usage problem, not a rejected return


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "coverage",
        help="report how much of each data item a return provides",
        description=__doc__.splitlines()[0] + " Exit 0 done, 1 return rejected, 2 bad arguments or files.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="families.csv and individuals.csv, or one .xlsx workbook")  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="json", help="json (default), csv or html")
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    parser.add_argument("--previous", type=Path, help="the coverage.json of your previous period, for --format html")
    parser.add_argument(
        "--suppress", action="store_true", help="blank figures under 10, as in anything shared beyond the council"
    )
    parser.set_defaults(func=run)


def coverage_of_return(paths: list[Path]) -> CoverageReport:
    """Validate the return, split off the identifiers, and compute coverage from the attributes alone."""
    from tfnis.coverage.report import coverage_report
    from tfnis.validation import render_text, validate_return
    from tfnis.validation.split import split_return

    report = validate_return(paths)
    if not report.valid:
        unreadable = any(f.rule == "FILE_UNREADABLE" for f in report.findings)
        raise ReturnRejected(render_text(report), unreadable=unreadable)
    split = split_return(report.families, report.individuals)
    return coverage_report(split.family_attributes, split.individual_attributes)


def rendered(report: CoverageReport, fmt: str, previous: CoverageReport | None) -> str:
    from tfnis.coverage.html import render_html

    if fmt == "csv":
        return report.to_csv()
    if fmt == "html":
        return render_html(report, previous=previous)
    return json.dumps(report.to_json(), indent=2) + "\n"


def run(args: argparse.Namespace) -> int:
    from tfnis.coverage.report import CoverageReport
    from tfnis.coverage.suppression import suppress

    if len(args.files) > 2:
        print("tfnis coverage: give two CSV files (families, individuals) or one .xlsx workbook", file=sys.stderr)
        return EXIT_USAGE
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"tfnis coverage: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    previous = None
    if args.previous is not None:
        try:
            previous = CoverageReport.from_json(json.loads(args.previous.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"tfnis coverage: {args.previous} is not a coverage.json ({type(error).__name__})", file=sys.stderr)
            return EXIT_USAGE
    try:
        report = coverage_of_return(list(args.files))
    except ReturnRejected as rejected:
        sys.stderr.write(str(rejected))
        return EXIT_USAGE if rejected.unreadable else EXIT_REJECTED
    if args.suppress:
        report = CoverageReport(report.spec_version, report.la_code, report.period_end, tuple(suppress(report.figures)))
    text = rendered(report, args.format, previous)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"coverage of {report.la_code} {report.period_end} written to {args.out}", file=sys.stderr)
    return EXIT_OK

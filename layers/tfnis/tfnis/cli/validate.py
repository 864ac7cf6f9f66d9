"""`tfnis validate`: check a return offline, before uploading it — the same rules the service applies.

Exit 0 when the return is valid (warnings allowed), 1 when it would be rejected, 2 when a file cannot be
opened or the arguments are wrong. `--out report.html` writes the format its extension names (.txt, .json,
.csv, .html); any other extension is refused before anything is checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tfnis.cli.main import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

FORMATS_BY_EXTENSION = {
    ".txt": "text",
    ".text": "text",
    ".json": "json",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected a date YYYY-MM-DD") from error


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a return (families.csv + individuals.csv, or one .xlsx) against the data specification",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="FAMILIES.csv INDIVIDUALS.csv, or RETURN.xlsx"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "csv", "html"), help="output format (default: from --out, else text)"
    )
    parser.add_argument("--la-code", help="the council's GSS code: rows with another la_code are errors")
    parser.add_argument("--period-end", type=_date, help="the period of the submission (YYYY-MM-DD)")
    parser.add_argument(
        "--out",
        "--output",
        "-o",
        dest="output",
        type=Path,
        help="write the report to this file instead of stdout, in the format its extension names",
    )
    parser.set_defaults(func=run)


def output_format(output: Path | None, asked: str | None) -> str:
    """The report format: the one --out's extension names (it must agree with --format when both are given)."""
    extension = output.suffix.lower() if output else ""
    if not extension:
        return asked or "text"
    named = FORMATS_BY_EXTENSION.get(extension)
    if named is None:
        raise ValueError(
            f"cannot write a report as {extension}: name the file .txt, .json, .csv or .html "
            "(or leave the extension off and give --format)"
        )
    if asked and asked != named:
        raise ValueError(f"--format {asked} does not match --out {output.name if output else ''} ({named})")
    return named


def run(args: argparse.Namespace) -> int:
    from tfnis.validation import findings_csv, render_html, render_text, report_json, validate_return

    files: list[Path] = args.files
    if len(files) > 2:
        print("tfnis validate: give two CSV files (families, individuals) or one .xlsx workbook", file=sys.stderr)
        return EXIT_USAGE
    try:
        args.format = output_format(args.output, args.format)
    except ValueError as error:
        print(f"tfnis validate: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = validate_return(files, expected_la_code=args.la_code, expected_period_end=args.period_end)
    if args.format == "json":
        text = json.dumps(report_json(report), indent=2) + "\n"
    elif args.format == "csv":
        text = findings_csv(report)
    elif args.format == "html":
        text = render_html(report)
    else:
        text = render_text(report)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if any(f.rule == "FILE_UNREADABLE" for f in report.findings):
        return EXIT_USAGE
    return EXIT_OK if report.valid else EXIT_REJECTED

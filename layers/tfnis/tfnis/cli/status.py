"""`tfnis status`: the research team's view of the service — every council's submissions, the national
coverage of each period, and what the research extract holds. Reads the Submissions table and ResearchBucket
only (no personal bucket)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_OK, EXIT_USAGE

HEADLINE = ("housing_status_provided", "ethnicity_provided", "ethnicity_not_known", "nino_valid", "upn_valid")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="submissions of every council, national coverage, the extract")
    parser.add_argument("--stack-file", type=Path, help="the JSON `tfnis serve --tokens-file` writes")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def service_status() -> dict[str, Any]:
    """Everything the view shows, as plain data."""
    from tfnis.pipeline.locations import national_coverage_prefix
    from tfnis.storage import Settings, store_and_table

    settings = Settings.from_env()
    store, table = store_and_table(settings)
    submissions = sorted(table.all_submissions(), key=lambda s: (s.period_end, s.la_code, s.created_at))
    periods = sorted({s.period_end for s in submissions})
    national: dict[str, dict[str, Any]] = {}
    for period_end in periods:
        key = national_coverage_prefix(period_end) + "coverage.parquet"
        if store.head(settings.research_bucket, key) is None:
            continue
        frame = store.get_frame(settings.research_bucket, key)
        england = frame[(frame["la_code"] == "ENGLAND") & frame["id"].isin(HEADLINE)]
        national[period_end.isoformat()] = {
            row["id"]: (None if row["suppressed"] else row["percent"]) for row in england.to_dict("records")
        }
    extract = store.list_keys(settings.research_bucket, "extract/")
    return {
        "closed": table.is_closed(),
        "submissions": [
            {
                "la_code": s.la_code,
                "submission_id": s.submission_id,
                "period_end": s.period_end.isoformat(),
                "status": s.status.value,
                "updated_at": s.updated_at.isoformat(),
                **s.counts,
            }
            for s in submissions
        ],
        "national_coverage": national,
        "extract_files": extract,
    }


def run(args: argparse.Namespace) -> int:
    from tfnis.cli.stack_file import point_at_stack

    if not point_at_stack(args.stack_file, "status"):
        return EXIT_USAGE
    from tfnis.storage import Settings

    if not Settings.from_env().submissions_table:
        print("tfnis status: which stack? SUBMISSIONS_TABLE is not set (or give --stack-file)", file=sys.stderr)
        return EXIT_USAGE
    status = service_status()
    if args.format == "json":
        print(json.dumps(status, indent=2, default=str))
        return EXIT_OK
    print_status(status)
    return EXIT_OK


def print_status(status: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if status["closed"]:
        console.print("[bold]The research has ended: the service is closed to new submissions.[/bold]")
    table = Table(title="Submissions")
    for column in ("council", "period", "status", "families", "individuals", "errors", "warnings", "updated"):
        table.add_column(column)
    for s in status["submissions"]:
        table.add_row(s["la_code"], s["period_end"], s["status"], *(str(s.get(k, "")) for k in (
            "families", "individuals", "errors", "warnings")), s["updated_at"][:19])  # fmt: skip
    console.print(table)
    coverage = Table(title="National coverage (England, % ; blank = suppressed)")
    coverage.add_column("period")
    for figure_id in HEADLINE:
        coverage.add_column(figure_id.replace("_", " "), justify="right")
    for period, figures in status["national_coverage"].items():
        coverage.add_row(period, *("" if figures.get(i) is None else f"{figures[i]:.1f}" for i in HEADLINE))
    console.print(coverage)
    console.print(f"research extract: {len(status['extract_files'])} file(s) under extract/ in ResearchBucket")

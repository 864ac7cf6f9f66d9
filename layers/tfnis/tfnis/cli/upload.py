"""`tfnis upload`: a council sends its return through pre-signed POSTs and reads the validation result."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, EXIT_USAGE

EXIT_BY_STATUS = {"VALIDATED": EXIT_OK, "MATCHED": EXIT_OK, "COMPLETE": EXIT_OK, "REJECTED": EXIT_REJECTED}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "upload",
        help="upload a return to the service and (with --wait) print its validation result",
        description="Upload FAMILIES.csv INDIVIDUALS.csv, or RETURN.xlsx. Exit 0 valid, 1 rejected, 2 bad "
        "arguments or unreadable files, 3 the service failed or timed out.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--api", required=True, help="the submissions API URL (tfnis serve prints it)")
    parser.add_argument("--token", required=True, help="your council's bearer token")
    parser.add_argument("--period-end", help="YYYY-MM-DD; read from the files when omitted")
    parser.add_argument("--wait", action="store_true", help="wait for validation and print the summary")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait (default 600)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from tfnis.client import ApiError, SubmissionClient, declared_files
    from tfnis.client.api import period_end_of

    console = Console(stderr=True)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        console.print(f"[red]cannot open: {', '.join(missing)}[/red]")
        return EXIT_USAGE
    try:
        files = declared_files(args.files)
    except (ValueError, OSError) as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    period_end = args.period_end or next((p for p in map(period_end_of, files.values()) if p), None)
    if not period_end:
        console.print("[red]give --period-end YYYY-MM-DD (it could not be read from the files)[/red]")
        return EXIT_USAGE

    client = SubmissionClient(args.api, args.token)
    try:
        created = client.create(period_end, list(files))
        with Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            console=console, transient=False,
        ) as progress:  # fmt: skip
            for name, path in files.items():
                task = progress.add_task(name, total=path.stat().st_size)
                client.upload(created["uploads"][name], path, partial(progress.advance, task))
        console.print(f"submission {created['submission_id']} ({created['la_code']}, period {period_end}) uploaded")
        if not args.wait:
            print(created["submission_id"])
            return EXIT_OK
        submission = client.wait(created["submission_id"], timeout=args.timeout)
    except ApiError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE if 400 <= error.status < 500 else EXIT_FAILED
    except OSError as error:  # connection refused, reset ...
        console.print(f"[red]cannot reach the service: {error}[/red]")
        return EXIT_FAILED
    print_summary(submission, client.report(submission))
    return EXIT_BY_STATUS.get(submission["status"], EXIT_FAILED)


def print_summary(submission: dict[str, Any], report: dict[str, Any] | None) -> None:
    """The result as a council officer reads it: status, counts, findings by rule (first rows), report links."""
    out = sys.stdout
    print(f"Submission {submission['submission_id']}: {submission['status']}", file=out)
    if submission.get("reason"):
        print(f"  {submission['reason']}", file=out)
    counts = submission.get("counts") or {}
    if counts:
        print("  " + ", ".join(f"{k} {v}" for k, v in counts.items() if not isinstance(v, dict)), file=out)
    findings = (report or {}).get("findings", [])
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_rule.setdefault(finding["rule"], []).append(finding)
    for rule, items in sorted(by_rule.items(), key=lambda kv: (kv[1][0]["severity"] != "error", kv[0])):
        total = (submission.get("findings_summary") or {}).get(rule, len(items))
        print(f"\n  {rule} ({items[0]['severity']}, {total}): {items[0]['message']}", file=out)
        for finding in items[:5]:
            where = f"{finding['file']} row {finding['row']}" if finding["row"] else finding["file"]
            print(f"    {where}, column {finding['column'] or '-'}", file=out)
        if total > 5:
            print(f"    … and {total - 5} more (see the report)", file=out)
    for kind, url in (submission.get("reports") or {}).items():
        print(f"  report {kind}: {url}", file=out)

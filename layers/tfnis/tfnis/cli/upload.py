"""`tfnis upload`: a council sends its return through pre-signed POSTs and reads the validation result.

The files are checked before any request (they exist, are not empty, have names the service takes, and the
token is a sign-in token that has not expired); their size is checked against the limit the API returns with
the new submission, before any byte is sent. A submission whose files are never sent expires on its own.
"""

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
        "arguments, files that cannot be sent or a token the service refuses, 3 the service failed, timed out "
        "or cannot be reached.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--api", required=True, help="the submissions API URL (tfnis serve prints it)")
    parser.add_argument("--token", required=True, help="your council's sign-in token (from the upload page)")
    parser.add_argument("--period-end", help="YYYY-MM-DD; read from the files when omitted")
    parser.add_argument("--wait", action="store_true", help="wait for validation and print the summary")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait (default 600)")
    parser.add_argument(
        "--reference", metavar="DATASET",
        help="send a national reference extract (research team token): one records.csv of DATASET",
    )  # fmt: skip
    parser.set_defaults(func=run)


def say(message: str) -> None:
    """One sentence for the council officer, on stderr (stdout carries the result)."""
    print(f"tfnis: {message}", file=sys.stderr)


def checked_files(args: argparse.Namespace) -> tuple[dict[str, Path], str] | None:
    """The files and the period, checked before any request; None (having said why) when they cannot be sent."""
    from tfnis.client import FilesNotReady, check_files, token_problem
    from tfnis.client.api import period_end_of

    try:
        files = check_files(args.files)
    except (FilesNotReady, ValueError, OSError) as error:
        say(f"cannot open or send the files: {error}")
        return None
    problem = token_problem(args.token)
    if problem:
        say(problem)
        return None
    period_end = args.period_end or next((p for p in map(period_end_of, files.values()) if p), None)
    if not period_end:
        say("give --period-end YYYY-MM-DD (it could not be read from the files).")
        return None
    return files, period_end


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from tfnis.client import ApiError, SubmissionClient, oversized

    if args.reference:
        from tfnis.cli.upload_reference import run_reference

        return run_reference(args)
    ready = checked_files(args)
    if ready is None:
        return EXIT_USAGE
    files, period_end = ready
    console = Console(stderr=True)
    client = SubmissionClient(args.api, args.token)
    try:
        created = client.create(period_end, list(files))
        too_big = oversized(files, int(created.get("max_bytes") or sys.maxsize))
        if too_big:
            say(" ".join(too_big) + f" Nothing was sent; submission {created['submission_id']} will expire unused.")
            return EXIT_USAGE
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
            say(f"see its result with: tfnis result {created['submission_id']} --api {args.api} --token …")
            return EXIT_OK
        submission = client.wait(created["submission_id"], timeout=args.timeout)
        report = client.report(submission)
    except ApiError as error:
        say(str(error))
        return EXIT_USAGE if 400 <= error.status < 500 else EXIT_FAILED
    except OSError as error:  # requests' errors are OSErrors: refused, reset, DNS, timeout
        say(unreachable(args.api, error))
        return EXIT_FAILED
    print_summary(submission, report)
    return EXIT_BY_STATUS.get(submission["status"], EXIT_FAILED)


def unreachable(api: str, error: OSError) -> str:
    """The service could not be reached, in a sentence (never the exception's text)."""
    kind = type(error).__name__
    if kind in ("MissingSchema", "InvalidURL", "InvalidSchema"):
        return f"--api {api} is not a web address: it starts with https:// (or http://127.0.0.1:… for tfnis serve)."
    if "Timeout" in kind:
        return f"the service at {api} did not answer in time: try again in a few minutes."
    return f"cannot reach the service at {api}: check the address and your network connection, then try again."


def print_summary(submission: dict[str, Any], report: dict[str, Any] | None) -> None:
    """The result as a council officer reads it: status, counts, what to fix first (plain headings, the code
    second, the first rows), then fresh report links."""
    from tfnis.spec.rules import RULES
    from tfnis.validation.report import place

    out = sys.stdout
    print(f"Submission {submission['submission_id']}: {submission['status']}", file=out)
    print(f"  {submission.get('la_code', '')}, period ending {submission.get('period_end', '')}", file=out)
    if submission.get("reason"):
        print(f"  {submission['reason']}", file=out)
    counts = submission.get("counts") or {}
    if counts:
        print("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int)), file=out)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in (report or {}).get("findings", []):
        by_rule.setdefault(finding["rule"], []).append(finding)
    order = {"error": 0, "warning": 1, "info": 2}
    for rule, items in sorted(by_rule.items(), key=lambda kv: order.get(kv[1][0]["severity"], 3)):
        total = (submission.get("findings_summary") or {}).get(rule, len(items))
        heading = RULES[rule].heading if rule in RULES else rule
        print(f"\n  {heading} ({rule}, {items[0]['severity']}) — {total:,} {'time' if total == 1 else 'times'}")
        for finding in items[:5]:
            where = place(finding["file"]) + (f", row {finding['row']}" if finding["row"] else "")
            where += f", column {finding['column']}" if finding["column"] else ""
            print(f"    {where}: {finding['message']}", file=out)
        if total > 5:
            print(f"    … and {total - 5:,} more (see the report)", file=out)
    links = submission.get("reports") or {}
    if links:
        minutes = int(submission.get("report_links_expire_in_seconds") or 0) // 60
        print(f"\n  Reports (links work for {minutes} minutes; run tfnis result again for new ones):", file=out)
        for kind, url in links.items():
            print(f"  {kind}: {url}", file=out)

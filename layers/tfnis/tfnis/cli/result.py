"""`tfnis result SUBMISSION_ID`: a council sees one of its submissions again — status, counts, findings and
fresh report links — whenever it likes. Exit codes as `tfnis validate`: 0 valid, 1 rejected, 2 bad arguments or
a token or id the service refuses, 3 not checked yet, expired (its files never arrived), failed, or the service
cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_USAGE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "result",
        help="show a submission's status, counts, findings and fresh report links",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("submission_id", metavar="SUBMISSION_ID", help="as `tfnis upload` printed it")
    parser.add_argument("--api", required=True, help="the submissions API URL")
    parser.add_argument("--token", required=True, help="your council's sign-in token (from the upload page)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.cli.upload import EXIT_BY_STATUS, print_summary, say, unreachable
    from tfnis.client import ApiError, SubmissionClient, token_problem
    from tfnis.client.api import NOT_CHECKED_YET

    problem = token_problem(args.token)
    if problem:
        say(problem)
        return EXIT_USAGE
    client = SubmissionClient(args.api, args.token)
    try:
        submission = client.get(args.submission_id)
        report = client.report(submission)
    except ApiError as error:
        say(str(error))
        return EXIT_USAGE if 400 <= error.status < 500 else EXIT_FAILED
    except OSError as error:
        say(unreachable(args.api, error))
        return EXIT_FAILED
    print_summary(submission, report)
    if submission["status"] in NOT_CHECKED_YET:
        print("  Not checked yet: run tfnis result again in a minute.", file=sys.stdout)
    return EXIT_BY_STATUS.get(submission["status"], EXIT_FAILED)

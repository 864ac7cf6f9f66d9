"""`tfnis smoke`: prove a deployed (or served) stack works end to end with one small synthetic return.

Generates a return for the token's council, creates a submission, uploads each file through its pre-signed
POST, and waits until the pipeline has written the research extract (COMPLETE). What an engineer runs after
`sam deploy`; every value in the return is synthetic.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK

FAMILIES = 300  # every stage has work, and a deployed stack at DisclosureK=5 does not refuse it (25 it would)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "smoke",
        help="send a small synthetic return through the whole service and wait for COMPLETE",
        description="Generate a small synthetic return for the token's council, upload it through the API's "
        "pre-signed POSTs and wait for the submission to be COMPLETE. Exit 0 when it is, 3 otherwise.",
    )
    parser.add_argument("--api", required=True, help="the submissions API URL (the stack's ApiUrl output)")
    parser.add_argument("--token", required=True, help="a council user's ID token")
    parser.add_argument("--families", type=int, default=FAMILIES, help=f"families in the return (default {FAMILIES})")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the generated return (default 0)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for COMPLETE (default 900)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.client import ApiError, SubmissionClient
    from tfnis.client.api import FINISHED, council_of_token

    la_code = council_of_token(args.token)
    if la_code is None:
        print("tfnis smoke: the token carries no custom:la_code claim (use the ID token)", file=sys.stderr)
        return EXIT_FAILED
    client = SubmissionClient(args.api, args.token)
    with tempfile.TemporaryDirectory(prefix="tfnis-smoke-") as tmp:
        period_end, files = synthetic_return(Path(tmp), la_code, families=args.families, seed=args.seed)
        try:
            created = client.create(period_end, list(files))
            print(f"submission {created['submission_id']} ({la_code}, period {period_end}) created", file=sys.stderr)
            for name, path in files.items():
                client.upload(created["uploads"][name], path)
            print(f"uploaded {', '.join(files)}; waiting for COMPLETE", file=sys.stderr)
            submission = client.wait(created["submission_id"], until=FINISHED, timeout=args.timeout, poll=2)
        except ApiError as error:
            print(f"tfnis smoke: {error}", file=sys.stderr)
            return EXIT_FAILED
        except OSError as error:  # connection refused, reset, DNS ...
            print(f"tfnis smoke: cannot reach the service: {error}", file=sys.stderr)
            return EXIT_FAILED
    status = submission["status"]
    print(f"{submission['submission_id']} {status}")
    if status != "COMPLETE":
        reason = submission.get("reason") or ("timed out" if status not in FINISHED else "")
        print(f"tfnis smoke: submission ended {status}{': ' + reason if reason else ''}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def synthetic_return(folder: Path, la_code: str, *, families: int, seed: int) -> tuple[str, dict[str, Path]]:
    """A valid generated return of the council: (period_end, {declared file name: path}).

    The generator knows a list of councils (their districts, id styles); a council outside it gets the first
    council's return with its own la_code, which validates the same way.
    """
    import pandas as pd

    from tfnis.generate import generate_returns
    from tfnis.generate.reference import councils

    known = [council.la_code for council in councils()]
    position = known.index(la_code) if la_code in known else 0
    made = generate_returns(folder, councils=position + 1, families=families, periods=1, seed=seed)
    generated = next(r for r in made.returns if r.la_code == known[position])
    files = {"families.csv": generated.families, "individuals.csv": generated.individuals}
    if la_code != generated.la_code:
        for path in files.values():
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            table.assign(la_code=la_code).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return generated.period_end.isoformat(), files

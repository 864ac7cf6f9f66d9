"""`tfnis upload --reference DATASET`: the research data team sends a national reference extract the way a
council sends a return (pre-signed POST, key pinned, size cap) and, with --wait, prints its match rate."""

from __future__ import annotations

import argparse
import re
import sys

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, EXIT_USAGE


def say(message: str) -> None:
    print(f"tfnis: {message}", file=sys.stderr)


def run_reference(args: argparse.Namespace) -> int:
    from tfnis.client import ApiError
    from tfnis.client.reference import ReferenceClient, describe_result
    from tfnis.reference import dataset_names

    if args.reference not in dataset_names():
        say(f"unknown reference dataset {args.reference!r}; one of {', '.join(dataset_names())}")
        return EXIT_USAGE
    if len(args.files) != 1 or not args.files[0].is_file() or args.files[0].suffix.lower() != ".csv":
        say("give one reference extract, a .csv file")
        return EXIT_USAGE
    path = args.files[0]
    # DIR/reference/<dataset>/<period_end>/records.csv (tfnis generate --reference) names its period.
    period_end = args.period_end or (path.parent.name if re.fullmatch(r"\d{4}-\d{2}-\d{2}", path.parent.name) else "")
    if not period_end:
        say("give --period-end YYYY-MM-DD (it could not be read from the folder name).")
        return EXIT_USAGE
    client = ReferenceClient(args.api, args.token)
    try:
        created = client.create_reference(args.reference, period_end)
        if path.stat().st_size > int(created.get("max_bytes") or sys.maxsize):
            say(f"{path.name} is larger than the service takes ({created['max_bytes']:,} bytes); nothing was sent.")
            return EXIT_USAGE
        client.upload(created["uploads"]["records.csv"], path)
        if not args.wait:
            print(created["upload_id"])
            return EXIT_OK
        result = client.wait_reference(created["upload_id"], timeout=args.timeout)
    except ApiError as error:
        say(str(error))
        return EXIT_USAGE if 400 <= error.status < 500 else EXIT_FAILED
    except OSError:  # requests' errors are OSErrors: refused, reset, DNS, timeout
        say(f"cannot reach the service at {args.api}: check the address, then try again.")
        return EXIT_FAILED
    if result is None:
        say(f"no result for reference upload {created['upload_id']} after {args.timeout:.0f} s")
        return EXIT_FAILED
    print(describe_result(result))
    return EXIT_OK if result["status"] == "COMPLETE" else EXIT_REJECTED

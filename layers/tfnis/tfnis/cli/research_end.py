"""`tfnis research-end --confirm`: destroy every personal object and the pseudonymisation key now, and print the
destruction certificate (the same work the ResearchEndFunction does on its schedule at ResearchEndDate).

Which stack: `--stack-file F` reads the file `tfnis serve --tokens-file F` writes (its "aws" endpoint and the
functions' "environment"); without it, the environment is used as it is (AWS_ENDPOINT_URL, UPLOAD_BUCKET,
LINKAGE_BUCKET, WORK_BUCKET, AUDIT_BUCKET, SUBMISSIONS_TABLE, PSEUDONYM_KEY_ID, STACK_NAME). On a deployed
stack, prefer invoking the function: `aws lambda invoke --function-name <ResearchEndFunction>
--payload '{"confirm": true}' out.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_USAGE

REQUIRED = ("upload_bucket", "linkage_bucket", "work_bucket", "audit_bucket", "submissions_table")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "research-end",
        help="destroy all personal data and the pseudonymisation key now; print the destruction certificate",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--confirm", action="store_true", help="required: this cannot be undone")
    parser.add_argument(
        "--stack-file", type=Path, help='the JSON `tfnis serve --tokens-file` writes ({"aws": URL, "environment": …})'
    )
    parser.add_argument("--certificate-out", type=Path, help="also write the certificate JSON to this file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.confirm:
        print(
            "tfnis research-end: this destroys every raw upload, identifier, key map, the linkage index and the "
            "pseudonymisation key, and closes the service. Run again with --confirm.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from tfnis.cli.stack_file import point_at_stack

    if not point_at_stack(args.stack_file, "research-end"):
        return EXIT_USAGE

    from tfnis.anonymise import DestructionIncomplete
    from tfnis.pipeline.research_end import destroy_personal_data
    from tfnis.storage import Settings, store_and_table
    from tfnis.storage.clients import reset_clients

    reset_clients()
    settings = Settings.from_env()
    missing = [name.upper() for name in REQUIRED if not getattr(settings, name)]
    if missing:
        print(f"tfnis research-end: which stack? {', '.join(missing)} not set (or give --stack-file)", file=sys.stderr)
        return EXIT_USAGE
    try:
        certificate = destroy_personal_data(*store_and_table(settings), trigger="cli")
    except DestructionIncomplete as error:
        print(f"tfnis research-end: {error}", file=sys.stderr)
        return EXIT_FAILED
    document = json.dumps(certificate.document(), indent=2)
    if args.certificate_out:
        args.certificate_out.write_text(document + "\n", encoding="utf-8")
    print(document)
    for bucket in certificate.buckets:
        print(
            f"{bucket.role:8} {bucket.objects_before:6} object versions before, {bucket.objects_after} after",
            file=sys.stderr,
        )
    print(f"pseudonymisation key: {certificate.pseudonym_key.state}; certificate: {certificate.key}", file=sys.stderr)
    return EXIT_OK

"""`tfnis verify-certificate`: check, offline, that a destruction certificate is the one the service signed.

Anyone a family asks can run it: the certificate (AuditBucket certificates/<stack>/…-destruction.json) and the
public key published beside it (certificates/<stack>/signing-key.pem). Exit 0 when the signature is valid,
1 when the certificate was changed or signed by another key, 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tfnis.cli.main import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

EXIT_VALID, EXIT_TAMPERED, EXIT_UNREADABLE = EXIT_OK, EXIT_REJECTED, EXIT_USAGE  # this command's names for them


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify-certificate",
        help="check a destruction certificate's signature offline against the published public key",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("certificate", type=Path, metavar="CERT.json")
    parser.add_argument("--public-key", type=Path, required=True, metavar="KEY.pem")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.anonymise.signing import signature_valid

    try:
        document = json.loads(args.certificate.read_text(encoding="utf-8"))
        public_key = args.public_key.read_bytes()
        if not isinstance(document, dict):
            raise ValueError("not a certificate")
        valid = signature_valid(document, public_key)
    except (OSError, ValueError) as error:
        print(f"tfnis verify-certificate: cannot read ({type(error).__name__}: {error})", file=sys.stderr)
        return EXIT_UNREADABLE
    if not valid:
        print(f"{args.certificate.name}: NOT VALID: changed since it was signed, or signed by another key")
        return EXIT_TAMPERED
    complete = document.get("complete")
    print(f"{args.certificate.name}: valid signature; research end {'complete' if complete else 'INCOMPLETE'}")
    return EXIT_VALID

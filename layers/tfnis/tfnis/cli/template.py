"""`tfnis template --out return.xlsx`: the return template workbook, with drop-down lists for every coded column,
identifier columns formatted as Text, date columns as dates and an instructions sheet. Exit 0, or 2 when the
file cannot be written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_OK, EXIT_USAGE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "template", help="write the return template workbook (.xlsx) to fill in", description=__doc__
    )
    parser.add_argument("--out", "-o", type=Path, required=True, help="where to write it, e.g. return.xlsx")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.spec.template_workbook import template_workbook

    out: Path = args.out
    if out.suffix.lower() != ".xlsx":
        print(f"tfnis template: name the file .xlsx (not {out.suffix or 'without an extension'})", file=sys.stderr)
        return EXIT_USAGE
    try:
        out.write_bytes(template_workbook())
    except OSError as error:
        print(f"tfnis template: cannot write {out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {out}: fill in the 'families' and 'individuals' sheets, then run tfnis validate {out}")
    return EXIT_OK

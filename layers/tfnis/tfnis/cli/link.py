"""`tfnis link INPUT.csv --out OUT.csv [--threshold P] [--engine duckdb|spark]`: the matching engine on a plain file.

Input: record_id and any of forename, middle_names, surname, date_of_birth (YYYY-MM-DD or YYYYMMDD), sex,
postcode (UK or not), nino, upn, nhs_number, address, other_id. Output: record_id, person_key, match_rule
(the match key that linked the record, or 'probabilistic') and match_probability. `--engine spark` runs the same
model on splink's Spark backend (pyspark in local mode: `make install-spark`).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from tfnis.cli.main import EXIT_OK, EXIT_USAGE
from tfnis.linkage import DEFAULT_THRESHOLD

INPUT_COLUMNS = (
    "forename",
    "middle_names",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "nino",
    "upn",
    "nhs_number",
    "address",
    "other_id",
)


class UnreadableInput(Exception):
    """The input is not a CSV file with a record_id column; the message says why (never a value)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("link", help="link the records of a CSV file to persons", description=__doc__)
    parser.add_argument("input", type=Path, help="CSV with record_id and identifier columns")
    parser.add_argument("--out", type=Path, required=True, help="where to write record_id → person_key")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"match probability at or above which the model links two records (default {DEFAULT_THRESHOLD})",
    )
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="splink backend for the model: duckdb in process (default) or spark (pyspark local mode)",
    )
    parser.set_defaults(func=run)


def read_records(path: Path):
    """The input as strings, blanks kept blank; raises UnreadableInput with a reason."""
    import pandas as pd

    try:
        # Arrow-backed strings: a third of the memory of Python strings at a million rows (pyarrow is in
        # the CLI's environment; only the match Lambda goes without it).
        records = pd.read_csv(path, dtype="string[pyarrow]", keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise UnreadableInput(f"{path}: no such file") from error
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, IsADirectoryError) as error:
        raise UnreadableInput(f"{path}: not a readable UTF-8 CSV file ({type(error).__name__})") from error
    records.columns = [str(c).strip().lower() for c in records.columns]
    if "record_id" not in records.columns:
        raise UnreadableInput(f"{path}: no record_id column")
    if records["record_id"].duplicated().any():
        raise UnreadableInput(f"{path}: record_id is not unique")
    known = [c for c in INPUT_COLUMNS if c in records.columns]
    if not known:
        raise UnreadableInput(f"{path}: none of the identifier columns {', '.join(INPUT_COLUMNS)}")
    return records[["record_id", *known]]


def run(args: argparse.Namespace) -> int:
    from tfnis.linkage import link_records

    if not 0.0 < args.threshold < 1.0:
        print("tfnis link: --threshold must be between 0 and 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        records = read_records(args.input)
    except UnreadableInput as error:
        print(f"tfnis link: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.engine == "spark" and importlib.util.find_spec("pyspark") is None:
        print("tfnis link: --engine spark needs pyspark and Java 17 (make install-spark)", file=sys.stderr)
        return EXIT_USAGE
    linked = link_records(records, threshold=args.threshold, engine=args.engine)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    linked.to_csv(args.out, index=False, float_format="%.6f")
    persons = linked["person_key"].nunique()
    print(f"tfnis link: {len(linked)} records, {persons} persons → {args.out}", file=sys.stderr)
    return EXIT_OK

"""`tfnis check-output`: may this table leave the research environment? The rules of ONS's Secure Research
Service: no frequency cell from fewer than --threshold units (10), no suppressed cell recoverable from totals or
differences, and with --dominance N,K no magnitude cell whose N largest contributions exceed K% of it.

Exit 0 when the table is safe, 1 when it has disclosive cells (each listed, with why), 2 for a file it cannot
read or check. --fix OUT writes the table with every disclosive cell blanked (CSV or .xlsx by its extension).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.cli.main import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

if TYPE_CHECKING:
    import pandas as pd

EXIT_SAFE, EXIT_DISCLOSIVE, EXIT_UNREADABLE = EXIT_OK, EXIT_REJECTED, EXIT_USAGE  # this command's names for them


def _dominance(text: str) -> tuple[int, float]:
    try:
        n, k = text.split(",")
        return int(n), float(k)
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected N,K such as 2,85") from error


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-output",
        help="check a table (CSV or .xlsx) against output-checking rules before it leaves the research environment",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("table", type=Path, metavar="TABLE", help="TABLE.csv or TABLE.xlsx (first sheet)")
    parser.add_argument("--threshold", type=int, default=10, help="fewest units a frequency cell may come from")
    parser.add_argument("--dominance", type=_dominance, metavar="N,K", help="N largest may not exceed K%% of a cell")
    parser.add_argument("--counts", type=_columns, metavar="COL,…", help="count columns (default: integer columns)")
    parser.add_argument(
        "--magnitudes", type=_columns, default=(), metavar="COL,…",
        help="magnitude columns for --dominance; each needs COL_largest_1 … COL_largest_N beside it",
    )  # fmt: skip
    parser.add_argument("--fix", type=Path, metavar="OUT", help="write the table with disclosive cells suppressed")
    parser.set_defaults(func=run)


def read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, engine="calamine")
    return pd.read_csv(path, encoding="utf-8-sig")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_csv(path, index=False, lineterminator="\n")


def run(args: argparse.Namespace) -> int:
    from tfnis.disclosure.output_check import TableNotCheckable, check_output

    if args.dominance and not args.magnitudes:
        print("tfnis check-output: --dominance needs --magnitudes naming the magnitude columns", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        table = read_table(args.table)
        result = check_output(
            table, threshold=args.threshold, counts=args.counts, dominance=args.dominance, magnitudes=args.magnitudes
        )
    except TableNotCheckable as error:
        print(f"tfnis check-output: {args.table.name}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except Exception as error:
        print(f"tfnis check-output: cannot read {args.table.name} ({type(error).__name__})", file=sys.stderr)
        return EXIT_UNREADABLE
    checked = ", ".join((*result.count_columns, *result.magnitude_columns))
    if result.safe:
        print(f"{args.table.name}: safe to release (checked {checked}; threshold {args.threshold})")
    else:
        print(f"{args.table.name}: {len(result.cells)} disclosive cell(s) (checked {checked})")
        for cell in result.cells:
            print(f"  {cell}")
    if args.fix:
        write_table(result.fixed, args.fix)
        print(f"suppressed table written to {args.fix}")
    return EXIT_SAFE if result.safe else EXIT_DISCLOSIVE

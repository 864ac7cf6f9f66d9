"""`tfnis impact --extract DIR --out DIR`: the comparison of supported and comparison families, from the research
panel (docs/impact.md).

For each progress measure a difference-in-differences estimate (family and period fixed effects, standard errors
clustered by family) and an event study by months since support started. Writes OUT/impact.json,
OUT/impact.html and the two tables as CSV, each output-checked before it is written. Exit 0 written,
2 bad arguments or an extract that is missing or not the research panel, 3 the stack could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_USAGE

DEFAULT_EXTRACT = Path("out/demo/ResearchBucket/extract")


def register(subparsers: argparse._SubParsersAction) -> None:
    from tfnis.impact.estimate import MEASURES

    parser = subparsers.add_parser(
        "impact",
        help="estimate the effect of support on each progress measure (difference in differences)",
        description=__doc__.splitlines()[0] + " Exit 0 written, 2 bad arguments or extract, 3 stack unreadable.",
    )
    parser.add_argument(
        "--extract", type=Path, default=None, metavar="DIR",
        help=f"the extract folder holding families/ and individuals/ (default {DEFAULT_EXTRACT})",
    )  # fmt: skip
    parser.add_argument("--stack-file", type=Path, metavar="F", help="read the stack's ResearchBucket extract instead")
    parser.add_argument("--out", type=Path, default=Path("out/impact"), metavar="DIR", help="default out/impact")
    parser.add_argument("--measure", action="append", choices=list(MEASURES), help="only these measures (repeatable)")
    parser.add_argument(
        "--planted", type=Path, metavar="EFFECTS.json",
        help="the effects.json `tfnis generate --effect` wrote, shown beside the estimates",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.impact.panel import ExtractUnreadable, read_panel

    planted = _planted(args.planted)
    if planted is None:
        return EXIT_USAGE
    try:
        if args.stack_file is not None:
            with tempfile.TemporaryDirectory(prefix="tfnis-impact-") as folder:
                panel = read_panel(_download_extract(args.stack_file, Path(folder)))
        else:
            panel = read_panel(args.extract or DEFAULT_EXTRACT)
    except ExtractUnreadable as error:
        print(f"tfnis impact: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StackUnreadable as error:
        print(f"tfnis impact: {error}", file=sys.stderr)
        return EXIT_FAILED
    return _compare_and_write(panel, args.out, args.measure, planted)


def _compare_and_write(panel: Any, out: Path, measures: list[str] | None, planted: list[dict[str, Any]]) -> int:
    from rich.console import Console

    from tfnis.impact.estimate import compare
    from tfnis.impact.report import write_report

    estimates, skipped = compare(panel, measures)
    tables = write_report(estimates, out, periods=panel.period_ends, skipped=skipped, planted=planted)
    console = Console(width=max(Console().width, 120))
    print_summary(tables.summary, console, planted)
    for measure, why in skipped.items():
        console.print(f"  not estimated: {measure} ({why})")
    console.print(f"impact report: {out / 'impact.html'}  (impact.json, impact_summary.csv, impact_event_study.csv)")
    return EXIT_OK


def print_summary(summary: Any, console: Any, planted: list[dict[str, Any]] | None = None) -> None:
    """The output-checked summary table as a rich table (suppressed cells say so)."""
    import pandas as pd
    from rich.table import Table

    shift = {p["measure"]: p.get("expected_shift") for p in planted or []}
    table = Table(title="Effect of support (difference in differences, 95% interval)")
    for column in ("measure", "estimate", "95% interval", "supported", "comparison", *(["planted"] if shift else [])):
        table.add_column(column, justify="left" if column == "measure" else "right")

    def text(v: Any, fmt: str = "{:+.3f}") -> str:
        return "suppressed" if v is None or pd.isna(v) else fmt.format(v)

    for row in summary.to_dict("records"):
        interval = "" if pd.isna(row["ci_low"]) else f"{row['ci_low']:+.3f} to {row['ci_high']:+.3f}"
        extra = [text(shift[row["measure"]]) if shift.get(row["measure"]) is not None else ""] if shift else []
        table.add_row(
            row["measure"], text(row["estimate"]), interval, text(row["n_supported"], "{:,}"),
            text(row["n_comparison"], "{:,}"), *extra,
        )  # fmt: skip
    console.print(table)


def _planted(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None:
        return []
    try:
        effects = json.loads(path.read_text(encoding="utf-8"))["effects"]
        return [dict(e) for e in effects]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"tfnis impact: --planted {path} is not an effects.json ({type(error).__name__})", file=sys.stderr)
        return None


class StackUnreadable(RuntimeError):
    """The stack's ResearchBucket could not be listed or read."""


def _download_extract(stack_file: Path, into: Path) -> Path:
    """Copy the stack's extract/ objects under `into`, keeping their keys as paths; returns into/extract."""
    from tfnis.cli.stack_file import use_stack_file

    try:
        use_stack_file(stack_file)
    except (OSError, ValueError, KeyError) as error:
        raise StackUnreadable(f"cannot use {stack_file}: {error}") from None
    from tfnis.storage.store import Store

    store = Store.from_env()
    bucket = store.settings.research_bucket
    try:
        keys = store.list_keys(bucket, "extract/")
        for key in keys:
            if key.endswith(".parquet"):
                (into / key).parent.mkdir(parents=True, exist_ok=True)
                store.download(bucket, key, into / key)
    except Exception as error:  # botocore's errors: this module must not import them (only tfnis.storage does)
        raise StackUnreadable(f"cannot read the research extract: {type(error).__name__}") from None
    if not any(key.endswith(".parquet") for key in keys):
        from tfnis.impact.panel import ExtractUnreadable

        raise ExtractUnreadable("the stack's ResearchBucket holds no research extract (nothing under extract/)")
    return into / "extract"

"""The national roll-up: one row per council × figure for a period, plus the ENGLAND total, suppressed.

The table leaves the councils' own reports (research/coverage/period_end=…/), so every row goes through
small-number suppression. Totals are summed from the councils' unsuppressed counts first, then suppressed
like any other row, and complementary suppression stops a hidden council being recovered by subtraction.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from tfnis.coverage.report import CoverageReport, formula_safe
from tfnis.coverage.suppression import NATIONAL, THRESHOLD, apply_suppression

if TYPE_CHECKING:
    import pandas as pd

TABLE_COLUMNS: tuple[str, ...] = (
    "period_end", "la_code", "submission_id", "validated_at",
    "id", "label", "level", "numerator", "denominator", "percent", "suppressed",
)  # fmt: skip
SOURCE_COLUMNS = ("submission_id", "validated_at")  # which submission a council's rows come from


def national_table(reports: list[CoverageReport], threshold: int = THRESHOLD) -> pd.DataFrame:
    """Councils' figures and the national total per figure, with suppression applied.

    Takes the councils' own (unsuppressed) reports: a total summed over already-blanked counts would be wrong.
    A council with several reports for one period counts once, by its most recently validated submission.
    """
    import pandas as pd

    latest: dict[tuple[str, str], CoverageReport] = {}
    for r in reports:
        seen = latest.get((r.period_end, r.la_code))
        if seen is None or not seen.newer_than(r):
            latest[(r.period_end, r.la_code)] = r
    rows = pd.DataFrame(
        [
            {"period_end": r.period_end, "la_code": r.la_code, "submission_id": r.submission_id,
             "validated_at": r.validated_at, "order": i, **_figure_row(f)}
            for r in latest.values()
            for i, f in enumerate(r.figures)
        ],
        columns=["period_end", "la_code", "order", *TABLE_COLUMNS[2:]],
    )  # fmt: skip
    if rows["suppressed"].any() or (rows["numerator"].isna() & ~rows["suppressed"]).any():
        raise ValueError("the national table needs the councils' own unsuppressed reports")
    rows = rows.astype({"numerator": "Int64", "denominator": "Int64", "percent": "Float64"})
    totals = (
        rows.groupby(["period_end", "id"], sort=False)
        .agg(label=("label", "first"), level=("level", "first"), order=("order", "min"),
             numerator=("numerator", "sum"), denominator=("denominator", "sum"))
        .reset_index()
        .assign(la_code=NATIONAL, suppressed=False, submission_id="", validated_at="")
    )  # fmt: skip
    share = totals["numerator"].astype("Float64") * 100 / totals["denominator"].astype("Float64")
    totals["percent"] = share.where(totals["denominator"] > 0).round(1)
    table = pd.concat([rows, totals[rows.columns]], ignore_index=True)
    table = table.assign(national=table["la_code"] == NATIONAL).sort_values(
        ["period_end", "national", "la_code", "order"], kind="stable"
    )
    table = apply_suppression(table.reset_index(drop=True), threshold)
    text = dict.fromkeys(("period_end", "la_code", *SOURCE_COLUMNS, "id", "label", "level"), "string")
    return table[list(TABLE_COLUMNS)].astype(text)


def _figure_row(f: object) -> dict[str, object]:
    return {k: getattr(f, k) for k in TABLE_COLUMNS[4:]}


def national_percent(table: pd.DataFrame, period_end: str | None = None) -> dict[str, float]:
    """The national percent of each figure that is shown (not suppressed, denominator not 0)."""
    rows = table[(table["la_code"] == NATIONAL) & ~table["suppressed"] & table["percent"].notna()]
    if period_end is not None:
        rows = rows[rows["period_end"] == period_end]
    elif rows["period_end"].nunique() > 1:
        raise ValueError("the table holds several periods; say which")
    return {str(k): float(v) for k, v in zip(rows["id"], rows["percent"], strict=True)}


def national_csv(table: pd.DataFrame) -> str:
    """The table as CSV, formula-safe, blanks for suppressed cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in table[list(TABLE_COLUMNS)].itertuples(index=False):  # written once per period, not a hot path
        cells = [None if _blank(v) else v for v in row]
        cells[-1] = "true" if row.suppressed else "false"
        writer.writerow([formula_safe(c) for c in cells])
    return out.getvalue()


def _blank(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)

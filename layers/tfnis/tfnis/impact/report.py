"""What the comparison publishes: impact.json, impact.html (a chart per outcome) and the two tables behind them
as CSV, every table passed through output checking first (tfnis.disclosure.publish: counts of fewer than 10
families suppressed, with secondary suppression). An estimate whose family counts are suppressed is blanked
with them: it would describe fewer than 10 families.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfnis.disclosure.output_check import THRESHOLD
from tfnis.impact.estimate import EVENT_WINDOW, METHOD, REFERENCE_HALF_YEAR, Estimate, EventTime

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_COUNTS = ("n_supported", "n_comparison")
EVENT_COUNTS = ("n_families",)
VALUES = ("estimate", "ci_low", "ci_high")


@dataclass(frozen=True)
class ImpactTables:
    """The two published tables, already output-checked."""

    summary: pd.DataFrame  # one row per measure
    events: pd.DataFrame  # one row per measure and half-year since support started


def event_label(half_year: int) -> str:
    """A half-year since support started as the months it covers (text, so no checker takes it for a count)."""
    low = half_year * 6
    if half_year >= EVENT_WINDOW:
        return f"{low} months or more"
    if half_year <= -EVENT_WINDOW:
        return f"{low + 5} months or earlier"
    return f"{low} to {low + 5} months" + (" (reference)" if half_year == REFERENCE_HALF_YEAR else "")


def published_tables(estimates: list[Estimate], threshold: int = THRESHOLD) -> ImpactTables:
    """Both tables with every count from fewer than `threshold` families (and its secondaries) suppressed."""
    import pandas as pd

    summary = pd.DataFrame(
        [_summary_row(e) for e in estimates], columns=["measure", "table", "kind", *VALUES, *SUMMARY_COUNTS, "method"]
    )
    events = pd.DataFrame(
        [_event_row(e.measure, t) for e in estimates for t in e.event_study],
        columns=["measure", "months_since_support_start", *VALUES, *EVENT_COUNTS],
    )
    return ImpactTables(_checked(summary, SUMMARY_COUNTS, threshold), _checked(events, EVENT_COUNTS, threshold))


def _summary_row(e: Estimate) -> dict[str, Any]:
    return {
        "measure": e.measure, "table": e.table, "kind": e.kind, "estimate": e.estimate, "ci_low": e.ci_low,
        "ci_high": e.ci_high, "n_supported": e.n_supported, "n_comparison": e.n_comparison, "method": e.method,
    }  # fmt: skip


def _event_row(measure: str, t: EventTime) -> dict[str, Any]:
    reference = t.half_year == REFERENCE_HALF_YEAR  # 0 by construction: no interval
    return {
        "measure": measure, "months_since_support_start": event_label(t.half_year), "estimate": t.estimate,
        "ci_low": None if reference else t.ci_low, "ci_high": None if reference else t.ci_high,
        "n_families": t.n_families,
    }  # fmt: skip


def _checked(table: pd.DataFrame, counts: tuple[str, ...], threshold: int) -> pd.DataFrame:
    from tfnis.disclosure.publish import publishable

    if table.empty:
        return table
    fixed = publishable(table, counts, threshold)
    hidden = fixed[list(counts)].isna().any(axis=1)
    for column in VALUES:
        fixed[column] = table[column].astype("Float64").mask(hidden)
    return fixed


def impact_document(tables: ImpactTables, periods: list[str], planted: list[dict[str, Any]]) -> dict[str, Any]:
    """impact.json: {"outcomes": [{measure, estimate, ci_low, ci_high, n_supported, n_comparison, method}]}."""
    outcomes = [
        {key: _plain(row[key]) for key in ("measure", "table", "kind", *VALUES, *SUMMARY_COUNTS, "method")}
        for row in tables.summary.to_dict("records")
    ]
    return {"method": METHOD, "periods": periods, "threshold": THRESHOLD, "planted": planted, "outcomes": outcomes}


def _plain(value: Any) -> Any:
    """A JSON value: pandas' NA and NaN as null, numpy numbers as Python's."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def write_report(
    estimates: list[Estimate],
    out: Path,
    *,
    periods: list[str],
    skipped: dict[str, str],
    planted: list[dict[str, Any]] | None = None,
) -> ImpactTables:
    """Write OUT/impact.json, OUT/impact.html, OUT/impact_summary.csv and OUT/impact_event_study.csv."""
    from tfnis.impact.html import render_html

    out.mkdir(parents=True, exist_ok=True)
    tables = published_tables(estimates)
    document = impact_document(tables, periods, planted or [])
    (out / "impact.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    tables.summary.to_csv(out / "impact_summary.csv", index=False, lineterminator="\n")
    tables.events.to_csv(out / "impact_event_study.csv", index=False, lineterminator="\n")
    (out / "impact.html").write_text(render_html(tables, periods, skipped, planted or []), encoding="utf-8")
    return tables

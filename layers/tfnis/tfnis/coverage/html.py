"""The council's coverage report as one self-contained HTML page (templates/coverage.html, the stylesheet shared
with the validation report): inline CSS and SVG, no external assets.

A council officer reads it on screen or printed: every figure with its numerator and denominator, a bar
chart of % provided per data item, the change since the council's previous period and the national figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfnis.coverage.figures import FAMILY_MEASURES, INDIVIDUAL_MEASURES, CoverageFigure
from tfnis.coverage.report import CoverageReport
from tfnis.reports import render_page

# Data items whose "% provided" is charted, in the order of DATA_SPEC.md.
PROVIDED_IDS: tuple[str, ...] = (
    "housing_status_provided",
    *(f"{m}_provided" for m, _, _ in FAMILY_MEASURES),
    "ethnicity_provided",
    *(f"{m}_provided" for m, _, _ in INDIVIDUAL_MEASURES),
    "nino_valid",
    "upn_valid",
    "postcode_valid",
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


# Whether a rise in a figure is good news for data coverage: a rise in "neither NINO nor UPN" or in "not known"
# is worse; a rise in a measure's prevalence (hp_*, *_any) or in the return's counts is neither.
LOWER_IS_BETTER_IDS = ("no_nino_or_upn",)


def direction(figure_id: str) -> int:
    """+1 when a rise is better, -1 when a rise is worse, 0 when a change is neither."""
    if figure_id in LOWER_IS_BETTER_IDS or figure_id.endswith("_not_known"):
        return -1
    if figure_id.endswith(("_provided", "_valid")):
        return 1
    return 0


def _change(f: CoverageFigure, previous: CoverageReport | None) -> tuple[str, str, str]:
    """(text, css class, plain text): red only when the change is worse, green when better."""
    before = previous.figure(f.id) if previous else None
    if f.percent is None or before is None or before.percent is None:
        return "", "", "–"
    delta = round(f.percent - before.percent, 1)
    if delta == 0:
        return "", "", "no change"
    sign = direction(f.id) * (1 if delta > 0 else -1)
    return f"{delta:+.1f} pts", {1: "better", -1: "worse", 0: "neutral"}[sign], ""


def _row(f: CoverageFigure, previous: CoverageReport | None, national: dict[str, float]) -> dict[str, Any]:
    change, change_class, change_text = _change(f, previous)
    tick = national.get(f.id)
    return {
        "label": f.label,
        "id": f.id,
        "suppressed": f.suppressed,
        "numerator": f.numerator,
        "denominator": f.denominator,
        "width": 0.0 if f.percent is None else min(max(f.percent, 0.0), 100.0),
        "tick": None if tick is None else min(tick, 100.0),
        "percent": _pct(f.percent),
        "change": change,
        "change_class": change_class,
        "change_text": change_text,
        "national": _pct(national.get(f.id)),
    }


def _chart(figures: list[CoverageFigure], national: dict[str, float]) -> dict[str, Any] | None:
    """Horizontal bars of % provided per data item; the national figure a dark tick (3:1 against bar and track)."""
    if not figures:
        return None
    label_w, bar_w, row_h = 300, 320, 22
    bars = []
    for i, f in enumerate(figures):
        y = 5 + i * row_h
        bars.append(
            {
                "y": y,
                "label": f.label.split(":")[0],
                "title": f.label,
                "width": 0.0 if f.percent is None else bar_w * min(f.percent, 100.0) / 100,
                "value": "suppressed" if f.suppressed else _pct(f.percent),
                "national_x": label_w + bar_w * min(national[f.id], 100.0) / 100 if f.id in national else None,
                "national": _pct(national.get(f.id)),
            }
        )
    return {"label_w": label_w, "bar_w": bar_w, "width": label_w + bar_w + 60, "height": row_h * len(figures) + 10,
            "bars": bars}  # fmt: skip


IDENTIFIER_IDS = ("nino_valid", "upn_valid", "postcode_valid", "no_nino_or_upn")
RETURN_PREFIXES = ("families", "individuals", "status_", "framework_", "problems_")


def render_html(
    report: CoverageReport,
    previous: CoverageReport | None = None,
    national: Mapping[str, float | None] | None = None,
) -> str:
    """The council's own coverage page for one submission; `national` maps figure id to the national percent."""
    percents = {k: float(v) for k, v in (national or {}).items() if v is not None}
    figs = report.figures
    by_id = {f.id: f for f in figs}
    return_figs = [f for f in figs if f.id.startswith(RETURN_PREFIXES)]
    problems = [f for f in figs if f.id.startswith("hp_")]
    identifiers = [f for f in figs if f.id in IDENTIFIER_IDS]
    items = [f for f in figs if f.id.endswith(("_provided", "_any", "_not_known")) and f.id not in IDENTIFIER_IDS]
    family_items = [f for f in items if f.level == "family"]
    individual_items = [f for f in items if f.level == "individual"]
    chart = [by_id[i] for i in PROVIDED_IDS if i in by_id]
    privacy = (
        "Figures marked suppressed are based on fewer than 10 families or people."
        if any(f.suppressed for f in figs)
        else "Small numbers are shown because this is your council's own report; beyond it (the national "
        "table) figures from fewer than 10 families or people are suppressed."
    )
    sections = (
        ("The return", return_figs),
        ("Headline problems (% of families in a framework with the problem)", problems),
        ("Family data items", family_items),
        ("Individual data items", individual_items),
        ("Identifiers (used for matching)", identifiers),
    )
    return render_page(
        "coverage.html",
        title=f"Data coverage: {report.la_code}, period ending {report.period_end}",
        spec_version=report.spec_version,
        previous_period=previous.period_end if previous else None,
        national=bool(percents),
        privacy=privacy,
        chart=_chart(chart, percents),
        since=f"Change since {previous.period_end}" if previous else "Change since previous period",
        tables=[
            {"title": title, "rows": [_row(f, previous, percents) for f in figures]}
            for title, figures in sections
            if figures
        ],
    )

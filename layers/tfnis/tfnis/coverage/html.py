"""The council's coverage report as one self-contained HTML page: inline CSS and SVG, no external assets.

A council officer reads it on screen or printed: every figure with its numerator and denominator, a bar
chart of % provided per data item, the change since the council's previous period and the national figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from tfnis.coverage.figures import FAMILY_MEASURES, INDIVIDUAL_MEASURES, CoverageFigure
from tfnis.coverage.report import CoverageReport

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

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;margin:2rem auto;
 max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:2px solid #1d70b8}
.meta{color:#505a5f;margin:0 0 1rem}.note{color:#505a5f;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #d8dde0;vertical-align:middle}
th{font-weight:600;background:#f3f2f1}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:.8rem;color:#505a5f}
.bar{position:relative;width:9rem;height:.8rem;background:#e8eaeb;border:1px solid #b1b4b6;display:inline-block;
 vertical-align:middle;margin-right:.4rem}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#1d70b8}
.bar i{position:absolute;top:-3px;bottom:-3px;width:2px;background:#d4351c}
.up{color:#00703c}.down{color:#d4351c}.supp{color:#505a5f;font-style:italic}
svg text{font:12px system-ui,Arial,sans-serif;fill:#1b1b1b}
.key{display:inline-block;width:.8rem;height:.8rem;vertical-align:middle;margin:0 .3rem 0 1rem}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr,svg{break-inside:avoid}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _count(f: CoverageFigure) -> str:
    if f.suppressed:
        return '<span class="supp">suppressed</span>'
    return f"{f.numerator:,} / {f.denominator:,}"


def _bar(percent: float | None, national: float | None) -> str:
    """A CSS bar of percent with a red tick at the national figure; the number beside it reads in print."""
    width = 0.0 if percent is None else min(max(percent, 0.0), 100.0)
    tick = "" if national is None else f'<i style="left:{min(national, 100.0):.1f}%"></i>'
    return f'<span class="bar" aria-hidden="true"><span style="width:{width:.1f}%"></span>{tick}</span>'


def _change(f: CoverageFigure, previous: CoverageReport | None) -> str:
    before = previous.figure(f.id) if previous else None
    if f.percent is None or before is None or before.percent is None:
        return "–"
    delta = round(f.percent - before.percent, 1)
    if delta == 0:
        return "no change"
    return f'<span class="{"up" if delta > 0 else "down"}">{delta:+.1f} pts</span>'


def _rows(figures: list[CoverageFigure], previous: CoverageReport | None, national: dict[str, float]) -> str:
    cells = []
    for f in figures:
        cells.append(
            f"<tr><td>{escape(f.label)}<br><code>{escape(f.id)}</code></td><td class=n>{_count(f)}</td>"
            f"<td class=n>{_bar(f.percent, national.get(f.id))}{_pct(f.percent)}</td>"
            f"<td class=n>{_change(f, previous)}</td><td class=n>{_pct(national.get(f.id))}</td></tr>"
        )
    return "".join(cells)


def _table(
    title: str, figures: list[CoverageFigure], previous: CoverageReport | None, national: dict[str, float]
) -> str:
    if not figures:
        return ""
    since = f"Change since {escape(previous.period_end)}" if previous else "Change since previous period"
    return (
        f"<h2>{escape(title)}</h2><table><thead><tr><th>Figure</th><th>Count / out of</th><th>Percent</th>"
        f"<th>{since}</th><th>National</th></tr></thead><tbody>{_rows(figures, previous, national)}"
        "</tbody></table>"
    )


def _chart(figures: list[CoverageFigure], national: dict[str, float]) -> str:
    """Horizontal bars of % provided per data item, national figure as a red tick, values printed."""
    label_w, bar_w, row_h = 300, 320, 22
    height = row_h * len(figures) + 10
    parts = [
        f'<svg role="img" aria-label="Percent of records with each data item provided" '
        f'viewBox="0 0 {label_w + bar_w + 60} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, f in enumerate(figures):
        y = 5 + i * row_h
        width = 0.0 if f.percent is None else bar_w * min(f.percent, 100.0) / 100
        value = "suppressed" if f.suppressed else _pct(f.percent)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{escape(f.label.split(":")[0])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="14" fill="#e8eaeb" stroke="#b1b4b6"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="14" fill="#1d70b8">'
            f"<title>{escape(f.label)}: {value}</title></rect>"
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{value}</text>'
        )
        if f.id in national:
            x = label_w + bar_w * min(national[f.id], 100.0) / 100
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 20}" stroke="#d4351c" stroke-width="2">'
                f"<title>National: {_pct(national[f.id])}</title></line>"
            )
    parts.append("</svg>")
    return "".join(parts)


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
    title = f"Data coverage: {report.la_code}, period ending {report.period_end}"
    compared = f" Compared with the period ending {escape(previous.period_end)}." if previous else ""
    national_note = " National figures are for all councils that have submitted for this period." if percents else ""
    privacy = (
        "Figures marked suppressed are based on fewer than 10 families or people."
        if any(f.suppressed for f in figs)
        else "Small numbers are shown because this is your council's own report; beyond it (the national "
        "table) figures from fewer than 10 families or people are suppressed."
    )
    key = (
        '<p class="note"><span class="key" style="background:#1d70b8"></span>this return'
        + ('<span class="key" style="background:#d4351c"></span>national' if percents else "")
        + "</p>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">Data specification {escape(report.spec_version)}.{compared}{national_note}</p>'
        '<p class="note">An empty cell counts as <em>not provided</em>; zero is a value and counts as provided. '
        "Housing status NOT_KNOWN and ethnicity REFU/NOBT are not provided. Each percent is the count out of "
        f"the figure's own denominator (families, individuals, or the age band named). {privacy}</p>"
        f"<h2>Data provided per item</h2>{key}{_chart(chart, percents)}"
        + _table("The return", return_figs, previous, percents)
        + _table("Headline problems (% of families in a framework with the problem)", problems, previous, percents)
        + _table("Family data items", family_items, previous, percents)
        + _table("Individual data items", individual_items, previous, percents)
        + _table("Identifiers (used for matching)", identifiers, previous, percents)
        + "</body></html>\n"
    )

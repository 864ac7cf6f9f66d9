"""impact.html: one self-contained page (Jinja2, autoescaped), the summary table, and per outcome an inline SVG
event-study chart (estimate and 95 % interval per half-year since support started) with its table. Only the
output-checked tables are drawn: a suppressed point is not plotted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfnis.disclosure.output_check import THRESHOLD
from tfnis.impact.estimate import METHOD

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.impact.report import ImpactTables

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 240, 56, 16, 16, 48


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    low: float
    high: float
    label: str
    reference: bool


@dataclass(frozen=True)
class Chart:
    """Pixel geometry of one event-study chart."""

    width: int
    height: int
    points: tuple[Point, ...]
    zero: float
    ticks: tuple[tuple[float, str], ...]  # (y pixel, label)
    support_x: float  # the line between the last half-year before support and the first after


def chart(events: pd.DataFrame) -> Chart | None:
    """Points with intervals for the rows not suppressed; None when nothing is left to draw."""
    rows = [r for r in events.to_dict("records") if _present(r["estimate"])]
    if not rows:
        return None
    values = [0.0] + [float(r[k]) for r in rows for k in ("estimate", "ci_low", "ci_high") if _present(r[k])]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 1.0
    low, high = low - pad, high + pad
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    step = plot_w / len(events)

    def y_of(v: float) -> float:
        return round(TOP + (high - v) / (high - low) * plot_h, 1)

    labels = list(events["months_since_support_start"])
    points = []
    for r in rows:
        i = labels.index(r["months_since_support_start"])
        est = float(r["estimate"])
        lo = float(r["ci_low"]) if _present(r["ci_low"]) else est
        hi = float(r["ci_high"]) if _present(r["ci_high"]) else est
        reference = "reference" in str(r["months_since_support_start"])
        points.append(
            Point(round(LEFT + step * (i + 0.5), 1), y_of(est), y_of(lo), y_of(hi), _short(labels[i]), reference)
        )
    first_after = next((i for i, label in enumerate(labels) if str(label).startswith("0 ")), 0)
    ticks = tuple((y_of(v), f"{v:.2g}") for v in _nice_ticks(low, high))
    return Chart(WIDTH, HEIGHT, tuple(points), y_of(0.0), ticks, round(LEFT + step * first_after, 1))


def _present(value: Any) -> bool:
    import pandas as pd

    return value is not None and not pd.isna(value)


def _nones(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if _present(v) else None) for k, v in row.items()}


def _short(label: str) -> str:
    return (
        str(label)
        .replace(" months", "")
        .replace(" (reference)", "")
        .replace(" or more", "+")
        .replace(" or earlier", "-")
    )


def _nice_ticks(low: float, high: float) -> list[float]:
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step) + 1)]


def render_html(tables: ImpactTables, periods: list[str], skipped: dict[str, str], planted: list[dict]) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("tfnis.impact", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = lambda v: "" if not _present(v) else f"{float(v):.3f}"
    environment.filters["count"] = lambda v: "suppressed" if not _present(v) else f"{int(v):,}"
    outcomes = []
    for row in tables.summary.to_dict("records"):
        events = tables.events[tables.events["measure"] == row["measure"]].reset_index(drop=True)
        outcomes.append({"row": _nones(row), "events": [_nones(e) for e in events.to_dict("records")],
                         "chart": chart(events)})  # fmt: skip
    return environment.get_template("impact.html").render(
        outcomes=outcomes, periods=periods, skipped=skipped, planted=planted, method=METHOD, threshold=THRESHOLD
    )

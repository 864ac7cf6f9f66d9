"""The coverage report of one submission: its figures, spec_version, la_code and period_end; JSON and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from tfnis.coverage.figures import CoverageFigure, coverage_figures
from tfnis.spec import SPEC_VERSION

if TYPE_CHECKING:
    import pandas as pd

FIGURE_FIELDS: tuple[str, ...] = ("id", "label", "level", "numerator", "denominator", "percent", "suppressed")
CSV_FIELDS: tuple[str, ...] = ("spec_version", "la_code", "period_end", *FIGURE_FIELDS)


@dataclass(frozen=True)
class CoverageReport:
    """The figures of one council's return for one period."""

    spec_version: str
    la_code: str
    period_end: str  # ISO date
    figures: tuple[CoverageFigure, ...] = field(default_factory=tuple)
    # Which submission the figures come from and when it passed validation: of two reports of one council and
    # period, the later validated wins, whatever order their messages arrive in.
    submission_id: str = ""
    validated_at: str = ""  # ISO timestamp

    def newer_than(self, other: CoverageReport) -> bool:
        return (self.validated_at, self.submission_id) > (other.validated_at, other.submission_id)

    def figure(self, fid: str) -> CoverageFigure | None:
        return next((f for f in self.figures if f.id == fid), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "spec_version": self.spec_version,
            "la_code": self.la_code,
            "period_end": self.period_end,
            "figures": [{k: getattr(f, k) for k in FIGURE_FIELDS} for f in self.figures],
            # the pipeline's reports say which submission they are of; `tfnis coverage` on a file has none
            **({"submission_id": self.submission_id, "validated_at": self.validated_at} if self.submission_id else {}),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> CoverageReport:
        """Read back what to_json wrote (a previous period's report, another council's for the roll-up)."""
        return cls(
            spec_version=str(document["spec_version"]),
            la_code=str(document["la_code"]),
            period_end=str(document["period_end"]),
            figures=tuple(CoverageFigure(**{k: f[k] for k in FIGURE_FIELDS}) for f in document["figures"]),
            submission_id=str(document.get("submission_id") or ""),
            validated_at=str(document.get("validated_at") or ""),
        )

    def to_csv(self) -> str:
        """One row per figure, la_code and period_end repeated so files from many councils concatenate."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        head = (self.spec_version, self.la_code, self.period_end)
        for f in self.figures:
            row = {**asdict(f), "suppressed": "true" if f.suppressed else "false"}
            writer.writerow([formula_safe(v) for v in (*head, *(row[k] for k in FIGURE_FIELDS))])
        return out.getvalue()


def formula_safe(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text (tfnis.validation's escaping); blank for None."""
    from tfnis.validation.formula import escape_formula

    if value is None:
        return ""
    if isinstance(value, int | float):  # counts and percents are never negative; keep them numeric
        return str(value)
    return escape_formula(str(value))


def coverage_report(
    family_attributes: pd.DataFrame,
    individual_attributes: pd.DataFrame,
    la_code: str | None = None,
    period_end: str | None = None,
) -> CoverageReport:
    """The report of one return; la_code and period_end default to the return's own (one of each)."""
    return CoverageReport(
        spec_version=SPEC_VERSION,
        la_code=la_code or _only_value(family_attributes, "la_code"),
        period_end=period_end or _only_value(family_attributes, "period_end"),
        figures=tuple(coverage_figures(family_attributes, individual_attributes)),
    )


def _only_value(frame: pd.DataFrame, column: str) -> str:
    import pandas as pd

    values = frame[column].dropna().unique() if column in frame.columns else []
    if len(values) != 1:
        raise ValueError(f"a return has exactly one {column}; found {len(values)}")
    value = values[0]
    return pd.Timestamp(value).date().isoformat() if column == "period_end" else str(value)

"""Coverage: how much of each data item a council's return provided (DATA_SPEC.md "Coverage figures").

Reads the attribute frames only, never identifiers. Pandas is imported inside the functions, so importing
this package is cheap for the coverage Lambda.
"""

from tfnis.coverage.figures import CoverageFigure, coverage_figures
from tfnis.coverage.html import render_html
from tfnis.coverage.national import national_csv, national_percent, national_table
from tfnis.coverage.report import CoverageReport, coverage_report
from tfnis.coverage.suppression import suppress

__all__ = [
    "CoverageFigure",
    "CoverageReport",
    "coverage_figures",
    "coverage_report",
    "national_csv",
    "national_percent",
    "national_table",
    "render_html",
    "suppress",
]

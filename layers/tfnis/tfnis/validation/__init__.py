"""Validation of a council return: read CSV/XLSX robustly, apply the rules of tfnis.spec, report findings.

The public surface the pipeline and the CLI use. Heavy imports (pandas, pyarrow) happen inside functions.
"""

from tfnis.validation.formula import escape_formula
from tfnis.validation.report import (
    ValidationReport,
    findings_csv,
    render_html,
    render_text,
    report_json,
)
from tfnis.validation.validate import validate_return

__all__ = [
    "ValidationReport",
    "escape_formula",
    "findings_csv",
    "render_html",
    "render_text",
    "report_json",
    "validate_return",
]

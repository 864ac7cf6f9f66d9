"""The validation report of a return and its renderings: JSON (the contract), text for a council officer,
CSV of findings (formula-escaped) and one self-contained HTML page.

Findings are listed up to a cap per rule; the counts always carry the true totals.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfnis.spec.findings import Finding, Severity, Status
from tfnis.spec.rules import RULES
from tfnis.submissions.model import FIRST_FINDINGS
from tfnis.validation.findings_log import FindingLog
from tfnis.validation.formula import escape_formula

if TYPE_CHECKING:
    import pandas as pd

FINDINGS_PER_RULE = 1000  # listed in the report JSON; the text shows TEXT_ROWS_PER_RULE of them
TEXT_ROWS_PER_RULE = 20
CSV_ROWS_PER_RULE = 100_000
HTML_ROWS_PER_RULE = 200


@dataclass
class ValidationReport:
    """What `validate_return` found. `families` / `individuals` are the parsed, normalised tables (None when
    a table could not be read); they hold identifiers and never leave the validate stage in this form."""

    spec_version: str
    status: Status
    counts: dict[str, Any]
    findings: list[Finding]
    la_code: str | None = None
    period_end: dt.date | None = None
    families: pd.DataFrame | None = field(default=None, repr=False)
    individuals: pd.DataFrame | None = field(default=None, repr=False)
    log: FindingLog = field(default_factory=FindingLog, repr=False)

    @property
    def valid(self) -> bool:
        return self.status is Status.VALID

    def findings_frame(self) -> pd.DataFrame:
        """Every finding, uncapped, as a DataFrame (file, row, column, rule, severity, message)."""
        return self.log.frame()


def build_report(
    spec_version: str,
    log: FindingLog,
    *,
    la_code: str | None,
    period_end: dt.date | None,
    families: pd.DataFrame | None,
    individuals: pd.DataFrame | None,
) -> ValidationReport:
    by_rule = log.counts_by_rule()
    findings = log.findings(per_rule=FINDINGS_PER_RULE)
    counts = {
        "families": 0 if families is None else len(families),
        "individuals": 0 if individuals is None else len(individuals),
        "errors": log.count(Severity.ERROR),
        "warnings": log.count(Severity.WARNING),
        "info": log.count(Severity.INFO),
        "by_rule": dict(sorted(by_rule.items())),
        "findings_listed": len(findings),
        "findings_per_rule_limit": FINDINGS_PER_RULE,
    }
    return ValidationReport(
        spec_version=spec_version,
        status=Status.REJECTED if log.has_errors() else Status.VALID,
        counts=counts,
        findings=findings,
        la_code=la_code,
        period_end=period_end,
        families=families,
        individuals=individuals,
        log=log,
    )


def report_json(report: ValidationReport) -> dict[str, Any]:
    """The report as the JSON contract: spec_version, status, counts, findings (+ la_code, period_end)."""
    return {
        "spec_version": report.spec_version,
        "status": report.status.value,
        "la_code": report.la_code,
        "period_end": report.period_end.isoformat() if report.period_end else None,
        "counts": report.counts,
        "findings": [
            {
                "file": f.file,
                "row": f.row,
                "column": f.column,
                "rule": f.rule,
                "severity": f.severity.value,
                "message": f.message,
            }
            for f in report.findings
        ],
    }


_SHEET = re.compile(r"^(?P<file>[^\[]+)\[(?P<sheet>[^\]]+)\]$")


def first_findings(report: ValidationReport, limit: int = FIRST_FINDINGS) -> list[dict[str, Any]]:
    """The first findings, errors first, with a workbook's sheet apart from its file name ("return.xlsx[families]")."""
    ordered = sorted(report.findings, key=lambda f: f.severity is not Severity.ERROR)
    out = []
    for finding in ordered[:limit]:
        sheet = _SHEET.match(finding.file)
        out.append(
            {
                "file": sheet["file"] if sheet else finding.file,
                "sheet": sheet["sheet"] if sheet else None,
                "row": finding.row,
                "column": finding.column,
                "rule": finding.rule,
                "severity": finding.severity.value,
                "message": finding.message,
            }
        )
    return out


def _by_rule(report: ValidationReport) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(finding.rule, []).append(finding)
    return grouped


def _where(finding: Finding) -> str:
    place = finding.file
    if finding.row is not None:
        place += f" row {finding.row}"
    if finding.column:
        place += f", column {finding.column}"
    return place


def _many(count: int, one: str, more: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else more or one + 's'}"


def _headline(report: ValidationReport) -> str:
    c = report.counts
    subject = "Return"
    if report.la_code:
        subject += f" from {report.la_code}"
    if report.period_end:
        subject += f" for the period ending {report.period_end.isoformat()}"
    verdict = (
        "VALID — it can be submitted."
        if report.valid
        else "REJECTED — correct the errors below and check the return again."
    )
    return (
        f"{subject}: {verdict}\n"
        f"{_many(c['families'], 'family', 'families')}, {_many(c['individuals'], 'individual')}; "
        f"{_many(c['errors'], 'error')}, {_many(c['warnings'], 'warning')}, {_many(c['info'], 'note')}.  "
        f"(spec v{report.spec_version})"
    )


def render_text(report: ValidationReport, rows_per_rule: int = TEXT_ROWS_PER_RULE) -> str:
    """For a council officer: a verdict, then each rule broken (errors first) with its first rows, then counts."""
    lines = [_headline(report), ""]
    total = report.counts["by_rule"]
    for rule, findings in _by_rule(report).items():
        meta = RULES[rule]
        count = total.get(rule, len(findings))
        lines.append(f"{rule} ({meta.severity.value}) — {count:,} {'time' if count == 1 else 'times'}: {meta.meaning}")
        for finding in findings[:rows_per_rule]:
            lines.append(f"  {_where(finding)}: {finding.message}")
        if count > rows_per_rule:
            lines.append(f"  … and {count - rows_per_rule:,} more (see the JSON or CSV report for all of them)")
        lines.append("")
    if total:
        lines.append("Counts by rule:")
        width = max(len(rule) for rule in total)
        lines += [f"  {rule:<{width}}  {RULES[rule].severity.value:<7}  {n:>10,}" for rule, n in total.items()]
    else:
        lines.append("No problems found.")
    return "\n".join(lines) + "\n"


def findings_csv(report: ValidationReport, rows_per_rule: int | None = CSV_ROWS_PER_RULE) -> str:
    """Findings as CSV (file,row,column,rule,severity,message), every text cell formula-escaped."""
    import pandas as pd

    frame = report.findings_frame()
    if rows_per_rule is not None and len(frame):
        frame = frame.groupby("rule", sort=False).head(rows_per_rule)
    frame = frame.sort_values(["severity", "rule", "file", "row"], na_position="first", kind="stable")
    for name in ("file", "column", "rule", "severity", "message"):
        frame[name] = escape_formula(frame[name].astype("string"))
    frame["row"] = frame["row"].astype("Int64")
    return (
        frame.to_csv(index=False, lineterminator="\n", na_rep="")
        if len(frame)
        else (pd.DataFrame(columns=["file", "row", "column", "rule", "severity", "message"]).to_csv(index=False))
    )


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;max-width:72rem;
color:#0b0c0c;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem}
.verdict{padding:1rem;border-left:.5rem solid}.VALID{border-color:#00703c;background:#e6f4ea}
.REJECTED{border-color:#d4351c;background:#fbe9e7}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #b1b4b6;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f2f1}
.error{color:#d4351c;font-weight:600}.warning{color:#b35900;font-weight:600}.info{color:#1d70b8}
td.n{text-align:right;font-variant-numeric:tabular-nums}
"""


def render_html(report: ValidationReport, rows_per_rule: int = HTML_ROWS_PER_RULE) -> str:
    """One self-contained page (inline CSS, no scripts, no external assets)."""
    esc = html.escape
    c = report.counts
    headline = esc(_headline(report)).replace("\n", "<br>")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Validation report — {esc(report.status.value)}</title><style>{_CSS}</style></head><body>",
        "<h1>Validation report</h1>",
        f"<div class='verdict {esc(report.status.value)}'><p>{headline}</p></div>",
        "<h2>Counts by rule</h2><table><thead><tr><th>rule</th><th>severity</th><th>meaning</th>"
        "<th>count</th></tr></thead><tbody>",
    ]
    for rule, count in c["by_rule"].items():
        meta = RULES[rule]
        sev = meta.severity.value
        parts.append(
            f"<tr><td><a href='#{esc(rule)}'>{esc(rule)}</a></td><td class='{sev}'>{sev}</td>"
            f"<td>{esc(meta.meaning)}</td><td class='n'>{count:,}</td></tr>"
        )
    if not c["by_rule"]:
        parts.append("<tr><td colspan='4'>No problems found.</td></tr>")
    parts.append("</tbody></table>")
    for rule, findings in _by_rule(report).items():
        meta = RULES[rule]
        count = c["by_rule"].get(rule, len(findings))
        parts.append(
            f"<h2 id='{esc(rule)}'>{esc(rule)} <span class='{meta.severity.value}'>({meta.severity.value})</span>"
            f" — {count:,}</h2><p>{esc(meta.meaning)}</p>"
            "<table><thead><tr><th>file</th><th>row</th><th>column</th><th>message</th></tr></thead><tbody>"
        )
        for f in findings[:rows_per_rule]:
            parts.append(
                f"<tr><td>{esc(f.file)}</td><td class='n'>{'' if f.row is None else f.row}</td>"
                f"<td>{esc(f.column or '')}</td><td>{esc(f.message)}</td></tr>"
            )
        parts.append("</tbody></table>")
        if count > rows_per_rule:
            parts.append(f"<p>… and {count - rows_per_rule:,} more.</p>")
    parts.append(f"<p><small>Data specification v{esc(report.spec_version)}.</small></p></body></html>")
    return "\n".join(parts)

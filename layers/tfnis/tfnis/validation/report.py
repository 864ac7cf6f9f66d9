"""The validation report of a return and its renderings: JSON (the contract), text for a council officer,
CSV of findings (formula-escaped) and one self-contained HTML page.

Findings are listed up to a cap per rule; the counts always carry the true totals.
"""

from __future__ import annotations

import datetime as dt
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
    """Findings grouped by rule, rules in the order of their first finding (errors, warnings, then notes)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(finding.rule, []).append(finding)
    return grouped


def place(file: str) -> str:
    """A finding's file as a person reads it: 'RETURN.xlsx[families]' is 'RETURN.xlsx, sheet families'."""
    if file.endswith("]") and "[" in file:
        book, sheet = file[:-1].split("[", 1)
        return f"{book}, sheet {sheet}"
    return file


def _where(finding: Finding) -> str:
    where = place(finding.file)
    if finding.row is not None:
        where += f", row {finding.row}"
    if finding.column:
        where += f", column {finding.column}"
    return where


def _many(count: int, one: str, more: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else more or one + 's'}"


def _verdict(report: ValidationReport) -> str:
    return (
        "VALID — it can be submitted."
        if report.valid
        else "REJECTED — correct the errors below and check the return again."
    )


def _headline(report: ValidationReport) -> str:
    c = report.counts
    subject = "Return"
    if report.la_code:
        subject += f" from {report.la_code}"
    if report.period_end:
        subject += f" for the period ending {report.period_end.isoformat()}"
    return (
        f"{subject}: {_verdict(report)}\n"
        f"{_many(c['families'], 'family', 'families')}, {_many(c['individuals'], 'individual')}; "
        f"{_many(c['errors'], 'error')}, {_many(c['warnings'], 'warning')}, {_many(c['info'], 'note')}.  "
        f"(spec v{report.spec_version})"
    )


_GROUPS = (
    (Severity.ERROR, "Errors: fix these", "An error rejects the return; correct each one and check the return again."),
    (Severity.WARNING, "Warnings: check these", "The rows are kept; an invalid identifier is not used for matching."),
    (Severity.INFO, "Notes: accepted and changed", "Nothing to do: what was accepted and how it was read."),
)


def _rule_sections(report: ValidationReport, rows_per_rule: int) -> list[dict[str, Any]]:
    total = report.counts["by_rule"]
    groups = []
    for severity, title, explanation in _GROUPS:
        rules = [
            {
                "code": rule,
                "heading": RULES[rule].heading,
                "meaning": RULES[rule].meaning,
                "count": total.get(rule, len(findings)),
                "findings": [
                    {"place": place(f.file), "row": f.row, "column": f.column, "message": f.message, "where": _where(f)}
                    for f in findings[:rows_per_rule]
                ],
            }
            for rule, findings in _by_rule(report).items()
            if RULES[rule].severity is severity
        ]
        if rules:
            groups.append({"severity": severity.value, "title": title, "explanation": explanation, "rules": rules})
    return groups


def render_text(report: ValidationReport, rows_per_rule: int = TEXT_ROWS_PER_RULE) -> str:
    """For a council officer: the verdict, what to fix first, then each rule (errors, warnings, notes) under its
    plain heading with its code second and its first rows."""
    lines = [_headline(report), ""]
    groups = _rule_sections(report, rows_per_rule)
    errors: list[dict[str, Any]] = next((g["rules"] for g in groups if g["severity"] == "error"), [])
    if errors:
        lines.append("There is a problem. Fix these first, then check the return again:")
        lines += [f"  - {r['heading']} ({r['code']}): {_many(r['count'], 'time')}" for r in errors]
        lines.append("")
    for group in groups:
        lines += [group["title"].upper(), ""]
        for r in group["rules"]:
            lines.append(f"{r['heading']} ({r['code']}, {group['severity']}) — {_many(r['count'], 'time')}")
            lines += [f"  {f['where']}: {f['message']}" for f in r["findings"]]
            if r["count"] > len(r["findings"]):
                lines.append(f"  … and {r['count'] - len(r['findings']):,} more (the CSV report lists them all)")
            lines.append("")
    if not groups:
        lines.append("No problems found.")
    return "\n".join(lines).rstrip("\n") + "\n"


def findings_csv(report: ValidationReport, rows_per_rule: int | None = CSV_ROWS_PER_RULE) -> str:
    """Findings as CSV (file,row,column,rule,severity,message), every text cell formula-escaped."""
    import pandas as pd

    frame = report.findings_frame()
    if len(frame):  # the report's order: errors, warnings, notes; whole-file findings first; then file and row
        frame = frame.assign(
            _severity=frame["severity"].map({"error": 0, "warning": 1, "info": 2}), _in_row=frame["row"].notna()
        )
        frame = frame.sort_values(["_severity", "_in_row", "file", "row", "column", "rule"], kind="stable")
        frame = frame.drop(columns=["_severity", "_in_row"])
    if rows_per_rule is not None and len(frame):
        frame = frame.groupby("rule", sort=False).head(rows_per_rule)
    for name in ("file", "column", "rule", "severity", "message"):
        frame[name] = escape_formula(frame[name].astype("string"))
    frame["row"] = frame["row"].astype("Int64")
    return (
        frame.to_csv(index=False, lineterminator="\n", na_rep="")
        if len(frame)
        else (pd.DataFrame(columns=["file", "row", "column", "rule", "severity", "message"]).to_csv(index=False))
    )


def render_html(
    report: ValidationReport,
    rows_per_rule: int = HTML_ROWS_PER_RULE,
    *,
    submission_id: str | None = None,
    checked_on: dt.date | None = None,
) -> str:
    """One self-contained page (inline CSS, no scripts, no external assets), GOV.UK's error summary first."""
    from tfnis.reports import render_page

    groups = _rule_sections(report, rows_per_rule)
    return render_page(
        "validation.html",
        valid=report.valid,
        status=report.status.value,
        verdict=_verdict(report),
        la_code=report.la_code,
        period_end=report.period_end.isoformat() if report.period_end else None,
        submission_id=submission_id,
        checked_on=(checked_on or dt.date.today()).isoformat(),
        spec_version=report.spec_version,
        counts=report.counts,
        summary=next((g["rules"] for g in groups if g["severity"] == "error"), []),
        groups=groups,
    )

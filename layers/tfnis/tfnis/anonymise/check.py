"""The pre-write check: nothing reaches ResearchBucket unless every column is allowed and no value looks personal.

Two layers. The allow-list (tfnis.anonymise.columns) fixes the columns, their kinds and the codes or patterns
each text column may hold. The shape scan then looks for identifier-shaped values in every text column. Its
shapes are deliberately broader than the validity rules in tfnis.spec.identifiers: an invalid NINO or a UPN
with a wrong check letter identifies a person just as well, so this is not the spec's rule re-implemented but
a net under it. Date columns are told apart from dates of birth by the allow-list alone (only programme event
dates are DATE columns); a date-shaped value anywhere else is refused.

A refusal names the table, column, rule and how many rows, never a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.anonymise.columns import ExtractColumn, ExtractKind

if TYPE_CHECKING:
    import pandas as pd

# Upper-cased text is searched; \b keeps a 64-hex pseudonym or a GSS code from matching inside itself.
IDENTIFIER_SHAPES: dict[str, re.Pattern[str]] = {
    "EXTRACT_NINO_SHAPE": re.compile(r"\b[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]?\b"),
    "EXTRACT_UPN_SHAPE": re.compile(r"\b[A-Z][0-9]{11}[0-9A-Z]\b"),
    "EXTRACT_POSTCODE_SHAPE": re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b"),
    "EXTRACT_DATE_SHAPE": re.compile(
        r"\b(?:1[89]|20)[0-9]{2}-[01]?[0-9]-[0-3]?[0-9]\b"  # ISO, as written by a date type
        r"|\b[0-3]?[0-9][/.-][01]?[0-9][/.-](?:1[89]|20)?[0-9]{2}\b"  # DD/MM/YYYY and kin
        r"|\b(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]\b"  # YYYYMMDD
    ),
    "EXTRACT_NHS_NUMBER_SHAPE": re.compile(r"\b[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}\b"),
}
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
_NHS_NUMBER_MIN = 10**9  # an integer with ten digits could be an NHS number


@dataclass(frozen=True)
class Violation:
    """One reason to refuse: where and which rule, with a count of rows; never the value."""

    table: str
    column: str
    rule: str
    rows: int

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: {self.rule} ({self.rows} row(s))"


class ExtractRefused(RuntimeError):
    """The research extract failed its pre-write check; nothing was written."""

    def __init__(self, violations: tuple[Violation, ...]) -> None:
        self.violations = violations
        super().__init__("research extract refused, nothing written: " + "; ".join(str(v) for v in violations))


def check_extract(frame: pd.DataFrame, table: str, allowed: tuple[ExtractColumn, ...]) -> None:
    """Raise ExtractRefused unless frame has exactly the allowed columns and no identifier-shaped value."""
    violations = extract_violations(frame, table, allowed)
    if violations:
        raise ExtractRefused(violations)


def extract_violations(frame: pd.DataFrame, table: str, allowed: tuple[ExtractColumn, ...]) -> tuple[Violation, ...]:
    """Every violation of the allow-list and the shape scan, column by column."""
    rules = {c.name: c for c in allowed}
    found: list[Violation] = []
    for name in frame.columns:
        if name not in rules:
            found.append(Violation(table, str(name), "EXTRACT_COLUMN_NOT_ALLOWED", len(frame)))
            continue
        found += _column_violations(frame[name], table, rules[name])
    found += [
        Violation(table, name, "EXTRACT_COLUMN_MISSING", len(frame)) for name in rules if name not in frame.columns
    ]
    return tuple(found)


def _column_violations(values: pd.Series, table: str, rule: ExtractColumn) -> list[Violation]:
    import pandas as pd

    present = values.dropna()
    if rule.kind is ExtractKind.DATE:
        if present.empty or pd.api.types.is_datetime64_any_dtype(values) or _is_arrow_date(values):
            return []
        not_dates = present.isin([v for v in present.unique() if not _is_date(v)])
        return [Violation(table, rule.name, "EXTRACT_NOT_A_DATE", int(not_dates.sum()))] if not_dates.any() else []
    if _is_date_typed(values, present):
        # A date where none is allowed: the one way a full date of birth could slip through.
        return [Violation(table, rule.name, "EXTRACT_DATE_NOT_ALLOWED", len(present))]
    if rule.kind is ExtractKind.INT:
        if not (pd.api.types.is_integer_dtype(values) or present.empty):
            return [Violation(table, rule.name, "EXTRACT_NOT_AN_INTEGER", len(present))]
        too_long = int((present.astype("Int64").abs() >= _NHS_NUMBER_MIN).sum())
        return [Violation(table, rule.name, "EXTRACT_NHS_NUMBER_SHAPE", too_long)] if too_long else []
    text = present.astype(str)
    if rule.kind is ExtractKind.PSEUDONYM:
        missing = len(values) - len(present)
        bad = int((~text.str.fullmatch(_PSEUDONYM.pattern)).sum()) + missing
        return [Violation(table, rule.name, "EXTRACT_NOT_A_PSEUDONYM", bad)] if bad else []
    return _text_violations(text, table, rule)


def _text_violations(text: pd.Series, table: str, rule: ExtractColumn) -> list[Violation]:
    """Identifier shapes first (the more telling rule), then the column's code list or pattern."""
    counts = text.value_counts()  # scan each distinct value once: code columns have a handful
    distinct = counts.index.to_series().str.upper()
    found: list[Violation] = []
    shaped = counts.index.to_series().map(lambda _: False)
    for code, shape in IDENTIFIER_SHAPES.items():
        hits = distinct.str.contains(shape.pattern, regex=True)
        if hits.any():
            found.append(Violation(table, rule.name, code, int(counts[hits.to_numpy()].sum())))
        shaped |= hits
    allowed = (
        counts.index.isin(list(rule.codes))
        if rule.codes
        else counts.index.to_series().str.fullmatch(rule.pattern or r"(?!)").to_numpy()
    )
    unknown = ~allowed & ~shaped.to_numpy()
    if unknown.any():
        found.append(Violation(table, rule.name, "EXTRACT_VALUE_NOT_ALLOWED", int(counts[unknown].sum())))
    return found


def _is_date(value: object) -> bool:
    import datetime as dt

    return isinstance(value, dt.date)


def _is_arrow_date(values: pd.Series) -> bool:
    return str(values.dtype).startswith(("date32", "date64"))


def _is_date_typed(values: pd.Series, present: pd.Series) -> bool:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values) or _is_arrow_date(values):
        return True
    return values.dtype == object and any(_is_date(v) for v in present.unique())  # distinct values only

"""Validation of a reference extract against its contract. Findings have the council returns' shape
(file, row, column, rule, severity, message) and never carry a value: a message names the rule, not the cell.

Errors reject the extract (unreadable file, a missing or unexpected column, a missing or duplicate record id,
an outcome that is not a number in range or not a listed code). Warnings keep the row (an invalid identifier
is blanked and not used for matching; a record with no usable key is left out of matching)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tfnis.reference.contract import ReferenceContract
from tfnis.spec.findings import Finding, Severity, Status

if TYPE_CHECKING:
    import pandas as pd

E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO
# Rule code -> (severity, meaning). Codes are part of the contract: add, never rename.
RULES: dict[str, tuple[Severity, str]] = {
    "REF_FILE_UNREADABLE": (E, "The extract is not a UTF-8 comma-separated file with a header row."),
    "REF_HEADER_ONLY": (E, "The extract has a header row but no records."),
    "REF_MISSING_COLUMN": (E, "A column the dataset's contract declares is absent."),
    "REF_UNEXPECTED_COLUMN": (E, "A column the contract does not declare: refused, it may carry personal data."),
    "REF_DUPLICATE_COLUMN": (E, "A column name appears more than once."),
    "REF_RECORD_ID_MISSING": (E, "A record has no record id."),
    "REF_RECORD_ID_DUPLICATE": (E, "A record id appears on more than one record."),
    "REF_OUTCOME_NOT_INTEGER": (E, "An outcome count is not a whole number."),
    "REF_OUTCOME_OUT_OF_RANGE": (E, "An outcome count is outside the contract's range."),
    "REF_OUTCOME_EXCEEDS": (E, "An outcome is larger than the outcome it cannot exceed."),
    "REF_OUTCOME_INVALID_CODE": (E, "An outcome code is not in the contract's code list."),
    "REF_INVALID_UPN": (W, "A UPN is malformed or has a wrong check letter; it is not used for matching."),
    "REF_INVALID_NINO": (W, "A NINO is not a valid allocated number; it is not used for matching."),
    "REF_INVALID_DATE_OF_BIRTH": (W, "A date of birth is not a date; it is not used for matching."),
    "REF_INVALID_POSTCODE": (W, "A postcode is malformed; it is not used for matching."),
    "REF_INVALID_SEX": (W, "A sex is not 1/2/M/F (or 0/9); it is not used for matching."),
    "REF_AGE_OUTSIDE_RANGE": (W, "The age at period end is outside the dataset's age range."),
    "REF_UNMATCHABLE": (W, "The record has no usable identifier set; it is left out of matching."),
    "REF_MORE_FINDINGS": (N, "More rows broke this rule than are listed; the count is in the message."),
}
ROWS_LISTED_PER_RULE = 100  # a million-row extract must not make a million findings


@dataclass(frozen=True)
class ReferenceCheck:
    """The findings, the verdict, and the rows usable for matching (positions into the frame)."""

    findings: tuple[Finding, ...]
    records: int
    matchable: int

    @property
    def status(self) -> Status:
        return Status.REJECTED if any(f.severity is E for f in self.findings) else Status.VALID


def read_extract(content: bytes) -> pd.DataFrame | None:
    """Every cell as text ('' for blank), headers lower-cased; None when not a readable CSV."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(content), dtype="string[pyarrow]", keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _finding(file: str, row: int | None, column: str | None, rule: str, message: str | None = None) -> Finding:
    severity, meaning = RULES[rule]
    return Finding(file=file, row=row, column=column, rule=rule, severity=severity, message=message or meaning)


def _row_findings(file: str, column: str | None, rule: str, rows: pd.Series) -> list[Finding]:
    """One finding per offending row (1 = first data row), listed up to ROWS_LISTED_PER_RULE, then a count."""
    positions = rows.to_numpy().nonzero()[0]
    found = [_finding(file, int(p) + 1, column, rule) for p in positions[:ROWS_LISTED_PER_RULE]]
    if len(positions) > ROWS_LISTED_PER_RULE:
        more = len(positions) - ROWS_LISTED_PER_RULE
        found.append(_finding(file, None, column, "REF_MORE_FINDINGS", f"{rule}: {more} more rows not listed."))
    return found


def check_columns(frame: pd.DataFrame, contract: ReferenceContract, file: str) -> list[Finding]:
    header = list(frame.columns)
    found = [
        _finding(file, None, c, "REF_DUPLICATE_COLUMN") for c in sorted({c for c in header if header.count(c) > 1})
    ]
    found += [_finding(file, None, c, "REF_MISSING_COLUMN") for c in contract.columns if c not in header]
    # The column name is the contract's vocabulary or the sender's header; it is not an identifier value.
    found += [_finding(file, None, c, "REF_UNEXPECTED_COLUMN") for c in header if c not in contract.columns]
    return found


def identifier_validity(frame: pd.DataFrame, contract: ReferenceContract) -> dict[str, pd.Series]:
    """Per identifier column: True where the cell is present and usable, False where blank or invalid."""
    import pandas as pd

    from tfnis.linkage.normalise import normalise_dobs, normalise_sexes
    from tfnis.spec.identifiers import NinoClass, nino_classes, postcode_classes, upn_valid_mask

    present = {c: frame[c].str.strip() != "" for c in contract.identifiers}
    usable = dict(present)
    if "upn" in present:
        usable["upn"] = present["upn"] & upn_valid_mask(frame["upn"]).fillna(False).astype(bool)
    if "nino" in present:
        usable["nino"] = present["nino"] & (nino_classes(frame["nino"]) == NinoClass.VALID).fillna(False).astype(bool)
    if "postcode" in present:
        usable["postcode"] = present["postcode"] & postcode_classes(frame["postcode"]).isin(["VALID", "GIR"])
    if "date_of_birth" in present:
        dob = normalise_dobs(frame["date_of_birth"])
        parsed = pd.to_datetime(dob, format="%Y-%m-%d", errors="coerce")
        usable["date_of_birth"] = present["date_of_birth"] & parsed.notna()
    if "sex" in present:
        sex = frame["sex"].str.strip()
        usable["sex"] = present["sex"] & (normalise_sexes(frame["sex"]).notna() | sex.isin(["0", "9"]))
    return {c: v.fillna(False).astype(bool) for c, v in usable.items()}


_INVALID_RULE = {
    "upn": "REF_INVALID_UPN", "nino": "REF_INVALID_NINO", "date_of_birth": "REF_INVALID_DATE_OF_BIRTH",
    "postcode": "REF_INVALID_POSTCODE", "sex": "REF_INVALID_SEX",
}  # fmt: skip


def check_identifiers(
    frame: pd.DataFrame, contract: ReferenceContract, file: str, period_end: date
) -> tuple[list[Finding], pd.Series]:
    """Warnings for invalid identifiers and unmatchable records; returns the matchable-row mask too."""
    import pandas as pd

    present = {c: frame[c].str.strip() != "" for c in contract.identifiers}
    usable = identifier_validity(frame, contract)
    found: list[Finding] = []
    for column, rule in _INVALID_RULE.items():
        if column in usable:
            found += _row_findings(file, column, rule, present[column] & ~usable[column])
    if "date_of_birth" in usable:
        from tfnis.linkage.normalise import normalise_dobs

        born = pd.to_datetime(normalise_dobs(frame["date_of_birth"]), format="%Y-%m-%d", errors="coerce")
        age = (pd.Timestamp(period_end) - born).dt.days / 365.25
        low, high = contract.age_range
        outside = usable["date_of_birth"] & ((age < low) | (age >= high + 1)).fillna(False)
        found += _row_findings(file, "date_of_birth", "REF_AGE_OUTSIDE_RANGE", outside)
    matchable = pd.Series(False, index=frame.index)
    for group in contract.matchable_by:
        every = pd.Series(True, index=frame.index)
        for column in group:
            every &= usable[column]
        matchable |= every
    found += _row_findings(file, None, "REF_UNMATCHABLE", ~matchable)
    return found, matchable


def check_outcomes(frame: pd.DataFrame, contract: ReferenceContract, file: str) -> list[Finding]:
    import pandas as pd

    found: list[Finding] = []
    numbers: dict[str, pd.Series] = {}
    for outcome in contract.outcomes:
        text = frame[outcome.name].str.strip()
        blank = text == ""
        if outcome.type == "code":
            found += _row_findings(file, outcome.name, "REF_OUTCOME_INVALID_CODE", ~blank & ~text.isin(outcome.codes))
            continue
        whole = text.str.fullmatch(r"-?[0-9]+")
        found += _row_findings(file, outcome.name, "REF_OUTCOME_NOT_INTEGER", ~blank & ~whole)
        value = pd.to_numeric(text.where(whole), errors="coerce")
        numbers[outcome.name] = value
        low = value < outcome.minimum if outcome.minimum is not None else pd.Series(False, index=frame.index)
        high = value > outcome.maximum if outcome.maximum is not None else pd.Series(False, index=frame.index)
        found += _row_findings(file, outcome.name, "REF_OUTCOME_OUT_OF_RANGE", (low | high).fillna(False))
    for outcome in contract.outcomes:
        if outcome.not_above and outcome.name in numbers and outcome.not_above in numbers:
            exceeds = (numbers[outcome.name] > numbers[outcome.not_above]).fillna(False)
            found += _row_findings(file, outcome.name, "REF_OUTCOME_EXCEEDS", exceeds)
    return found


def check_extract(
    frame: pd.DataFrame | None, contract: ReferenceContract, file: str, period_end: date
) -> tuple[ReferenceCheck, pd.Series | None]:
    """All findings of one extract, and the mask of rows usable for matching (None when rejected unread)."""
    if frame is None:
        return ReferenceCheck((_finding(file, None, None, "REF_FILE_UNREADABLE"),), 0, 0), None
    if len(frame) == 0:
        return ReferenceCheck((_finding(file, None, None, "REF_HEADER_ONLY"),), 0, 0), None
    found = check_columns(frame, contract, file)
    if found:
        return ReferenceCheck(tuple(found), len(frame), 0), None
    record_id = frame[contract.record_id].str.strip()
    found += _row_findings(file, contract.record_id, "REF_RECORD_ID_MISSING", record_id == "")
    found += _row_findings(
        file, contract.record_id, "REF_RECORD_ID_DUPLICATE", (record_id != "") & record_id.duplicated(keep="first")
    )
    identifier_findings, matchable = check_identifiers(frame, contract, file, period_end)
    found += identifier_findings + check_outcomes(frame, contract, file)
    return ReferenceCheck(tuple(found), len(frame), int(matchable.sum())), matchable

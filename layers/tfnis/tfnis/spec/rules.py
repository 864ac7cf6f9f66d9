"""The catalogue of rule codes a return is checked against: a stable code, its severity and its meaning.

Codes are part of the contract (reports and councils' own tooling key on them): add new ones, never rename.
Severities follow DATA_SPEC.md "Rule severities": an error rejects the submission (unreadable file, missing
required column or value, broken join, invalid code, duplicate id, impossible date); a warning is reported
and the row is kept (an identifier invalid but present — then not used for matching —, an age outside the
expected band, an optional field out of range); info notes something we accepted and changed (a roll-up,
an alias) so the council is not surprised by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfnis.spec.findings import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO  # N: a note (info)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    meaning: str


_CATALOGUE: tuple[tuple[str, Severity, str], ...] = (
    # --- the files ---------------------------------------------------------------------------------------
    ("FILE_UNREADABLE", E, "The file does not exist or cannot be opened."),
    ("FILE_MISSING", E, "One of the two tables (families, individuals) was not supplied."),
    ("TABLE_UNIDENTIFIED", E, "A CSV file could not be identified as the families or the individuals table."),
    ("FILE_EMPTY", E, "The file is empty (no header row)."),
    ("HEADER_ONLY", E, "The file has a header row but no data rows."),
    ("NOT_UTF8", E, "The file is not UTF-8 (e.g. Windows-1252 from Excel 'CSV'); save it as 'CSV UTF-8'."),
    ("WRONG_DELIMITER", E, "The file is not comma-separated (semicolons, tabs or pipes were found)."),
    ("RAGGED_ROW", E, "A row has a different number of fields from the header row."),
    ("XLSX_NOT_WORKBOOK", E, "The .xlsx file is not an Excel workbook (or is damaged or encrypted)."),
    ("XLSX_MISSING_SHEET", E, "The workbook has no sheet named 'families' or 'individuals'."),
    ("XLSX_TOO_LARGE", E, "The workbook is larger than allowed once uncompressed; refused before reading."),
    # --- columns -----------------------------------------------------------------------------------------
    ("MISSING_COLUMN", E, "A required or conditional column is absent from the header row."),
    ("DUPLICATE_COLUMN", E, "A column name appears more than once in the header row."),
    ("UNKNOWN_COLUMN", W, "A column is not part of the specification; it is ignored."),
    # --- cells -------------------------------------------------------------------------------------------
    ("REQUIRED_MISSING", E, "A required value is blank."),
    ("INVALID_CODE", E, "The value is not one of the codes allowed for the column."),
    ("DATE_FORMAT", E, "The value is not a date written YYYY-MM-DD (or DD/MM/YYYY)."),
    ("INVALID_DATE", E, "The value has the shape of a date but no such day exists (e.g. 31/02/2024)."),
    ("INVALID_INTEGER", E, "The value is not a whole number."),
    ("OUT_OF_RANGE", W, "A number is outside the range allowed for the column."),
    ("TOO_LONG", E, "The value is longer than the column allows."),
    ("ID_FORMAT", E, "A council reference (family_id, person_id) has characters other than A-Z a-z 0-9 _ -."),
    ("INVALID_CHARACTERS", W, "A name has characters other than letters, space, apostrophe, hyphen and full stop."),
    ("FORMULA_INJECTION", W, "A cell starts with = + - or @ and would run as a formula in a spreadsheet."),
    ("SEX_ALIAS", N, "Sex given as M/F/U was read as ISO/IEC 5218 1/2/0."),
    ("ETHNICITY_EXTENDED", N, "An extended DfE ethnicity code was rolled up to its main code."),
    # --- the submission ----------------------------------------------------------------------------------
    ("LA_CODE_FORMAT", E, "la_code is not the GSS code of an upper-tier authority (E06/E08/E09/E10 + 6 digits)."),
    ("LA_CODE_MISMATCH", E, "la_code differs between rows, or from the council making the submission."),
    ("PERIOD_END_INVALID", E, "period_end is not 31 March or 30 September."),
    ("PERIOD_MISMATCH", E, "period_end differs between rows, or from the period of the submission."),
    # --- families ----------------------------------------------------------------------------------------
    ("DUPLICATE_FAMILY_ID", E, "The same family_id is on more than one row of families."),
    ("FAMILY_NO_MEMBERS", E, "A family has no individuals in the individuals table."),
    ("HP_BELOW_MINIMUM", E, "Fewer headline problems are Y than the family's framework requires."),
    ("HP_NOT_IN_FRAMEWORK", W, "A headline problem of another framework is Y; it is ignored."),
    ("SUPPORT_START_REQUIRED", E, "support_start_date is blank for an ACTIVE or ENDED family."),
    ("SUPPORT_START_NOT_ALLOWED", E, "support_start_date is filled for a COMPARISON family."),
    ("SUPPORT_END_REQUIRED", E, "support_end_date is blank for an ENDED family."),
    ("DATE_ORDER", E, "Dates are in an impossible order (support start before identification, end before start)."),
    ("DATE_AFTER_PERIOD", E, "A date is after period_end."),
    # --- individuals -------------------------------------------------------------------------------------
    ("DUPLICATE_PERSON_ID", E, "The same person_id is on more than one row of individuals."),
    ("FAMILY_MISSING", E, "The individual's family_id is not in the families table."),
    ("DOB_IN_FUTURE", E, "date_of_birth is after period_end."),
    ("AGE_OUT_OF_RANGE", W, "The age at period_end is over 110."),
    ("NEET_AGE", W, "neet is filled for someone outside ages 16-24; it is ignored."),
    ("MISSING_EDUCATION_AGE", W, "missing_education is filled for someone outside ages 5-16; it is ignored."),
    # --- identifiers (warnings: an invalid identifier is kept but never used for matching) ------------------
    ("UPN_FORMAT", W, "The UPN is not 13 characters: a letter, 11 digits, then a digit or letter."),
    ("UPN_CHECK_LETTER", W, "The UPN's check letter does not match its other characters."),
    ("DUPLICATE_UPN", E, "The same UPN is given for more than one person."),
    ("UPN_AGE", W, "A UPN is given for someone outside ages 4-19."),
    ("NINO_FORMAT", W, "The National Insurance number is not valid (2 letters, 6 digits, suffix A-D)."),
    ("NINO_TEMPORARY", W, "The National Insurance number is a temporary number (TN + date of birth + M/F)."),
    ("NINO_ADMINISTRATIVE", W, "The National Insurance number has an administrative prefix and is not a NINO."),
    ("NINO_UNDER_16", W, "A National Insurance number is given for someone under 16."),
    ("POSTCODE_FORMAT", W, "The postcode is not a valid UK postcode."),
    ("POSTCODE_REQUIRED", E, "The postcode is blank and no_fixed_abode is not Y."),
    ("POSTCODE_NO_FIXED_ABODE", W, "An NHS pseudo-postcode ZZ99 was given; read as no fixed abode / not known."),
    ("NHS_NUMBER_CHECK", W, "The NHS number is not 10 digits with a correct modulus-11 check digit."),
)

RULES: dict[str, Rule] = {code: Rule(code, severity, meaning) for code, severity, meaning in _CATALOGUE}


def rule(code: str) -> Rule:
    """The catalogue entry of a rule code (KeyError for a code that is not in the catalogue)."""
    return RULES[code]


def severity_of(code: str) -> Severity:
    return RULES[code].severity


def rules_markdown() -> str:
    """The catalogue as a Markdown table (docs/rules.md and the README embed it)."""
    lines = ["| rule | severity | meaning |", "|---|---|---|"]
    lines += [f"| `{r.code}` | {r.severity.value} | {r.meaning} |" for r in RULES.values()]
    return "\n".join(lines) + "\n"

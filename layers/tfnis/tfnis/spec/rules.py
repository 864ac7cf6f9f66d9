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
    heading: str  # what a report's heading says, in plain English; the code comes second
    meaning: str


_CATALOGUE: tuple[tuple[str, Severity, str, str], ...] = (
    # --- the files ---------------------------------------------------------------------------------------
    ("FILE_UNREADABLE", E, "A file cannot be opened", "The file does not exist or cannot be opened."),
    ("FILE_MISSING", E, "A table is missing", "One of the two tables (families, individuals) was not supplied."),
    ("TABLE_UNIDENTIFIED", E, "A file is not recognised",
     "A CSV file could not be identified as the families or the individuals table."),
    ("FILE_EMPTY", E, "A file is empty", "The file is empty (no header row)."),
    ("HEADER_ONLY", E, "A file has no records", "The file has a header row but no data rows."),
    ("HEADER_NOT_FOUND", E, "The header row is missing",
     "No row near the top of the file names the table's columns; row 1 must be the header row."),
    ("TITLE_ROW_SKIPPED", N, "A title above the header was skipped",
     "Rows above the header row (a title) were skipped; row numbers are still the spreadsheet's."),
    ("NOT_UTF8", E, "A file is in the wrong character encoding",
     "The file is not UTF-8 (and not plainly Windows-1252); save it as 'CSV UTF-8'."),
    ("WINDOWS_1252", W, "A file was saved as Windows-1252, not UTF-8",
     "The file is Windows-1252 (Excel's 'CSV (Comma delimited)'); it was read as such. Save as 'CSV UTF-8' next time."),
    ("WRONG_DELIMITER", E, "Columns are not separated by commas",
     "The file is not comma-separated (semicolons, tabs or pipes were found)."),
    ("RAGGED_ROW", E, "A row has too many or too few fields",
     "A row has a different number of fields from the header row."),
    ("XLSX_NOT_WORKBOOK", E, "A file is not an Excel .xlsx workbook",
     "The .xlsx file is not an Excel workbook (or is damaged or encrypted)."),
    ("XLSX_MISSING_SHEET", E, "A sheet is missing from the workbook",
     "The workbook has no sheet named 'families' or 'individuals'."),
    ("XLSX_TOO_LARGE", E, "The workbook is too large",
     "The workbook is larger than allowed once uncompressed; refused before reading."),
    # --- columns -----------------------------------------------------------------------------------------
    ("MISSING_COLUMN", E, "A column is missing", "A required or conditional column is absent from the header row."),
    ("DUPLICATE_COLUMN", E, "A column appears twice", "A column name appears more than once in the header row."),
    ("UNKNOWN_COLUMN", W, "A column is not in the specification",
     "A column is not part of the specification; it is ignored."),
    ("HEADER_RENAMED", N, "A column heading was read as a specification name",
     "A heading written in words, another case or a documented alias was read as the column's name."),
    # --- cells -------------------------------------------------------------------------------------------
    ("REQUIRED_MISSING", E, "A required value is blank", "A required value is blank."),
    ("INVALID_CODE", E, "A value is not one of the allowed codes",
     "The value is not one of the codes allowed for the column."),
    ("DATE_FORMAT", E, "A date is not written as a date",
     "The value is not a date written YYYY-MM-DD (or DD/MM/YYYY)."),
    ("INVALID_DATE", E, "A date does not exist",
     "The value has the shape of a date but no such day exists (e.g. 31/02/2024)."),
    ("DATE_WITH_TIME", N, "Dates with a midnight time were read as dates",
     "A date written with a time of 00:00 (as Excel saves date cells) was read as the date."),
    ("EXCEL_NUMBER_FORMAT", E, "Excel has changed values into numbers",
     "An identifier became a number in scientific notation or lost its leading zero, or a date became Excel's "
     "day count: format the column as Text (or as a date) and re-enter the values."),
    ("INVALID_INTEGER", E, "A value is not a whole number", "The value is not a whole number."),
    ("OUT_OF_RANGE", W, "A number is out of range", "A number is outside the range allowed for the column."),
    ("TOO_LONG", E, "A value is too long", "The value is longer than the column allows."),
    ("ID_FORMAT", E, "A council reference has characters that are not allowed",
     "A council reference (family_id, person_id) has characters other than A-Z a-z 0-9 _ -."),
    ("INVALID_CHARACTERS", W, "A name has unusual characters",
     "A name has characters other than letters, space, apostrophe, hyphen and full stop."),
    ("FORMULA_INJECTION", W, "A cell would run as a spreadsheet formula",
     "A cell starts with = + - or @ and would run as a formula in a spreadsheet."),
    ("YES_NO_ALIAS", N, "Yes/No was read as Y/N", "Yes/No or TRUE/FALSE in a Y/N column was read as Y/N."),
    ("SEX_ALIAS", N, "Sex written as words or letters was read as a code",
     "Sex given as M/F/U or as words (Male, Female, Not known) was read as ISO/IEC 5218 1/2/0/9."),
    ("ETHNICITY_EXTENDED", N, "Extended ethnicity codes were rolled up",
     "An extended DfE ethnicity code was rolled up to its main code."),
    # --- the submission ----------------------------------------------------------------------------------
    ("LA_CODE_FORMAT", E, "The council code is not a GSS code",
     "la_code is not the GSS code of an upper-tier authority (E06/E08/E09/E10 + 6 digits)."),
    ("LA_CODE_MISMATCH", E, "The council code differs",
     "la_code differs between rows, or from the council making the submission."),
    ("PERIOD_END_INVALID", E, "The period end is not 31 March or 30 September",
     "period_end is not 31 March or 30 September."),
    ("PERIOD_MISMATCH", E, "The period end differs",
     "period_end differs between rows, or from the period of the submission."),
    # --- families ----------------------------------------------------------------------------------------
    ("DUPLICATE_FAMILY_ID", E, "A family appears twice", "The same family_id is on more than one row of families."),
    ("FAMILY_NO_MEMBERS", E, "A family has no individuals", "A family has no individuals in the individuals table."),
    ("HP_BELOW_MINIMUM", E, "A family has too few headline problems",
     "Fewer headline problems are Y than the family's framework requires."),
    ("HP_NOT_IN_FRAMEWORK", W, "A headline problem is not in the family's framework",
     "A headline problem of another framework is Y; it is ignored."),
    ("SUPPORT_START_REQUIRED", E, "A support start date is missing",
     "support_start_date is blank for an ACTIVE or ENDED family."),
    ("SUPPORT_START_NOT_ALLOWED", E, "A comparison family has a support start date",
     "support_start_date is filled for a COMPARISON family."),
    ("SUPPORT_END_REQUIRED", E, "A support end date is missing", "support_end_date is blank for an ENDED family."),
    ("DATE_ORDER", E, "Dates are in an impossible order",
     "Dates are in an impossible order (support start before identification, end before start)."),
    ("DATE_AFTER_PERIOD", E, "A date is after the period end", "A date is after period_end."),
    # --- individuals -------------------------------------------------------------------------------------
    ("DUPLICATE_PERSON_ID", E, "A person appears twice", "The same person_id is on more than one row of individuals."),
    ("FAMILY_MISSING", E, "A person's family is not in the families table",
     "The individual's family_id is not in the families table."),
    ("DOB_IN_FUTURE", E, "A date of birth is after the period end", "date_of_birth is after period_end."),
    ("AGE_OUT_OF_RANGE", W, "An age is over 110", "The age at period_end is over 110."),
    ("NEET_AGE", W, "NEET is filled outside ages 16 to 24",
     "neet is filled for someone outside ages 16-24; it is ignored."),
    ("MISSING_EDUCATION_AGE", W, "Missing education is filled outside ages 5 to 16",
     "missing_education is filled for someone outside ages 5-16; it is ignored."),
    # --- identifiers (warnings: an invalid identifier is kept but never used for matching) ------------------
    ("UPN_FORMAT", W, "A Unique Pupil Number is not in the right format",
     "The UPN is not 13 characters: a letter, 11 digits, then a digit or letter."),
    ("UPN_CHECK_LETTER", W, "A Unique Pupil Number has the wrong check letter",
     "The UPN's check letter does not match its other characters."),
    ("DUPLICATE_UPN", E, "A Unique Pupil Number is given for two people",
     "The same UPN is given for more than one person."),
    ("UPN_AGE", W, "A Unique Pupil Number is given outside school ages",
     "A UPN is given for someone outside ages 4-19."),
    ("NINO_FORMAT", W, "A National Insurance number is not valid",
     "The National Insurance number is not valid (2 letters, 6 digits, suffix A-D)."),
    ("NINO_TEMPORARY", W, "A National Insurance number is a temporary number",
     "The National Insurance number is a temporary number (TN + date of birth + M/F)."),
    ("NINO_ADMINISTRATIVE", W, "A National Insurance number has an administrative prefix",
     "The National Insurance number has an administrative prefix and is not a NINO."),
    ("NINO_UNDER_16", W, "A National Insurance number is given for a child under 16",
     "A National Insurance number is given for someone under 16."),
    ("POSTCODE_FORMAT", W, "A postcode is not valid", "The postcode is not a valid UK postcode."),
    ("POSTCODE_REQUIRED", E, "A postcode is missing", "The postcode is blank and no_fixed_abode is not Y."),
    ("POSTCODE_NO_FIXED_ABODE", W, "A ZZ99 pseudo-postcode was given",
     "An NHS pseudo-postcode ZZ99 was given; read as no fixed abode / not known."),
    ("NHS_NUMBER_CHECK", W, "An NHS number is not valid",
     "The NHS number is not 10 digits with a correct modulus-11 check digit."),
)  # fmt: skip

RULES: dict[str, Rule] = {
    code: Rule(code, severity, heading, meaning) for code, severity, heading, meaning in _CATALOGUE
}


def rule(code: str) -> Rule:
    """The catalogue entry of a rule code (KeyError for a code that is not in the catalogue)."""
    return RULES[code]


def severity_of(code: str) -> Severity:
    return RULES[code].severity


def rules_markdown() -> str:
    """The catalogue as a Markdown table (docs/rules.md and the README embed it)."""
    lines = ["| rule | severity | heading | meaning |", "|---|---|---|---|"]
    lines += [f"| `{r.code}` | {r.severity.value} | {r.heading} | {r.meaning} |" for r in RULES.values()]
    return "\n".join(lines) + "\n"


_DOCUMENT_HEAD = """# Rule codes

<!-- Generated from layers/tfnis/tfnis/spec/rules.py: .venv/bin/python -m tfnis.spec.rules > docs/rules.md
     (a test keeps the two in step; edit the module, not this file). -->

Every finding in a validation report cites one of these codes, with the file (and the sheet, for a workbook),
the row as the spreadsheet shows it (the header is row 1, the first data row is row 2; blank for a finding about
the whole file), the column, a plain-English heading and a message written for a council officer.
Codes are stable: new ones may be added, none is renamed. Reports list errors first, then warnings, then
notes; within each, problems with a whole file first, then by file and row. A rule that needs a column that is
missing does not run: the missing column is the one finding.

- **error** rejects the submission: the file cannot be read, a required column or value is missing, a join
  is broken, a code is invalid, an id is duplicated, a date is impossible, Excel has changed values into numbers.
- **warning** is reported and the row is kept: an identifier that is present but invalid (it is then never
  used for matching), an age outside the expected band, an optional field out of range, a Windows-1252 file.
- **info** (a note) says something accepted and changed, once per column or file, so the council is not
  surprised by it.

No message ever contains the value of an identifier column (names, date of birth, postcode, NINO, UPN,
NHS number, person_id, family_id).

## How values are read

- Cells are trimmed; an empty cell means "not provided"; zero is a value.
- Codes and Y/N are matched in any case. `Yes`/`No` and `TRUE`/`FALSE` are read as `Y`/`N` (`YES_NO_ALIAS`);
  sex as {sex_words} is read as its ISO/IEC 5218 code (`SEX_ALIAS`); extended DfE ethnicity codes roll up to their
  main code (`ETHNICITY_EXTENDED`).
- Dates are `YYYY-MM-DD` or `DD/MM/YYYY`, or a date cell of a workbook; a date with a midnight time
  (`2024-08-10 00:00:00`, as Excel saves date cells) is read as the date (`DATE_WITH_TIME`). Any other time
  is a `DATE_FORMAT` error. Whole numbers may be written `3` or `3.0`.
- Column headings are matched in any case and with spaces, hyphens or punctuation for underscores
  (`Date of Birth` is `date_of_birth`, `HP Crime ASB` is `hp_CRIME_ASB`), and by these aliases
  (`HEADER_RENAMED`, once per file): {aliases}.
- A title above the header row is found (the header is the first of the first 10 rows naming at least 3
  columns) and skipped (`TITLE_ROW_SKIPPED`); row numbers stay the spreadsheet's.
- Blank rows, and rows of nothing but commas (as Excel saves a blank row into a CSV), are not records, in
  CSVs as in workbooks; the rows after them keep their spreadsheet numbers.
- A CSV that is not UTF-8 but plainly Windows-1252 (Excel's "CSV (Comma delimited)") is read as such with a
  warning (`WINDOWS_1252`); when some characters could be read more than one way it is a `NOT_UTF8` error.
- Excel damage is named (`EXCEL_NUMBER_FORMAT`): an NHS number, family_id or person_id in scientific notation
  (`9.43E+09`), an NHS number of 9 digits (its leading zero dropped), a date that became Excel's day count
  (`45123`). The fix: format the column as Text (or as a date) and re-enter the values.
- A workbook is refused before it is opened if its sheets would expand to more than 256 MiB (about 100,000
  people; send two CSV files for more); an old `.xls` is told to save as `.xlsx`.

## Codes

"""


def rules_document() -> str:
    """The whole of docs/rules.md: how values are read, the aliases, and the catalogue."""
    from tfnis.spec.codes import SEX_ALIASES
    from tfnis.spec.columns import HEADER_ALIASES

    sex_words = ", ".join(f"`{w.title()}`" for w in SEX_ALIASES if len(w) > 1)
    aliases = ", ".join(f"`{alias}` → `{name}`" for alias, name in sorted(HEADER_ALIASES.items()))
    return _DOCUMENT_HEAD.format(sex_words=sex_words, aliases=aliases) + rules_markdown()


if __name__ == "__main__":
    print(rules_document(), end="")

"""The rules of DATA_SPEC.md applied to whole columns at once: header, cells, each table, the join.

Every check reads a column, builds a boolean mask and hands the FindingLog the rows where it is True. The
messages name the column and the rule, never the value: many columns hold identifiers, and a message that
quotes one would leak it into reports, logs and e-mails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfnis.spec.codes import ETHNICITY_EXTENDED, ETHNICITY_MAIN, FRAMEWORKS, SEX_ALIASES, YES_NO_ALIASES
from tfnis.spec.columnar import any_byte_outside, arrow_strings
from tfnis.spec.columns import (
    AGE_BANDS,
    LA_CODE_PATTERN,
    LOCAL_ID_PATTERN,
    MAX_AGE,
    NAME_PATTERN,
    NAME_PATTERN_RE2,
    TABLES,
    Column,
    Kind,
    Need,
)
from tfnis.spec.identifiers import (
    UPN_SHAPE_PATTERN,
    nhs_valid_mask,
    nino_classes,
    normalise_upns,
    postcode_classes,
    upn_valid_mask,
)
from tfnis.validation.cells import (
    DATE_SERIAL,
    SCIENTIFIC,
    age_in_years,
    cleaned,
    isin,
    matches,
    parse_dates,
    parse_integers,
    recode,
    repeated,
    upper,
)
from tfnis.validation.findings_log import FindingLog
from tfnis.validation.reading import Table

if TYPE_CHECKING:
    import datetime as dt

    import numpy as np
    import pandas as pd


def _printable(name: str) -> str:
    """An unknown header as it may appear in a report: printable characters only, at most 60 of them."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 60 else text[:59] + "…"


# Ten digits is an NHS (or CHI) number; nine digits is one whose leading zero a number cell dropped.
NHS_LOST_ZERO = r"^[0-9]{9}$"


def _is_hp(name: str) -> bool:
    return name.startswith("hp_")


# --- header -------------------------------------------------------------------------------------------------
def check_header(table: Table, log: FindingLog) -> pd.DataFrame | None:
    """Drop unknown and repeated columns (reporting them) and report missing ones; None if nothing to check.
    A header naming none of the table's columns is one finding, not one per missing column."""
    frame = table.frame
    if frame is None:
        return None
    known = {c.name for c in TABLES[table.name]}
    if not known & set(table.header):
        log.file_level(
            table.file,
            "HEADER_NOT_FOUND",
            f"No row near the top names the columns of the {table.name} table (for example la_code, "
            f"{'person_id' if table.name == 'individuals' else 'family_id'}); row 1 must be the header row.",
        )
        return None
    seen: set[str] = set()
    keep: list[int] = []
    for position, name in enumerate(table.header):
        if not name and not frame.iloc[:, position].fillna("").str.strip().ne("").any():
            continue  # Excel's empty, unnamed columns to the right of a table
        if name in seen:
            log.file_level(table.file, "DUPLICATE_COLUMN", "The column appears more than once; keep one.", column=name)
        elif name not in known:
            log.file_level(
                table.file,
                "UNKNOWN_COLUMN",
                "The column is not in the specification and was ignored (check the spelling).",
                column=_printable(name) or f"(unnamed column {position + 1})",
            )
        else:
            keep.append(position)
        seen.add(name)
    if table.renamed:
        examples = [f"'{_printable(written)}' as {name}" for name, written in list(table.renamed.items())[:4]]
        more = len(table.renamed) - len(examples)
        log.file_level(
            table.file,
            "HEADER_RENAMED",
            f"{len(table.renamed)} column heading(s) were read as the specification's names: {', '.join(examples)}"
            + (f" and {more} more." if more else "."),
        )
    for spec in TABLES[table.name]:
        if spec.need is not Need.OPTIONAL and not _is_hp(spec.name) and spec.name not in seen:
            log.file_level(table.file, "MISSING_COLUMN", f"The column '{spec.name}' is required.", column=spec.name)
    if frame.empty:
        log.file_level(table.file, "HEADER_ONLY", "The file has a header row but no data rows.")
        return None
    return frame.iloc[:, keep]


# --- cells --------------------------------------------------------------------------------------------------
def _label(spec: Column) -> str:
    return spec.label or spec.name


_LOCAL_ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _check_text(file: str, spec: Column, values: pd.Series, log: FindingLog) -> pd.Series:
    import numpy as np

    if spec.max_length:
        log.where(
            file,
            "TOO_LONG",
            spec.name,
            values.str.len() > spec.max_length,
            f"{_label(spec)} is longer than {spec.max_length} characters.",
        )
    if spec.pattern == LOCAL_ID_PATTERN:
        bad = np.zeros(len(values), dtype=bool)
        if any_byte_outside(arrow_strings(values), _LOCAL_ID_BYTES):  # else every id is well formed
            bad = values.notna().to_numpy() & ~matches(values, LOCAL_ID_PATTERN)
        if bad.any():
            excel = bad & matches(values, SCIENTIFIC)
            log.at_rows(file, "EXCEL_NUMBER_FORMAT", spec.name, values.index[excel], _excel_scientific(spec))
            bad &= ~excel
        log.at_rows(
            file,
            "ID_FORMAT",
            spec.name,
            values.index[bad],
            f"{_label(spec)} may use only letters A-Z, digits, '_' and '-'.",
        )
    elif spec.pattern == NAME_PATTERN:
        bad = values.notna().to_numpy() & ~matches(values, NAME_PATTERN_RE2, few_distinct=True)
        log.at_rows(
            file,
            "INVALID_CHARACTERS",
            spec.name,
            values.index[bad],
            f"{_label(spec)} should contain only letters, spaces, apostrophes, hyphens and full stops.",
        )
    elif spec.pattern == LA_CODE_PATTERN:
        bad = values.notna().to_numpy() & ~matches(values, LA_CODE_PATTERN, few_distinct=True)
        log.at_rows(
            file,
            "LA_CODE_FORMAT",
            spec.name,
            values.index[bad],
            "la_code must be the 9-character GSS code of the council (E06, E08, E09 or E10 and six digits).",
        )
    return values


_ALIASES = {"sex": (SEX_ALIASES, "SEX_ALIAS", "written as words or M/F/U were read as ISO/IEC 5218 codes")}
_YES_NO = (YES_NO_ALIASES, "YES_NO_ALIAS", "written Yes/No or TRUE/FALSE were read as Y/N")


def _check_code(file: str, spec: Column, values: pd.Series, log: FindingLog) -> pd.Series:
    """Codes upper-cased; the plain words people write for a code (Yes, Male, an extended ethnicity code) are
    read as the code and noted once per column. Only values that are not codes are looked at twice."""
    codes = upper(values)
    allowed_codes = ETHNICITY_MAIN if spec.name == "ethnicity" else spec.codes
    invalid = codes.notna().to_numpy() & ~isin(codes, allowed_codes)
    aliases, rule, what = _ALIASES.get(spec.name, _YES_NO if spec.kind is Kind.YES_NO else ({}, "", ""))
    if spec.name == "ethnicity":
        aliases, rule, what = (
            ETHNICITY_EXTENDED,
            "ETHNICITY_EXTENDED",
            "with extended DfE codes were rolled up to their main codes",
        )
    if aliases and invalid.any():
        alias = invalid & isin(codes, aliases)
        if alias.any():
            log.once(file, rule, spec.name, codes.index[alias], what)
            codes = recode(codes, aliases)
            invalid &= ~alias
    if spec.name == "ethnicity":
        allowed = "a DfE ethnicity main or extended code (e.g. WBRI, AIND, REFU, NOBT)"
    elif spec.name == "sex":
        allowed = ", ".join(spec.codes) + " (or M, F, U, Male, Female)"
    else:
        allowed = ", ".join(spec.codes) + (" (or Yes, No)" if spec.kind is Kind.YES_NO else "")
    log.at_rows(file, "INVALID_CODE", spec.name, codes.index[invalid], f"{_label(spec)} must be one of: {allowed}.")
    return codes


def _excel_scientific(spec: Column) -> str:
    return (
        f"Excel has turned {_label(spec)} into a number in scientific notation (like 1.23E+09), losing digits: "
        "format the column as Text and re-enter the values, or export them again from your case system."
    )


def _check_date(table: Table, spec: Column, values: pd.Series, log: FindingLog) -> pd.Series:
    parsed = parse_dates(values)
    bad = parsed.bad_format
    if bad.any():
        serial = bad & matches(values, DATE_SERIAL)
        log.at_rows(
            table.file,
            "EXCEL_NUMBER_FORMAT",
            spec.name,
            values.index[serial],
            f"{_label(spec)} is a number, not a date: Excel shows a date as its day count when the cell is "
            "formatted General or Number. Format the column as a date (Short Date) and save again.",
        )
        bad = bad & ~serial
    log.at_rows(
        table.file,
        "DATE_FORMAT",
        spec.name,
        values.index[bad],
        f"{_label(spec)} must be a date written YYYY-MM-DD (or DD/MM/YYYY).",
    )
    log.at_rows(
        table.file,
        "INVALID_DATE",
        spec.name,
        values.index[parsed.impossible],
        f"{_label(spec)} is not a real calendar date.",
    )
    if parsed.midnight is not None and parsed.midnight.any():
        log.once(
            table.file,
            "DATE_WITH_TIME",
            spec.name,
            values.index[parsed.midnight],
            "with a midnight time were read as dates",
        )
    table.unparsed[spec.name] = parsed.bad_format | parsed.impossible
    return parsed.values


def _check_int(file: str, spec: Column, values: pd.Series, log: FindingLog) -> pd.Series:
    parsed = parse_integers(values)
    log.at_rows(
        file,
        "INVALID_INTEGER",
        spec.name,
        values.index[parsed.bad_format],
        f"{_label(spec)} must be a whole number (or blank if not known).",
    )
    numbers = parsed.values
    out = parsed.impossible.copy()
    if spec.minimum is not None:
        out |= (numbers < spec.minimum).fillna(False).to_numpy(bool)
    if spec.maximum is not None:
        out |= (numbers > spec.maximum).fillna(False).to_numpy(bool)
    bounds = f"{spec.minimum}" + (f" to {spec.maximum}" if spec.maximum is not None else " or more")
    log.at_rows(
        file,
        "OUT_OF_RANGE",
        spec.name,
        values.index[out],
        f"{_label(spec)} should be {bounds}; the row is kept.",
    )
    return numbers


def _check_column(table: Table, spec: Column, raw: pd.Series, log: FindingLog) -> pd.Series:
    file = table.file
    values, formula = cleaned(raw)
    log.at_rows(
        file,
        "FORMULA_INJECTION",
        spec.name,
        raw.index[formula],
        "The cell starts with = + - or @ and would run as a formula in a spreadsheet; remove that character.",
    )
    if spec.need is Need.REQUIRED:
        log.where(file, "REQUIRED_MISSING", spec.name, values.isna(), f"{_label(spec)} is required.")
    if spec.kind in (Kind.ENUM, Kind.YES_NO):
        return _check_code(file, spec, values, log)
    if spec.kind is Kind.DATE:
        return _check_date(table, spec, values, log)
    if spec.kind is Kind.INT:
        return _check_int(file, spec, values, log)
    return _check_text(file, spec, values, log)


def check_cells(table: Table, frame: pd.DataFrame, log: FindingLog) -> pd.DataFrame:
    """Parse every known column to its type, citing each cell that breaks its column's rule."""
    import pandas as pd

    typed = {
        spec.name: _check_column(table, spec, frame[spec.name], log)
        for spec in TABLES[table.name]
        if spec.name in frame.columns
    }
    return pd.DataFrame(typed, index=frame.index)


# --- the submission: one council, one period ----------------------------------------------------------------
def _modal(values: list[pd.Series]):
    """The most common non-null value across the tables (the submission's la_code or period_end)."""
    from collections import Counter

    counts: Counter = Counter()
    for series in values:
        counts.update(series.value_counts(dropna=True).to_dict())
    return counts.most_common(1)[0][0] if counts else None


def check_submission(
    tables: list[tuple[Table, pd.DataFrame]],
    log: FindingLog,
    expected_la_code: str | None,
    expected_period_end: dt.date | None,
) -> tuple[str | None, pd.Timestamp | None]:
    """One la_code and one period_end across both tables (and the ones expected, when given)."""
    import pandas as pd

    la_values = [
        f["la_code"].where(matches(f["la_code"], LA_CODE_PATTERN, few_distinct=True))
        for _, f in tables
        if "la_code" in f
    ]
    la_code = expected_la_code or _modal(la_values)
    periods = [f["period_end"] for _, f in tables if "period_end" in f]
    period = pd.Timestamp(expected_period_end) if expected_period_end else _modal(periods)
    against = "the council making this submission" if expected_la_code else "the rest of the return"
    period_against = "the period of this submission" if expected_period_end else "the rest of the return"
    for table, frame in tables:
        if "la_code" in frame and la_code is not None:
            well_formed = matches(frame["la_code"], LA_CODE_PATTERN, few_distinct=True)
            log.at_rows(
                table.file,
                "LA_CODE_MISMATCH",
                "la_code",
                frame.index[well_formed & (frame["la_code"] != la_code).fillna(False).to_numpy(bool)],
                f"la_code differs from {against}.",
            )
        if "period_end" in frame:
            ends = frame["period_end"]
            wrong_day = ends.notna() & ~(
                ((ends.dt.month == 3) & (ends.dt.day == 31)) | ((ends.dt.month == 9) & (ends.dt.day == 30))
            )
            log.where(
                table.file,
                "PERIOD_END_INVALID",
                "period_end",
                wrong_day,
                "period_end must be 31 March or 30 September.",
            )
            if period is not None:
                log.where(
                    table.file,
                    "PERIOD_MISMATCH",
                    "period_end",
                    ends.notna() & (ends != period),
                    f"period_end differs from {period_against}.",
                )
    return la_code, (None if period is None else pd.Timestamp(period))


def _blank(table: Table, name: str, dates: pd.Series) -> np.ndarray:
    """Cells left blank (a filled cell that is not a date has its own finding, not 'required')."""
    import numpy as np

    blank = dates.isna().to_numpy()
    unparsed = table.unparsed.get(name)
    return blank if unparsed is None else blank & ~np.asarray(unparsed, dtype=bool)


# --- families -----------------------------------------------------------------------------------------------
def _duplicates(values: pd.Series) -> pd.Series:
    """True on every row whose (non-null) value is on another row too."""
    import pandas as pd

    return pd.Series(repeated(values), index=values.index)


def check_families(table: Table, families: pd.DataFrame, log: FindingLog, period_end: pd.Timestamp | None) -> None:
    file = table.file
    if "family_id" in families:
        log.where(
            file,
            "DUPLICATE_FAMILY_ID",
            "family_id",
            _duplicates(families["family_id"]),
            "The family_id is on more than one row; each family must appear once.",
        )
    if "framework" in families:
        _check_headline_problems(table, families, log)
    if "intervention_status" in families:
        status = families["intervention_status"]
        start = families.get("support_start_date")
        end = families.get("support_end_date")
        if start is not None:
            log.at_rows(
                file,
                "SUPPORT_START_REQUIRED",
                "support_start_date",
                families.index[isin(status, ["ACTIVE", "ENDED"]) & _blank(table, "support_start_date", start)],
                "support_start_date is required when intervention_status is ACTIVE or ENDED.",
            )
            log.where(
                file,
                "SUPPORT_START_NOT_ALLOWED",
                "support_start_date",
                (status == "COMPARISON") & start.notna(),
                "support_start_date must be blank for a COMPARISON family (it receives no support).",
            )
        if end is not None:
            log.at_rows(
                file,
                "SUPPORT_END_REQUIRED",
                "support_end_date",
                families.index[isin(status, ["ENDED"]) & _blank(table, "support_end_date", end)],
                "support_end_date is required when intervention_status is ENDED.",
            )
    identified, start, end = (families.get(c) for c in ("date_identified", "support_start_date", "support_end_date"))
    if identified is not None and start is not None:
        log.where(
            file,
            "DATE_ORDER",
            "support_start_date",
            start < identified,
            "support_start_date is before date_identified.",
        )
    if start is not None and end is not None:
        log.where(file, "DATE_ORDER", "support_end_date", end < start, "support_end_date is before support_start_date.")
    if period_end is not None:
        for name, date in (("date_identified", identified), ("support_start_date", start), ("support_end_date", end)):
            if date is not None:
                log.where(file, "DATE_AFTER_PERIOD", name, date > period_end, f"{name} is after period_end.")


def _check_headline_problems(table: Table, families: pd.DataFrame, log: FindingLog) -> None:
    import numpy as np

    framework = families["framework"]
    hp_present = [c for c in families.columns if _is_hp(c)]
    for code, spec in FRAMEWORKS.items():
        rows = (framework == code).fillna(False).to_numpy(bool)
        if not rows.any():
            continue
        own = [f"hp_{p}" for p in spec.problems]
        missing = [name for name in own if name not in families]
        for name in missing:
            log.file_level(
                table.file,
                "MISSING_COLUMN",
                f"The column '{name}' is required for {code} families.",
                column=name,
            )
        if missing:  # the count of problems cannot be known: MISSING_COLUMN says why, once
            continue
        yes = np.zeros(len(families), dtype=np.int64)
        for name in own:
            if name in families:
                yes += (families[name] == "Y").fillna(False).to_numpy(bool)
        log.at_rows(
            table.file,
            "HP_BELOW_MINIMUM",
            "framework",
            families.index[rows & (yes < spec.minimum)],
            f"A {code} family needs at least {spec.minimum} headline problems marked Y.",
        )
        for name in hp_present:
            if name not in own:
                log.at_rows(
                    table.file,
                    "HP_NOT_IN_FRAMEWORK",
                    name,
                    families.index[rows & (families[name] == "Y").fillna(False).to_numpy(bool)],
                    f"This headline problem is not part of {code}; it was ignored for this family.",
                )


# --- individuals --------------------------------------------------------------------------------------------
def check_individuals(
    table: Table, individuals: pd.DataFrame, log: FindingLog, period_end: pd.Timestamp | None
) -> pd.Series | None:
    """Person rules and identifier quality; returns ages at period_end (None when they cannot be known)."""
    file = table.file
    if "person_id" in individuals:
        log.where(
            file,
            "DUPLICATE_PERSON_ID",
            "person_id",
            _duplicates(individuals["person_id"]),
            "The person_id is on more than one row; each person must appear once.",
        )
    ages = _ages_at_period_end(file, individuals, log, period_end)
    if "postcode" in individuals:
        _check_postcodes(file, individuals, log)
    if "nino" in individuals:
        _check_ninos(file, individuals, log, ages)
    if "upn" in individuals:
        _check_upns(file, individuals, log, ages)
    if "nhs_number" in individuals:
        _check_nhs_numbers(file, individuals["nhs_number"], log)
    for band, rule, between in (("neet", "NEET_AGE", "16-24"), ("missing_education", "MISSING_EDUCATION_AGE", "5-16")):
        if band in individuals:
            log.at_rows(
                file,
                rule,
                band,
                individuals.index[individuals[band].notna().to_numpy() & _outside_band(ages, band, len(individuals))],
                f"{band} applies to ages {between} only; it was ignored for this person.",
            )
    return ages


def _ages_at_period_end(
    file: str, individuals: pd.DataFrame, log: FindingLog, period_end: pd.Timestamp | None
) -> pd.Series | None:
    """Each person's age at period_end (None without dates of birth or a period), citing impossible ones."""
    if "date_of_birth" not in individuals or period_end is None:
        return None
    born = individuals["date_of_birth"]
    log.where(file, "DOB_IN_FUTURE", "date_of_birth", born > period_end, "date_of_birth is after period_end.")
    ages = age_in_years(born, period_end)
    log.where(file, "AGE_OUT_OF_RANGE", "date_of_birth", ages > MAX_AGE, f"The age at period_end is over {MAX_AGE}.")
    return ages


def _outside_band(ages: pd.Series | None, band: str, rows: int) -> np.ndarray:
    """True where a person's age is known and outside the band (AGE_BANDS) its column applies to."""
    import numpy as np

    if ages is None:
        return np.zeros(rows, dtype=bool)
    low, high = AGE_BANDS[band]
    return ((ages < low) | (ages > high)).fillna(False).to_numpy(bool)


def _check_postcodes(file: str, individuals: pd.DataFrame, log: FindingLog) -> None:
    postcodes = individuals["postcode"]
    classes = postcode_classes(postcodes)
    no_fixed_abode = individuals["no_fixed_abode"] == "Y" if "no_fixed_abode" in individuals else None
    needed = postcodes.isna() if no_fixed_abode is None else postcodes.isna() & ~no_fixed_abode.fillna(False)
    log.where(file, "POSTCODE_REQUIRED", "postcode", needed, "The postcode is required unless no_fixed_abode is Y.")
    log.where(file, "POSTCODE_FORMAT", "postcode", classes == "INVALID", "The postcode is not a valid UK postcode.")
    log.where(
        file,
        "POSTCODE_NO_FIXED_ABODE",
        "postcode",
        classes == "NO_FIXED_ABODE",
        "A ZZ99 pseudo-postcode was read as no fixed abode / not known; use no_fixed_abode = Y instead.",
    )


def _check_ninos(file: str, individuals: pd.DataFrame, log: FindingLog, ages: pd.Series | None) -> None:
    ninos = individuals["nino"]
    classes = nino_classes(ninos)
    unused = "; it will not be used for matching."
    for value, rule, message in (
        ("INVALID", "NINO_FORMAT", "The National Insurance number is not valid" + unused),
        ("TEMPORARY", "NINO_TEMPORARY", "The National Insurance number is a temporary (TN) number" + unused),
        ("ADMINISTRATIVE", "NINO_ADMINISTRATIVE", "The NINO has an administrative prefix" + unused),
    ):
        log.where(file, rule, "nino", classes == value, message)
    log.at_rows(
        file,
        "NINO_UNDER_16",
        "nino",
        individuals.index[ninos.notna().to_numpy() & (ages < 16).fillna(False).to_numpy(bool)]
        if ages is not None
        else [],
        "A National Insurance number is given for someone under 16; check it belongs to this person.",
    )


def _check_upns(file: str, individuals: pd.DataFrame, log: FindingLog, ages: pd.Series | None) -> None:
    upns = individuals["upn"]
    present = upns.notna().to_numpy()
    normalised = normalise_upns(upns)
    shaped = matches(normalised, UPN_SHAPE_PATTERN)
    valid = upn_valid_mask(upns).to_numpy()
    log.at_rows(
        file,
        "UPN_FORMAT",
        "upn",
        individuals.index[present & ~shaped],
        "The UPN is not a letter, 11 digits and a final digit or letter; it will not be used for matching.",
    )
    log.at_rows(
        file,
        "UPN_CHECK_LETTER",
        "upn",
        individuals.index[shaped & ~valid],
        "The UPN's check letter does not match; it will not be used for matching.",
    )
    log.where(
        file,
        "DUPLICATE_UPN",
        "upn",
        _duplicates(normalised.where(valid)),
        "The same UPN is given for more than one person.",
    )
    log.at_rows(
        file,
        "UPN_AGE",
        "upn",
        individuals.index[present & _outside_band(ages, "upn", len(individuals))],
        "A UPN is given for someone outside ages 4-19; check it belongs to this person.",
    )


def _check_nhs_numbers(file: str, nhs: pd.Series, log: FindingLog) -> None:
    invalid = nhs.notna().to_numpy() & ~nhs_valid_mask(nhs).to_numpy()
    if invalid.any():
        excel = invalid & (matches(nhs, SCIENTIFIC) | matches(nhs, NHS_LOST_ZERO))
        log.at_rows(
            file,
            "EXCEL_NUMBER_FORMAT",
            "nhs_number",
            nhs.index[excel],
            "Excel has turned the NHS number into a number, losing digits (scientific notation like "
            "9.43E+09, or a leading zero dropped): format the column as Text and re-enter the values.",
        )
        invalid &= ~excel
    log.at_rows(
        file,
        "NHS_NUMBER_CHECK",
        "nhs_number",
        nhs.index[invalid],
        "The NHS number is not 10 digits with a valid check digit.",
    )


def check_join(
    families_table: Table, families: pd.DataFrame, individuals_table: Table, individuals: pd.DataFrame, log: FindingLog
) -> None:
    """Every individual's family exists; every family has at least one individual."""
    if "family_id" not in families or "family_id" not in individuals:
        return
    import pyarrow.compute as pc

    known = pc.unique(arrow_strings(families["family_id"]).combine_chunks()).drop_null()
    members = pc.unique(arrow_strings(individuals["family_id"]).combine_chunks()).drop_null()
    log.at_rows(
        individuals_table.file,
        "FAMILY_MISSING",
        "family_id",
        individuals.index[individuals["family_id"].notna().to_numpy() & ~isin(individuals["family_id"], known)],
        "The individual's family_id is not in the families table.",
    )
    log.at_rows(
        families_table.file,
        "FAMILY_NO_MEMBERS",
        "family_id",
        families.index[families["family_id"].notna().to_numpy() & ~isin(families["family_id"], members)],
        "The family has no individuals in the individuals table.",
    )

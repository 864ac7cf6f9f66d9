"""Column rules of the two tables of a return (DATA_SPEC.md v1), as data the validator and generator read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tfnis.spec.codes import (
    DOMESTIC_VIOLENCE,
    ETHNICITY_MAIN,
    FRAMEWORKS,
    HEADLINE_PROBLEMS,
    HOUSING_STATUSES,
    INTERVENTION_STATUSES,
    RELATIONS,
    SEX_CODES,
    SUPPORT_INTENSITIES,
    YES_NO,
)


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INT = "int"
    ENUM = "enum"
    YES_NO = "yes_no"


class Need(StrEnum):
    REQUIRED = "R"  # the column must exist and every cell must be filled
    CONDITIONAL = "C"  # the column must exist; whether a cell must be filled depends on other columns
    OPTIONAL = "O"  # the column may be absent; an empty cell means "not provided"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    need: Need
    codes: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    identifier: bool = False  # its value is never echoed in a finding, log or research output
    label: str = ""


# Patterns are written so Python re and RE2 (pyarrow, the vectorised validator) read them the same: [0-9], never
# \d (Python's \d matches every script's digits).
LA_CODE_PATTERN = r"^E(06|08|09|10)[0-9]{6}$"
LOCAL_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
# Names: letters of any script (with their combining marks), runs joined by space ' ’ - . and an optional final
# full stop. Each repetition must start with a separator, so there is no catastrophic backtracking (the
# first version nested two optional quantifiers and took minutes on a long name ending in a digit).
# Python re has no \p{L}: NAME_PATTERN approximates marks by the combining-diacritics block; the validator
# runs NAME_PATTERN_RE2, which is the authority.
_LETTERS = r"(?:[^\W\d_]|[\u0300-\u036f])*"
NAME_PATTERN = rf"^[^\W\d_]{_LETTERS}(?:[ '’\-.]+[^\W\d_]{_LETTERS})*\.?$"
NAME_PATTERN_RE2 = r"^\pL[\pL\pM]*(?:[ '’\-.]+\pL[\pL\pM]*)*\.?$"

_KEYS = (
    Column("la_code", Kind.TEXT, Need.REQUIRED, pattern=LA_CODE_PATTERN, label="Local authority (GSS code)"),
    Column("period_end", Kind.DATE, Need.REQUIRED, label="Period end"),
    Column(
        "family_id", Kind.TEXT, Need.REQUIRED, max_length=36, pattern=LOCAL_ID_PATTERN, identifier=True,
        label="Council family reference",
    ),
)  # fmt: skip

FAMILY_COLUMNS: tuple[Column, ...] = (
    *_KEYS,
    Column("framework", Kind.ENUM, Need.REQUIRED, codes=tuple(FRAMEWORKS), label="Framework"),
    Column("date_identified", Kind.DATE, Need.REQUIRED, label="Date identified"),
    *(
        Column(f"hp_{code}", Kind.YES_NO, Need.CONDITIONAL, codes=YES_NO, label=f"Headline problem {code}")
        for code in HEADLINE_PROBLEMS
    ),
    Column("intervention_status", Kind.ENUM, Need.REQUIRED, codes=INTERVENTION_STATUSES, label="Intervention"),
    Column("support_start_date", Kind.DATE, Need.CONDITIONAL, label="Support start date"),
    Column("support_end_date", Kind.DATE, Need.CONDITIONAL, label="Support end date"),
    Column("support_intensity", Kind.ENUM, Need.OPTIONAL, codes=SUPPORT_INTENSITIES, label="Support intensity"),
    Column("housing_status", Kind.ENUM, Need.OPTIONAL, codes=HOUSING_STATUSES, label="Housing status"),
    Column("evictions", Kind.INT, Need.OPTIONAL, minimum=0, label="Evictions"),
    Column("homelessness_applications", Kind.INT, Need.OPTIONAL, minimum=0, label="Homelessness applications"),
    Column("weeks_homeless", Kind.INT, Need.OPTIONAL, minimum=0, maximum=27, label="Weeks homeless"),
    Column("rent_arrears", Kind.YES_NO, Need.OPTIONAL, codes=YES_NO, label="Rent arrears"),
    Column("police_callouts", Kind.INT, Need.OPTIONAL, minimum=0, label="Police call-outs"),
)

INDIVIDUAL_COLUMNS: tuple[Column, ...] = (
    *_KEYS,
    Column(
        "person_id", Kind.TEXT, Need.REQUIRED, max_length=36, pattern=LOCAL_ID_PATTERN, identifier=True,
        label="Council person reference",
    ),
    Column("relation_in_family", Kind.ENUM, Need.REQUIRED, codes=RELATIONS, label="Relation in family"),
    Column("forename", Kind.TEXT, Need.REQUIRED, max_length=100, pattern=NAME_PATTERN, identifier=True,
           label="Forename"),
    Column("surname", Kind.TEXT, Need.REQUIRED, max_length=100, pattern=NAME_PATTERN, identifier=True,
           label="Surname"),
    Column("middle_names", Kind.TEXT, Need.OPTIONAL, max_length=200, identifier=True, label="Middle names"),
    Column("date_of_birth", Kind.DATE, Need.REQUIRED, identifier=True, label="Date of birth"),
    Column("sex", Kind.ENUM, Need.REQUIRED, codes=SEX_CODES, label="Sex"),
    Column("postcode", Kind.TEXT, Need.CONDITIONAL, identifier=True, label="Postcode"),
    Column("no_fixed_abode", Kind.YES_NO, Need.OPTIONAL, codes=YES_NO, label="No fixed abode"),
    Column("nino", Kind.TEXT, Need.OPTIONAL, identifier=True, label="National Insurance number"),
    Column("upn", Kind.TEXT, Need.OPTIONAL, identifier=True, label="Unique Pupil Number"),
    Column("nhs_number", Kind.TEXT, Need.OPTIONAL, identifier=True, label="NHS number"),
    Column("ethnicity", Kind.ENUM, Need.OPTIONAL, codes=ETHNICITY_MAIN, label="Ethnicity"),
    Column("asb_nfi", Kind.INT, Need.OPTIONAL, minimum=0, label="ASB (no further investigation)"),
    Column("asb_fi", Kind.INT, Need.OPTIONAL, minimum=0, label="ASB (further investigation)"),
    Column("domestic_violence", Kind.ENUM, Need.OPTIONAL, codes=DOMESTIC_VIOLENCE, label="Domestic violence"),
    Column("alcohol_dependent", Kind.YES_NO, Need.OPTIONAL, codes=YES_NO, label="Alcohol dependent"),
    Column("drug_dependent", Kind.YES_NO, Need.OPTIONAL, codes=YES_NO, label="Drug dependent"),
    Column("neet", Kind.YES_NO, Need.CONDITIONAL, codes=YES_NO, label="NEET (16-24)"),
    Column("missing_education", Kind.YES_NO, Need.CONDITIONAL, codes=YES_NO, label="Missing education (5-16)"),
    Column("mental_health", Kind.YES_NO, Need.OPTIONAL, codes=YES_NO, label="Mental health"),
)  # fmt: skip

TABLES: dict[str, tuple[Column, ...]] = {"families": FAMILY_COLUMNS, "individuals": INDIVIDUAL_COLUMNS}

# Columns whose values identify a person or family: never echoed, never in research outputs.
IDENTIFIER_COLUMNS: frozenset[str] = frozenset(c.name for cols in TABLES.values() for c in cols if c.identifier)
# The identifiers split off into identifiers.parquet (LinkageBucket) after validation.
LINKAGE_COLUMNS: tuple[str, ...] = (
    "la_code", "period_end", "family_id", "person_id", "forename", "middle_names", "surname",
    "date_of_birth", "sex", "postcode", "nino", "upn", "nhs_number",
)  # fmt: skip

# Age bands (at period_end, whole years) in which a conditional measure applies.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "neet": (16, 24),
    "missing_education": (5, 16),
    "nino": (16, 110),
    "upn": (4, 19),
}
MAX_AGE = 110


def column(table: str, name: str) -> Column:
    """The rule for one column of 'families' or 'individuals'."""
    return next(c for c in TABLES[table] if c.name == name)


def headline_problem_columns(framework: str) -> tuple[str, ...]:
    return tuple(f"hp_{code}" for code in FRAMEWORKS[framework].problems)


def header_key(raw: object) -> str:
    """A header cell reduced to how people vary it: lower case, every run of spaces, hyphens or punctuation one
    '_'. 'Date of Birth', 'date-of-birth' and 'DATE_OF_BIRTH' all become 'date_of_birth'."""
    import re

    text = str(raw if raw is not None else "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


# Header names councils' systems and officers commonly write for a column (keys as header_key gives them).
# Documented in docs/rules.md; a finding (HEADER_RENAMED, info) says each time one was used.
HEADER_ALIASES: dict[str, str] = {
    "la": "la_code", "la_gss_code": "la_code", "gss_code": "la_code", "local_authority_code": "la_code",
    "period_end_date": "period_end",
    "family_ref": "family_id", "family_reference": "family_id", "family_number": "family_id",
    "person_ref": "person_id", "person_reference": "person_id", "individual_id": "person_id",
    "relationship": "relation_in_family", "relation": "relation_in_family", "role_in_family": "relation_in_family",
    "first_name": "forename", "firstname": "forename", "given_name": "forename",
    "middle_name": "middle_names", "last_name": "surname", "lastname": "surname",
    "dob": "date_of_birth", "birth_date": "date_of_birth", "gender": "sex",
    "post_code": "postcode", "nfa": "no_fixed_abode",
    "ni_number": "nino", "ni_no": "nino", "national_insurance_number": "nino",
    "unique_pupil_number": "upn", "nhs_no": "nhs_number", "ethnic_group": "ethnicity", "ethnic_origin": "ethnicity",
    "intervention": "intervention_status",
    "support_start": "support_start_date", "support_end": "support_end_date", "identified_date": "date_identified",
}  # fmt: skip

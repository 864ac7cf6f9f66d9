"""The research extract's allow-list: every column it may carry, of which kind, and which values it may hold.

DATA_SPEC.md "De-identification". A column not listed here never reaches ResearchBucket, and every text column
is either a closed code list or a pattern, so there is no free text in which a name could travel.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tfnis.anonymise.minimise import (
    AGE_BAND_PATTERN,
    ETHNIC_GROUP_CODES,
    FAMILY_SIZE_PATTERN,
    MONTH_BAND_PATTERN,
)
from tfnis.spec.codes import (
    DOMESTIC_VIOLENCE,
    FRAMEWORKS,
    HEADLINE_PROBLEMS,
    HOUSING_STATUSES,
    INTERVENTION_STATUSES,
    RELATIONS,
    SEX_CODES,
    SUPPORT_INTENSITIES,
    YES_NO,
)
from tfnis.spec.columns import LA_CODE_PATTERN


class ExtractKind(StrEnum):
    PSEUDONYM = "pseudonym"  # 64 lower-case hex characters: HMAC-SHA256 under the project key
    CODE = "code"  # text from a closed code list or matching a pattern
    DATE = "date"  # an event date of the programme (never a date of birth)
    INT = "int"


@dataclass(frozen=True)
class ExtractColumn:
    name: str
    kind: ExtractKind
    codes: frozenset[str] = frozenset()
    pattern: str | None = None  # for CODE columns without a closed list


def _code(name: str, codes: tuple[str, ...] | frozenset[str] = (), pattern: str | None = None) -> ExtractColumn:
    return ExtractColumn(name, ExtractKind.CODE, frozenset(codes), pattern)


def _int(name: str) -> ExtractColumn:
    return ExtractColumn(name, ExtractKind.INT)


def _date(name: str) -> ExtractColumn:
    return ExtractColumn(name, ExtractKind.DATE)


def _pseudonym(name: str) -> ExtractColumn:
    return ExtractColumn(name, ExtractKind.PSEUDONYM)


# Comparison versus supported: WITHDRAWN families were assigned to support, so they count as supported
# (intention to treat); the status itself is kept beside the group.
INTERVENTION_GROUPS: tuple[str, ...] = ("COMPARISON", "SUPPORTED")
INTERVENTION_GROUP_OF_STATUS: dict[str, str] = {
    "COMPARISON": "COMPARISON",
    "ACTIVE": "SUPPORTED",
    "ENDED": "SUPPORTED",
    "WITHDRAWN": "SUPPORTED",
}
POSTCODE_DISTRICT_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?$"  # an outward code, never a full postcode
LSOA_PATTERN = r"^[EW]0[0-9]{7}$"  # ONS GSS code of a Lower Layer Super Output Area
# Areas below la_code the extract may carry, by the ExtractArea parameter; "" (the default) carries none.
AREAS: tuple[str, ...] = ("", "postcode_district", "lsoa")

FAMILY_EXTRACT: tuple[ExtractColumn, ...] = (
    _pseudonym("family_key"),
    _code("la_code", pattern=LA_CODE_PATTERN),
    _date("period_end"),
    _code("framework", tuple(FRAMEWORKS)),
    _code("months_since_identified", pattern=MONTH_BAND_PATTERN),
    *(_code(f"hp_{code}", YES_NO) for code in HEADLINE_PROBLEMS),
    _code("intervention_status", INTERVENTION_STATUSES),
    _code("intervention_group", INTERVENTION_GROUPS),
    _code("months_since_support_start", pattern=MONTH_BAND_PATTERN),
    _code("months_since_support_end", pattern=MONTH_BAND_PATTERN),
    _code("support_intensity", SUPPORT_INTENSITIES),
    _code("housing_status", HOUSING_STATUSES),
    _int("evictions"),
    _int("homelessness_applications"),
    _int("weeks_homeless"),
    _code("rent_arrears", YES_NO),
    _int("police_callouts"),
    _code("family_size", pattern=FAMILY_SIZE_PATTERN),
)


# What the staging copy carries beside the extract (ResearchBucket staging/, read by the panel release only):
# month numbers (year * 12 + month - 1) of the support start and end, from which the release derives months
# since support started in every period of the panel, before the start too (tfnis.panel).
STAGING_FAMILY_EXTRACT: tuple[ExtractColumn, ...] = (
    *FAMILY_EXTRACT,
    _int("support_start_month"),
    _int("support_end_month"),
)


def individual_extract(area: str = "") -> tuple[ExtractColumn, ...]:
    """The individuals' allow-list; area is "" (none), postcode_district, or lsoa (ExtractArea parameter)."""
    area_columns = {
        "": (),
        "postcode_district": (_code("postcode_district", pattern=POSTCODE_DISTRICT_PATTERN),),
        "lsoa": (_code("lsoa", pattern=LSOA_PATTERN),),
    }[area]
    return (
        _pseudonym("person_key"),
        _pseudonym("family_key"),
        _code("la_code", pattern=LA_CODE_PATTERN),
        _date("period_end"),
        _code("relation_in_family", RELATIONS),
        _code("sex", SEX_CODES),
        _code("age_band", pattern=AGE_BAND_PATTERN),
        _code("ethnic_group", ETHNIC_GROUP_CODES),
        _code("no_fixed_abode", YES_NO),
        *area_columns,
        _code("missing_education_eligible", YES_NO),
        _code("neet_eligible", YES_NO),
        _int("asb_nfi"),
        _int("asb_fi"),
        _code("domestic_violence", DOMESTIC_VIOLENCE),
        _code("alcohol_dependent", YES_NO),
        _code("drug_dependent", YES_NO),
        _code("neet", YES_NO),
        _code("missing_education", YES_NO),
        _code("mental_health", YES_NO),
    )


INDIVIDUAL_EXTRACT: tuple[ExtractColumn, ...] = individual_extract()


def extract_columns(table: str, area: str = "") -> tuple[ExtractColumn, ...]:
    """The allow-list of 'families' or 'individuals'."""
    return FAMILY_EXTRACT if table == "families" else individual_extract(area)


def staging_columns(table: str, area: str = "") -> tuple[ExtractColumn, ...]:
    """The allow-list of a table's staging copy: the extract's columns and, for families, the support months."""
    return STAGING_FAMILY_EXTRACT if table == "families" else individual_extract(area)

"""The research panel's columns, in one registry: name, type, meaning, codes and unit of every column.

Everything that describes the panel is generated from here: the Parquet types the release writes
(tfnis.panel.parquet), the Frictionless data package at the extract root and docs/research/data-dictionary.md
(tfnis.panel.datapackage), and the Glue tables in template.yaml are checked against it (tests/unit/test_panel_*).
The names and meanings of the contract columns are fixed (issue 11): `tfnis impact` is built against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from tfnis.anonymise.columns import INTERVENTION_GROUPS, LSOA_PATTERN, POSTCODE_DISTRICT_PATTERN
from tfnis.anonymise.minimise import AGE_BANDS, ETHNIC_GROUP_CODES, FAMILY_SIZE_BANDS, band_labels
from tfnis.spec.codes import (
    DOMESTIC_VIOLENCE,
    FRAMEWORKS,
    HEADLINE_PROBLEM_LABELS,
    HEADLINE_PROBLEMS,
    HOUSING_STATUSES,
    INTERVENTION_STATUSES,
    RELATIONS,
    SEX_CODES,
    SUPPORT_INTENSITIES,
)
from tfnis.spec.columns import LA_CODE_PATTERN

if TYPE_CHECKING:
    from tfnis.reference import ReferenceContract
    from tfnis.reference.contract import Outcome

TABLES: tuple[str, ...] = ("families", "individuals")
PARTITIONS: tuple[str, ...] = ("period_end", "la_code")  # directory names, never a column inside a file


class PanelType(StrEnum):
    """The logical type of a column; each maps to a pandas dtype, a DuckDB/Parquet type and a Table Schema type."""

    STRING = "string"  # a pseudonym or a code with a pattern
    CATEGORY = "category"  # a closed code list, dictionary-encoded
    BOOLEAN = "boolean"  # Y/N in the return
    INT8 = "Int8"
    INT16 = "Int16"
    INT32 = "Int32"
    DATE = "date"  # period_end only
    NUMBER = "number"  # a rate or an expected count (linkage_quality)


PANDAS_DTYPES = {
    PanelType.STRING: "string",
    PanelType.CATEGORY: "category",
    PanelType.BOOLEAN: "boolean",
    PanelType.INT8: "Int8",
    PanelType.INT16: "Int16",
    PanelType.INT32: "Int32",
    PanelType.DATE: "datetime64[ns]",
    PanelType.NUMBER: "Float64",
}
SQL_TYPES = {
    PanelType.STRING: "VARCHAR",
    PanelType.CATEGORY: "VARCHAR",  # ENUM in the DuckDB COPY (dictionary-encoded strings in Parquet)
    PanelType.BOOLEAN: "BOOLEAN",
    PanelType.INT8: "TINYINT",
    PanelType.INT16: "SMALLINT",
    PanelType.INT32: "INTEGER",
    PanelType.DATE: "DATE",
    PanelType.NUMBER: "DOUBLE",
}
ATHENA_TYPES = {
    PanelType.STRING: "string",
    PanelType.CATEGORY: "string",
    PanelType.BOOLEAN: "boolean",
    PanelType.INT8: "tinyint",
    PanelType.INT16: "smallint",
    PanelType.INT32: "int",
    PanelType.DATE: "date",
    PanelType.NUMBER: "double",
}


@dataclass(frozen=True)
class PanelColumn:
    name: str
    type: PanelType
    description: str
    codes: tuple[str, ...] = ()  # the closed list of a CATEGORY column, in order
    pattern: str | None = None  # the pattern of a STRING column
    unit: str | None = None
    partition: bool = False  # a directory name (la_code=…, period_end=…), not a column inside the files


def _category(name: str, codes: tuple[str, ...] | list[str], description: str) -> PanelColumn:
    return PanelColumn(name, PanelType.CATEGORY, description, tuple(codes))


def _flag(name: str, description: str) -> PanelColumn:
    return PanelColumn(name, PanelType.BOOLEAN, description)


def _count(name: str, description: str, unit: str) -> PanelColumn:
    return PanelColumn(name, PanelType.INT16, description, unit=unit)


PSEUDONYM = r"^[0-9a-f]{64}$"
_LA_CODE = PanelColumn(
    "la_code", PanelType.STRING, "ONS GSS code of the council that sent the return (partition)",
    pattern=LA_CODE_PATTERN, partition=True,
)  # fmt: skip
_PERIOD_END = PanelColumn(
    "period_end", PanelType.DATE, "Last day of the return's half-year: 31 March or 30 September (partition)",
    partition=True,
)  # fmt: skip
_FAMILY_KEY = PanelColumn(
    "family_key", PanelType.STRING,
    "Pseudonym of the family (HMAC-SHA256 under the project key): the same in every period and council, also "
    "after a move (linkage gives it)", pattern=PSEUDONYM,
)  # fmt: skip
MONTHS_NOTE = (
    "whole calendar months; may be generalised (rounded down) to multiples of 3, 6 or 12 by disclosure control"
)
FAMILY_SIZE_CODES = tuple(dict.fromkeys(code for level in FAMILY_SIZE_BANDS for code in band_labels(level)))
AGE_BAND_CODES = tuple(dict.fromkeys(code for level in AGE_BANDS for code in band_labels(level)))

FAMILIES: tuple[PanelColumn, ...] = (
    _FAMILY_KEY,
    _LA_CODE,
    _PERIOD_END,
    _category(
        "intervention_group",
        INTERVENTION_GROUPS,
        "COMPARISON: eligible, not supported in this period; SUPPORTED: assigned to support (ACTIVE, ENDED or "
        "WITHDRAWN: intention to treat)",
    ),
    _category("intervention_status", INTERVENTION_STATUSES, "Status in the return for this period"),
    _flag("ever_supported", "Supported (intervention_group SUPPORTED) in any period of the panel"),
    PanelColumn(
        "months_since_support_start",
        PanelType.INT16,
        "Months from the month support started (the family's first support start in the panel) to period_end: "
        f"negative in periods before support started, blank for never-supported families; {MONTHS_NOTE}",
        unit="months",
    ),
    PanelColumn(
        "council_sequence",
        PanelType.INT8,
        "1 at the family's first council in the panel, 2 after its first move to another council, and so on",
    ),
    _flag("moved_council", "First period at a new council after a move (false in the family's first period)"),
    _category("framework", tuple(FRAMEWORKS), "Troubled Families framework of the return"),
    _category(
        "family_size",
        FAMILY_SIZE_CODES,
        "People in the family at its first period in the panel, banded (6+ capped; the same in every period: "
        "count the individuals rows for each period's)",
    ),
    *(_flag(f"hp_{code}", f"Headline problem: {HEADLINE_PROBLEM_LABELS[code]}") for code in HEADLINE_PROBLEMS),
    _category("support_intensity", SUPPORT_INTENSITIES, "Intensity of the support in this period"),
    _category("housing_status", HOUSING_STATUSES, "Housing tenure at period_end"),
    _count("evictions", "Evictions in the period", "evictions per half-year"),
    _count("homelessness_applications", "Homelessness applications in the period", "applications per half-year"),
    _count("weeks_homeless", "Weeks homeless in the period", "weeks per half-year"),
    _count("police_callouts", "Police call-outs to the household in the period", "call-outs per half-year"),
    _flag("rent_arrears", "In rent arrears at period_end"),
)


def _individuals(area: str) -> tuple[PanelColumn, ...]:
    areas = {
        "": (),
        "postcode_district": (
            PanelColumn("postcode_district", PanelType.STRING, "Postcode district (outward code) of the address",
                        pattern=POSTCODE_DISTRICT_PATTERN),
        ),
        "lsoa": (PanelColumn("lsoa", PanelType.STRING, "LSOA of the address (GSS code)", pattern=LSOA_PATTERN),),
    }[area]  # fmt: skip
    return (
        PanelColumn(
            "person_key",
            PanelType.STRING,
            "Pseudonym of the person (HMAC-SHA256 under the project key): the same in every period and council",
            pattern=PSEUDONYM,
        ),
        PanelColumn(
            "family_key", PanelType.STRING, "Pseudonym of the person's family (families.family_key)", pattern=PSEUDONYM
        ),
        _LA_CODE,
        _PERIOD_END,
        _category(
            "relation_in_family",
            RELATIONS,
            "Relation to the family's main carer, at the person's first period in the panel (the same in every period)",
        ),
        _category(
            "sex", SEX_CODES, "ISO/IEC 5218: 0 not known, 1 male, 2 female, 9 not applicable (the same in every period)"
        ),
        _category(
            "age_band",
            AGE_BAND_CODES,
            "Age band in years at the person's first period in the panel (the "
            "same in every period: the band of the year of entry, not of this period)",
        ),
        _category(
            "ethnic_group",
            sorted(ETHNIC_GROUP_CODES),
            "ONS high-level ethnic group, or Not known (the same in every period)",
        ),
        *areas,
        _flag("missing_education_eligible", "Of an age (5-16) at period_end for which missing education is measured"),
        _flag("neet_eligible", "Of an age (16-24) at period_end for which NEET is measured"),
        _count("asb_nfi", "Anti-social behaviour incidents, no further intervention", "incidents per half-year"),
        _count("asb_fi", "Anti-social behaviour incidents with further intervention", "incidents per half-year"),
        _category("domestic_violence", DOMESTIC_VIOLENCE, "Involvement in domestic violence in the period"),
        _flag("alcohol_dependent", "Alcohol dependency in the period"),
        _flag("drug_dependent", "Drug dependency in the period"),
        _flag("neet", "Not in education, employment or training at period_end (16-24)"),
        _flag("missing_education", "Missing education in the period (5-16)"),
        _flag("mental_health", "Mental health problem in the period"),
    )


INDIVIDUALS: tuple[PanelColumn, ...] = _individuals("")


def _number(name: str, description: str, unit: str = "share") -> PanelColumn:
    return PanelColumn(name, PanelType.NUMBER, description, unit=unit)


def _records(name: str, description: str) -> PanelColumn:
    return PanelColumn(name, PanelType.INT32, description, unit="records")


# extract/linkage_quality/: one row per submission, written by the match stage (tfnis.linkage.quality, whose
# QUALITY_COLUMNS fix the names and order; docs/linkage.md "Linkage quality" says how the rates are estimated).
LINKAGE_QUALITY: tuple[PanelColumn, ...] = (
    PanelColumn("submission_id", PanelType.STRING, "The submission the row describes (the service's id, not personal)"),
    _LA_CODE,
    _PERIOD_END,
    _records("records", "Individuals records in the submission"),
    _records("linked_to_earlier", "Records linked to a person already in the linkage index (any rule)"),
    _records("new_persons", "Records that became (or joined) a new person"),
    _number("match_rate", "linked_to_earlier / records"),
    _records("by_council_id", "Records linked by the council's own person id (corroborated)"),
    _records("by_match_key", "Records linked by a deterministic match key (NINO + DOB, UPN, name + DOB + postcode)"),
    _records("by_model", "Records linked by the Fellegi-Sunter model"),
    _number("match_key_share", "by_match_key / linked_to_earlier"),
    _number("model_share", "by_model / linked_to_earlier"),
    _number("threshold", "The match probability at or above which the model links", unit="probability"),
    _records("near_threshold_records", "New-person records whose best indexed pair scored in [0.5, threshold)"),
    _number("estimated_false_matches", "Model-based estimate: sum of (1 - p) over the model's links", unit="records"),
    _number("false_match_rate", "estimated_false_matches / linked_to_earlier (model-based estimate)"),
    _number("estimated_missed_matches", "Lower bound: sum of p over near_threshold_records", unit="records"),
    _number("missed_match_rate", "estimated_missed_matches / estimated true links (model-based lower bound)"),
)  # fmt: skip
# Other tables under extract/<table>/period_end=…/la_code=…/part-0.parquet, described in the same data package.
EXTRA_TABLES: dict[str, tuple[PanelColumn, ...]] = {"linkage_quality": LINKAGE_QUALITY}


# extract/reference/<dataset>/ and extract/reference/<dataset>_families/: the matched outcomes of each national
# reference dataset (tfnis.reference contracts), released with the panel (tfnis.panel.reference).
REFERENCE_FOLDER = "reference"
PERSONS_MATCHED = "persons_matched"


def _reference_outcome(outcome: Outcome) -> PanelColumn:
    if outcome.type == "code":
        codes = ("Y",) if outcome.disclosure == "quasi_identifier" and outcome.codes == ("Y", "N") else outcome.codes
        note = "; blank means N, or suppressed for k (a quasi-identifier)" if codes != outcome.codes else ""
        return PanelColumn(outcome.name, PanelType.CATEGORY, outcome.description + note, codes)
    more = f"; {outcome.top_code} means {outcome.top_code} or more (top-coded)" if outcome.top_code is not None else ""
    role = (
        "; shown only where it happened: blank means none, or suppressed for k with the person's panel class "
        "(a quasi-identifier)"
    )
    role = role if outcome.disclosure == "quasi_identifier" else ""
    return PanelColumn(outcome.name, PanelType.INT16, f"{outcome.description}{more}{role}", unit="per half-year")


def _reference_person_table(terms: ReferenceContract) -> tuple[PanelColumn, ...]:
    return (
        PanelColumn("person_key", PanelType.STRING, "Pseudonym of the person (individuals.person_key)",
                    pattern=PSEUDONYM),
        PanelColumn("family_key", PanelType.STRING, "The person's family in this period and council (individuals"
                    ".family_key)", pattern=PSEUDONYM),
        _LA_CODE,
        _PERIOD_END,
        *(_reference_outcome(o) for o in terms.outcomes),
    )  # fmt: skip


def _reference_family_table(terms: ReferenceContract) -> tuple[PanelColumn, ...]:
    sums = tuple(
        PanelColumn(o.name, PanelType.INT32, f"Sum over the family's matched persons: {o.description}",
                    unit="per half-year")
        for o in terms.outcomes if o.type == "integer"
    )  # fmt: skip
    return (
        _FAMILY_KEY, _LA_CODE, _PERIOD_END,
        PanelColumn(PERSONS_MATCHED, PanelType.INT16, f"Members of the family in this period with a record "
                    f"in {terms.name} (released rows only)", unit="persons"),
        *sums,
    )  # fmt: skip


@cache
def reference_tables() -> dict[str, tuple[PanelColumn, ...]]:
    """reference_<dataset> (one row per matched person and period) and reference_<dataset>_families (their sums
    per family and period), for every dataset with a contract."""
    from tfnis.reference import contract, dataset_names

    out: dict[str, tuple[PanelColumn, ...]] = {}
    for name in dataset_names():
        out[reference_table(name)] = _reference_person_table(contract(name))
        out[reference_table(name, families=True)] = _reference_family_table(contract(name))
    return out


def reference_table(dataset: str, families: bool = False) -> str:
    return f"reference_{dataset}" + ("_families" if families else "")


def table_folder(table: str) -> str:
    """The folder under extract/ holding a table's part files: reference tables under extract/reference/."""
    if table.startswith("reference_") and table in reference_tables():
        return f"{REFERENCE_FOLDER}/{table.removeprefix('reference_')}"
    return table


def panel_columns(table: str, area: str = "") -> tuple[PanelColumn, ...]:
    """Every column of 'families', 'individuals', an extra table or a reference table, partitions included."""
    if table in EXTRA_TABLES:
        return EXTRA_TABLES[table]
    if table in reference_tables():
        return reference_tables()[table]
    return FAMILIES if table == "families" else _individuals(area)


def file_columns(table: str, area: str = "") -> tuple[PanelColumn, ...]:
    """The columns inside each part file: everything but the partitions."""
    return tuple(c for c in panel_columns(table, area) if not c.partition)

"""Data minimisation of the research extract (DATA_SPEC.md "De-identification"): what replaces each fine value,
at each generalisation level the disclosure control may need.

Level 0 is the default; levels 1 and 2 are coarser and are used only when k-anonymity at the finer level would
cost more suppression than allowed (tfnis.disclosure.control). Bands are written as text codes: "0-4", "16",
"65+" (years); "0-2", "36+" (months before period_end); "1", "6+" (people in the family).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.disclosure.control import TableRules

LEVELS = 3
# Lower bounds of the bands. At every level the age bands meet the age-banded measures' limits (missing
# education 5-16, NEET 16-24), so the eligibility flags say nothing the band does not and split no class.
AGE_BANDS: tuple[tuple[int, ...], ...] = (
    (0, 5, 11, 16, 17, 25, 35, 50, 65),
    (0, 5, 16, 17, 25, 50),
    (0, 5, 16, 17, 25),
)
MONTH_BANDS: tuple[tuple[int, ...], ...] = (
    tuple(range(0, 37, 3)),
    tuple(range(0, 37, 6)),
    (0, 12, 24, 36),
)
FAMILY_SIZE_BANDS: tuple[tuple[int, ...], ...] = ((0, 1, 2, 3, 4, 5, 6), (0, 1, 2, 3, 4), (0, 1, 3))
AGE_BAND_PATTERN = r"^[0-9]{1,3}(-[0-9]{1,3}|\+)?$"
MONTH_BAND_PATTERN = AGE_BAND_PATTERN
FAMILY_SIZE_PATTERN = AGE_BAND_PATTERN

# The ONS high-level ethnic groups (2011 census, five groups) from DfE main codes; REFU and NOBT: not known.
ETHNIC_GROUPS: tuple[str, ...] = (
    "White",
    "Mixed or Multiple",
    "Asian or Asian British",
    "Black, African, Caribbean or Black British",
    "Other ethnic group",
    "Not known",
)
ETHNIC_GROUP_OF_CODE: dict[str, str] = {
    **dict.fromkeys(("WBRI", "WIRI", "WIRT", "WOTH", "WROM"), "White"),
    **dict.fromkeys(("MWBC", "MWBA", "MWAS", "MOTH"), "Mixed or Multiple"),
    **dict.fromkeys(("AIND", "APKN", "ABAN", "AOTH", "CHNE"), "Asian or Asian British"),
    **dict.fromkeys(("BCRB", "BAFR", "BOTH"), "Black, African, Caribbean or Black British"),
    "OOTH": "Other ethnic group",
    **dict.fromkeys(("REFU", "NOBT"), "Not known"),
}
# Level 2, the last resort: White, any other group, not known.
COARSEST_ETHNIC_GROUP = {
    group: group if group in ("White", "Not known") else "Other than White" for group in ETHNIC_GROUPS
}
ETHNIC_GROUP_CODES: frozenset[str] = frozenset((*ETHNIC_GROUPS, "Other than White"))


def band_labels(lower_bounds: tuple[int, ...]) -> list[str]:
    """The code of each band: "0-4", "16", "65+"."""
    return [
        f"{low}+" if high is None else (str(low) if high == low + 1 else f"{low}-{high - 1}")
        for low, high in zip(lower_bounds, (*lower_bounds[1:], None), strict=True)
    ]


def bands(values: pd.Series, lower_bounds: tuple[int, ...]) -> pd.Series:
    """Each value's band code; <NA> stays <NA>; below the first bound counts in the first band."""
    import numpy as np
    import pandas as pd

    labels = band_labels(lower_bounds)
    numbers = pd.to_numeric(values).astype("Float64")
    position = np.searchsorted(np.asarray(lower_bounds), numbers.fillna(0).to_numpy(float), side="right") - 1
    coded = np.asarray(labels, dtype=object)[np.clip(position, 0, len(labels) - 1)]
    return pd.Series(coded, index=values.index, dtype="string").mask(numbers.isna())


def age_band(age: pd.Series, level: int = 0) -> pd.Series:
    return bands(age, AGE_BANDS[level])


def months_band(months: pd.Series, level: int = 0) -> pd.Series:
    return bands(months, MONTH_BANDS[level])


def family_size_band(members: pd.Series, level: int = 0) -> pd.Series:
    return bands(members, FAMILY_SIZE_BANDS[level])


def ethnic_group(ethnicity: pd.Series, level: int = 0) -> pd.Series:
    """The five ONS high-level groups plus not known (level 2: White / Other than White / not known)."""
    groups = ethnicity.astype("string").map(ETHNIC_GROUP_OF_CODE, na_action="ignore").astype("string")
    return groups.map(COARSEST_ETHNIC_GROUP, na_action="ignore").astype("string") if level >= 2 else groups


def months_before(dates: pd.Series, period_end: pd.Series) -> pd.Series:
    """Whole calendar months from each date to period_end (0 in the same month); <NA> where no date."""
    import pandas as pd

    when = pd.to_datetime(dates)
    end = pd.to_datetime(period_end)
    months = (end.dt.year - when.dt.year) * 12 + (end.dt.month - when.dt.month)
    return months.clip(lower=0).astype("Int64")


def in_age_band(age: pd.Series, low: int, high: int) -> pd.Series:
    """Y where the age is within [low, high], N outside, <NA> when the age is unknown."""
    import numpy as np
    import pandas as pd

    years = pd.to_numeric(age).astype("Float64")
    flag = pd.Series(np.where(((years >= low) & (years <= high)).fillna(False), "Y", "N"), index=age.index)
    return flag.astype("string").mask(years.isna())


def family_rules() -> TableRules:
    """The families' quasi-identifiers: what a neighbour or a caseworker may know of a family."""
    from tfnis.disclosure.control import TableRules

    return TableRules(
        table="families",
        fixed=("la_code", "period_end"),
        quasi_identifiers=(
            "framework", "family_size", "months_since_identified", "months_since_support_start",
            "months_since_support_end",
        ),
        sensitive=dict.fromkeys(("hp_DOMESTIC_ABUSE", "hp_CRIME_ASB", "hp_CRIME"), frozenset({"N"})),
    )  # fmt: skip


def individual_rules() -> TableRules:
    """The individuals' quasi-identifiers (an area only when ExtractArea asks for one) and sensitive measures."""
    from tfnis.disclosure.control import TableRules

    no = frozenset({"N"})
    return TableRules(
        table="individuals",
        fixed=("la_code", "period_end"),
        quasi_identifiers=(
            "relation_in_family", "sex", "age_band", "ethnic_group", "no_fixed_abode", "postcode_district", "lsoa",
        ),  # the eligibility flags are not here: they follow the age band (flags_follow_age_band)
        sensitive={
            "domestic_violence": frozenset({"NONE"}), "mental_health": no, "drug_dependent": no,
            "alcohol_dependent": no,
        },
    )  # fmt: skip


ELIGIBILITY_FLAGS: tuple[str, ...] = ("missing_education_eligible", "neet_eligible")


def flags_follow_age_band(individuals: pd.DataFrame) -> pd.DataFrame:
    """Blank the eligibility flags wherever the age band is blank. Every level's bands meet the measures' age
    limits, so a flag is then a function of the band (blank included) and splits no class: the flags need not
    be quasi-identifiers, and a suppressed age band cannot be narrowed by them."""
    out = individuals.copy()
    for flag in ELIGIBILITY_FLAGS:
        out[flag] = out[flag].mask(out["age_band"].isna())
    return out


MEMBER_IDENTIFIERS: tuple[str, ...] = ("relation_in_family", "sex", "age_band", "ethnic_group")

"""Coverage figures of one return (DATA_SPEC.md "Coverage figures"), computed from the attribute frames only.

Coverage never reads identifiers: the identifier figures come from the quality flags (nino_status,
upn_status, postcode_status) that validation writes into the individual attributes. A blank cell means
"not provided" and zero is a real value, so every "_provided" figure counts non-blank cells, never
non-zero ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tfnis.spec.codes import (
    ETHNICITY_NOT_KNOWN,
    FRAMEWORKS,
    HEADLINE_PROBLEM_LABELS,
    HOUSING_NOT_PROVIDED,
    INTERVENTION_STATUSES,
)
from tfnis.spec.columns import AGE_BANDS

if TYPE_CHECKING:  # pandas is imported lazily: the coverage handler imports this module at cold start
    import pandas as pd

Level = Literal["family", "individual"]


@dataclass(frozen=True)
class CoverageFigure:
    """One coverage figure: numerator out of denominator, as a percentage.

    percent is None when the denominator is 0; numerator, denominator and percent are all None when the
    figure is suppressed (a small number that must not leave the council's own report).
    """

    id: str
    label: str
    level: Level
    numerator: int | None
    denominator: int | None
    percent: float | None
    suppressed: bool = False


def percent_of(numerator: int | None, denominator: int | None) -> float | None:
    """Percentage to one decimal place; None when there is nothing to divide by."""
    if numerator is None or not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def figure(fid: str, label: str, level: Level, numerator: int, denominator: int) -> CoverageFigure:
    return CoverageFigure(fid, label, level, int(numerator), int(denominator), percent_of(numerator, denominator))


# Family progress measures: (column, label, kind). kind "count": any = count > 0; "yes": any = Y.
FAMILY_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("evictions", "Evictions", "count"),
    ("homelessness_applications", "Homelessness applications", "count"),
    ("weeks_homeless", "Weeks owed a homelessness duty", "count"),
    ("rent_arrears", "Rent arrears", "yes"),
    ("police_callouts", "Police call-outs", "count"),
)
# Individual measures; "dv": any = VICTIM, PERPETRATOR or BOTH. Age-banded ones use spec.columns.AGE_BANDS.
INDIVIDUAL_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("asb_nfi", "ASB incidents (no further investigation)", "count"),
    ("asb_fi", "ASB incidents (further investigation)", "count"),
    ("domestic_violence", "Domestic violence", "dv"),
    ("alcohol_dependent", "Alcohol dependency", "yes"),
    ("drug_dependent", "Drug dependency", "yes"),
    ("neet", "NEET (ages 16-24)", "yes"),
    ("missing_education", "Missing from education (ages 5-16)", "yes"),
    ("mental_health", "Mental health issue", "yes"),
)
DOMESTIC_VIOLENCE_ANY = ("VICTIM", "PERPETRATOR", "BOTH")
# Postcode classes that place a person (BFPO has no geography; ZZ99 means no fixed abode / not known).
POSTCODE_PLACED = ("VALID", "GIR")


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A code column as upper-case strings with blanks as <NA>; an absent optional column is all blank."""
    import pandas as pd

    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[name].astype("string").str.strip().str.upper()
    return text.mask(text == "", pd.NA)


def _number(frame: pd.DataFrame, name: str) -> pd.Series:
    """An integer column as Int64 with blanks as <NA> (never 0)."""
    import pandas as pd

    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return pd.to_numeric(frame[name], errors="coerce").astype("Int64")


def _count(mask: pd.Series) -> int:
    return int(mask.fillna(False).astype(bool).sum())


def _measure_figures(
    frame: pd.DataFrame, column: str, label: str, kind: str, level: Level, eligible: pd.Series
) -> list[CoverageFigure]:
    """<column>_provided among the eligible, and <column>_any among those provided."""
    if kind == "count":
        values = _number(frame, column)
        has_any = values > 0
    else:
        values = _text(frame, column)
        has_any = values.isin(DOMESTIC_VIOLENCE_ANY) if kind == "dv" else values == "Y"
    provided = eligible & values.notna()
    who = "families" if level == "family" else _who(column)
    n_provided = _count(provided)
    return [
        figure(f"{column}_provided", f"{label}: data provided ({who})", level, n_provided, _count(eligible)),
        figure(f"{column}_any", f"{label}: any, among those with data provided", level,
               _count(provided & has_any), n_provided),
    ]  # fmt: skip


def _who(column: str) -> str:
    band = AGE_BANDS.get(column)
    return f"individuals aged {band[0]}-{band[1]}" if band else "all individuals"


def _in_band(age: pd.Series, band: tuple[int, int]) -> pd.Series:
    return (age >= band[0]) & (age <= band[1])


def family_figures(families: pd.DataFrame) -> list[CoverageFigure]:
    """Counts by status, framework and number of problems; % with each headline problem; measures provided."""
    import pandas as pd

    n = len(families)
    everyone = pd.Series(True, index=families.index)
    status = _text(families, "intervention_status")
    framework = _text(families, "framework")
    out = [figure("families", "Families in the return", "family", n, n)]
    out += [
        figure(f"status_{s}", f"Intervention status {s.title()}", "family", _count(status == s), n)
        for s in INTERVENTION_STATUSES
    ]
    out += [
        figure(f"framework_{fw.code}", f"Framework: {fw.label}", "family", _count(framework == fw.code), n)
        for fw in FRAMEWORKS.values()
    ]
    present = [fw for fw in FRAMEWORKS.values() if (framework == fw.code).any()]
    if present:
        hp = [c for c in dict.fromkeys(p for fw in present for p in fw.problems)]
        yes = pd.DataFrame({p: _text(families, f"hp_{p}") == "Y" for p in hp}, index=families.index)
        problems = yes.fillna(False).astype(int).sum(axis=1)
        # Validation guarantees each framework's minimum, so counts below it would be structural zeros.
        for k in range(min(fw.minimum for fw in present), max(len(fw.problems) for fw in present) + 1):
            out.append(figure(f"problems_{k}", f"Families with {k} headline problems", "family",
                              _count(problems == k), n))  # fmt: skip
        for p in hp:
            in_framework = framework.isin([fw.code for fw in present if p in fw.problems])
            out.append(figure(f"hp_{p}", f"Headline problem: {HEADLINE_PROBLEM_LABELS[p]}", "family",
                              _count(in_framework & yes[p]), _count(in_framework)))  # fmt: skip
    housing = _text(families, "housing_status")
    out.append(figure("housing_status_provided", "Housing status: data provided (not NOT_KNOWN)", "family",
                      _count(housing.notna() & ~housing.isin(HOUSING_NOT_PROVIDED)), n))  # fmt: skip
    for column, label, kind in FAMILY_MEASURES:
        out += _measure_figures(families, column, label, kind, "family", everyone)
    return out


def individual_figures(individuals: pd.DataFrame) -> list[CoverageFigure]:
    """Ethnicity provided / not known, individual measures in their age bands, identifier quality."""
    import pandas as pd

    n = len(individuals)
    everyone = pd.Series(True, index=individuals.index)
    age = _number(individuals, "age")
    ethnicity = _text(individuals, "ethnicity")
    not_known = ethnicity.isin(ETHNICITY_NOT_KNOWN)
    out = [
        figure("individuals", "Individuals in the return", "individual", n, n),
        figure("ethnicity_provided", "Ethnic group: data provided (not REFU/NOBT)", "individual",
               _count(ethnicity.notna() & ~not_known), n),
        figure("ethnicity_not_known", "Ethnic group: Not known / Not given (REFU, NOBT)", "individual",
               _count(not_known), n),
    ]  # fmt: skip
    for column, label, kind in INDIVIDUAL_MEASURES:
        band = AGE_BANDS.get(column)
        eligible = _in_band(age, band).fillna(False) if band else everyone
        out += _measure_figures(individuals, column, label, kind, "individual", eligible)
    nino_valid = _text(individuals, "nino_status") == "VALID"
    upn_valid = _text(individuals, "upn_status") == "VALID"
    adults, pupils = _in_band(age, AGE_BANDS["nino"]), _in_band(age, AGE_BANDS["upn"])
    out += [
        figure("nino_valid", "Valid NINO (individuals aged 16+)", "individual",
               _count(adults & nino_valid), _count(adults)),
        figure("upn_valid", "Valid UPN (individuals aged 4-19)", "individual",
               _count(pupils & upn_valid), _count(pupils)),
        figure("postcode_valid", "Valid postcode (all individuals)", "individual",
               _count(_text(individuals, "postcode_status").isin(POSTCODE_PLACED)), n),
        figure("no_nino_or_upn", "Neither a valid NINO nor a valid UPN (harder to match)", "individual",
               _count(~(nino_valid.fillna(False) | upn_valid.fillna(False))), n),
    ]  # fmt: skip
    return out


def coverage_figures(family_attributes: pd.DataFrame, individual_attributes: pd.DataFrame) -> list[CoverageFigure]:
    """Every coverage figure of one return, family figures first, in a stable order."""
    return family_figures(family_attributes) + individual_figures(individual_attributes)

"""A research panel built straight from generated returns (tfnis.generate), without the service in between.

For the comparison's tests and bench: the same columns and meanings as the extract the pipeline writes
(docs/research.md), keyed on each council's own family and person ids instead of pseudonyms, with no disclosure
control. Months since support started come from the support start date a family carries once supported,
so the periods before it get negative months, as in the extract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfnis.impact.panel import Panel

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.generate import GeneratedFrames

FAMILY_COUNTS = ("evictions", "homelessness_applications", "weeks_homeless", "police_callouts")
INDIVIDUAL_COUNTS = ("asb_nfi", "asb_fi")
INDIVIDUAL_FLAGS = ("alcohol_dependent", "drug_dependent", "neet", "missing_education", "mental_health")


def panel_from_frames(frames: GeneratedFrames) -> Panel:
    """Families and individuals of every generated return as a family x period and person x period panel."""
    fam = frames.families
    families = _families(fam)
    ind = frames.individuals
    individuals = _individuals(ind, families)
    return Panel(families, individuals)


def _dates(text: pd.Series) -> pd.Series:
    import pandas as pd

    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))


def _months(start: pd.Series, end: pd.Series) -> pd.Series:
    return ((end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)).astype("Int16")


def _families(fam: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame({"family_key": (fam["la_code"] + ":" + fam["family_id"]).astype(str)})
    out["la_code"] = fam["la_code"].astype(str)
    period_end = _dates(fam["period_end"])
    out["period_end"] = period_end.dt.strftime("%Y-%m-%d")
    start = _dates(fam["support_start_date"].replace("", None))
    first_start = start.groupby(out["family_key"]).transform("min")
    out["ever_supported"] = first_start.notna()
    out["months_since_support_start"] = _months(first_start, period_end)
    out["intervention_group"] = pd.Categorical(
        fam["intervention_status"].eq("COMPARISON").map({True: "COMPARISON", False: "SUPPORTED"}),
        categories=["COMPARISON", "SUPPORTED"],
    )
    out["council_sequence"] = pd.Series(1, index=out.index, dtype="Int8")
    out["moved_council"] = False
    for column in FAMILY_COUNTS:
        out[column] = pd.to_numeric(fam[column].replace("", None)).astype("Int64")
    out["rent_arrears"] = fam["rent_arrears"].map({"Y": True, "N": False}).astype("boolean")
    return out


def _individuals(ind: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame({"person_key": (ind["la_code"] + ":" + ind["person_id"]).astype(str)})
    out["family_key"] = (ind["la_code"] + ":" + ind["family_id"]).astype(str)
    out["la_code"] = ind["la_code"].astype(str)
    period_end = _dates(ind["period_end"])
    out["period_end"] = period_end.dt.strftime("%Y-%m-%d")
    born = _dates(ind["date_of_birth"])
    age = (period_end - born).dt.days // 365.25
    out["relation_in_family"] = ind["relation_in_family"].astype("category")
    out["missing_education_eligible"] = age.between(5, 16)
    out["neet_eligible"] = age.between(16, 24)
    for column in INDIVIDUAL_COUNTS:
        out[column] = pd.to_numeric(ind[column].replace("", None)).astype("Int64")
    out["domestic_violence"] = ind["domestic_violence"].replace("", None).astype("category")
    for column in INDIVIDUAL_FLAGS:
        out[column] = ind[column].map({"Y": True, "N": False}).astype("boolean")
    return out

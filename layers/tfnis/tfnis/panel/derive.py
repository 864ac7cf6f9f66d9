"""The family × period panel derived from every staged period: what a family's row says about the whole panel
(ever supported, months since support started, before it too, council moves), typed as the registry says.

Input: the staged extracts (ResearchBucket staging/, one per council and period), concatenated. Output: the
panel before disclosure control across periods (tfnis.panel.protect), one row per family (person) and period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfnis.panel.columns import PANDAS_DTYPES, PanelType, panel_columns

if TYPE_CHECKING:
    import pandas as pd

YES, NO = "Y", "N"


def period_month(period_end: pd.Series) -> pd.Series:
    """year * 12 + month - 1 of period_end (the month numbers of the staged support start and end)."""
    import pandas as pd

    when = pd.to_datetime(period_end)
    return (when.dt.year * 12 + when.dt.month - 1).astype("Int64")


def derive_families(staged: pd.DataFrame) -> pd.DataFrame:
    """Families of every period with the panel columns: ever_supported, months since support started (from the
    family's first support start in the panel, so negative before it), council_sequence and moved_council.
    The support end month is not carried on: with the start it gives the support's length to the month, a
    strong quasi-identifier, and intervention_status ENDED says by which period support had ended."""
    import pandas as pd

    fam = staged.copy()
    fam["period_end"] = pd.to_datetime(fam["period_end"])
    fam = fam.sort_values(["family_key", "period_end", "la_code"], kind="stable").reset_index(drop=True)
    family = fam["family_key"]
    supported = fam["intervention_group"].astype("string").eq("SUPPORTED").fillna(False)
    fam["ever_supported"] = supported.groupby(family).transform("max").astype("boolean")
    month = period_month(fam["period_end"])
    start = pd.to_numeric(fam["support_start_month"]).astype("Int64").groupby(family).transform("min")
    fam["months_since_support_start"] = (month - start).astype("Int16")
    previous = fam["la_code"].groupby(family).shift()
    fam["moved_council"] = (previous.notna() & fam["la_code"].ne(previous)).astype("boolean")
    fam["council_sequence"] = (fam["moved_council"].astype(int).groupby(family).cumsum() + 1).astype("Int8")
    return typed(fam, "families")


def derive_individuals(staged: pd.DataFrame, area: str = "") -> pd.DataFrame:
    """Individuals of every period, typed (Y/N as booleans, codes as categories), in panel order."""
    import pandas as pd

    ind = staged.copy()
    ind["period_end"] = pd.to_datetime(ind["period_end"])
    ind = ind.sort_values(["person_key", "period_end", "la_code"], kind="stable").reset_index(drop=True)
    return typed(ind, "individuals", area=area)


def typed(frame: pd.DataFrame, table: str, area: str = "", keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Exactly the registry's columns (partitions included) in its order and types, plus `keep`."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for column in panel_columns(table, area):
        values = frame[column.name] if column.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        out[column.name] = as_type(values, column.type, column.codes)
    for name in keep:
        out[name] = frame[name]
    return out


def as_type(values: pd.Series, kind: PanelType, codes: tuple[str, ...] = ()) -> pd.Series:
    """One column in its panel type: Y/N → boolean, codes → category over the registry's codes."""
    import pandas as pd

    if kind is PanelType.BOOLEAN:
        if pd.api.types.is_bool_dtype(values):
            return values.astype("boolean")
        text = values.astype("string")
        return text.map({YES: True, NO: False}, na_action="ignore").astype("boolean")
    if kind is PanelType.CATEGORY:
        return pd.Categorical(values.astype("string").astype(object).where(values.notna(), None), categories=codes)
    if kind is PanelType.DATE:
        return pd.to_datetime(values)
    if kind is PanelType.STRING:
        return values.astype("string")
    return pd.to_numeric(values).astype(PANDAS_DTYPES[kind])

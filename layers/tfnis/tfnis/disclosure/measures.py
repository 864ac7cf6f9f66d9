"""Disclosure risk measures on a table of records: equivalence classes on declared quasi-identifiers, the
k distribution, distinct l-diversity of sensitive measures, and how many households are unique.

Vectorised pandas throughout (one groupby per measure). A blank (<NA>) counts as a value of its own when
classes are formed: a suppressed cell joins the class of records suppressed the same way, so suppression
can never hide a small class by making it look like a larger one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

BLANK = "\x00"  # stands for <NA> while classes are formed; no code list holds it


def class_codes(frame: pd.DataFrame, quasi_identifiers: list[str] | tuple[str, ...]) -> pd.Series:
    """One integer per record naming its equivalence class on the quasi-identifiers (<NA> is its own value).

    Each column is factorised (<NA> kept as a code of its own) and folded into the running code, which is
    factorised again so it never overflows: no string is built per record.
    """
    import numpy as np
    import pandas as pd

    codes = np.zeros(len(frame), dtype=np.int64)
    for column in quasi_identifiers:
        values = frame[column]
        # Every kind of blank (<NA>, NaN, None) is one code; factorising the column's own dtype is several
        # times faster than an object copy (the panel release forms classes on hundreds of thousands of rows).
        column_codes, uniques = pd.factorize(values, use_na_sentinel=False)
        column_codes = np.where(values.isna().to_numpy(), len(uniques), column_codes)
        codes, _ = pd.factorize(codes * (len(uniques) + 2) + column_codes)
    return pd.Series(codes, index=frame.index, dtype="int64")


def class_sizes(frame: pd.DataFrame, quasi_identifiers: list[str] | tuple[str, ...]) -> pd.Series:
    """The size of each record's equivalence class."""
    codes = class_codes(frame, quasi_identifiers)
    return codes.map(codes.value_counts()).astype("int64")


def k_anonymity(frame: pd.DataFrame, quasi_identifiers: list[str] | tuple[str, ...]) -> int:
    """The smallest class size (0 for an empty table)."""
    return int(class_sizes(frame, quasi_identifiers).min()) if len(frame) else 0


def k_distribution(sizes: pd.Series, bins: tuple[int, ...] = (1, 2, 3, 5, 10, 20)) -> dict[str, int]:
    """Records by the size of their class: '1', '2', '3-4', '5-9', '10-19', '20+' for the default bins."""
    out: dict[str, int] = {}
    for low, high in zip(bins, (*bins[1:], None), strict=True):
        label = f"{low}+" if high is None else (str(low) if high == low + 1 else f"{low}-{high - 1}")
        within = sizes >= low if high is None else (sizes >= low) & (sizes < high)
        out[label] = int(within.sum())
    return out


def l_diversity(frame: pd.DataFrame, quasi_identifiers: list[str] | tuple[str, ...], sensitive: str) -> pd.Series:
    """Distinct l-diversity per record: how many different recorded values of `sensitive` its class holds."""
    codes = class_codes(frame, quasi_identifiers)
    distinct = frame[sensitive].groupby(codes.to_numpy()).nunique(dropna=True)
    return codes.map(distinct).astype("int64")


def homogeneous_positive(
    frame: pd.DataFrame, quasi_identifiers: list[str] | tuple[str, ...], sensitive: str, negative: frozenset[str]
) -> pd.Series:
    """True where every recorded value in the record's class is the same positive one (Y, VICTIM, …): whoever
    places a person in that class learns the sensitive fact (attribute disclosure), which l = 1 of "N" does not."""
    codes = class_codes(frame, quasi_identifiers)
    values = frame[sensitive].astype("string")
    recorded = values.notna()
    positive = recorded & ~values.isin(list(negative)).fillna(False)
    by_class = positive.groupby(codes.to_numpy()).sum()
    recorded_in_class = recorded.groupby(codes.to_numpy()).sum()
    distinct = values.groupby(codes.to_numpy()).nunique(dropna=True)
    homogeneous = (by_class == recorded_in_class) & (by_class > 0) & (distinct == 1)
    return codes.map(homogeneous).astype(bool)


def household_signatures(
    individuals: pd.DataFrame, household: str, member_identifiers: list[str] | tuple[str, ...], within: list[str]
) -> pd.DataFrame:
    """One row per household: the `within` columns (council, period) and its members' kinds, sorted, one column
    per place (m0, m1, …; -1 past the last member): what someone who knows the family sees in the extract."""
    import numpy as np

    member = class_codes(individuals, member_identifiers).to_numpy()  # one code per kind of member
    frame = individuals[[household, *within]].assign(_member=member)
    frame = frame.sort_values([household, "_member"], kind="stable")
    frame["_place"] = frame.groupby(household, sort=False).cumcount()
    wide = frame.pivot(index=household, columns="_place", values="_member").fillna(-1).astype(np.int64)
    wide.columns = [f"m{place}" for place in wide.columns]
    firsts = frame.drop_duplicates(household).set_index(household)[list(within)]
    return firsts.join(wide).reset_index()


def household_uniqueness(
    individuals: pd.DataFrame, household: str, member_identifiers: list[str] | tuple[str, ...], within: list[str]
) -> tuple[float, pd.Series]:
    """The share of households unique on their members' quasi-identifiers, and each household's class size."""
    signatures = household_signatures(individuals, household, member_identifiers, within)
    if signatures.empty:
        return 0.0, signatures.set_index(household).iloc[:, 0].astype("int64")
    places = [c for c in signatures.columns if c.startswith("m") and c[1:].isdigit()]
    sizes = class_sizes(signatures, [*within, *places])
    sizes.index = signatures[household].to_numpy()
    return float((sizes == 1).mean()), sizes

"""Vectorised parsing of cell text: trimming, codes, dates, whole numbers — one Arrow pass per column.

Each parser returns the typed values plus masks of what failed, so the caller decides which rule to cite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$"
_UK_DATE = r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})$"
_INTEGER = r"^[+-]?[0-9]{1,9}(\.0*)?$"
_LONG_INTEGER = r"^[+-]?[0-9]+(\.0*)?$"
# Spreadsheet formula triggers (OWASP CSV injection); a plain signed number is data, not a formula.
_FORMULA_START = r"^[=+\-@\t\r]"
_SIGNED_NUMBER = r"^[+-][0-9]+(\.[0-9]+)?$"
MIN_YEAR, MAX_YEAR = 1800, 2200  # inside datetime64[ns]; anything else is a typing slip


def arrow(series: pd.Series):  # -> pa.ChunkedArray of string
    import pyarrow as pa

    return pa.chunked_array(series.astype("string[pyarrow]").array.__arrow_array__()).cast(pa.string())


def mask_of(array) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)


def text_series(array, index) -> pd.Series:
    import pandas as pd
    import pyarrow as pa

    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(array).cast(pa.string())), index=index)


def trimmed(series: pd.Series) -> pd.Series:
    """Cells trimmed of surrounding whitespace, blank → <NA> (empty means 'not provided', never zero)."""
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(arrow(series))
    return text_series(pc.if_else(pc.equal(text, ""), None, text), series.index)


def upper(series: pd.Series) -> pd.Series:
    import pyarrow.compute as pc

    return text_series(pc.utf8_upper(arrow(series)), series.index)


def matches(series: pd.Series, pattern: str) -> np.ndarray:
    """True where the (non-null) value fully matches an RE2 pattern."""
    import pyarrow.compute as pc

    return mask_of(pc.match_substring_regex(arrow(series), pattern))


def formula_mask(series: pd.Series) -> np.ndarray:
    """Cells a spreadsheet would run as a formula: starting = + - @ (tab, CR), but not a plain signed number."""
    import pyarrow.compute as pc

    values = arrow(series)
    starts = mask_of(pc.match_substring_regex(values, _FORMULA_START))
    if not starts.any():
        return starts
    return starts & ~mask_of(pc.match_substring_regex(values, _SIGNED_NUMBER))


@dataclass
class Parsed:
    values: pd.Series
    bad_format: np.ndarray  # not the shape of the type at all
    impossible: np.ndarray  # the shape is right but the value cannot exist / is too large


def parse_dates(series: pd.Series) -> Parsed:
    """YYYY-MM-DD or DD/MM/YYYY to datetime64[ns]; a calendar check in numpy (Arrow's strptime rolls 30 Feb over)."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    values = arrow(series)
    present = mask_of(pc.is_valid(values))
    parts = []
    for pattern in (_ISO_DATE, _UK_DATE):
        fields = pc.extract_regex(values, pattern)
        parts.append({k: pc.fill_null(pc.cast(pc.struct_field(fields, k), "int64"), 0).to_numpy() for k in "ymd"})
    iso_ok = mask_of(pc.match_substring_regex(values, _ISO_DATE))
    y = np.where(iso_ok, parts[0]["y"], parts[1]["y"])
    m = np.where(iso_ok, parts[0]["m"], parts[1]["m"])
    d = np.where(iso_ok, parts[0]["d"], parts[1]["d"])
    shaped = iso_ok | mask_of(pc.match_substring_regex(values, _UK_DATE))
    in_range = (y >= MIN_YEAR) & (y <= MAX_YEAR) & (m >= 1) & (m <= 12) & (d >= 1)
    month = np.where(in_range, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
    days_in_month = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    ok = shaped & in_range & (d <= days_in_month)
    dates = month.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    out = pd.Series(dates.astype("datetime64[ns]"), index=series.index).where(ok)
    return Parsed(out, present & ~shaped, present & shaped & ~ok)


def parse_integers(series: pd.Series) -> Parsed:
    """Whole numbers ('3' or '3.0') to Int64; more than nine digits counts as impossible (out of range)."""
    import pandas as pd
    import pyarrow.compute as pc

    values = arrow(series)
    present = mask_of(pc.is_valid(values))
    ok = mask_of(pc.match_substring_regex(values, _INTEGER))
    long = mask_of(pc.match_substring_regex(values, _LONG_INTEGER)) & ~ok
    whole = pc.replace_substring_regex(pc.if_else(ok, values, None), r"\.0*$", "")
    numbers = pc.cast(whole, "int64")
    out = pd.Series(pd.array(numbers.to_pandas(), dtype="Int64"), index=series.index)
    return Parsed(out, present & ~ok & ~long, long)


def age_in_years(born: pd.Series, at: pd.Timestamp) -> pd.Series:
    """Whole years between a date of birth and `at` (the birthday counts on the day); Int64, <NA> if unknown."""
    import numpy as np
    import pandas as pd

    known = born.notna().to_numpy()
    b = pd.DatetimeIndex(born)
    years = at.year - b.year.to_numpy(dtype=np.float64, na_value=np.nan)
    before_birthday = (b.month.to_numpy(dtype=np.float64, na_value=np.nan) > at.month) | (
        (b.month.to_numpy(dtype=np.float64, na_value=np.nan) == at.month)
        & (b.day.to_numpy(dtype=np.float64, na_value=np.nan) > at.day)
    )
    age = years - before_birthday
    return pd.Series(pd.array(np.where(known, age, np.nan), dtype="Int64"), index=born.index)


def isin(series: pd.Series, values) -> np.ndarray:
    """True where the value is one of `values` (Arrow hash lookup; pandas' Arrow isin is far slower)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(list(values), pa.string())
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    return mask_of(pc.is_in(arrow(series), value_set=value_set.cast(pa.string())))


def recode(series: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Replace values by `mapping` through a dictionary encoding: one Python lookup per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = arrow(series).combine_chunks().dictionary_encode()
    dictionary = pa.array([mapping.get(v, v) for v in encoded.dictionary.to_pylist()], pa.string())
    return text_series(pc.take(dictionary, encoded.indices), series.index)

"""Vectorised parsing of cell text: trimming, codes, dates, whole numbers — one Arrow pass per column.

Each parser returns the typed values plus masks of what failed, so the caller decides which rule to cite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.spec.columnar import (
    any_byte_in,
    arrow_strings,
    byte_table,
    distinct,
    mask_of,
    offsets_and_bytes,
    spread,
    string_series,
    value_set,
    with_nulls,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$"
_UK_DATE = r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})$"
# Excel writes a date cell into a CSV with its (midnight) time when the cell's format shows one.
_MIDNIGHT = r"[ T]00:00(:00(\.0+)?)?$"
# What Excel makes of a long number typed into a General cell, and of a date cell formatted General.
SCIENTIFIC = r"^[0-9](\.[0-9]+)?[Ee]\+?[0-9]+$"
DATE_SERIAL = r"^[1-9][0-9]{3,4}(\.0+)?$"
_INTEGER = r"^[+-]?[0-9]{1,9}(\.0*)?$"
_LONG_INTEGER = r"^[+-]?[0-9]+(\.0*)?$"
# Spreadsheet formula triggers (OWASP CSV injection); a plain signed number is data, not a formula.
_SIGNED_NUMBER = r"^[+-][0-9]+(\.[0-9]+)?$"
MIN_YEAR, MAX_YEAR = 1800, 2200  # inside datetime64[ns]; anything else is a typing slip


def _edge_bytes(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First byte, last byte and byte length of every value, read from the Arrow buffers. The length is 0 for a
    null; the first and last bytes of an empty value are arbitrary (callers only look where length > 0)."""
    import numpy as np

    firsts, lasts, lengths = [], [], []
    for chunk in values.chunks:
        offsets, data = offsets_and_bytes(chunk)
        length = np.diff(offsets)
        if chunk.null_count:
            length[chunk.is_null().to_numpy(zero_copy_only=False)] = 0
        firsts.append(data[np.minimum(offsets[:-1], len(data) - 1)])
        lasts.append(data[np.maximum(offsets[1:] - 1, 0)])
        lengths.append(length)
    if not firsts:
        empty = np.zeros(0, np.uint8)
        return empty, empty, np.zeros(0, np.int64)
    if len(firsts) == 1:
        return firsts[0], lasts[0], lengths[0]
    return np.concatenate(firsts), np.concatenate(lasts), np.concatenate(lengths)


# Whitespace a cell may be wrapped in; a multi-byte character might be a Unicode space: Arrow decides those.
_SPACE_BYTES = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_FORMULA_BYTES = b"=+-@\t\r"


def cleaned(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Cells trimmed of surrounding whitespace with blank → <NA> (empty means 'not provided', never zero), and
    where a trimmed cell would run as a formula in a spreadsheet. One look at the first/last bytes decides
    whether Arrow has any trimming to do at all (usually not)."""
    import pyarrow.compute as pc

    values = arrow_strings(series)
    first, last, length = _edge_bytes(values)
    spacey = byte_table(_SPACE_BYTES, non_ascii=True)
    filled = length > 0
    if ((spacey[first] | spacey[last]) & filled).any():
        values = pc.utf8_trim_whitespace(values)
        first, _, length = _edge_bytes(values)
        filled = length > 0
    empty = ~filled
    if values.null_count:
        empty &= mask_of(pc.is_valid(values))
    if empty.any():
        values = with_nulls(values, empty)
    formula = byte_table(_FORMULA_BYTES)[first] & filled
    if formula.any():
        formula &= ~mask_of(pc.match_substring_regex(values, _SIGNED_NUMBER))
    return string_series(values, series.index), formula


_LOWER_CASE = b"abcdefghijklmnopqrstuvwxyz"


def upper(series: pd.Series) -> pd.Series:
    """Upper-cased text; the column itself when nothing in it has a case to change (codes usually)."""
    import pyarrow.compute as pc

    values = arrow_strings(series)
    return string_series(
        pc.utf8_upper(values) if any_byte_in(values, _LOWER_CASE, non_ascii=True) else values, series.index
    )


def repeated(series: pd.Series) -> np.ndarray:
    """True on every row whose (non-null) value is on another row too. By sorting, not hashing: identifiers are
    nearly all distinct, and Arrow sorts a million of them about three times faster than it hashes them."""
    import numpy as np
    import pyarrow.compute as pc

    values = arrow_strings(series)
    order = pc.sort_indices(values).to_numpy()[: len(values) - values.null_count]  # nulls sort last: dropped
    if len(order) < 2:
        return np.zeros(len(values), dtype=bool)
    in_order = pc.take(values, order)
    same_as_next = mask_of(pc.equal(in_order.slice(0, len(order) - 1), in_order.slice(1)))
    out = np.zeros(len(values), dtype=bool)
    if same_as_next.any():
        out[order[:-1][same_as_next]] = True
        out[order[1:][same_as_next]] = True
    return out


def matches(series: pd.Series, pattern: str, *, few_distinct: bool = False) -> np.ndarray:
    """True where the (non-null) value fully matches an RE2 pattern (once per distinct value if few)."""
    import pyarrow.compute as pc

    if few_distinct:
        dictionary, indices = distinct(series)
        return spread(mask_of(pc.match_substring_regex(dictionary, pattern)), indices, False)
    return mask_of(pc.match_substring_regex(arrow_strings(series), pattern))


@dataclass
class Parsed:
    values: pd.Series
    bad_format: np.ndarray  # not the shape of the type at all
    impossible: np.ndarray  # the shape is right but the value cannot exist / is too large
    midnight: np.ndarray | None = None  # a date read although written with a midnight time


def parse_dates(series: pd.Series) -> Parsed:
    """YYYY-MM-DD or DD/MM/YYYY to datetime64[ns]; a calendar check in numpy (Arrow's strptime rolls 30 Feb
    over to 1 March). Parsed once per distinct value: a return has few distinct dates per column."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    values, indices = distinct(series)
    midnight = mask_of(pc.match_substring_regex(values, _MIDNIGHT))
    if midnight.any():
        values = pc.replace_substring_regex(values, _MIDNIGHT, "")
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
    dates = (month.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")).astype("datetime64[ns]")
    dates[~ok] = np.datetime64("NaT")
    out = pd.Series(spread(dates, indices, np.datetime64("NaT", "ns")), index=series.index)
    return Parsed(
        out,
        spread(~shaped, indices, False),
        spread(shaped & ~ok, indices, False),
        spread(midnight & ok, indices, False),
    )


def parse_integers(series: pd.Series) -> Parsed:
    """Whole numbers ('3' or '3.0') to Int64, once per distinct value; more than nine digits is impossible."""
    import pandas as pd
    import pyarrow.compute as pc

    values, indices = distinct(series)
    ok = mask_of(pc.match_substring_regex(values, _INTEGER))
    long = mask_of(pc.match_substring_regex(values, _LONG_INTEGER)) & ~ok
    whole = pc.replace_substring_regex(pc.if_else(ok, values, None), r"\.0*$", "")
    numbers = pc.fill_null(pc.cast(whole, "int64"), 0).to_numpy(zero_copy_only=False)
    known = spread(ok, indices, False)
    out = pd.Series(pd.arrays.IntegerArray(spread(numbers, indices, 0), ~known), index=series.index)
    return Parsed(out, spread(~ok & ~long, indices, False), spread(long, indices, False))


def age_in_years(born: pd.Series, at: pd.Timestamp) -> pd.Series:
    """Whole years between a date of birth and `at` (the birthday counts on the day); Int64, <NA> if unknown."""
    import numpy as np
    import pandas as pd

    days = born.to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(days)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    before_birthday = (month > at.month) | ((month == at.month) & (day > at.day))
    age = at.year - years - before_birthday
    return pd.Series(pd.arrays.IntegerArray(np.where(known, age, 0), ~known), index=born.index)


def isin(series: pd.Series, values) -> np.ndarray:
    """True where the value is one of `values` (Arrow hash lookup; pandas' Arrow isin is far slower)."""
    import pyarrow.compute as pc

    values_in = arrow_strings(series)
    return mask_of(pc.is_in(values_in, value_set=value_set(values, values_in)))


def recode(series: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Replace values by `mapping` through a dictionary encoding: one Python lookup per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = arrow_strings(series).combine_chunks().dictionary_encode()
    dictionary = pa.array([mapping.get(v, v) for v in encoded.dictionary.to_pylist()], pa.large_string())
    return string_series(pc.take(dictionary, encoded.indices), series.index)

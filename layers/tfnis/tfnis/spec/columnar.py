"""Column helpers shared by spec/identifiers, validation/cells and linkage/normalise: the Arrow path, the path
without pyarrow, and "run a rule once per distinct value", each written once.

Two paths, one switch (`arrow_available`): the validate Lambda has pyarrow and runs rules as Arrow compute
kernels (RE2, no per-row Python); the match, coverage and anonymise Lambdas ship without it (the 250 MB limit,
docs/deploy.md) and run the scalar rules once per distinct value through pandas instead.

Arrow text is kept as `large_string`, the type pandas' Arrow-backed strings hold: a column goes from a frame to
a kernel and back without a copy (casting to `string` and back cost about a tenth of a validation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas/numpy are imported lazily: Lambda handlers import this module at cold start
    import numpy as np
    import pandas as pd


# --- the switch -------------------------------------------------------------------------------------------
def arrow_available() -> bool:
    """False where pyarrow cannot be imported (the Lambdas without it). Not cached: the tests block the import
    to hold both paths to the same answers (tests/unit/test_spec_without_arrow.py)."""
    try:
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


# --- without pyarrow: pandas, once per distinct value -----------------------------------------------------
def per_distinct_value(series: pd.Series, rule: Callable[[str], object], *, mask: bool = False) -> pd.Series:
    """A scalar rule applied once per distinct value (identifiers and names repeat: households share a
    postcode), spread back onto the rows: a bool Series if `mask`, else a string Series (<NA> for None)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series.astype(pd.StringDtype("python")), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)  # numpy's element access: pandas' costs more than most rules
    if mask:
        flags = np.array([bool(rule(value)) for value in uniques] + [False], dtype=bool)
        return pd.Series(flags[codes], index=series.index)
    results = [rule(value) for value in uniques]
    texts = np.array([None if r is None else str(r) for r in results] + [None], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=pd.StringDtype("python"))


def per_distinct_values(
    series: pd.Series,
    rules: dict[str, Callable[[Any], str | None]],
    *,
    dtype: str = "string",
    prepare: Callable[[str], Any] | None = None,
    codes_out: dict[str, tuple[np.ndarray, int]] | None = None,
) -> dict[str, pd.Series]:
    """Several scalar rules of one column, each run once per distinct value of one factorisation. With
    `prepare`, each rule is given prepare(value), computed once per value for all the rules (a name's words).
    With `codes_out`, each result's integer codes go there too (row_codes), from this factorisation."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # As a numpy object array: indexing a pandas array one element at a time costs more than most rules.
    values = np.asarray(uniques, dtype=object)
    inputs = [prepare(value) for value in values] if prepare is not None else values
    found = {}
    for name, rule in rules.items():
        per_value = pd.array([rule(u) for u in inputs], dtype=dtype)
        found[name] = onto_rows(per_value, codes, series.index)
        if codes_out is not None:
            codes_out[name] = row_codes(per_value, codes)
    return found


def row_codes(per_value: pd.api.extensions.ExtensionArray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    """(codes, distinct): per row, an integer that is equal where the rows' results are equal (-1 for <NA>), as
    pd.factorize of the spread column gives, but from the distinct values: factorising a million Python strings
    again costs a fifth of a second a column (tfnis.linkage.match_keys.KeyCodes takes these)."""
    import numpy as np
    import pandas as pd

    value_codes, distinct = pd.factorize(per_value, use_na_sentinel=True)
    return np.append(value_codes, -1).astype(np.int32)[codes], len(distinct)


def onto_rows(per_value: pd.api.extensions.ExtensionArray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Values of the distinct values (a pandas array) back onto the rows; code -1 gives <NA>."""
    import pandas as pd

    return pd.Series(per_value.take(codes, allow_fill=True), index=index)


# --- with pyarrow: Arrow arrays -----------------------------------------------------------------------------
def arrow_strings(series: pd.Series):  # -> pa.ChunkedArray of large_string
    """The Series as Arrow text, zero-copy when it is already Arrow-backed (as every table read is)."""
    import pandas as pd
    import pyarrow as pa

    if not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"):
        series = series.astype(pd.StringDtype("pyarrow"))
    chunked = pa.chunked_array(series.array.__arrow_array__())
    return chunked if chunked.type == pa.large_string() else chunked.cast(pa.large_string())


def string_series(array, index) -> pd.Series:
    """Arrow text (any string type, Array or ChunkedArray) as a pandas Arrow-backed string Series."""
    import pandas as pd
    import pyarrow as pa

    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    if chunked.type != pa.large_string():
        chunked = chunked.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(chunked), index=index)


def mask_of(array) -> np.ndarray:
    """A boolean Arrow array as numpy, null counted False."""
    import pyarrow.compute as pc

    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)


def value_set(values, like):  # -> pa.Array
    """`values` (an iterable of str, or Arrow) as an Arrow value set of the same type as `like` (is_in's need)."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        values = pa.array(list(values), pa.large_string())
    return values if values.type == like.type else values.cast(like.type)


def distinct(series: pd.Series):  # -> tuple[pa.Array, np.ndarray]
    """The distinct values and, per row, the index of its value (-1 for null): work once per distinct value."""
    import pyarrow.compute as pc

    encoded = arrow_strings(series).combine_chunks().dictionary_encode()
    return encoded.dictionary, pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)


def spread(per_value: np.ndarray, indices: np.ndarray, null) -> np.ndarray:
    """Per-distinct-value results broadcast back to rows; rows with a null value get `null`."""
    import numpy as np

    padded = np.concatenate([per_value, np.asarray([null], dtype=per_value.dtype)])
    return padded[np.where(indices < 0, len(per_value), indices)]


def offsets_and_bytes(chunk) -> tuple[np.ndarray, np.ndarray]:
    """A string array's value offsets (n + 1 of them, int32 or int64 by type) and its data bytes, as numpy
    views of the Arrow buffers (the bytes never empty, so an index into them is always legal)."""
    import numpy as np
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
    data_buffer = chunk.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data if len(data) else np.zeros(1, np.uint8)


def fixed_width_codes(array, width: int) -> np.ndarray:
    """The bytes of Arrow text whose values are all `width` ASCII characters, as an (n, width) grid."""
    import numpy as np
    import pyarrow as pa

    if len(array) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    flat = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    offsets, data = offsets_and_bytes(flat)
    return data[offsets[0] : offsets[-1]].reshape(-1, width)


def byte_table(members: bytes, *, non_ascii: bool = False) -> np.ndarray:
    """A 256-entry lookup: True for each byte in `members` (and for every non-ASCII byte if `non_ascii`)."""
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[list(members)] = True
    table[0x80:] = non_ascii
    return table


_ALL_BYTES = bytes(range(256))
_NON_ASCII = bytes(range(0x80, 0x100))


def any_byte_outside(values, allowed: bytes) -> bool:
    """Whether any byte of Arrow text is not one of `allowed`: one look over the raw bytes decides whether a
    slower, Unicode-aware kernel is needed at all. (bytes.translate deleting the allowed bytes is about five
    times faster than a numpy table look-up.)"""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.to_pybytes().translate(None, allowed):
            return True
    return False


def any_byte_in(values, members: bytes, *, non_ascii: bool = False) -> bool:
    """Whether any byte of Arrow text is one of `members` (or any non-ASCII byte, if `non_ascii`)."""
    wanted = set(members) | (set(_NON_ASCII) if non_ascii else set())
    return any_byte_outside(values, bytes(b for b in _ALL_BYTES if b not in wanted))


def with_nulls(values, null: np.ndarray):  # -> pa.ChunkedArray
    """Arrow text with the rows where `null` is True made null, reusing the values' buffers (if_else would copy
    every string)."""
    import numpy as np
    import pyarrow as pa

    chunks, start = [], 0
    for chunk in values.chunks:
        n = len(chunk)
        valid = ~null[start : start + n]
        if chunk.null_count:
            valid &= chunk.is_valid().to_numpy(zero_copy_only=False)
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        offsets = chunk.buffers()[1]
        if chunk.offset:  # the bitmap starts at the slice; the offsets are re-based to it too
            width = 8 if pa.types.is_large_string(chunk.type) else 4
            offsets = offsets.slice(chunk.offset * width)
        chunks.append(
            pa.Array.from_buffers(chunk.type, n, [bitmap, offsets, chunk.buffers()[2]], null_count=int(n - valid.sum()))
        )
        start += n
    return pa.chunked_array(chunks, type=values.type)


def labelled(codes: np.ndarray, labels: list[str], index) -> pd.Series:
    """Per-row codes (-1 for null) into `labels` as a string Series, built by Arrow's take (no Python objects)."""
    import numpy as np
    import pyarrow as pa

    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return string_series(pa.array(labels, pa.large_string()).take(indices), index)

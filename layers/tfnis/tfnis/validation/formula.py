"""Escaping of spreadsheet formula injection (OWASP "CSV injection") for every CSV tfnis writes.

A cell beginning with = + - @ (or a tab / carriage return, which some spreadsheets skip before reading a
formula) is prefixed with a single quote, so Excel and LibreOffice show it as text instead of running it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@overload
def escape_formula(value: str) -> str: ...
@overload
def escape_formula(value: pd.Series) -> pd.Series: ...


def escape_formula(value):
    """The value (a string, or every string in a Series) made safe to open in a spreadsheet."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if value is None:
        return value
    import pandas as pd

    if not isinstance(value, pd.Series):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
    text = value.astype("string")
    risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False)
    return text.where(~risky, "'" + text)

"""The gate in front of ResearchBucket published/: a table tfnis publishes passes output checking first.

`publishable` runs the same check as `tfnis check-output`, blanks what it finds (its --fix), checks the result
again and refuses (OutputNotSafe) if anything is still disclosive, so a caller cannot write a table that would
fail the check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfnis.disclosure.output_check import THRESHOLD, check_output

if TYPE_CHECKING:
    import pandas as pd

PUBLISHED_PREFIX = "published/"


class OutputNotSafe(RuntimeError):
    """Output checking still finds disclosive cells after suppression: the table is not published."""


def publishable(table: pd.DataFrame, counts: tuple[str, ...], threshold: int = THRESHOLD) -> pd.DataFrame:
    """The table as it may be published: every disclosive count cell blanked (primary and secondary)."""
    fixed = check_output(table, counts=counts, threshold=threshold).fixed
    again = check_output(fixed, counts=counts, threshold=threshold)
    if not again.safe:
        raise OutputNotSafe(f"{len(again.cells)} cell(s) still disclosive after suppression; not published")
    return fixed


def publishable_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """The national coverage table (tfnis.coverage.national) checked for publication: a figure whose
    numerator or denominator the check blanks loses its percent and is marked suppressed."""
    fixed = publishable(table, ("numerator", "denominator"))
    blanked = (fixed["numerator"].isna() & table["numerator"].notna()) | (
        fixed["denominator"].isna() & table["denominator"].notna()
    )
    hidden = blanked | table["suppressed"].astype(bool)
    fixed["numerator"] = fixed["numerator"].mask(hidden)
    fixed["denominator"] = fixed["denominator"].mask(hidden)
    fixed["percent"] = table["percent"].astype("Float64").mask(hidden)
    fixed["suppressed"] = hidden
    return fixed

"""Household risk: a family is seen whole in the individuals table (its members share a family_key), so the
list of its members' quasi-identifiers can single it out even when every person is k-anonymous.

Households in classes smaller than k on that list have their members' cells blanked one column at a time
(ethnic group, then age band, then sex; relation is kept, the panel needs it), record-level k restored by local
suppression again after each (blanking moves records between classes), for as long as the table's suppressed
share stays within the limit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tfnis.disclosure.measures import class_sizes, household_uniqueness
from tfnis.disclosure.suppression import Suppression, suppress_locally

if TYPE_CHECKING:
    from tfnis.disclosure.control import ProtectedTable

BLANKING_ORDER: tuple[str, ...] = ("ethnic_group", "age_band", "sex")


def protect_households(
    table: ProtectedTable, household: str, member_identifiers: tuple[str, ...], *, k: int, max_suppression: float
) -> tuple[ProtectedTable, dict[str, Any]]:
    """The individuals with household k enforced where it fits within max_suppression, and the household risk.

    Household k is best effort: when blanking more would pass the suppression limit, the households left
    unique are reported, not hidden (the record-level k and its limit still hold).
    """
    from tfnis.disclosure.control import sensitive_risk

    within = list(table.rules.fixed)
    members = [c for c in member_identifiers if c in table.frame.columns]
    before, _ = household_uniqueness(table.before, household, members, within)
    frame, blanked = table.frame.copy(), table.suppression.suppressed.copy()
    households_blanked: set[Any] = set()
    for column in (c for c in BLANKING_ORDER if c in members and c in blanked.columns):
        trial, trial_blanked, touched = _blank_small_households(frame, blanked, household, members, within, k, column)
        if not touched:
            break
        redone = suppress_locally(trial, within, list(blanked.columns), k)
        combined = trial_blanked | redone.suppressed
        if combined.to_numpy().mean() > max_suppression:
            break  # within the limit or not at all: household k is best effort
        frame, blanked = redone.frame, combined
        households_blanked |= touched
    after, _ = household_uniqueness(frame, household, members, within)
    qis = [*within, *blanked.columns]
    protected = replace(
        table, frame=frame, suppression=Suppression(frame, blanked), sizes_after=class_sizes(frame, qis),
        sensitive=sensitive_risk(frame, qis, table.rules.sensitive),
    )  # fmt: skip
    risk = {
        "households": int(frame[household].nunique()),
        "member_identifiers": tuple(members),
        "unique_share_before": round(before, 6),
        "unique_share_after": round(after, 6),
        "households_suppressed": len(households_blanked),
    }
    return protected, risk


def _blank_small_households(frame, blanked, household, members, within, k, column):  # type: ignore[no-untyped-def]
    """Blank `column` for every member of the households still in a class smaller than k."""
    import pandas as pd

    _, sizes = household_uniqueness(frame, household, members, within)
    small = sizes[sizes < k].index
    out, marks = frame.copy(), blanked.copy()
    rows = out[household].isin(small) & out[column].notna()
    out.loc[rows, column] = pd.NA
    marks.loc[rows, column] = True
    return out, marks, set(small)

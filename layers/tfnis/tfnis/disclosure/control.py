"""Disclosure control of one table: generalise, suppress locally to k, and refuse when that costs too much.

The ladder of generalisation levels belongs to the caller (tfnis.anonymise.minimise knows age bands and
month bands); this module tries level 0 first and moves to a coarser level only when local suppression at
the finer one would blank more than the stated share of quasi-identifier cells. At the coarsest level that is
a refusal, with the reason, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfnis.disclosure.measures import class_sizes, homogeneous_positive, k_distribution, l_diversity
from tfnis.disclosure.suppression import KAnonymityImpossible, Suppression, suppress_locally

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_K = 5
DEFAULT_MAX_SUPPRESSION = 0.10  # share of quasi-identifier cells; above it, generalise further, then refuse


class DisclosureRefused(RuntimeError):
    """K cannot be reached within the suppression limit: nothing is written. Carries no value, only counts."""


@dataclass(frozen=True)
class TableRules:
    """What is declared about one table: its quasi-identifiers and its sensitive measures."""

    table: str
    fixed: tuple[str, ...]  # never suppressed (council, period): the extract is partitioned by them
    quasi_identifiers: tuple[str, ...]  # suppressible, in the order they are declared
    sensitive: Mapping[str, frozenset[str]] = field(default_factory=dict)  # measure → its "no" values

    def present(self, frame: pd.DataFrame) -> list[str]:
        return [c for c in self.quasi_identifiers if c in frame.columns]


@dataclass(frozen=True)
class SensitiveRisk:
    min_l: int
    records_with_l_1: int
    records_homogeneous_positive: int  # the whole class shares one positive value: attribute disclosure


@dataclass(frozen=True)
class ProtectedTable:
    rules: TableRules
    level: int
    frame: pd.DataFrame
    before: pd.DataFrame  # the table at this level before suppression
    suppression: Suppression
    sizes_before: pd.Series  # class size of each record at this level, before suppression
    sizes_after: pd.Series
    sensitive: dict[str, SensitiveRisk]
    levels_tried: tuple[tuple[int, float], ...]  # (level, share of cells suppression needed)

    @property
    def k_before(self) -> int:
        return int(self.sizes_before.min()) if len(self.sizes_before) else 0

    @property
    def k_after(self) -> int:
        return int(self.sizes_after.min()) if len(self.sizes_after) else 0

    def distribution(self, after: bool) -> dict[str, int]:
        return k_distribution(self.sizes_after if after else self.sizes_before)


def protect_table(
    generalised: Callable[[int], pd.DataFrame],
    rules: TableRules,
    *,
    k: int = DEFAULT_K,
    max_suppression: float = DEFAULT_MAX_SUPPRESSION,
    levels: int = 1,
) -> ProtectedTable:
    """The table at the finest level whose local suppression to k stays within max_suppression of the cells.

    Raises DisclosureRefused otherwise, or when a council and period has fewer than k records.
    """
    tried: list[tuple[int, float]] = []
    for level in range(levels):
        frame = generalised(level)
        qis = [*rules.fixed, *rules.present(frame)]
        try:
            suppression = suppress_locally(frame, list(rules.fixed), rules.present(frame), k)
        except KAnonymityImpossible as impossible:
            raise DisclosureRefused(f"{rules.table}: k={k} cannot be reached: {impossible}") from None
        tried.append((level, suppression.share_of_cells()))
        if suppression.share_of_cells() <= max_suppression:
            protected = suppression.frame
            return ProtectedTable(
                rules=rules, level=level, frame=protected, before=frame, suppression=suppression,
                sizes_before=class_sizes(frame, qis), sizes_after=class_sizes(protected, qis),
                sensitive=sensitive_risk(protected, qis, rules.sensitive), levels_tried=tuple(tried),
            )  # fmt: skip
    needed = ", ".join(f"level {lv}: {share:.1%}" for lv, share in tried)
    raise DisclosureRefused(
        f"{rules.table}: k={k} needs more than {max_suppression:.0%} of quasi-identifier cells suppressed "
        f"at every generalisation level ({needed})"
    )


def sensitive_risk(
    frame: pd.DataFrame, qis: list[str], sensitive: Mapping[str, frozenset[str]]
) -> dict[str, SensitiveRisk]:
    """Distinct l-diversity and homogeneous positive classes of each sensitive measure present."""
    out: dict[str, SensitiveRisk] = {}
    for measure, negative in sensitive.items():
        recorded = frame[measure].notna() if measure in frame.columns else None
        if recorded is None or not recorded.any():  # not recorded anywhere (another framework's problem)
            continue
        diversity = l_diversity(frame, qis, measure)[recorded]
        positive = homogeneous_positive(frame, qis, measure, negative)
        out[measure] = SensitiveRisk(
            min_l=int(diversity.min()) if len(diversity) else 0,
            records_with_l_1=int((diversity == 1).sum()),
            records_homogeneous_positive=int((positive & recorded).sum()),
        )
    return out

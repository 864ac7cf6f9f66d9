"""Local suppression: blank as few quasi-identifier cells as it takes for every record to be in a class of at
least K (Sweeney's k-anonymity; the local suppression of sdcMicro and ARX, in a vectorised greedy form).

Each round, every record still in a class smaller than K loses one more cell: the quasi-identifier whose
blanking lands it in the largest class (records already blank there with the same other values, and the small
records that would move with it), ties to the rarest value, among those not yet blank. After each round, a
small class that already has a blank is topped up to K with donors: records that agree on what it still shows,
taken from classes with more than K records, blanked where it is blank. Classes of K or more never shrink.
Records still in a small class once everything suppressible is blank are pooled; if the pool itself is smaller
than K, spare records of larger classes, or whole classes, are blanked to join it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.disclosure.measures import class_sizes

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray


class KAnonymityImpossible(ValueError):
    """The table cannot be made k-anonymous by suppression (fewer than K records in a fixed class)."""


@dataclass(frozen=True)
class Suppression:
    """The protected table and which of its quasi-identifier cells were blanked."""

    frame: pd.DataFrame
    suppressed: pd.DataFrame  # bool, one column per suppressible quasi-identifier

    @property
    def cells(self) -> int:
        return int(self.suppressed.to_numpy().sum())

    @property
    def records(self) -> int:
        return int(self.suppressed.any(axis=1).sum())

    def share_of_cells(self) -> float:
        total = self.suppressed.size
        return self.cells / total if total else 0.0

    def cells_by_column(self) -> dict[str, int]:
        return {str(c): int(v) for c, v in self.suppressed.sum().items()}


def suppress_locally(frame: pd.DataFrame, fixed: list[str], suppressible: list[str], k: int) -> Suppression:
    """Blank cells of `suppressible` until every record's class on fixed + suppressible has at least k records.

    `fixed` quasi-identifiers (council, period) are never blanked: a table with fewer than k records in one of
    their classes raises KAnonymityImpossible.
    """
    import numpy as np
    import pandas as pd

    qis = [*fixed, *suppressible]
    out = frame.copy()
    blanked = pd.DataFrame(False, index=frame.index, columns=suppressible)
    if fixed and (class_sizes(out, fixed) < k).any():
        raise KAnonymityImpossible(f"fewer than {k} records in one council and period")
    for _ in range(len(suppressible)):
        small = (class_sizes(out, qis) < k).to_numpy()
        if not small.any():
            return Suppression(out, blanked)
        choice = _best_cells(out, fixed, suppressible, small)
        rows = np.flatnonzero(small)
        for position, column in enumerate(suppressible):
            chosen = rows[choice == position]
            if len(chosen):
                out.loc[out.index[chosen], column] = pd.NA
                blanked.loc[blanked.index[chosen], column] = True
        _top_up_partly_blank_classes(out, blanked, fixed, suppressible, k)
    return _pool_the_rest(out, blanked, fixed, suppressible, k)


def _best_cells(out: pd.DataFrame, fixed: list[str], suppressible: list[str], small: object) -> object:
    """For each record in a small class, the column whose blanking lands it in the largest class: records
    already blank there with the same other values, plus the small records that would move with it. Ties go
    to the column whose value is rarest. Blank cells are never chosen while another is left."""
    import numpy as np

    from tfnis.disclosure.measures import class_codes

    assert isinstance(small, np.ndarray)
    scores = np.full((int(small.sum()), len(suppressible)), -np.inf)
    for position, column in enumerate(suppressible):
        others = [*fixed, *(c for c in suppressible if c != column)]
        codes = class_codes(out, others).to_numpy()
        blank = out[column].isna().to_numpy()
        pool = np.bincount(codes[blank], minlength=codes.max() + 1 if len(codes) else 0)
        movers = np.bincount(codes[small & ~blank], minlength=len(pool))
        landing = (pool + movers)[codes[small]].astype(float)
        rarity = 1.0 / (1.0 + out[column].map(out[column].value_counts(dropna=True)).fillna(0).to_numpy(float))
        scores[:, position] = np.where(blank[small], -np.inf, landing + rarity[small])
    return scores.argmax(axis=1)


def _top_up_partly_blank_classes(
    out: pd.DataFrame, blanked: pd.DataFrame, fixed: list[str], suppressible: list[str], k: int
) -> bool:
    """Bring small classes that already have a blank up to k with donors, fewest cells first: a donor agrees on
    every value the class still shows, comes from a class with more than k records (which keeps k), and has
    the class's blank columns blanked. Cheaper than blanking the small class further, which ends in the same
    need for donors with every column blank. True when anything changed."""
    import numpy as np
    import pandas as pd

    from tfnis.disclosure.measures import class_codes

    qis = [*fixed, *suppressible]
    # Integer codes per column (-1 blank) and rows grouped by class and by fixed class: donors agree on the
    # fixed columns (never blank), so only the rows of the same fixed class are compared, and the changes are
    # applied once at the end (the choice reads the table as it was, as one pass over the classes always did).
    values = np.column_stack([pd.factorize(out[c].astype(object))[0] for c in qis])
    blank = values < 0
    codes = class_codes(out, qis).to_numpy()
    sizes = np.bincount(codes)[codes]
    spare = {int(c): int(n) - k for c, n in zip(*np.unique(codes, return_counts=True), strict=True) if n > k}
    members_of = _rows_by(codes)
    fixed_code = (class_codes(out, fixed).to_numpy() if fixed else np.zeros(len(out))).astype(np.int64)
    by_fixed = _rows_by(fixed_code)
    to_blank: dict[int, list[np.ndarray]] = {}
    for code in np.unique(codes[sizes < k]):
        members = members_of[int(code)]
        shown = ~blank[members[0]]
        if shown.all():
            continue
        candidates = by_fixed[int(fixed_code[members[0]])]
        match = (values[np.ix_(candidates, np.flatnonzero(shown))] == values[members[0], shown]).all(axis=1)
        donors = candidates[match & (sizes[candidates] > k)]
        hidden = np.flatnonzero(~shown)
        cost = (~blank[np.ix_(donors, hidden)]).sum(axis=1)
        chosen: list[int] = []
        for donor in donors[np.lexsort((-sizes[donors], cost))]:
            if spare.get(int(codes[donor]), 0) > 0:
                chosen.append(int(donor))
                spare[int(codes[donor])] -= 1
            if len(chosen) == k - len(members):
                break
        if len(chosen) < k - len(members):
            for donor in chosen:
                spare[int(codes[donor])] += 1
            continue
        for position in hidden:
            to_blank.setdefault(int(position), []).append(np.asarray(chosen))
    for column, chunks in to_blank.items():
        rows = np.unique(np.concatenate(chunks))
        name = qis[column]
        newly = rows[~blank[rows, column]]
        out.iloc[rows, out.columns.get_loc(name)] = pd.NA
        blanked.iloc[newly, blanked.columns.get_loc(name)] = True
    return bool(to_blank)


def _rows_by(codes: NDArray[np.int64]) -> dict[int, NDArray[np.intp]]:
    """Row positions of each code, in row order."""
    import numpy as np

    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return {int(codes[group[0]]): group for group in np.split(order, bounds) if len(group)}


def _pool_the_rest(
    out: pd.DataFrame, blanked: pd.DataFrame, fixed: list[str], suppressible: list[str], k: int
) -> Suppression:
    """Records still in a small class: blank all they have left; top the pool up to k from roomy classes."""
    import pandas as pd

    qis = [*fixed, *suppressible]
    small = class_sizes(out, qis) < k
    if not small.any():
        return Suppression(out, blanked)
    out.loc[small, suppressible] = pd.NA
    blanked.loc[small, suppressible] = True
    sizes = class_sizes(out, qis)
    pooled = out[suppressible].isna().all(axis=1)
    for _, group in out[pooled & (sizes < k)].groupby(fixed, dropna=False, sort=False) if fixed else []:
        _top_up(out, blanked, group.index, fixed, suppressible, k, sizes)
    if not fixed and (pooled & (sizes < k)).any():
        _top_up(out, blanked, out.index[pooled], fixed, suppressible, k, sizes)
    if (class_sizes(out, qis) < k).any():
        raise KAnonymityImpossible(f"not enough records to make every class at least {k}")
    return Suppression(out, blanked)


def _top_up(
    out: pd.DataFrame,
    blanked: pd.DataFrame,
    pool: pd.Index,
    fixed: list[str],
    suppressible: list[str],
    k: int,
    sizes: pd.Series,
) -> None:
    """Blank whole records (same fixed values) into the pool until it holds k: first spare records of classes
    of more than k (they keep k), then, if that is not enough, whole classes, smallest first."""
    import numpy as np
    import pandas as pd

    from tfnis.disclosure.measures import class_codes

    need = k - len(pool)
    same = (out[fixed] == out.loc[pool[0], fixed]).all(axis=1) if fixed else pd.Series(True, index=out.index)
    others = out[same & ~out.index.isin(pool)]
    codes = pd.Series(class_codes(others, suppressible).to_numpy(), index=others.index)
    size = sizes[others.index]
    spare = others[(codes.groupby(codes).cumcount() < size - k).to_numpy()]
    donors = list(spare.index[np.argsort(-size[spare.index].to_numpy(), kind="stable")][:need])
    if len(donors) < need:
        donors = []
        for _, members in sorted(codes.groupby(codes).groups.items(), key=lambda item: len(item[1])):
            donors += list(members)
            if len(donors) >= need:
                break
    out.loc[donors, suppressible] = pd.NA
    blanked.loc[donors, suppressible] = True

"""Output checking: may this table leave the research environment? The rules of ONS's Secure Research Service.

- Threshold: a frequency cell from 1 to threshold-1 units (default 10) is disclosive; zero is not (it singles
  nobody out), a blank is a suppressed cell.
- Secondary suppression: a suppressed cell must not be recoverable from totals or differences. Row and column
  totals are assumed known (published beside the table or derivable from other outputs), so each row and each
  count column is one additive constraint. A hidden cell is then recoverable exactly when it lies on no cycle
  of hidden cells in the bipartite graph rows x columns (a bridge): the null space of that incidence system is
  its cycle space. So: a row or column with exactly one hidden cell is the common case (the coverage rule, in
  tfnis.coverage.suppression, is one kind of bridge), and every bridge is put on a rectangle of hidden cells
  at the least cost (the hypercube method).
- Dominance (N, K): in a magnitude table, a cell whose N largest contributions exceed K% of its total is
  disclosive. The table must carry each magnitude column's largest contributions as <column>_largest_1 … _N
  (as SRS asks researchers to supply); `fix` removes those columns.
A row whose first text cell reads "Total"/"All" and a column named so are the table's own margins: they take
part in the constraints like any other cell, and are hidden only when nothing else will do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfnis.coverage.suppression import THRESHOLD  # one threshold for every table that leaves: 10 units

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TOTAL_LABEL = re.compile(r"^\s*(total|all)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DisclosiveCell:
    """One cell that may not leave as it is: the spreadsheet row (header is row 1), the column, and why."""

    row: int
    column: str
    rule: str  # OUTPUT_THRESHOLD, OUTPUT_SECONDARY, OUTPUT_DOMINANCE
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.rule} ({self.reason})"


@dataclass(frozen=True)
class OutputCheck:
    cells: tuple[DisclosiveCell, ...]
    fixed: pd.DataFrame  # the table with every disclosive cell blanked (and dominance helper columns dropped)
    count_columns: tuple[str, ...]
    magnitude_columns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def safe(self) -> bool:
        return not self.cells


class TableNotCheckable(ValueError):
    """The table cannot be checked as asked (a named column missing, no count column, dominance data absent)."""


def count_columns_of(table: pd.DataFrame) -> tuple[str, ...]:
    """Integer columns: every value present is a whole number (a blank is a suppressed cell), booleans excluded."""
    import pandas as pd

    found = []
    for name in table.columns:
        values = table[name]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        present = values.dropna()
        if len(present) and bool((present == present.round()).all()):
            found.append(str(name))
    return tuple(found)


def check_output(
    table: pd.DataFrame,
    *,
    threshold: int = THRESHOLD,
    counts: tuple[str, ...] | None = None,
    dominance: tuple[int, float] | None = None,
    magnitudes: tuple[str, ...] = (),
) -> OutputCheck:
    """Every disclosive cell of the table and the table with them suppressed (primary, dominance, secondary)."""
    import numpy as np
    import pandas as pd

    counts = (
        tuple(counts)
        if counts
        else tuple(c for c in count_columns_of(table) if not _is_helper(c) and c not in magnitudes)
    )
    missing = [c for c in (*counts, *magnitudes) if c not in table.columns]
    if missing:
        raise TableNotCheckable(f"no column named {', '.join(missing)}")
    if not counts and not magnitudes:
        raise TableNotCheckable("no count column found; name them with --counts")
    cells = [*counts, *magnitudes]
    values = table[cells].apply(pd.to_numeric, errors="coerce").astype(float)
    hidden = values.isna().to_numpy() & table[cells].isna().to_numpy()
    found: list[DisclosiveCell] = []
    primary = np.zeros_like(hidden)
    for j, column in enumerate(counts):
        small = ((values[column] >= 1) & (values[column] < threshold)).to_numpy()
        primary[:, j] = small
        found += [_cell(i, column, "OUTPUT_THRESHOLD", f"fewer than {threshold} units") for i in np.flatnonzero(small)]
    if dominance is not None:
        for j, column in enumerate(magnitudes, start=len(counts)):
            dominant = _dominant(table, column, values[column], *dominance)
            primary[:, j] |= dominant
            found += [
                _cell(i, column, "OUTPUT_DOMINANCE", f"{dominance[0]} largest contribute over {dominance[1]:g}%")
                for i in np.flatnonzero(dominant)
            ]
    first_hidden = hidden | primary
    secondary = _secondary(values.to_numpy(), first_hidden, _total_rows(table), [_is_total(c) for c in cells])
    found += [_cell(i, cells[j], "OUTPUT_SECONDARY", "recoverable from totals or differences") for i, j in secondary]
    all_hidden = first_hidden.copy()
    for i, j in secondary:
        all_hidden[i, j] = True
    found += [
        _cell(i, cells[j], "OUTPUT_SECONDARY", "recoverable from the totals however the table is suppressed")
        for i, j in still_recoverable(all_hidden)
    ]
    fixed = table.copy()
    for j, column in enumerate(cells):
        fixed[column] = fixed[column].astype("Float64" if column in magnitudes else "Int64").mask(all_hidden[:, j])
    fixed = fixed.drop(columns=[c for c in fixed.columns if _is_helper(c)])
    found.sort(key=lambda c: (c.row, cells.index(c.column)))
    return OutputCheck(tuple(found), fixed, tuple(counts), tuple(magnitudes))


def _cell(index: int | np.integer, column: str, rule: str, reason: str) -> DisclosiveCell:
    return DisclosiveCell(row=int(index) + 2, column=column, rule=rule, reason=reason)


def _is_helper(column: object) -> bool:
    return bool(re.search(r"_largest_\d+$", str(column)))


def _is_total(label: object) -> bool:
    return bool(TOTAL_LABEL.match(str(label)))


def _total_rows(table: pd.DataFrame) -> list[bool]:
    text = [c for c in table.columns if table[c].dtype == object or str(table[c].dtype).startswith("string")]
    if not text:
        return [False] * len(table)
    return [_is_total(v) for v in table[text[0]].tolist()]


def _dominant(table: pd.DataFrame, column: str, totals: pd.Series, n: int, k: float) -> np.ndarray:
    import numpy as np

    helpers = [f"{column}_largest_{i}" for i in range(1, n + 1)]
    absent = [h for h in helpers if h not in table.columns]
    if absent:
        raise TableNotCheckable(f"dominance needs {', '.join(absent)} (the largest contributions to each cell)")
    largest = table[helpers].apply(lambda s: s.astype(float)).fillna(0).sum(axis=1).to_numpy()
    total = totals.to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num((largest * 100.0) > (k * np.abs(total))) & (np.abs(total) > 0)


def _secondary(values, hidden, total_rows: list[bool], total_columns: list[bool]) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Cells to hide besides `hidden` so that no hidden cell is a bridge of the rows x columns graph.

    Each bridge (r, c) is put on a rectangle of hidden cells, (r, c), (r, c2), (r2, c), (r2, c2), choosing the
    r2, c2 whose cells still visible add up to least (non-margin cells first): a cycle, so no longer a bridge.
    This is the 2-D hypercube method of Repsilber and Giessing (tau-Argus), greedy, one bridge at a time.
    """
    import numpy as np

    hidden = hidden.copy()
    added: list[tuple[int, int]] = []
    n_rows, n_cols = hidden.shape
    margin = np.add.outer(np.asarray(total_rows, bool), np.asarray(total_columns, bool))
    cost = np.where(np.isnan(values), 0.0, np.abs(values)) + 1.0 + margin * 1e12  # a zero cell still costs
    stuck: set[tuple[int, int]] = set()
    if n_rows < 2 or n_cols < 2:
        return _secondary_in_one_line(cost, hidden)
    while True:
        bridges = [b for b in hidden_bridges(hidden) if b not in stuck]
        if not bridges:
            return added
        r, c = bridges[0]
        visible_cost = np.where(hidden, 0.0, cost)
        total = visible_cost[r, :][None, :] + visible_cost[:, c][:, None] + visible_cost
        total[r, :] = np.inf
        total[:, c] = np.inf
        r2, c2 = np.unravel_index(int(np.argmin(total)), total.shape)
        for cell in ((r, int(c2)), (int(r2), c), (int(r2), int(c2))):
            if not hidden[cell]:
                hidden[cell] = True
                added.append(cell)


def _secondary_in_one_line(cost, hidden) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """A table of one row or one column has one total: a single hidden cell follows from it, so the cheapest
    visible cell is hidden with it."""
    import numpy as np

    if hidden.sum() != 1 or hidden.all():
        return []
    visible = np.where(hidden, np.inf, cost)
    cell = np.unravel_index(int(np.argmin(visible)), hidden.shape)
    return [(int(cell[0]), int(cell[1]))]


def still_recoverable(hidden) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Hidden cells the totals still give away: bridges in a table of two or more rows and columns, the single
    hidden cell of a one-row or one-column table."""
    import numpy as np

    if min(hidden.shape) >= 2:
        return hidden_bridges(hidden)
    if hidden.sum() == 1:
        r, c = np.argwhere(hidden)[0]
        return [(int(r), int(c))]
    return []


def hidden_bridges(hidden) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Hidden cells that lie on no cycle of hidden cells (rows and columns as the two sides of a graph): the
    cells whose value follows from the totals. Iterative Tarjan bridge-finding, O(cells)."""
    import numpy as np

    rows, cols = np.nonzero(hidden)
    n_rows = hidden.shape[0]
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for edge, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        adjacency.setdefault(r, []).append((n_rows + c, edge))
        adjacency.setdefault(n_rows + c, []).append((r, edge))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: list[tuple[int, int]] = []
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:
            node, via, edges = stack[-1]
            advanced = False
            for neighbour, edge in edges:
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, iter(adjacency[neighbour])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        bridges.append((int(rows[via]), int(cols[via])))
    return sorted(bridges)

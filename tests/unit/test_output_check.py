"""Output checking (`tfnis check-output`): small cells, secondary suppression that totals cannot undo, dominance,
and the command's exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfnis.cli.main import main
from tfnis.disclosure.output_check import check_output, hidden_bridges


def recoverable(values: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose value follows from the visible cells and every row and column total, by linear
    algebra (independent of the bridge search): e_i lies in the row space of the totals' equations."""
    cells = list(zip(*np.nonzero(hidden), strict=True))
    if not cells:
        return []
    n_rows, n_cols = hidden.shape
    system = np.zeros((n_rows + n_cols, len(cells)))
    for position, (r, c) in enumerate(cells):
        system[r, position] = system[n_rows + c, position] = 1
    rank = np.linalg.matrix_rank(system)
    found = []
    for position, cell in enumerate(cells):
        unit = np.zeros((1, len(cells)))
        unit[0, position] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append((int(cell[0]), int(cell[1])))
    return found


tables = st.integers(min_value=2, max_value=6).flatmap(
    lambda rows: st.integers(min_value=2, max_value=5).flatmap(
        lambda cols: st.lists(
            st.lists(st.one_of(st.integers(0, 9), st.integers(10, 60)), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


@pytest.mark.slow
@settings(max_examples=150)
@given(cells=tables)
def test_a_hidden_cell_cannot_be_recovered_from_the_row_and_column_totals(cells):
    columns = [f"c{i}" for i in range(len(cells[0]))]
    table = pd.DataFrame(cells, columns=columns).assign(area=[f"area {i}" for i in range(len(cells))])
    fixed = check_output(table[["area", *columns]], counts=tuple(columns)).fixed
    counts = fixed.drop(columns="area")
    hidden = counts.isna().to_numpy()
    values = np.asarray(cells, dtype=float)
    assert not ((values >= 1) & (values < 10) & ~hidden).any()  # every small cell is hidden
    assert recoverable(values, hidden) == []  # and none can be worked out from the totals
    assert check_output(fixed, counts=tuple(columns)).safe


def test_one_small_cell_takes_three_others_with_it_as_a_rectangle():
    table = pd.DataFrame({"area": ["North", "South", "East"], "girls": [12, 20, 14], "boys": [3, 25, 18]})
    result = check_output(table)
    hidden = {(c.row, c.column) for c in result.cells}
    assert hidden == {(2, "girls"), (2, "boys"), (4, "girls"), (4, "boys")}
    assert [c.rule for c in result.cells if (c.row, c.column) == (2, "boys")] == ["OUTPUT_THRESHOLD"]


def test_zero_is_not_disclosive_and_a_safe_table_passes_unchanged():
    table = pd.DataFrame({"area": ["North", "South"], "girls": [0, 20], "boys": [15, 25]})
    result = check_output(table)
    assert result.safe and result.fixed[["girls", "boys"]].equals(table[["girls", "boys"]].astype("Int64"))


def test_a_lone_blank_in_a_column_is_recoverable_and_reported():
    table = pd.DataFrame({"area": ["North", "South", "East"], "families": [pd.NA, 20, 30]})
    result = check_output(table.astype({"families": "Int64"}))
    assert not result.safe and any(c.rule == "OUTPUT_SECONDARY" for c in result.cells)


def test_bridges_are_the_hidden_cells_on_no_cycle():
    hidden = np.array([[True, True, False], [True, True, False], [False, True, True]])
    assert hidden_bridges(hidden) == [(2, 1), (2, 2)]


def test_dominance_flags_a_cell_whose_largest_contributors_exceed_k_percent():
    table = pd.DataFrame(
        {"area": ["North", "South"], "spend": [1000.0, 900.0], "spend_largest_1": [880.0, 100.0],
         "spend_largest_2": [50.0, 90.0], "families": [40, 50]}
    )  # fmt: skip
    result = check_output(table, dominance=(2, 85.0), magnitudes=("spend",))
    assert [(c.row, c.column, c.rule) for c in result.cells if c.rule == "OUTPUT_DOMINANCE"] == [
        (2, "spend", "OUTPUT_DOMINANCE")
    ]
    assert "spend_largest_1" not in result.fixed.columns  # the contributions never leave


def test_the_command_exits_0_for_a_safe_table_1_for_a_disclosive_one_and_2_for_an_unreadable_one(
    tmp_path: Path, capsys
):
    safe, disclosive, broken = tmp_path / "safe.csv", tmp_path / "small.csv", tmp_path / "broken.xlsx"
    safe.write_text("area,families\nNorth,12\nSouth,40\n")
    disclosive.write_text("area,girls,boys\nNorth,12,3\nSouth,20,25\nEast,14,18\n")
    broken.write_bytes(b"not a workbook")
    assert main(["check-output", str(safe)]) == 0
    fixed = tmp_path / "fixed.csv"
    assert main(["check-output", str(disclosive), "--fix", str(fixed)]) == 1
    assert "row 2, column boys: OUTPUT_THRESHOLD" in capsys.readouterr().out
    assert main(["check-output", str(fixed)]) == 0
    assert main(["check-output", str(broken)]) == 2
    assert main(["check-output", str(tmp_path / "absent.csv")]) == 2


def test_the_threshold_and_the_count_columns_can_be_named(tmp_path: Path):
    table = tmp_path / "t.csv"
    table.write_text("area,families,year\nNorth,12,2024\nSouth,40,2024\n")
    assert main(["check-output", str(table), "--counts", "families", "--threshold", "20"]) == 1
    assert main(["check-output", str(table), "--counts", "families"]) == 0

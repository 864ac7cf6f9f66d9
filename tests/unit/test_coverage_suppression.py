"""Small-number suppression and the national roll-up across councils."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfnis.coverage import CoverageReport, national_csv, national_percent, national_table, suppress
from tfnis.coverage.figures import CoverageFigure, figure

PERIOD = "2024-03-31"


def fig(fid: str, numerator: int, denominator: int) -> CoverageFigure:
    return figure(fid, fid, "family", numerator, denominator)


def report(la_code: str, *figures: CoverageFigure) -> CoverageReport:
    return CoverageReport("1.0", la_code, PERIOD, tuple(figures))


def by_id(figures: list[CoverageFigure]) -> dict[str, CoverageFigure]:
    return {f.id: f for f in figures}


def test_small_numerator_is_suppressed_and_blanked():
    out = by_id(suppress([fig("evictions_any", 3, 40)]))
    assert out["evictions_any"] == CoverageFigure("evictions_any", "evictions_any", "family", None, None, None, True)


def test_small_denominator_suppresses_a_zero_numerator():
    assert by_id(suppress([fig("neet_provided", 0, 7)]))["neet_provided"].suppressed


def test_zero_and_ten_are_not_suppressed():
    out = by_id(suppress([fig("evictions_provided", 0, 40), fig("evictions_any", 10, 10), fig("neet_any", 0, 0)]))
    assert out["evictions_provided"] == fig("evictions_provided", 0, 40)
    assert out["evictions_any"] == fig("evictions_any", 10, 10)
    assert not out["neet_any"].suppressed and out["neet_any"].percent is None


def test_threshold_is_a_parameter():
    assert by_id(suppress([fig("x", 3, 40)], threshold=3))["x"].suppressed is False


def test_one_hidden_part_of_a_partition_hides_the_smallest_other_non_zero_part():
    figures = [
        fig("families", 60, 60),
        fig("status_COMPARISON", 30, 60),
        fig("status_ACTIVE", 5, 60),
        fig("status_ENDED", 25, 60),
        fig("status_WITHDRAWN", 0, 60),
    ]
    hidden = {f.id for f in suppress(figures) if f.suppressed}
    assert hidden == {"status_ACTIVE", "status_ENDED"}


def test_two_hidden_parts_need_no_complement():
    figures = [fig("status_COMPARISON", 50, 60), fig("status_ACTIVE", 5, 60), fig("status_ENDED", 5, 60)]
    assert {f.id for f in suppress(figures) if f.suppressed} == {"status_ACTIVE", "status_ENDED"}


def test_national_total_sums_councils_before_suppression():
    reports = [report(la, fig("housing_status_provided", n, 50)) for la, n in (("E06000001", 4), ("E06000002", 3),
                                                                                ("E06000003", 6))]  # fmt: skip
    table = national_table(reports)
    total = table[table["la_code"] == "ENGLAND"].iloc[0]
    assert (total["numerator"], total["denominator"], total["percent"]) == (13, 150, 8.7)
    assert not total["suppressed"]
    assert table[table["la_code"] != "ENGLAND"]["suppressed"].all()


def test_national_total_is_itself_suppressed_when_small():
    reports = [report("E06000001", fig("neet_any", 2, 30)), report("E06000002", fig("neet_any", 3, 30))]
    table = national_table(reports)
    assert table["suppressed"].all()
    assert table["numerator"].isna().all()


def test_one_council_hidden_behind_a_shown_total_hides_the_next_smallest_council():
    reports = [
        report("E06000001", fig("evictions_any", 5, 100)),
        report("E06000002", fig("evictions_any", 40, 80)),
        report("E06000003", fig("evictions_any", 50, 120)),
    ]
    table = national_table(reports).set_index("la_code")
    assert table.loc["E06000001", "suppressed"]
    assert table.loc["E06000002", "suppressed"]  # smallest denominator left: 80
    assert not table.loc["E06000003", "suppressed"]
    assert table.loc["ENGLAND", "numerator"] == 95


def test_a_single_council_table_hides_a_total_that_would_reveal_it():
    figures = [fig("families", 60, 60), fig("status_ACTIVE", 5, 60), fig("status_ENDED", 55, 60)]
    table = national_table([report("E06000001", *figures)])
    shown = table[~table["suppressed"]]
    assert set(shown["id"]) == {"families"}


def test_national_table_has_a_row_per_council_and_figure_plus_totals():
    reports = [
        report(la, fig("families", 20, 20), fig("evictions_provided", 15, 20)) for la in ("E06000001", "E08000001")
    ]
    table = national_table(reports)
    assert len(table) == 6
    assert list(table.columns) == [
        "period_end", "la_code", "submission_id", "validated_at",
        "id", "label", "level", "numerator", "denominator", "percent", "suppressed",
    ]  # fmt: skip
    assert list(table["la_code"]) == ["E06000001"] * 2 + ["E08000001"] * 2 + ["ENGLAND"] * 2
    assert national_percent(table) == {"families": 100.0, "evictions_provided": 75.0}


def test_national_table_refuses_already_suppressed_reports():
    suppressed = report("E06000001", *suppress([fig("evictions_any", 3, 40)]))
    with pytest.raises(ValueError, match="unsuppressed"):
        national_table([suppressed])


def test_a_council_resubmitting_counts_once():
    reports = [report("E06000001", fig("families", 20, 20)), report("E06000001", fig("families", 30, 30))]
    table = national_table(reports)
    assert table.loc[table["la_code"] == "ENGLAND", "numerator"].tolist() == [30]


def test_national_percent_skips_suppressed_totals():
    table = national_table([report("E06000001", fig("families", 20, 20), fig("neet_any", 2, 15))])
    assert national_percent(table) == {"families": 100.0}


def test_national_csv_blanks_suppressed_cells():
    table = national_table([report("E06000001", fig("families", 20, 20), fig("neet_any", 2, 15))])
    lines = national_csv(table).splitlines()
    assert lines[1:] == [
        "2024-03-31,E06000001,,,families,families,family,20,20,100.0,false",
        "2024-03-31,E06000001,,,neet_any,neet_any,family,,,,true",
        "2024-03-31,ENGLAND,,,families,families,family,20,20,100.0,false",
        "2024-03-31,ENGLAND,,,neet_any,neet_any,family,,,,true",
    ]


def test_national_table_keeps_periods_apart():
    reports = [report("E06000001", fig("families", 20, 20)),
               CoverageReport("1.0", "E06000001", "2024-09-30", (fig("families", 30, 30),))]  # fmt: skip
    table = national_table(reports)
    assert len(table) == 4
    with pytest.raises(ValueError, match="several periods"):
        national_percent(table)
    assert national_percent(table, "2024-09-30") == {"families": 100.0}
    assert isinstance(table, pd.DataFrame)


@st.composite
def councils(draw) -> list[CoverageReport]:
    """Several councils with one partition (status_*) and one measure, counts around the threshold."""
    small = st.integers(min_value=0, max_value=40)
    reports = []
    for k in range(draw(st.integers(min_value=1, max_value=6))):
        parts = draw(st.lists(small, min_size=4, max_size=4))
        families = sum(parts)
        statuses = ("COMPARISON", "ACTIVE", "ENDED", "WITHDRAWN")
        figures = [fig("families", families, families)]
        figures += [fig(f"status_{s}", n, families) for s, n in zip(statuses, parts, strict=True)]
        figures.append(fig("evictions_provided", draw(st.integers(0, families)), families))
        reports.append(report(f"E06{k:06d}", *figures))
    return reports


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(councils())
def test_no_hidden_cell_can_be_recovered_by_subtraction(reports):
    table = national_table(reports)
    shown = table[~table["suppressed"]]
    assert not shown["numerator"].between(1, 9).any() and not shown["denominator"].between(1, 9).any()
    status = table[table["id"].str.startswith("status_")]
    assert (status.groupby("la_code")["suppressed"].sum() != 1).all()
    councils_only = table[table["la_code"] != "ENGLAND"]
    national_shown = set(table.loc[(table["la_code"] == "ENGLAND") & ~table["suppressed"], "id"])
    hidden = councils_only[councils_only["id"].isin(national_shown)].groupby("id")["suppressed"].sum()
    assert (hidden != 1).all()


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(councils())
def test_suppressing_twice_changes_nothing(reports):
    once = suppress(reports[0].figures)
    assert suppress(once) == once


def test_of_two_reports_of_one_council_the_later_validated_counts_whatever_their_order():
    older = replace(
        report("E06000001", fig("families", 1500, 1500)), submission_id="a", validated_at="2024-05-01T10:00"
    )
    newer = replace(report("E06000001", fig("families", 40, 40)), submission_id="b", validated_at="2024-05-02T10:00")
    for order in ([older, newer], [newer, older]):
        rows = national_table(order).set_index("la_code").loc["E06000001"]
        assert rows["submission_id"] == "b" and rows["validated_at"] == "2024-05-02T10:00"
        assert int(rows["numerator"]) == 40

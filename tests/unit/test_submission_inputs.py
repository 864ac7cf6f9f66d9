"""What a submission accepts: period_end written YYYY-MM-DD within the study, forms that end with the research."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tfnis.pipeline.submissions import form_seconds
from tfnis.storage import ServiceClosed
from tfnis.submissions import check_period_end


@pytest.mark.parametrize("value", ["2024-03-31", "2015-09-30", "2035-03-31"])
def test_a_period_end_on_31_march_or_30_september_2015_to_2035_is_accepted(value: str) -> None:
    assert check_period_end(value) == date.fromisoformat(value)


@pytest.mark.parametrize(
    "value",
    ["20240331", "2024-W13-7", "2024-091", "0001-03-31", "9999-09-30", "2014-09-30", "2036-03-31", " 2024-03-31",
     "2024-03-31T00:00", "2024-02-30", "2024-06-30", ""],
)  # fmt: skip
def test_other_period_ends_are_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(ValueError, match="period_end must"):
        check_period_end(value)


def test_a_form_lives_its_usual_time_well_before_research_end() -> None:
    assert form_seconds(900, "2031-03-31", datetime(2026, 11, 26, 12, tzinfo=UTC)) == 900


def test_a_form_never_runs_past_research_end() -> None:
    assert form_seconds(900, "2026-11-27", datetime(2026, 11, 26, 23, 55, tzinfo=UTC)) == 300


def test_no_form_is_issued_at_or_after_research_end() -> None:
    with pytest.raises(ServiceClosed):
        form_seconds(900, "2026-11-27", datetime(2026, 11, 27, 0, 0, tzinfo=UTC))

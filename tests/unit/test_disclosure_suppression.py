"""Local suppression to k: every record ends in a class of at least K on its quasi-identifiers, blank counting as
a value of its own, whatever the table (hypothesis), and no more is blanked than needed in simple cases."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfnis.disclosure.control import DisclosureRefused, TableRules, protect_table
from tfnis.disclosure.measures import household_uniqueness, k_distribution
from tfnis.disclosure.suppression import KAnonymityImpossible, suppress_locally

FIXED = ["la_code", "period_end"]
QIS = ["sex", "age_band", "ethnic_group", "relation"]


def smallest_class(frame: pd.DataFrame, columns: list[str]) -> int:
    """Counted independently of tfnis.disclosure: tuples of Python values, None for a blank."""
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).itertuples(index=False, name=None)
    return min(Counter(rows).values())


@st.composite
def returns(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(min_value=10, max_value=120))
    column = lambda values: st.lists(st.sampled_from(values), min_size=size, max_size=size)  # noqa: E731
    return pd.DataFrame(
        {
            "la_code": draw(column(["E08000025", "E09000033"])),
            "period_end": "2025-03-31",
            "sex": draw(column(["1", "2", "0", None])),
            "age_band": draw(column(["0-4", "5-10", "11-15", "16", "17-24", "25-34", "65+"])),
            "ethnic_group": draw(column(["White", "Asian or Asian British", "Not known", None])),
            "relation": draw(column(["MAIN_CARER", "CHILD", "PARTNER", "OTHER_ADULT"])),
        }
    ).astype("string")


@pytest.mark.slow
@given(frame=returns(), k=st.integers(min_value=2, max_value=5))
def test_after_suppression_every_record_is_in_a_class_of_at_least_k(frame, k):
    if min(Counter(frame["la_code"]).values()) < k:
        with pytest.raises(KAnonymityImpossible):
            suppress_locally(frame, FIXED, QIS, k)
        return
    protected = suppress_locally(frame, FIXED, QIS, k)
    assert smallest_class(protected.frame, FIXED + QIS) >= k
    assert len(protected.frame) == len(frame)  # cells are blanked, records are never dropped
    changed = protected.frame[QIS].fillna("\x00") != frame[QIS].fillna("\x00")
    assert (changed.to_numpy() <= protected.suppressed.to_numpy()).all()  # every change is counted
    assert (protected.frame[QIS].isna() | ~protected.suppressed).all().all()  # a suppressed cell is blank


def test_a_table_already_k_anonymous_is_left_alone():
    frame = pd.DataFrame({"la_code": ["E08000025"] * 10, "period_end": "2025-03-31", "sex": ["1"] * 5 + ["2"] * 5,
                          "age_band": "0-4", "ethnic_group": "White", "relation": "CHILD"})  # fmt: skip
    frame = frame.astype("string")
    protected = suppress_locally(frame, FIXED, QIS, 5)
    assert protected.cells == 0 and protected.frame.equals(frame)


def test_one_odd_record_loses_the_cell_that_makes_it_odd_and_four_others_join_it_blank_there():
    frame = pd.DataFrame({"la_code": ["E08000025"] * 11, "period_end": "2025-03-31", "sex": ["1"] * 11,
                          "age_band": "0-4", "ethnic_group": ["White"] * 10 + ["Not known"],
                          "relation": "CHILD"}).astype("string")  # fmt: skip
    protected = suppress_locally(frame, FIXED, QIS, 5)
    # A blank is a value of its own: the odd record blank on its own would be a class of one, so four donors
    # from the class of ten (which keeps six) are blanked there too. Nothing else is touched.
    assert protected.cells_by_column() == {"sex": 0, "age_band": 0, "ethnic_group": 5, "relation": 0}


def test_a_blank_is_a_value_of_its_own_so_blanking_cannot_hide_a_small_class():
    # Two records blank on ethnic group among eight White ones: k counts the blank pair as a class of 2.
    frame = pd.DataFrame({"la_code": ["E08000025"] * 10, "period_end": "2025-03-31", "sex": "1", "age_band": "0-4",
                          "ethnic_group": ["White"] * 8 + [None, None], "relation": "CHILD"})  # fmt: skip
    frame = frame.astype("string")
    assert smallest_class(frame, FIXED + QIS) == 2
    protected = suppress_locally(frame, FIXED, QIS, 5)
    assert smallest_class(protected.frame, FIXED + QIS) >= 5


def test_too_much_suppression_generalises_then_refuses_with_counts_only():
    frame = pd.DataFrame({"la_code": ["E08000025"] * 20, "period_end": "2025-03-31",
                          "sex": [str(i % 2) for i in range(20)], "age_band": [str(i) for i in range(20)],
                          "ethnic_group": "White", "relation": "CHILD"}).astype("string")  # fmt: skip
    rules = TableRules("individuals", tuple(FIXED), tuple(QIS))
    coarser = {0: frame, 1: frame.assign(age_band="0-19")}
    protected = protect_table(coarser.__getitem__, rules, k=5, max_suppression=0.2, levels=2)
    assert protected.level == 1 and protected.k_after >= 5
    with pytest.raises(DisclosureRefused, match=r"level 0: \d+\.\d%") as refused:
        protect_table(lambda level: frame, rules, k=5, max_suppression=0.05, levels=1)
    assert "White" not in str(refused.value) and "CHILD" not in str(refused.value)


def test_k_distribution_counts_records_by_the_size_of_their_class():
    sizes = pd.Series([1, 2, 2, 5, 5, 5, 5, 5, 25])
    assert k_distribution(sizes) == {"1": 1, "2": 2, "3-4": 0, "5-9": 5, "10-19": 0, "20+": 1}


def test_a_household_is_unique_on_its_members_even_when_each_member_is_not():
    people = pd.DataFrame(
        {
            "family_key": ["a", "a", "b", "b", "c", "c"],
            "la_code": "E08000025",
            "period_end": "2025-03-31",
            "relation": ["MAIN_CARER", "CHILD", "MAIN_CARER", "CHILD", "MAIN_CARER", "PARTNER"],
            "sex": ["2", "1", "2", "1", "2", "1"],
        }
    )
    share, sizes = household_uniqueness(people, "family_key", ["relation", "sex"], ["la_code", "period_end"])
    assert share == pytest.approx(1 / 3)
    assert sizes.to_dict() == {"a": 2, "b": 2, "c": 1}

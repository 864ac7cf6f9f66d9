"""Which comparison level a pair of records reaches: the model's levels evaluated in DuckDB, strongest first."""

from __future__ import annotations

import duckdb
import pandas as pd

from tfnis.linkage.model import comparisons
from tfnis.linkage.normalise import match_fields

HOUSEHOLD = {"surname": "Reed", "date_of_birth": "2015-07-29", "sex": "F", "postcode": "S65 2ZX"}


def level_reached(comparison_name: str, a: dict, b: dict) -> str:
    """The label of the first level of a comparison that the pair (a, b) satisfies."""
    fields = match_fields(pd.DataFrame([a, b] * 50))  # enough rows that every field counts as present
    comparison = next(
        c for c in comparisons(fields) if c.get_comparison("duckdb").output_column_name == comparison_name
    )
    pair = fields.iloc[:2].reset_index(drop=True)
    con = duckdb.connect()
    con.register("pair", pair)
    columns = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in pair.columns)
    aliases = ", ".join(
        f"string_split({s}.forename_aliases, '|') AS forename_alias_list_{s}, "
        f"try_strptime({s}.dob, '%Y-%m-%d')::DATE AS dob_date_{s}"
        for s in "lr"
    )
    con.execute(
        f"CREATE VIEW p AS SELECT {columns}, {aliases} "
        "FROM (SELECT * FROM pair LIMIT 1) l, (SELECT * FROM pair OFFSET 1) r"
    )
    for level in comparison.get_comparison("duckdb").as_dict()["comparison_levels"]:
        condition = level["sql_condition"]
        if condition == "ELSE" or con.execute(f"SELECT coalesce(({condition}), false) FROM p").fetchone()[0]:
            return level["label_for_charts"]
    raise AssertionError("no level holds")


def test_a_person_known_by_their_middle_name_is_not_a_plainly_different_forename():
    reached = level_reached(
        "forename", {"forename": "Anne", "middle_names": "Eleanor", **HOUSEHOLD}, {"forename": "Eleanor", **HOUSEHOLD}
    )
    assert reached == "known by a middle name"


def test_swapped_names_with_a_typo_in_one_are_recognised_on_both_names():
    a = {"forename": "Afonso", "surname": "Loureiro"}
    b = {"forename": "Loureiro", "surname": "Afondso"}
    assert level_reached("forename", a, b) == "names swapped, one with a typo"
    assert level_reached("surname", a, b) == "names swapped, a typo allowed"


def test_twins_jack_and_james_have_plainly_different_forenames():
    reached = level_reached("forename", {"forename": "Jack", **HOUSEHOLD}, {"forename": "James", **HOUSEHOLD})
    assert reached.startswith("All other")


def test_known_by_a_middle_name_with_a_typo_in_it():
    reached = level_reached(
        "forename",
        {"forename": "Khristina", "middle_names": "Anzhela", **HOUSEHOLD},
        {"forename": "Auzhela", **HOUSEHOLD},
    )
    assert reached == "known by a middle name, a typo in one"


def test_a_forename_in_the_surname_place_with_the_other_name_blank():
    a = {"forename": "Kiska", "surname": "Kajus", "date_of_birth": "2002-11-27", "sex": "M"}
    b = {"forename": "Kajus", "date_of_birth": "2002-11-27", "sex": "M"}
    assert level_reached("forename", a, b) == "forename in the surname's place"


def test_a_short_forename_with_two_typos_is_not_plainly_different():
    reached = level_reached("forename", {"forename": "Ruth", **HOUSEHOLD}, {"forename": "Qrmth", **HOUSEHOLD})
    assert not reached.startswith("All other")


def test_a_date_of_birth_typed_into_an_impossible_date_is_told_from_a_real_date_one_digit_away():
    person = {"forename": "Donna", "surname": "Hunt", "sex": "F"}
    impossible = level_reached(
        "dob", {**person, "date_of_birth": "1975-07-17"}, {**person, "date_of_birth": "1975-27-17"}
    )
    real = level_reached("dob", {**person, "date_of_birth": "1975-07-17"}, {**person, "date_of_birth": "1975-07-19"})
    assert (impossible, real) == ("one typo, one date impossible", "one typo")


def test_a_forename_that_is_also_its_own_middle_name_is_not_counted_twice_as_known_by_a_middle_name():
    """Anne Anne Pugh and Zoe Anne Hutchinson share one name, Anne: the middle names' comparison counts it, so the
    forename's "known by a middle name" must not count it again (namesakes linked at a million records)."""
    reached = level_reached(
        "forename",
        {"forename": "Anne", "middle_names": "Anne", **HOUSEHOLD},
        {"forename": "Zoe", "middle_names": "Anne", **HOUSEHOLD},
    )
    assert not reached.startswith("known by a middle name")
    # Known by the middle name with the other's middle names blank or different still counts.
    assert (
        level_reached(
            "forename",
            {"forename": "Zoe", "middle_names": "Anne", **HOUSEHOLD},
            {"forename": "Anne", "middle_names": "Grace", **HOUSEHOLD},
        )
        == "known by a middle name"
    )


def test_a_move_within_a_postcode_area_is_told_from_a_move_elsewhere():
    # Most moves stay within a council, which a postcode area roughly is; a namesake elsewhere rarely shares it.
    person = {"forename": "Leah", "surname": "Fowler", "sex": "F"}
    same_area = level_reached("postcode", {**person, "postcode": "S65 2ZX"}, {**person, "postcode": "S60 4AB"})
    elsewhere = level_reached("postcode", {**person, "postcode": "S65 2ZX"}, {**person, "postcode": "LS10 0NW"})
    assert same_area == "same area"
    assert elsewhere.startswith("All other")
